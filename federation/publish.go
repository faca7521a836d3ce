package federation

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/federation/ap"
	"collectif/markdown"
	"collectif/model"
	"collectif/outbox"
	"collectif/store"
)

// publishedObject is the last document sent for a piece of content.
type publishedObject struct {
	bun.BaseModel `bun:"table:federation_objects"`

	IRI         string    `bun:"iri,pk"`
	Kind        string    `bun:"kind"`
	RefID       string    `bun:"ref_id"`
	LocalActor  string    `bun:"local_actor"`
	Document    string    `bun:"document"`
	PublishedAt time.Time `bun:"published_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
	DeletedAt   time.Time `bun:"deleted_at,nullzero"`
}

// content is a piece of public content as it federates.
type content struct {
	IRI        string
	Actor      string // the group or collective actor that sends it
	Collective string // the collective actor, whose followers get it too
	Author     string // the member's Person actor when they opted in; "" otherwise
	Doc        map[string]any
}

// objectContext is the @context of our content documents: ActivityStreams
// and the terms of Mobilizon's events and of Mastodon's hashtags.
func objectContext() []any {
	return []any{ap.ContextAS, map[string]any{
		"toot":                      "http://joinmastodon.org/ns#",
		"Hashtag":                   "as:Hashtag",
		"sensitive":                 "as:sensitive",
		"schema":                    "http://schema.org#",
		"mz":                        "https://joinmobilizon.org/ns#",
		"ical":                      "http://www.w3.org/2002/12/cal/ical#",
		"PostalAddress":             "schema:PostalAddress",
		"address":                   map[string]any{"@id": "schema:address", "@type": "@id"},
		"streetAddress":             "schema:streetAddress",
		"timezone":                  map[string]any{"@id": "mz:timezone", "@type": "schema:Text"},
		"joinMode":                  map[string]any{"@id": "mz:joinMode", "@type": "mz:joinModeType"},
		"maximumAttendeeCapacity":   "schema:maximumAttendeeCapacity",
		"remainingAttendeeCapacity": "schema:remainingAttendeeCapacity",
		"participantCount":          map[string]any{"@id": "mz:participantCount", "@type": "schema:Integer"},
	}}
}

// Publish brings what the followers of a public place know of one piece of
// content in line with the database (the handler of outbox.Job): Create
// the first time it is public, Update when its document changed, Delete
// with a Tombstone when it is gone or no longer public. Content of
// members-only groups and draft events is never sent.
func (s *Service) Publish(ctx context.Context, j outbox.Job) error {
	var c *content
	var err error
	switch j.Type {
	case outbox.Topic:
		c, err = s.topicContent(ctx, j.ID)
	case outbox.Reply:
		c, err = s.replyContent(ctx, j.ID)
	case outbox.Resource:
		c, err = s.resourceContent(ctx, j.ID)
	case outbox.Event:
		c, err = s.eventContent(ctx, j.ID)
	case outbox.Usage:
		return s.publishUsage(ctx, j.ID) // sent by several collectives: see catalog.go
	default:
		return nil
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	// What was last sent is read and replaced in one transaction, the row
	// locked (the embedded database has one writer): two jobs of the same
	// object running at once then send one Create, not two.
	if c == nil {
		return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			prev, err := s.lockPublished(ctx, tx, "kind = ? AND ref_id = ?", j.Type, j.ID)
			if isNoRows(err) {
				return nil
			} else if err != nil {
				return err
			}
			if !prev.DeletedAt.IsZero() {
				return nil
			}
			var doc map[string]any
			_ = json.Unmarshal([]byte(prev.Document), &doc)
			author, _ := doc["attributedTo"].(string)
			if author == prev.LocalActor {
				author = ""
			}
			tomb := map[string]any{"id": prev.IRI, "type": "Tombstone", "formerType": doc["type"], "deleted": now.Format(time.RFC3339)}
			if _, err := tx.NewUpdate().Model((*publishedObject)(nil)).Set("deleted_at = ?", now).Set("updated_at = ?", now).
				Where("iri = ?", prev.IRI).Exec(ctx); err != nil {
				return err
			}
			return s.sendContent(ctx, tx, "Delete", prev.LocalActor, collectiveOf(prev.LocalActor), author, tomb)
		})
	}
	c.Doc["@context"] = objectContext()
	b, err := json.Marshal(c.Doc)
	if err != nil {
		return err
	}
	row := publishedObject{IRI: c.IRI, Kind: j.Type, RefID: j.ID, LocalActor: c.Actor, Document: string(b), PublishedAt: now, UpdatedAt: now}
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		kind := "Create"
		res, err := tx.NewInsert().Model(&row).On("CONFLICT (iri) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			prev, err := s.lockPublished(ctx, tx, "iri = ?", c.IRI)
			if err != nil {
				return err
			}
			if prev.DeletedAt.IsZero() {
				if prev.Document == string(b) {
					return nil // nothing a follower sees changed
				}
				kind = "Update"
			}
			if _, err := tx.NewUpdate().Model((*publishedObject)(nil)).
				Set("document = ?, local_actor = ?, updated_at = ?, deleted_at = NULL", row.Document, row.LocalActor, now).
				Where("iri = ?", c.IRI).Exec(ctx); err != nil {
				return err
			}
		}
		obj := c.Doc
		delete(obj, "@context")
		return s.sendContent(ctx, tx, kind, c.Actor, c.Collective, c.Author, obj)
	})
}

// lockPublished reads the record of a published object in tx, locking its
// row on PostgreSQL (SQLite's one writer serializes the transactions).
func (s *Service) lockPublished(ctx context.Context, tx bun.Tx, where string, args ...any) (*publishedObject, error) {
	prev := new(publishedObject)
	q := tx.NewSelect().Model(prev).Where(where, args...)
	if s.d.DB.Engine() == store.Postgres {
		q = q.For("UPDATE")
	}
	return prev, q.Scan(ctx)
}

// collectiveOf is the collective actor of a group actor's IRI (itself for
// a collective).
func collectiveOf(actor string) string {
	if i := strings.Index(actor, "/g/"); i >= 0 {
		return actor[:i]
	}
	return actor
}

// sendContent delivers kind (Create, Update, Delete) of obj to the
// followers of the place and of its collective. A member who is an actor
// is the activity's actor and the group Announces it (FEP-1b12); otherwise
// the group's own activity is sent.
func (s *Service) sendContent(ctx context.Context, tx bun.Tx, kind, actor, coll, author string, obj any) error {
	if s.d.Outbox == nil {
		return nil
	}
	inboxes, err := s.followerInboxes(ctx, tx, actor)
	if err != nil {
		return err
	}
	// The followers of the collective of a working group get the group's
	// activity relayed by the collective, as an Announce: they follow the
	// collective, and a receiver keeps only what comes from the actors it
	// follows (Mastodon shows it as a boost).
	var relay []string
	if coll != "" && coll != actor {
		all, err := s.followerInboxes(ctx, tx, coll)
		if err != nil {
			return err
		}
		for _, in := range all {
			if !slices.Contains(inboxes, in) {
				relay = append(relay, in)
			}
		}
	}
	if len(inboxes) == 0 && len(relay) == 0 {
		return nil
	}
	from := actor
	if author != "" {
		from = author
	}
	act := map[string]any{
		"id": from + "#" + lower(kind) + "-" + model.NewID(), "type": kind, "actor": from, "object": obj,
		"to": []string{ap.PublicAddress}, "cc": []string{actor + "/followers"}, "audience": actor,
		"published": time.Now().UTC().Format(time.RFC3339),
	}
	doc := act
	if author != "" {
		doc = map[string]any{
			"id": actor + "#announce-" + model.NewID(), "type": "Announce", "actor": actor, "object": act,
			"to": []string{ap.PublicAddress}, "cc": []string{actor + "/followers"}, "audience": actor,
			"published": act["published"],
		}
	}
	if len(relay) > 0 {
		ann := map[string]any{
			"@context": objectContext(),
			"id":       coll + "#announce-" + model.NewID(), "type": "Announce", "actor": coll, "object": act,
			"to": []string{ap.PublicAddress}, "cc": []string{coll + "/followers"}, "audience": coll,
			"published": act["published"],
		}
		b, err := json.Marshal(ann)
		if err != nil {
			return err
		}
		if err := s.d.Outbox.Send(ctx, tx, coll, b, relay); err != nil {
			return err
		}
	}
	if len(inboxes) == 0 {
		return nil
	}
	doc["@context"] = objectContext()
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return s.d.Outbox.Send(ctx, tx, actor, b, inboxes)
}

// followerInboxes are the inboxes of the accepted followers of the actors,
// a server's shared inbox once for all its followers.
func (s *Service) followerInboxes(ctx context.Context, db bun.IDB, actors ...string) ([]string, error) {
	var fs []follower
	if err := db.NewSelect().Model(&fs).Where("local_actor IN (?) AND state = 'accepted'", bun.List(actors)).Scan(ctx); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		in := f.SharedInbox
		if in == "" {
			in = f.Inbox
		}
		if in != "" && !seen[in] && !s.Blocked(ctx, f.RemoteHost) {
			seen[in] = true
			out = append(out, in)
		}
	}
	return out, nil
}

// place is a public working group and its collective, as actors.
type place struct {
	Group, Collective string // actor IRIs
	GroupPath         string // the group's page path
	CollectiveSlug    string
}

func (s *Service) publicGroup(ctx context.Context, groupID string) (*place, error) {
	var row struct {
		Slug       string           `bun:"slug"`
		CSlug      string           `bun:"cslug"`
		Visibility model.Visibility `bun:"visibility"`
	}
	err := s.d.DB.R.NewSelect().TableExpr("working_groups AS g").Join("JOIN collectives AS c ON c.id = g.collective_id").
		ColumnExpr("g.slug, c.slug AS cslug, g.visibility").Where("g.id = ?", groupID).Scan(ctx, &row)
	if isNoRows(err) || (err == nil && row.Visibility != model.VisibilityPublic) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	path := "/c/" + row.CSlug + "/g/" + row.Slug
	return &place{Group: s.base + path, Collective: s.base + "/c/" + row.CSlug, GroupPath: path, CollectiveSlug: row.CSlug}, nil
}

// authorActor is the Person actor of an account that opted in, or "".
func (s *Service) authorActor(ctx context.Context, accountID string) string {
	if accountID == "" {
		return ""
	}
	ok, err := s.d.DB.R.NewSelect().Model((*model.Account)(nil)).Where("id = ? AND deleted_at IS NULL AND federated", accountID).Exists(ctx)
	if err != nil || !ok {
		return ""
	}
	return s.base + "/u/" + accountID
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Service) postDoc(typ, iri, pageURL, html, md string, pl *place, author string, created, edited time.Time) map[string]any {
	attributed := author
	if attributed == "" {
		attributed = pl.Group
	}
	d := map[string]any{
		"id": iri, "type": typ, "url": pageURL, "attributedTo": attributed, "audience": pl.Group,
		"content": html, "mediaType": "text/html", "source": map[string]any{"content": md, "mediaType": "text/markdown"},
		"to": []string{ap.PublicAddress}, "cc": []string{pl.Group + "/followers"}, "published": stamp(created),
		"sensitive": false,
	}
	if !edited.IsZero() {
		d["updated"] = stamp(edited)
	}
	return d
}

func (s *Service) topicContent(ctx context.Context, id string) (*content, error) {
	var t model.Topic
	if err := s.d.DB.R.NewSelect().Model(&t).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	pl, err := s.publicGroup(ctx, t.GroupID)
	if pl == nil || err != nil {
		return nil, err
	}
	iri := pl.Group + "/t/" + t.ID
	author := s.authorActor(ctx, t.AuthorID)
	d := s.postDoc("Page", iri, iri, t.BodyHTML, t.Body, pl, author, t.CreatedAt, t.EditedAt)
	d["name"] = t.Title
	d["replies"] = iri + "#replies"
	return &content{IRI: iri, Actor: pl.Group, Collective: pl.Collective, Author: author, Doc: d}, nil
}

func (s *Service) replyContent(ctx context.Context, id string) (*content, error) {
	var r model.Reply
	if err := s.d.DB.R.NewSelect().Model(&r).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var t model.Topic
	if err := s.d.DB.R.NewSelect().Model(&t).Where("id = ? AND deleted_at IS NULL", r.TopicID).Scan(ctx); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	pl, err := s.publicGroup(ctx, t.GroupID)
	if pl == nil || err != nil {
		return nil, err
	}
	topic := pl.Group + "/t/" + t.ID
	iri := topic + "/r/" + r.ID
	author := s.authorActor(ctx, r.AuthorID)
	d := s.postDoc("Note", iri, topic+"#r-"+r.ID, r.BodyHTML, r.Body, pl, author, r.CreatedAt, r.EditedAt)
	d["inReplyTo"] = topic
	if r.ParentID != "" {
		d["inReplyTo"] = topic + "/r/" + r.ParentID
	}
	d["context"] = topic
	return &content{IRI: iri, Actor: pl.Group, Collective: pl.Collective, Author: author, Doc: d}, nil
}

func (s *Service) resourceContent(ctx context.Context, id string) (*content, error) {
	var r model.Resource
	if err := s.d.DB.R.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var cslug string
	if err := s.d.DB.R.NewSelect().Model((*model.Collective)(nil)).Column("slug").Where("id = ?", r.CollectiveID).Scan(ctx, &cslug); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	coll := s.base + "/c/" + cslug
	pl := &place{Group: coll, Collective: coll, CollectiveSlug: cslug}
	if r.GroupID != "" {
		var err error
		if pl, err = s.publicGroup(ctx, r.GroupID); pl == nil || err != nil {
			return nil, err
		}
	}
	var files []model.Attachment
	if err := s.d.DB.R.NewSelect().Model(&files).Where("resource_id = ?", r.ID).OrderExpr("created_at").Scan(ctx); err != nil {
		return nil, err
	}
	var tags []string
	if err := s.d.DB.R.NewSelect().Model((*model.ResourceTag)(nil)).Column("tag").Where("resource_id = ?", r.ID).OrderExpr("tag").Scan(ctx, &tags); err != nil {
		return nil, err
	}
	html, err := markdown.New().HTML(r.Body)
	if err != nil {
		return nil, err
	}
	iri := coll + "/r/" + r.ID
	author := s.authorActor(ctx, r.AuthorID)
	typ := "Article"
	var att []any
	for _, f := range files {
		att = append(att, map[string]any{"type": "Document", "mediaType": f.ContentType, "name": f.Name,
			"url": s.base + "/files/" + f.ID + "/" + url.PathEscape(f.Name)})
	}
	if len(files) > 0 {
		typ = "Document"
	}
	if r.Link != "" {
		att = append(att, map[string]any{"type": "Link", "href": r.Link, "name": r.Title})
	}
	d := s.postDoc(typ, iri, iri, string(html), r.Body, pl, author, r.CreatedAt, r.UpdatedAt)
	d["name"] = r.Title
	if r.Summary != "" {
		d["summary"] = r.Summary
	}
	if len(att) > 0 {
		d["attachment"] = att
	}
	if len(tags) > 0 {
		var ts []any
		for _, t := range tags {
			ts = append(ts, map[string]any{"type": "Hashtag", "name": "#" + t, "href": s.base + "/search?tag=" + url.QueryEscape(t)})
		}
		d["tag"] = ts
	}
	return &content{IRI: iri, Actor: pl.Group, Collective: pl.Collective, Author: author, Doc: d}, nil
}

func (s *Service) eventContent(ctx context.Context, id string) (*content, error) {
	var e model.Event
	if err := s.d.DB.R.NewSelect().Model(&e).Where("id = ? AND status <> ?", id, model.EventDraft).Scan(ctx); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var cslug string
	if err := s.d.DB.R.NewSelect().Model((*model.Collective)(nil)).Column("slug").Where("id = ?", e.CollectiveID).Scan(ctx, &cslug); isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	coll := s.base + "/c/" + cslug
	n, err := s.d.DB.R.NewSelect().TableExpr("event_registrations").Where("event_id = ? AND status = 'confirmed'", e.ID).Count(ctx)
	if err != nil {
		return nil, err
	}
	iri := s.base + "/evenements/" + e.ID
	status := "CONFIRMED"
	if e.Status == model.EventCancelled {
		status = "CANCELLED"
	}
	body := e.DescriptionHTML
	if body == "" {
		body = "<p>" + htmlEscape(e.Summary) + "</p>"
	}
	d := map[string]any{
		"id": iri, "type": "Event", "name": e.Title, "content": body, "mediaType": "text/html", "url": iri,
		"summary": e.Summary, "attributedTo": coll, "audience": coll,
		"to": []string{ap.PublicAddress}, "cc": []string{coll + "/followers"},
		"startTime": stamp(e.StartsAt), "endTime": stamp(e.EndsAt), "timezone": "Europe/Paris",
		"joinMode": "free", "participantCount": n, "ical:status": status,
		"published": stamp(e.CreatedAt), "updated": stamp(e.UpdatedAt), "commentsEnabled": false,
	}
	if e.Venue != "" || e.Address != "" {
		d["location"] = map[string]any{"type": "Place", "name": e.Venue,
			"address": map[string]any{"type": "PostalAddress", "streetAddress": e.Address}}
	}
	if e.Capacity > 0 {
		d["maximumAttendeeCapacity"] = e.Capacity
		d["remainingAttendeeCapacity"] = max(0, e.Capacity-int(n))
	}
	if e.StreamURL != "" {
		d["attachment"] = []any{map[string]any{"type": "Link", "name": "Diffusion en direct", "href": e.StreamURL}}
	}
	return &content{IRI: iri, Actor: coll, Collective: coll, Doc: d}, nil
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// ObjectHandler serves the documents of published content at their IRIs
// (the content's page URLs, for requests whose Accept asks for
// ActivityStreams): the last document sent, or 410 with a Tombstone once
// deleted. Content that was never published (members only, drafts) is 404.
func (s *Service) ObjectHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept")
		if s.d.AuthorizedFetch {
			res, err := s.verifier.Verify(r.Context(), r, nil)
			if err != nil {
				http.Error(w, "signature required: "+err.Error(), http.StatusUnauthorized)
				return
			}
			if s.Blocked(r.Context(), ap.Host(res.Owner)) {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
		}
		var o publishedObject
		err := s.d.DB.R.NewSelect().Model(&o).Where("iri = ?", s.base+r.URL.Path).Scan(r.Context())
		if isNoRows(err) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		} else if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ap.ActivityJSON+"; charset=utf-8")
		if !o.DeletedAt.IsZero() {
			w.WriteHeader(http.StatusGone)
			b, _ := json.Marshal(map[string]any{"@context": ap.ContextAS, "id": o.IRI, "type": "Tombstone", "deleted": stamp(o.DeletedAt)})
			_, _ = w.Write(b)
			return
		}
		_, _ = w.Write([]byte(o.Document))
	})
}

// outboxPageSize is how many activities an outbox page lists.
const outboxPageSize = 20

// outbox is the actor's paged outbox: a Create of each piece of content it
// published and has not deleted, newest first; page n is ?page=n.
func (s *Service) outbox(ctx context.Context, a *LocalActor, page string) (any, error) {
	id := a.IRI + "/outbox"
	// Usage declarations (the catalog extension) are not listed: their
	// terms are not those of this collection's context.
	n64, err := s.d.DB.R.NewSelect().Model((*publishedObject)(nil)).Where("local_actor = ? AND deleted_at IS NULL AND kind <> 'usage'", a.IRI).Count(ctx)
	n := int(n64)
	if err != nil {
		return nil, err
	}
	if page == "" {
		return &ap.OrderedCollection{Context: ap.ContextAS, ID: id, Type: "OrderedCollection", TotalItems: n, First: id + "?page=1"}, nil
	}
	p, _ := strconv.Atoi(page)
	if p < 1 {
		p = 1
	}
	var rows []publishedObject
	if err := s.d.DB.R.NewSelect().Model(&rows).Where("local_actor = ? AND deleted_at IS NULL AND kind <> 'usage'", a.IRI).
		OrderExpr("published_at DESC, iri").Limit(outboxPageSize).Offset(int64((p - 1) * outboxPageSize)).Scan(ctx); err != nil {
		return nil, err
	}
	items := make([]any, 0, len(rows))
	for _, o := range rows {
		var doc map[string]any
		if json.Unmarshal([]byte(o.Document), &doc) != nil {
			continue
		}
		delete(doc, "@context")
		items = append(items, map[string]any{"id": o.IRI + "#create", "type": "Create", "actor": a.IRI, "object": doc,
			"to": []string{ap.PublicAddress}, "cc": []string{a.IRI + "/followers"}, "published": stamp(o.PublishedAt)})
	}
	pg := &ap.OrderedCollectionPage{Context: ap.ContextAS, ID: id + "?page=" + strconv.Itoa(p), Type: "OrderedCollectionPage",
		PartOf: id, TotalItems: n, OrderedItems: items}
	if p*outboxPageSize < n {
		pg.Next = id + "?page=" + strconv.Itoa(p+1)
	}
	return pg, nil
}
