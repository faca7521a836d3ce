package federation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"collectif/event"
	"collectif/fault"
	"collectif/federation/ap"
	"collectif/model"
	"collectif/outbox"
)

// SetEvents gives the service the event domain, which registers the
// remote actors that Join our events (the hub builds it after this
// service). Without it, Join and Leave are recorded and ignored.
func (s *Service) SetEvents(e *event.Service) { s.events = e }

// publishedEvent is the published event an IRI names, or nil.
func (s *Service) publishedEvent(ctx context.Context, iri string) (*publishedObject, error) {
	var o publishedObject
	err := s.d.DB.R.NewSelect().Model(&o).Where("iri = ? AND kind = ? AND deleted_at IS NULL", iri, outbox.Event).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// onJoin registers a remote actor to one of our published events through
// the event domain (its rules: registration open, capacity) and answers as
// Mobilizon does: Accept of the Join when registered, Reject with the
// reason in summary when full or closed, from the event's organizer (the
// collective's actor) to the actor's inbox.
func (s *Service) onJoin(ctx context.Context, in *Incoming) error {
	act := in.Activity
	iri := act.FirstObject().ID
	o, err := s.publishedEvent(ctx, iri)
	if err != nil || o == nil {
		return err // not one of our events: ignored
	}
	if s.events == nil {
		s.log.WarnContext(ctx, "no event service: join ignored", "id", act.ID)
		return nil
	}
	ra, err := s.remote(ctx, act.Actor.ID)
	if err != nil {
		return fmt.Errorf("join from %s: %w", act.Actor.ID, err)
	}
	name := ra.Name
	if name == "" {
		name = ra.PreferredUsername
	}
	err = s.events.JoinRemote(ctx, o.RefID, event.RemoteParticipant{Actor: ra.IRI, Name: name},
		func(ctx context.Context, tx bun.Tx, r event.RemoteJoin) error {
			return s.answerJoin(ctx, tx, o.LocalActor, ra, act.ID, iri, r.Refused)
		})
	if fault.Is(err, fault.NotFound) || fault.Is(err, fault.Invalid) {
		return nil // the event went away, or the actor is unusable: nothing to retry
	}
	return err
}

// answerJoin sends Accept (refused == "") or Reject of a Join, whose object
// is the Join itself (id, type, actor, object).
func (s *Service) answerJoin(ctx context.Context, tx bun.Tx, organizer string, ra *remoteActor, joinID, eventIRI string, refused event.Closed) error {
	kind := "Accept"
	if refused != "" {
		kind = "Reject"
	}
	join := map[string]any{"type": "Join", "actor": ra.IRI, "object": eventIRI}
	if joinID != "" {
		join["id"] = joinID
	}
	doc := map[string]any{
		"@context": ap.ContextAS,
		"id":       organizer + "#" + lower(kind) + "-join-" + model.NewID(),
		"type":     kind,
		"actor":    organizer,
		"object":   join,
		"to":       []string{ra.IRI},
	}
	if refused != "" {
		doc["summary"] = refused.String()
	}
	if s.d.Outbox == nil {
		return nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return s.d.Outbox.Send(ctx, tx, organizer, b, []string{ra.Inbox})
}

// onLeave cancels the registration of a remote actor to one of our events
// (a Leave of the event, or the Undo of a Join).
func (s *Service) onLeave(ctx context.Context, actor, eventIRI string) error {
	o, err := s.publishedEvent(ctx, eventIRI)
	if err != nil || o == nil || s.events == nil {
		return err
	}
	err = s.events.LeaveRemote(ctx, o.RefID, actor)
	if fault.Is(err, fault.NotFound) {
		return nil
	}
	return err
}
