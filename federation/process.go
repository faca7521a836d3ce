package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"collectif/federation/ap"
	"collectif/model"
)

// Incoming is a verified activity handed to a Handler.
type Incoming struct {
	// Recipient is the local actor whose inbox received the activity; nil
	// for the shared inbox.
	Recipient *LocalActor
	Activity  *ap.Activity
}

// Handler processes one type of activity. An error makes the job retried
// later; a handler that decides to ignore an activity returns nil.
type Handler func(ctx context.Context, in *Incoming) error

// Handle registers h for an activity type, replacing what was there: the
// content-federation step registers Create, Update, Announce… this way.
// Types without a handler are recorded (the activity's id, actor and type)
// and ignored.
func (s *Service) Handle(activityType string, h Handler) { s.handlers[activityType] = h }

func (s *Service) registerBuiltins() {
	s.Handle("Follow", s.onFollow)
	s.Handle("Undo", s.onUndo)
	s.Handle("Accept", func(ctx context.Context, in *Incoming) error { return s.onFollowAnswer(ctx, in, "accepted") })
	s.Handle("Reject", func(ctx context.Context, in *Incoming) error { return s.onFollowAnswer(ctx, in, "rejected") })
	s.Handle("Flag", s.onFlag)
	s.Handle("Delete", s.onDelete)
	s.Handle("Join", s.onJoin)
	s.Handle("Leave", func(ctx context.Context, in *Incoming) error {
		return s.onLeave(ctx, in.Activity.Actor.ID, in.Activity.FirstObject().ID)
	})
	s.registerContent()
}

// Process handles a received activity (the job of the inbox).
func (s *Service) Process(ctx context.Context, j InboxJob) error {
	act, err := ap.ParseActivity(j.Activity)
	if err != nil {
		s.log.WarnContext(ctx, "queued activity unreadable", "err", err)
		return nil // it was read before being queued: nothing to retry
	}
	in := &Incoming{Activity: act}
	if j.Recipient != "" {
		if in.Recipient, err = s.ActorByIRI(ctx, j.Recipient); errors.Is(err, ErrNoActor) {
			return nil // the actor went away since
		} else if err != nil {
			return err
		}
	}
	if s.Blocked(ctx, ap.Host(act.Actor.ID)) {
		return nil // blocked since it was received
	}
	h, ok := s.handlers[act.Kind()]
	if !ok {
		s.log.DebugContext(ctx, "activity ignored", "type", act.Kind(), "id", act.ID)
		return nil
	}
	return h(ctx, in)
}

