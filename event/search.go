package event

import (
	"context"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	"collectif/indexer"
	"collectif/model"
	"collectif/outbox"
	"collectif/search"
	"collectif/store"
)

// index enqueues, in the transaction of a change, the job that brings an
// event's or a session's document in line. Without a queue, nothing.
func (s *Service) index(ctx context.Context, tx bun.Tx, typ, id string) error {
	if s.queue == nil {
		return nil
	}
	if err := s.queue.Enqueue(ctx, tx, search.IndexJob{Type: typ, ID: id}); err != nil {
		return err
	}
	if typ != "event" {
		return nil // sessions federate inside their event
	}
	// Published to the fediverse once published (see outbox.Job).
	return s.queue.Enqueue(ctx, tx, outbox.Job{Type: outbox.Event, ID: id})
}

// indexSessions re-indexes every session of an event (published,
// cancelled: their visibility follows the event's).
func (s *Service) indexSessions(ctx context.Context, tx bun.Tx, eventID string) error {
	var ids []string
	if err := tx.NewSelect().Model((*model.EventSession)(nil)).Column("id").Where("event_id = ?", eventID).Scan(ctx, &ids); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.index(ctx, tx, "session", id); err != nil {
			return err
		}
	}
	return nil
}

// IndexSources are the documents of events and programme sessions, for
// the indexer. Drafts are not indexed; the date facet is the start.
func (s *Service) IndexSources() []indexer.Source {
	return []indexer.Source{
		{Type: "event", Load: s.loadEventDoc, All: s.allEventDocs},
		{Type: "session", Load: s.loadSessionDoc, All: s.allSessionDocs},
	}
}

func gone(err error) error {
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return indexer.ErrGone
	}
	return err
}

func (s *Service) eventDoc(e *model.Event, c *model.Collective) search.Document {
	text := s.md.Text(e.Description)
	title := e.Title
	if e.Status == model.EventCancelled {
		title += " (annulé)"
	}
	return search.Document{ID: search.DocID("event", e.ID), Type: "event", Title: title, Summary: e.Summary,
		Body: strings.Join([]string{text, e.Venue, e.Address}, "\n"), URL: "/evenements/" + e.ID,
		Collective: c.Slug, Region: c.Region, Audience: []string{search.AudiencePublic}, Date: e.StartsAt, EndDate: e.EndsAt}
}

func (s *Service) loadEventDoc(ctx context.Context, id string) (search.Document, error) {
	db := s.db.R
	var e model.Event
	if err := db.NewSelect().Model(&e).Where("id = ? AND status <> ?", id, model.EventDraft).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	var c model.Collective
	if err := db.NewSelect().Model(&c).Where("id = ?", e.CollectiveID).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	return s.eventDoc(&e, &c), nil
}

func (s *Service) allEventDocs(ctx context.Context, emit func(search.Document) error) error {
	var rows []model.Event
	if err := s.db.R.NewSelect().Model(&rows).Where("status <> ?", model.EventDraft).OrderExpr("id").Scan(ctx); err != nil {
		return err
	}
	for _, e := range rows {
		d, err := s.loadEventDoc(ctx, e.ID)
		if errors.Is(err, indexer.ErrGone) {
			continue
		}
		if err != nil {
			return err
		}
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) loadSessionDoc(ctx context.Context, id string) (search.Document, error) {
	db := s.db.R
	var ses model.EventSession
	if err := db.NewSelect().Model(&ses).Where("id = ?", id).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	var e model.Event
	if err := db.NewSelect().Model(&e).Where("id = ? AND status <> ?", ses.EventID, model.EventDraft).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	var c model.Collective
	if err := db.NewSelect().Model(&c).Where("id = ?", e.CollectiveID).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	var speakers []string
	if err := db.NewSelect().TableExpr("event_session_speakers AS ss").Join("JOIN event_speakers AS sp ON sp.id = ss.speaker_id").
		ColumnExpr("sp.name").Where("ss.session_id = ?", id).OrderExpr("ss.position").Scan(ctx, &speakers); err != nil {
		return search.Document{}, err
	}
	return search.Document{ID: search.DocID("session", ses.ID), Type: "session", Title: ses.Title + " — " + e.Title,
		Summary: KindLabel(ses.Kind) + strings.TrimSuffix(" — "+strings.Join(speakers, ", "), " — "),
		Body:    ses.Abstract + "\n" + strings.Join(speakers, "\n"), URL: "/evenements/" + e.ID + "/programme#s-" + ses.ID,
		Collective: c.Slug, Region: c.Region, Audience: []string{search.AudiencePublic}, Date: ses.StartsAt, EndDate: ses.EndsAt}, nil
}

func (s *Service) allSessionDocs(ctx context.Context, emit func(search.Document) error) error {
	var ids []string
	if err := s.db.R.NewSelect().Model((*model.EventSession)(nil)).Column("id").OrderExpr("id").Scan(ctx, &ids); err != nil {
		return err
	}
	for _, id := range ids {
		d, err := s.loadSessionDoc(ctx, id)
		if errors.Is(err, indexer.ErrGone) {
			continue
		}
		if err != nil {
			return err
		}
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}
