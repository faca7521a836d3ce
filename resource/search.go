package resource

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/collective"
	"collectif/indexer"
	"collectif/jobs"
	"collectif/model"
	"collectif/outbox"
	"collectif/search"
	"collectif/store"
)

// DocType is the type of resources' documents in the search index.
const DocType = "resource"

// SetQueue makes the service enqueue index jobs with its changes, for a
// hub that builds the queue after the service (whose jobs the queue's
// registry must know first). Call it before serving.
func (s *Service) SetQueue(q *jobs.Queue) { s.queue = q }

// index enqueues, in the transaction of a change, the job that brings the
// resource's document in line in the search index. Without a queue (tests
// of other areas, command-line tools) nothing is indexed.
func (s *Service) index(ctx context.Context, tx bun.Tx, ids ...string) error {
	if s.queue == nil {
		return nil
	}
	for _, id := range ids {
		if err := s.queue.Enqueue(ctx, tx, search.IndexJob{Type: DocType, ID: id}); err != nil {
			return err
		}
		// Published to the fediverse when public (see outbox.Job).
		if err := s.queue.Enqueue(ctx, tx, outbox.Job{Type: outbox.Resource, ID: id}); err != nil {
			return err
		}
	}
	return nil
}

// IndexSources are the documents of resources, for the indexer. A
// resource's document holds its body's text, its attachments' names and the
// text extracted from its text attachments; a resource of a members-only
// group is seen by the same people as its page (collective.GroupAudience).
func (s *Service) IndexSources() []indexer.Source {
	return []indexer.Source{{Type: DocType, Load: s.loadDoc, All: s.allDocs}}
}

// docItem is an item with what its document needs beyond it.
type docItem struct {
	Item
	Region     string           `bun:"collective_region"`
	Visibility model.Visibility `bun:"group_visibility"`
}

func (s *Service) docQuery(db bun.IDB) *bun.SelectQuery {
	return s.itemQuery(db).ColumnExpr("COALESCE(c.region, '') AS collective_region, COALESCE(g.visibility, '') AS group_visibility")
}

type fileText struct {
	ResourceID string `bun:"resource_id"`
	Name       string `bun:"name"`
	Text       string `bun:"text"`
}

// texts returns the attachments' names and texts of the resources.
func (s *Service) texts(ctx context.Context, ids []string) (map[string][]string, error) {
	var fs []fileText
	err := s.db.R.NewSelect().TableExpr("resource_attachments AS a").Join("JOIN resource_files AS f ON f.sha256 = a.sha256").
		ColumnExpr("a.resource_id, a.name, f.text").Where("a.resource_id IN (?)", bun.List(ids)).OrderExpr("a.created_at").Scan(ctx, &fs)
	out := map[string][]string{}
	for _, f := range fs {
		out[f.ResourceID] = append(out[f.ResourceID], f.Name, f.Text)
	}
	return out, err
}

func (s *Service) doc(d docItem, texts []string) search.Document {
	body := s.md.Text(d.Body)
	summary := d.Summary
	if summary == "" {
		summary = short(body, 240)
	}
	aud := []string{collective.AudiencePublic}
	if d.GroupID != "" {
		aud = collective.GroupAudience(model.WorkingGroup{ID: d.GroupID, CollectiveID: d.CollectiveID, Visibility: d.Visibility})
	}
	parts := append([]string{body}, texts...)
	if d.Link != "" {
		parts = append(parts, d.Link)
	}
	text := strings.Join(parts, "\n")
	for !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "")
	}
	return search.Document{ID: search.DocID(DocType, d.ID), Type: DocType, Title: d.Title, Summary: summary, Body: text,
		Tags: d.Tags, URL: resourcePath(d.CollectiveSlug, d.ID), Collective: d.CollectiveSlug, Group: d.GroupSlug,
		Region: d.Region, Licence: d.Licence, Audience: aud, Date: d.UpdatedAt}
}

// resourcePath is the page of a resource.
func resourcePath(collectiveSlug, id string) string { return "/c/" + collectiveSlug + "/r/" + id }

func (s *Service) loadDoc(ctx context.Context, id string) (search.Document, error) {
	var ds []docItem
	if err := s.docQuery(s.db.R).Where("r.id = ?", id).Scan(ctx, &ds); err != nil {
		return search.Document{}, err
	}
	if len(ds) == 0 {
		return search.Document{}, indexer.ErrGone
	}
	docs, err := s.docs(ctx, ds)
	if err != nil {
		return search.Document{}, err
	}
	return docs[0], nil
}

func (s *Service) docs(ctx context.Context, ds []docItem) ([]search.Document, error) {
	items := make([]Item, len(ds))
	ids := make([]string, len(ds))
	for i, d := range ds {
		items[i], ids[i] = d.Item, d.ID
	}
	if err := s.loadTags(ctx, s.db.R, items); err != nil {
		return nil, err
	}
	texts, err := s.texts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]search.Document, len(ds))
	for i, d := range ds {
		d.Tags = items[i].Tags
		out[i] = s.doc(d, texts[d.ID])
	}
	return out, nil
}

// allDocs emits every resource's document, a hundred at a time so that a
// rebuild never holds every attachment's text at once.
func (s *Service) allDocs(ctx context.Context, emit func(search.Document) error) error {
	last := ""
	for {
		var ds []docItem
		err := s.docQuery(s.db.R).Where("r.id > ?", last).OrderExpr("r.id").Limit(100).Scan(ctx, &ds)
		if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		docs, err := s.docs(ctx, ds)
		if err != nil {
			return err
		}
		for _, d := range docs {
			if err := emit(d); err != nil {
				return err
			}
		}
		last = ds[len(ds)-1].ID
	}
}