// follower is a remote actor following a local one.
type follower struct {
	bun.BaseModel `bun:"table:federation_followers"`

	ID          string    `bun:"id,pk"`
	LocalActor  string    `bun:"local_actor"`
	RemoteActor string    `bun:"remote_actor"`
	RemoteHost  string    `bun:"remote_host"`
	FollowID    string    `bun:"follow_id"`
	Inbox       string    `bun:"inbox"`
	SharedInbox string    `bun:"shared_inbox"`
	State       string    `bun:"state"`
	DecidedBy   string    `bun:"decided_by,nullzero"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

func (s *Service) onFollow(ctx context.Context, in *Incoming) error {
	act := in.Activity
	target := act.FirstObject().ID
	local, err := s.ActorByIRI(ctx, target)
	if errors.Is(err, ErrNoActor) || (err == nil && local.Kind == KindInstance) {
		s.log.InfoContext(ctx, "follow of an unknown actor ignored", "object", target)
		return nil
	} else if err != nil {
		return err
	}
	ra, err := s.remote(ctx, act.Actor.ID)
	if err != nil {
		return fmt.Errorf("follow from %s: %w", act.Actor.ID, err)
	}
	followID := act.ID
	if followID == "" {
		return nil // an Accept could not name it
	}
	banned, err := s.banned(ctx, local.IRI, ra.IRI)
	if err != nil {
		return err
	}
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if banned {
			return s.sendAnswer(ctx, tx, "Reject", local.IRI, ra, followID)
		}
		now := time.Now().UTC()
		f := follower{ID: model.NewID(), LocalActor: local.IRI, RemoteActor: ra.IRI, RemoteHost: ra.Host, FollowID: followID,
			Inbox: ra.Inbox, SharedInbox: ra.SharedInbox, State: "pending", CreatedAt: now, UpdatedAt: now}
		var existing follower
		err := tx.NewSelect().Model(&existing).
			Where("local_actor = ? AND remote_actor = ?", local.IRI, ra.IRI).Scan(ctx)
		switch {
		case err == nil:
			f.ID, f.CreatedAt, f.State = existing.ID, existing.CreatedAt, existing.State
		case !isNoRows(err):
			return err
		}
		// An accepted follower following again (its server lost track) is
		// accepted again; a pending one stays pending; a refused one asks
		// anew.
		if f.State != "accepted" {
			f.State = "pending"
			if !local.Manual {
				f.State = "accepted"
			}
		}
		if _, err := tx.NewInsert().Model(&f).
			On("CONFLICT (local_actor, remote_actor) DO UPDATE").
			Set("follow_id = EXCLUDED.follow_id, inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox").
			Set("state = EXCLUDED.state, updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		if f.State == "accepted" {
			return s.sendAnswer(ctx, tx, "Accept", local.IRI, ra, followID)
		}
		return nil
	})
}

// sendAnswer sends an Accept or Reject of a Follow, whose object is the
// Follow itself (id, type, actor, object), as Mastodon expects.
func (s *Service) sendAnswer(ctx context.Context, tx bun.Tx, kind, local string, ra *remoteActor, followID string) error {
	doc := map[string]any{
		"@context": ap.ContextAS,
		"id":       local + "#" + lower(kind) + "s/" + model.NewID(),
		"type":     kind,
		"actor":    local,
		"object":   map[string]any{"id": followID, "type": "Follow", "actor": ra.IRI, "object": local},
		"to":       []string{ra.IRI},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if s.d.Outbox == nil {
		s.log.WarnContext(ctx, "no outbox: answer to follow not sent", "type", kind, "to", ra.IRI)
		return nil
	}
	return s.d.Outbox.Send(ctx, tx, local, b, []string{ra.Inbox})
}

func lower(s string) string {
	b := []byte(s)
	if len(b) > 0 && b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

func (s *Service) onUndo(ctx context.Context, in *Incoming) error {
	act := in.Activity
	obj := act.FirstObject()
	var inner *ap.Activity
	if obj.Raw != nil {
		var a ap.Activity
		if json.Unmarshal(obj.Raw, &a) == nil {
			inner = &a
		}
	}
	if inner != nil && inner.Actor.ID != "" && inner.Actor.ID != act.Actor.ID {
		return nil // one may only undo one's own activities
	}
	if inner != nil && inner.Kind() == "Join" {
		return s.onLeave(ctx, act.Actor.ID, inner.FirstObject().ID)
	}
	if inner != nil && inner.Kind() == "Like" {
		return s.onUndoLike(ctx, act.Actor.ID, inner.ID, inner.FirstObject().ID)
	}
	if inner != nil && inner.Kind() != "Follow" {
		return nil // Undo of an Announce…: not handled
	}
	if inner == nil && obj.ID != "" {
		// An Undo naming its object by id only: a Like of this actor with
		// that id is taken back (the follow below is looked up the same way).
		if err := s.onUndoLike(ctx, act.Actor.ID, obj.ID, ""); err != nil {
			return err
		}
	}
	q := s.d.DB.W.NewDelete().TableExpr("federation_followers").Where("remote_actor = ?", act.Actor.ID)
	if inner != nil && inner.FirstObject().ID != "" {
		q = q.Where("(follow_id = ? OR local_actor = ?)", obj.ID, inner.FirstObject().ID)
	} else if obj.ID != "" {
		q = q.Where("follow_id = ?", obj.ID)
	} else {
		return nil
	}
	_, err := q.Exec(ctx)
	return err
}

// onFollowAnswer records the answer of a remote actor to a follow of ours
// (hub-to-hub following builds on it).
func (s *Service) onFollowAnswer(ctx context.Context, in *Incoming, state string) error {
	act := in.Activity
	obj := act.FirstObject()
	if obj.ID == "" {
		return nil
	}
	matched := false
	err := s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().TableExpr("federation_following").
			Set("state = ?", state).Set("updated_at = ?", time.Now().UTC()).
			Where("follow_id = ? AND remote_actor = ?", obj.ID, act.Actor.ID).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		matched = n > 0
		if state == "rejected" {
			// No longer followed: its usage declarations go (catalog.go).
			return s.forgetUsagesOf(ctx, tx, ap.Host(act.Actor.ID))
		}
		return nil
	})
	if err != nil || !matched || state != "accepted" {
		return err
	}
	// Followed now: what it declared before is read (catalog.go).
	return s.backfillUsages(ctx, act.Actor.ID)
}

type report struct {
	bun.BaseModel `bun:"table:federation_reports"`

	ID          string    `bun:"id,pk"`
	ActivityID  string    `bun:"activity_id"`
	LocalActor  string    `bun:"local_actor"`
	RemoteActor string    `bun:"remote_actor"`
	Content     string    `bun:"content"`
	Objects     string    `bun:"objects"`
	State       string    `bun:"state"`
	ResolvedBy  string    `bun:"resolved_by,nullzero"`
	CreatedAt   time.Time `bun:"created_at"`
	ResolvedAt  time.Time `bun:"resolved_at,nullzero"`
}

// onFlag puts a report in the queue of the moderators of the local actor
// it names (among its objects, then its to), or whose inbox received it. A
// report naming nothing local is dropped. Its reason is its content, or
// its summary (Lemmy).
func (s *Service) onFlag(ctx context.Context, in *Incoming) error {
	act := in.Activity
	var local *LocalActor
	objects := act.Object.IDs()
	// Lemmy reports a post (not an actor) to its community, named in to,
	// through the shared inbox.
	named := append(append([]string{}, objects...), act.To.IDs()...)
	for _, id := range named {
		if a, err := s.ActorByIRI(ctx, id); err == nil && a.Kind != KindInstance {
			local = a
			break
		}
	}
	if local == nil {
		local = in.Recipient
	}
	if local == nil {
		s.log.InfoContext(ctx, "report naming no local actor dropped", "id", act.ID)
		return nil
	}
	if len(objects) > 50 {
		objects = objects[:50]
	}
	ob, _ := json.Marshal(objects)
	id := act.ID
	if id == "" {
		id = "urn:report:" + model.NewID()
	}
	reason := act.Content
	if reason == "" {
		reason = act.Summary // Lemmy
	}
	r := report{ID: model.NewID(), ActivityID: id, LocalActor: local.IRI, RemoteActor: act.Actor.ID,
		Content: trunc(reason, 5000), Objects: string(ob), State: "open", CreatedAt: time.Now().UTC()}
	_, err := s.d.DB.W.NewInsert().Model(&r).On("CONFLICT (activity_id) DO NOTHING").Exec(ctx)
	return err
}

// onDelete forgets a remote actor that deleted itself: its follows both
// ways and what is stored of it. Deletions of content are for the content
// handlers.
func (s *Service) onDelete(ctx context.Context, in *Incoming) error {
	act := in.Activity
	if act.FirstObject().ID != act.Actor.ID {
		return nil
	}
	return s.forgetRemote(ctx, act.Actor.ID)
}

func (s *Service) forgetRemote(ctx context.Context, iri string) error {
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, t := range []string{"federation_followers", "federation_following", "federation_likes"} {
			if _, err := tx.NewDelete().TableExpr(t).Where("remote_actor = ?", iri).Exec(ctx); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().TableExpr("remote_actors").Where("iri = ?", iri).Exec(ctx); err != nil {
			return err
		}
		return s.forgetUsagesOf(ctx, tx, ap.Host(iri))
	})
}
