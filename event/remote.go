package event

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"collectif/fault"
	"collectif/model"
	"collectif/outbox"
	"collectif/store"
)

// RemoteParticipant is an actor of another server (a Mobilizon or Gancio
// account…) joining an event through ActivityPub.
type RemoteParticipant struct {
	Actor string // its IRI
	Name  string // its display name, as its server gives it
}

// RemoteJoin is the outcome of a remote Join: registered (confirmed), or
// refused with the reason.
type RemoteJoin struct {
	EventID        string
	RegistrationID string
	// Refused is why the participant was not registered; "" when it is.
	Refused Closed
	// Already: the actor was registered before this Join.
	Already bool
}

// Answer is called inside the transaction of a remote join or leave, so
// that the answer to the remote server (an Accept or Reject) is queued with
// the change or not at all.
type Answer func(ctx context.Context, tx bun.Tx, r RemoteJoin) error

// JoinRemote registers a remote actor to a published event under the same
// rules as a visitor (registration open, capacity), without e-mail: it is
// confirmed while places remain and refused (ClosedFull) after. The event's
// federated document is brought up to date (participantCount). answer runs
// in the transaction, with the outcome.
func (s *Service) JoinRemote(ctx context.Context, eventID string, rp RemoteParticipant, answer Answer) error {
	const op = "event.JoinRemote"
	name, _ := cleanLine("name", rp.Name, 200, false)
	if name == "" {
		name = rp.Actor
		if len(name) > 200 {
			name = name[:200]
		}
	}
	if !strings.HasPrefix(rp.Actor, "https://") && !strings.HasPrefix(rp.Actor, "http://") {
		return fault.Field("actor", "acteur invalide")
	}
	err := s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if e.Status == model.EventDraft {
			return errEventNotFound
		}
		out := RemoteJoin{EventID: e.ID}
		var existing model.Registration
		err := tx.NewSelect().Model(&existing).Where("event_id = ? AND remote_actor = ? AND status <> ?", e.ID, rp.Actor, model.RegCancelled).Scan(ctx)
		switch {
		case err == nil:
			out.RegistrationID, out.Already = existing.ID, true
			return answer(ctx, tx, out)
		case notFound(err, nil) != nil:
			return err
		}
		if ok, why := openState(e, s.now()); !ok {
			out.Refused = why
			return answer(ctx, tx, out)
		}
		if e.Capacity > 0 {
			n, err := tx.NewSelect().Model((*model.Registration)(nil)).Where("event_id = ? AND status = ?", e.ID, model.RegConfirmed).Count(ctx)
			if err != nil {
				return err
			}
			if int(n) >= e.Capacity {
				out.Refused = ClosedFull
				return answer(ctx, tx, out)
			}
		}
		now := s.stamp()
		r := &model.Registration{ID: model.NewID(), EventID: e.ID, Name: name, Category: "citizen", Status: model.RegConfirmed, Lang: French,
			RemoteActor: rp.Actor, ConsentAt: now, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return fault.New(fault.Conflict, "déjà inscrit")
			}
			return err
		}
		out.RegistrationID = r.ID
		if err := s.republish(ctx, tx, e.ID); err != nil {
			return err
		}
		return answer(ctx, tx, out)
	})
	return fault.Wrap(op, err)
}

// LeaveRemote cancels the registration of a remote actor (a Leave, or the
// Undo of its Join); the first waitlisted person takes the place. Nothing
// happens when the actor is not registered.
func (s *Service) LeaveRemote(ctx context.Context, eventID, actor string) error {
	const op = "event.LeaveRemote"
	return fault.Wrap(op, s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		res, err := tx.NewUpdate().Model((*model.Registration)(nil)).Set("status = ?", model.RegCancelled).Set("updated_at = ?", s.stamp()).
			Where("event_id = ? AND remote_actor = ? AND status <> ?", e.ID, actor, model.RegCancelled).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := s.fillEvent(ctx, tx, e); err != nil {
			return err
		}
		return s.republish(ctx, tx, e.ID)
	}))
}

// republish queues the job that sends followers the event's new document
// (its participant count changed).
func (s *Service) republish(ctx context.Context, tx bun.Tx, id string) error {
	if s.queue == nil {
		return nil
	}
	return s.queue.Enqueue(ctx, tx, outbox.Job{Type: outbox.Event, ID: id})
}
