package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
)

// Ban is a remote actor banned from a collective or one of its public
// groups: its follows are refused, its replies to their threads ignored.
type Ban struct {
	// ID names the ban in URLs: a digest of the local and remote actors
	// (a ban is one per pair).
	ID          string    `json:"id"`
	LocalActor  string    `json:"local_actor"`
	LocalName   string    `json:"local_name"`
	RemoteActor string    `json:"remote_actor"`
	Handle      string    `json:"handle,omitempty"` // @user@host when the actor is known
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

// Place is a collective or public group whose bans a moderator manages.
type Place struct {
	Group string // the group's slug; "" for the collective
	Name  string
}

func banID(local, remote string) string {
	sum := sha256.Sum256([]byte(local + "\n" + remote))
	return hex.EncodeToString(sum[:12])
}

// places lists the actors of moderated as places for a form.
func places(moderated []*LocalActor) []Place {
	out := make([]Place, 0, len(moderated))
	for _, a := range moderated {
		p := Place{Name: a.Name}
		if a.Kind == KindGroup {
			p.Group = groupSlugOf(a.IRI)
		}
		out = append(out, p)
	}
	return out
}

// Bans lists the bans of a collective and of the public groups p
// moderates (collective managers, group moderators), newest first.
func (s *Service) Bans(ctx context.Context, p access.Principal, slug string) ([]Ban, error) {
	actors, err := s.moderatedActors(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	return s.bansOf(ctx, actors)
}

func (s *Service) bansOf(ctx context.Context, actors []*LocalActor) ([]Ban, error) {
	iris := make([]string, len(actors))
	names := map[string]string{}
	for i, a := range actors {
		iris[i], names[a.IRI] = a.IRI, a.Name
	}
	var rows []struct {
		LocalActor        string    `bun:"local_actor"`
		RemoteActor       string    `bun:"remote_actor"`
		Reason            string    `bun:"reason"`
		CreatedAt         time.Time `bun:"created_at"`
		PreferredUsername string    `bun:"preferred_username"`
		Host              string    `bun:"host"`
	}
	err := s.d.DB.R.NewSelect().TableExpr("federation_bans AS b").
		ColumnExpr("b.local_actor, b.remote_actor, b.reason, b.created_at, COALESCE(ra.preferred_username, '') AS preferred_username, COALESCE(ra.host, '') AS host").
		Join("LEFT JOIN remote_actors AS ra ON ra.iri = b.remote_actor").
		Where("b.local_actor IN (?)", bun.List(iris)).OrderExpr("b.created_at DESC, b.remote_actor").Limit(1000).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := []Ban{}
	for _, r := range rows {
		b := Ban{ID: banID(r.LocalActor, r.RemoteActor), LocalActor: r.LocalActor, LocalName: names[r.LocalActor], RemoteActor: r.RemoteActor,
			Reason: r.Reason, CreatedAt: r.CreatedAt}
		if r.PreferredUsername != "" {
			b.Handle = "@" + r.PreferredUsername + "@" + r.Host
		}
		out = append(out, b)
	}
	return out, nil
}

// BanActor bans a remote actor, named by handle (@user@host) or URL, from
// the collective (group "") or one of its public groups that p moderates:
// its follow of that actor is removed, the replies it sent to their
// threads and what the collective received from it are deleted, and its
// later follows are refused and its replies ignored.
func (s *Service) BanActor(ctx context.Context, p access.Principal, slug, group, target, reason string) (*Ban, error) {
	const op = "federation.BanActor"
	actors, err := s.moderatedActors(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	var local *LocalActor
	for _, a := range actors {
		if (group == "" && a.Kind == KindCollective) || (group != "" && a.Kind == KindGroup && groupSlugOf(a.IRI) == group) {
			local = a
		}
	}
	if local == nil {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Field: "group", Message: "vous ne modérez pas ce groupe ou ce collectif"}
	}
	iri, err := s.Resolve(ctx, target)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if strings.HasPrefix(iri, s.base+"/") {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "target", Message: "cet acteur est sur ce hub"}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	reason = trunc(strings.TrimSpace(reason), 500)
	err = s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ban := map[string]any{"local_actor": local.IRI, "remote_actor": iri, "reason": reason, "created_at": now}
		if p.AccountID != "" {
			ban["created_by"] = p.AccountID
		}
		if _, err := tx.NewInsert().Model(&ban).TableExpr("federation_bans").
			On("CONFLICT (local_actor, remote_actor) DO UPDATE").Set("reason = EXCLUDED.reason").Exec(ctx); err != nil {
			return err
		}
		// Its follows of the place (and, for a collective, of its groups)
		// end, and it is told so with a Reject of its Follow, as Mastodon
		// does when it removes a follower.
		var gone []follower
		q := tx.NewSelect().Model(&gone).Where("remote_actor = ?", iri)
		if local.Kind == KindCollective {
			q = q.Where("(local_actor = ? OR local_actor LIKE ?)", local.IRI, local.IRI+"/g/%")
		} else {
			q = q.Where("local_actor = ?", local.IRI)
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		for _, f := range gone {
			if _, err := tx.NewDelete().Model((*follower)(nil)).Where("id = ?", f.ID).Exec(ctx); err != nil {
				return err
			}
			if f.State == "rejected" || f.Inbox == "" {
				continue
			}
			if err := s.sendAnswer(ctx, tx, "Reject", f.LocalActor, &remoteActor{IRI: f.RemoteActor, Inbox: f.Inbox}, f.FollowID); err != nil {
				return err
			}
		}
		// Its replies to the threads of the place (a collective's ban
		// covers its groups).
		if _, err := tx.NewDelete().Model((*RemoteObject)(nil)).
			Where("(author = ? OR origin_actor = ?)", iri, iri).
			Where("(in_reply_to = ? OR in_reply_to LIKE ?)", local.IRI, local.IRI+"/%").Exec(ctx); err != nil {
			return err
		}
		if local.Kind == KindCollective {
			// What the collective received from it as a followed actor.
			if _, err := tx.NewDelete().Model((*RemoteObject)(nil)).Where("origin_actor = ? AND in_reply_to = ''", iri).
				Where("NOT EXISTS (SELECT 1 FROM federation_following AS f WHERE f.remote_actor = ? AND f.local_actor <> ?)", iri, local.IRI).
				Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewDelete().TableExpr("federation_following").Where("local_actor = ? AND remote_actor = ?", local.IRI, iri).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return &Ban{ID: banID(local.IRI, iri), LocalActor: local.IRI, LocalName: local.Name, RemoteActor: iri, Reason: reason, CreatedAt: now}, nil
}

// Unban lifts a ban of a collective or group p moderates.
func (s *Service) Unban(ctx context.Context, p access.Principal, slug, id string) error {
	const op = "federation.Unban"
	actors, err := s.moderatedActors(ctx, p, slug)
	if err != nil {
		return err
	}
	bans, err := s.bansOf(ctx, actors)
	if err != nil {
		return fault.Wrap(op, err)
	}
	for _, b := range bans {
		if b.ID == id {
			_, err := s.d.DB.W.NewDelete().TableExpr("federation_bans").Where("local_actor = ? AND remote_actor = ?", b.LocalActor, b.RemoteActor).Exec(ctx)
			return fault.Wrap(op, err)
		}
	}
	return &fault.Error{Kind: fault.NotFound, Op: op, Message: "bannissement introuvable"}
}

// banned reports whether a remote actor is banned from a local actor or
// from its collective.
func (s *Service) banned(ctx context.Context, local, remote string) (bool, error) {
	return s.d.DB.R.NewSelect().TableExpr("federation_bans").
		Where("local_actor IN (?) AND remote_actor = ?", bun.List([]string{local, collectiveOf(local)}), remote).Exists(ctx)
}

// replyBanned reports whether the author or sender of a reply to iri, one
// of our published objects, is banned from its place.
func (s *Service) replyBanned(ctx context.Context, iri string, actors ...string) bool {
	var o publishedObject
	if err := s.d.DB.R.NewSelect().Model(&o).Column("local_actor").Where("iri = ?", iri).Scan(ctx); err != nil {
		return false
	}
	for _, a := range actors {
		if b, err := s.banned(ctx, o.LocalActor, a); err != nil || b {
			return true // a database error refuses rather than lets in
		}
	}
	return false
}
