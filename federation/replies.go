package federation

import (
	"context"

	"collectif/access"
	"collectif/fault"
)

// GroupSetting is a federation setting of a public working group, as its
// moderators see it.
type GroupSetting struct {
	Slug string
	Name string
	IRI  string
	// RemoteReplies: replies from the fediverse to the group's threads
	// are accepted and shown (the default).
	RemoteReplies bool
}

// groupSettings returns the settings of the groups among actors.
func (s *Service) groupSettings(ctx context.Context, actors []*LocalActor) ([]GroupSetting, error) {
	var out []GroupSetting
	for _, a := range actors {
		if a.Kind != KindGroup {
			continue
		}
		on, err := s.remoteRepliesOn(ctx, a.GroupID)
		if err != nil {
			return nil, err
		}
		out = append(out, GroupSetting{Slug: groupSlugOf(a.IRI), Name: a.Name, IRI: a.IRI, RemoteReplies: on})
	}
	return out, nil
}

func groupSlugOf(iri string) string {
	for i := len(iri) - 1; i >= 0; i-- {
		if iri[i] == '/' {
			return iri[i+1:]
		}
	}
	return iri
}

func (s *Service) remoteRepliesOn(ctx context.Context, groupID string) (bool, error) {
	var on []bool
	err := s.d.DB.R.NewSelect().TableExpr("federation_group_settings").Column("remote_replies").Where("group_id = ?", groupID).Scan(ctx, &on)
	if err != nil || len(on) == 0 {
		return true, err // no row: the default
	}
	return on[0], nil
}

// SetRemoteReplies lets the moderators of a public working group accept
// or refuse replies from the fediverse to its threads. Refused replies are
// recorded as received and ignored; those already shown stay.
func (s *Service) SetRemoteReplies(ctx context.Context, p access.Principal, collectiveSlug, groupSlug string, on bool) error {
	const op = "federation.SetRemoteReplies"
	actors, err := s.moderatedActors(ctx, p, collectiveSlug)
	if err != nil {
		return err
	}
	for _, a := range actors {
		if a.Kind == KindGroup && groupSlugOf(a.IRI) == groupSlug {
			row := map[string]any{"group_id": a.GroupID, "remote_replies": on}
			_, err := s.d.DB.W.NewInsert().Model(&row).TableExpr("federation_group_settings").
				On("CONFLICT (group_id) DO UPDATE").Set("remote_replies = EXCLUDED.remote_replies").Exec(ctx)
			return fault.Wrap(op, err)
		}
	}
	return &fault.Error{Kind: fault.NotFound, Op: op, Message: "groupe introuvable ou non modéré par vous"}
}

// repliesRefused reports whether iri, one of our published objects, is in
// the thread of a group that refuses remote replies.
func (s *Service) repliesRefused(ctx context.Context, iri string) bool {
	var o publishedObject
	if err := s.d.DB.R.NewSelect().Model(&o).Column("local_actor").Where("iri = ?", iri).Scan(ctx); err != nil {
		return false
	}
	a, err := s.ActorByIRI(ctx, o.LocalActor)
	if err != nil || a.Kind != KindGroup {
		return false
	}
	on, err := s.remoteRepliesOn(ctx, a.GroupID)
	return err == nil && !on
}
