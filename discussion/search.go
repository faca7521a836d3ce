package discussion

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/collective"
	"collectif/indexer"
	"collectif/model"
	"collectif/outbox"
	"collectif/search"
	"collectif/store"
)

// index enqueues, in the transaction of a change, the job that brings the
// document of a topic or reply in line in the search index. Without a
// queue (tests, command-line tools) nothing is indexed.
func (s *Service) index(ctx context.Context, tx bun.Tx, typ, id string) error {
	if s.queue == nil {
		return nil
	}
	if err := s.queue.Enqueue(ctx, tx, search.IndexJob{Type: typ, ID: id}); err != nil {
		return err
	}
	// The same change is published to the fediverse when the post is
	// public (the federation decides: see outbox.Job).
	return s.queue.Enqueue(ctx, tx, outbox.Job{Type: typ, ID: id})
}

// IndexSources are the documents of topics and replies, for the indexer.
// A deleted post is gone from the index; a post of a members-only group is
// seen by the same people as its page (collective.GroupAudience).
func (s *Service) IndexSources() []indexer.Source {
	return []indexer.Source{
		{Type: "topic", Load: s.loadTopicDoc, All: s.allTopicDocs},
		{Type: "reply", Load: s.loadReplyDoc, All: s.allReplyDocs},
	}
}

func gone(err error) error {
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return indexer.ErrGone
	}
	return err
}

// summaryOf is the start of a text, cut on a rune boundary.
func summaryOf(text string) string {
	const max = 240
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	r := []rune(text)
	return string(r[:max]) + "…"
}

func (s *Service) postDoc(typ, id, title, body string, pl *Place, url string, t model.Topic) search.Document {
	text := s.md.Text(body)
	return search.Document{ID: search.DocID(typ, id), Type: typ, Title: title, Summary: summaryOf(text), Body: text, URL: url,
		Collective: pl.Collective.Slug, Group: pl.Group.Slug, Region: pl.Collective.Region,
		Audience: collective.GroupAudience(pl.Group), Date: t.CreatedAt}
}

func (s *Service) topicDoc(t model.Topic, pl *Place) search.Document {
	d := s.postDoc("topic", t.ID, t.Title, t.Body, pl, pl.TopicURL(t.ID), t)
	d.Date = orNow(t.EditedAt, t.CreatedAt)
	return d
}

func (s *Service) replyDoc(r model.Reply, t model.Topic, pl *Place) search.Document {
	title := "Re : " + t.Title
	if !t.DeletedAt.IsZero() {
		title = "Réponse dans un sujet supprimé"
	}
	d := s.postDoc("reply", r.ID, title, r.Body, pl, pl.TopicURL(t.ID)+"#r-"+r.ID, t)
	d.Date = orNow(r.EditedAt, r.CreatedAt)
	return d
}

func (s *Service) loadTopicDoc(ctx context.Context, id string) (search.Document, error) {
	db := s.db.R
	var t model.Topic
	if err := db.NewSelect().Model(&t).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	pl, err := placeOf(ctx, db, t.GroupID)
	if err != nil {
		return search.Document{}, gone(err)
	}
	return s.topicDoc(t, pl), nil
}

func (s *Service) loadReplyDoc(ctx context.Context, id string) (search.Document, error) {
	db := s.db.R
	var r model.Reply
	if err := db.NewSelect().Model(&r).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	var t model.Topic
	if err := db.NewSelect().Model(&t).Where("id = ?", r.TopicID).Scan(ctx); err != nil {
		return search.Document{}, gone(err)
	}
	pl, err := placeOf(ctx, db, t.GroupID)
	if err != nil {
		return search.Document{}, gone(err)
	}
	return s.replyDoc(r, t, pl), nil
}

// places caches the places of groups during a rebuild.
func (s *Service) places(ctx context.Context) func(groupID string) (*Place, error) {
	cache := map[string]*Place{}
	return func(groupID string) (*Place, error) {
		if pl, ok := cache[groupID]; ok {
			return pl, nil
		}
		pl, err := placeOf(ctx, s.db.R, groupID)
		if err != nil {
			return nil, err
		}
		cache[groupID] = pl
		return pl, nil
	}
}

// rebuildBatch bounds the rows a rebuild holds in memory at once.
const rebuildBatch = 500

func (s *Service) allTopicDocs(ctx context.Context, emit func(search.Document) error) error {
	placeFor := s.places(ctx)
	after := ""
	for {
		var ts []model.Topic
		if err := s.db.R.NewSelect().Model(&ts).Where("deleted_at IS NULL AND id > ?", after).OrderExpr("id").Limit(rebuildBatch).Scan(ctx); err != nil {
			return err
		}
		for _, t := range ts {
			pl, err := placeFor(t.GroupID)
			if err != nil {
				return err
			}
			if err := emit(s.topicDoc(t, pl)); err != nil {
				return err
			}
		}
		if len(ts) < rebuildBatch {
			return nil
		}
		after = ts[len(ts)-1].ID
	}
}

func (s *Service) allReplyDocs(ctx context.Context, emit func(search.Document) error) error {
	placeFor := s.places(ctx)
	topics := map[string]model.Topic{}
	after := ""
	for {
		var rs []model.Reply
		if err := s.db.R.NewSelect().Model(&rs).Where("deleted_at IS NULL AND id > ?", after).OrderExpr("id").Limit(rebuildBatch).Scan(ctx); err != nil {
			return err
		}
		for _, r := range rs {
			t, ok := topics[r.TopicID]
			if !ok {
				if err := s.db.R.NewSelect().Model(&t).Where("id = ?", r.TopicID).Scan(ctx); err != nil {
					return err
				}
				topics[r.TopicID] = t
			}
			pl, err := placeFor(t.GroupID)
			if err != nil {
				return err
			}
			if err := emit(s.replyDoc(r, t, pl)); err != nil {
				return err
			}
		}
		if len(rs) < rebuildBatch {
			return nil
		}
		after = rs[len(rs)-1].ID
	}
}

// reindexReplies enqueues the index jobs of a topic's live replies, whose
// documents carry the topic's title.
func (s *Service) reindexReplies(ctx context.Context, tx bun.Tx, topicID string) error {
	if s.queue == nil {
		return nil
	}
	var ids []string
	if err := tx.NewSelect().Model((*model.Reply)(nil)).Column("id").Where("topic_id = ? AND deleted_at IS NULL", topicID).Scan(ctx, &ids); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.index(ctx, tx, "reply", id); err != nil {
			return err
		}
	}
	return nil
}
