package federation

import (
	"context"
	"encoding/json"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/uptrace/bun"

	"collectif/federation/ap"
)

// RemoteObject is content received from the network and stored: a post,
// article, document, event or video of an actor a local collective follows.
type RemoteObject struct {
	bun.BaseModel `bun:"table:remote_objects"`

	IRI         string    `bun:"iri,pk"`
	OriginActor string    `bun:"origin_actor"` // the followed actor it came from
	Author      string    `bun:"author"`
	AuthorName  string    `bun:"author_name"`
	Type        string    `bun:"type"`
	Name        string    `bun:"name"`
	Content     string    `bun:"content"` // sanitized HTML
	URL         string    `bun:"url"`
	InReplyTo   string    `bun:"in_reply_to"`
	StartTime   time.Time `bun:"start_time,nullzero"`
	Location    string    `bun:"location"`
	Tags        string    `bun:"tags"` // JSON array of mentions and hashtags: {type, name, href}
	Likes       int       `bun:"likes"`
	PublishedAt time.Time `bun:"published_at"`
	UpdatedAt   time.Time `bun:"updated_at"`

	// Thread holds, for an object listed by FromNetwork, the stored
	// replies to it and to them, oldest first.
	Thread []RemoteObject `bun:"-"`
}

// Host is the origin hub of the object.
func (o RemoteObject) Host() string { return ap.Host(o.IRI) }

// HTML is the content, sanitized again as it is shown.
func (o RemoteObject) HTML() template.HTML { return template.HTML(Sanitize(o.Content)) } //nolint:gosec // sanitized by bluemonday

// Link is where to read the object at its origin.
func (o RemoteObject) Link() string {
	if o.URL != "" {
		return o.URL
	}
	return o.IRI
}

// contentTypes are the object types stored; others are ignored.
var contentTypes = map[string]bool{"Note": true, "Page": true, "Article": true, "Document": true, "Event": true, "Video": true}

// sanitizer keeps the tags Mastodon keeps, links with http(s) only.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "span", "br", "a", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("a", "span")
	p.AllowURLSchemes("http", "https")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// Sanitize cleans remote HTML to the tags Mastodon keeps.
func Sanitize(html string) string { return sanitizer.Sanitize(html) }

// remoteDoc is what is read of a remote object.
type remoteDoc struct {
	ID           string          `json:"id"`
	Type         ap.Strings      `json:"type"`
	AttributedTo ap.Refs         `json:"attributedTo"`
	Name         string          `json:"name"`
	Summary      string          `json:"summary"`
	Content      string          `json:"content"`
	URL          json.RawMessage `json:"url"`
	InReplyTo    ap.Ref          `json:"inReplyTo"`
	StartTime    string          `json:"startTime"`
	Published    string          `json:"published"`
	Location     json.RawMessage `json:"location"`
	Tag          json.RawMessage `json:"tag"`
}

// firstURL reads url: a string, a Link with href, or an array of those
// (PeerTube lists links by media type: the text/html one is taken).
func firstURL(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	type link struct {
		Href      string `json:"href"`
		MediaType string `json:"mediaType"`
	}
	var l link
	if json.Unmarshal(raw, &l) == nil && l.Href != "" {
		return l.Href
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil {
		first := ""
		for _, e := range arr {
			var s string
			var l link
			if json.Unmarshal(e, &s) == nil && first == "" {
				first = s
			} else if json.Unmarshal(e, &l) == nil {
				if l.MediaType == "text/html" {
					return l.Href
				}
				if first == "" {
					first = l.Href
				}
			}
		}
		return first
	}
	return ""
}

// locationText reads a Place: its name and its address, a PostalAddress
// (Mobilizon) or a plain string (Gancio).
func locationText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var pl struct {
		Name    string          `json:"name"`
		Address json.RawMessage `json:"address"`
	}
	if json.Unmarshal(raw, &pl) != nil {
		return ""
	}
	parts := []string{pl.Name}
	var s string
	if json.Unmarshal(pl.Address, &s) == nil {
		parts = append(parts, s)
	} else {
		var pa struct {
			Street   string `json:"streetAddress"`
			Postal   string `json:"postalCode"`
			Locality string `json:"addressLocality"`
			Country  string `json:"addressCountry"`
		}
		if json.Unmarshal(pl.Address, &pa) == nil {
			parts = append(parts, pa.Street, strings.TrimSpace(pa.Postal+" "+pa.Locality), pa.Country)
		}
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && (len(out) == 0 || out[len(out)-1] != p) {
			out = append(out, p)
		}
	}
	return trunc(strings.Join(out, ", "), 500)
}

// tags keeps mentions and hashtags: type, name, href (resolved against
// the object's id: Gancio sends hashtag hrefs relative to its host).
func tagsJSON(raw json.RawMessage, base string) string {
	var arr []struct {
		Type ap.Strings `json:"type"`
		Name string     `json:"name"`
		Href string     `json:"href"`
	}
	if json.Unmarshal(raw, &arr) != nil {
		var one struct {
			Type ap.Strings `json:"type"`
			Name string     `json:"name"`
			Href string     `json:"href"`
		}
		if json.Unmarshal(raw, &one) == nil {
			arr = append(arr, one)
		}
	}
	out := []map[string]string{}
	for _, t := range arr {
		if k := t.Type.First(); (k == "Mention" || k == "Hashtag") && len(out) < 50 {
			out = append(out, map[string]string{"type": k, "name": trunc(t.Name, 200), "href": trunc(absolute(base, t.Href), 2048)})
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// absolute resolves href against base; "" when it is not an http(s) URL
// once resolved.
func absolute(base, href string) string {
	if href == "" {
		return ""
	}
	b, err := url.Parse(base)
	if err != nil {
		return ""
	}
	u, err := b.Parse(href)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.String()
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// following reports whether a local actor follows iri (accepted).
func (s *Service) following(ctx context.Context, iri string) bool {
	ok, err := s.d.DB.R.NewSelect().TableExpr("federation_following").Where("remote_actor = ? AND state = 'accepted'", iri).Exists(ctx)
	return err == nil && ok
}

// localObject reports whether iri is one of our published objects.
func (s *Service) localObject(ctx context.Context, iri string) bool {
	ok, err := s.d.DB.R.NewSelect().Model((*publishedObject)(nil)).Where("iri = ? AND deleted_at IS NULL", iri).Exists(ctx)
	return err == nil && ok
}

func (s *Service) registerContent() {
	s.Handle("Create", func(ctx context.Context, in *Incoming) error { return s.onContent(ctx, in, false) })
	s.Handle("Update", func(ctx context.Context, in *Incoming) error { return s.onContent(ctx, in, false) })
	s.Handle("Announce", func(ctx context.Context, in *Incoming) error { return s.onContent(ctx, in, true) })
	s.Handle("Like", s.onLike)
	s.Handle("Delete", s.onDeleteContent)
}

// objectOf returns the document of an activity's object: embedded when its
// id is on the host of who sent it, fetched with a signed GET otherwise.
func (s *Service) objectOf(ctx context.Context, ref ap.Ref, sender string) (json.RawMessage, error) {
	if ref.Raw != nil && ap.Host(ref.ID) == ap.Host(sender) {
		return ref.Raw, nil
	}
	if !ap.ValidIRI(ref.ID) || s.d.Get == nil {
		return nil, nil
	}
	b, err := s.d.Get.Get(ctx, s.InstanceActor(), ref.ID)
	if err != nil {
		return nil, err
	}
	var id struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(b, &id) != nil || id.ID != ref.ID {
		return nil, nil // not what was named
	}
	return b, nil
}

// onContent stores a Create or Update (or, announced, the object or
// activity a group relays) of a followed actor, or a reply to one of our
// published objects.
func (s *Service) onContent(ctx context.Context, in *Incoming, announced bool) error {
	act := in.Activity
	origin := act.Actor.ID
	ref := act.FirstObject()
	if announced && ref.Raw != nil {
		var inner ap.Activity
		if json.Unmarshal(ref.Raw, &inner) == nil && (inner.Kind() == "Create" || inner.Kind() == "Update") {
			ref = inner.FirstObject()
			if ref.Raw != nil && ap.Host(ref.ID) != ap.Host(origin) {
				ref.Raw = nil // relayed from elsewhere: fetched from its origin
			}
		} else if json.Unmarshal(ref.Raw, &inner) == nil && inner.Kind() == "Delete" {
			return s.deleteRemote(ctx, inner.FirstObject().ID, origin)
		}
	}
	raw, err := s.objectOf(ctx, ref, origin)
	if err != nil || raw == nil {
		return err
	}
	var d remoteDoc
	err = json.Unmarshal(raw, &d)
	if err == nil && d.Type.First() == UsageType {
		return s.receiveUsage(ctx, origin, raw) // the catalog extension
	}
	if err != nil || !contentTypes[d.Type.First()] || !ap.ValidIRI(d.ID) {
		return nil
	}
	isReply := d.InReplyTo.ID != "" && s.localObject(ctx, d.InReplyTo.ID)
	if isReply && s.repliesRefused(ctx, d.InReplyTo.ID) {
		s.log.InfoContext(ctx, "remote reply refused by the group's setting", "id", d.ID)
		return nil // recorded as received (its id), not stored
	}
	if !s.following(ctx, origin) && !isReply {
		return nil // from no one we follow, about nothing of ours
	}
	author := ""
	if ids := d.AttributedTo.IDs(); len(ids) > 0 {
		author = ids[0]
	}
	if author == "" {
		author = origin
	}
	if isReply && s.replyBanned(ctx, d.InReplyTo.ID, author, origin) {
		s.log.InfoContext(ctx, "reply of a banned actor ignored", "id", d.ID)
		return nil
	}
	authorName := ""
	if ra, err := s.remote(ctx, author); err == nil {
		authorName = ra.Name
		if authorName == "" {
			authorName = ra.PreferredUsername
		}
	}
	content := d.Content
	if content == "" {
		content = d.Summary
	}
	link := firstURL(d.URL)
	if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		link = ""
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	pub := parseTime(d.Published)
	if pub.IsZero() {
		pub = now
	}
	o := RemoteObject{IRI: d.ID, OriginActor: origin, Author: author, AuthorName: trunc(authorName, 200), Type: d.Type.First(),
		Name: trunc(d.Name, 500), Content: trunc(Sanitize(content), 64<<10), URL: link, InReplyTo: d.InReplyTo.ID,
		StartTime: parseTime(d.StartTime), Location: locationText(d.Location), Tags: tagsJSON(d.Tag, d.ID), PublishedAt: pub, UpdatedAt: now}
	_, err = s.d.DB.W.NewInsert().Model(&o).On("CONFLICT (iri) DO UPDATE").
		Set("author_name = EXCLUDED.author_name, type = EXCLUDED.type, name = EXCLUDED.name, content = EXCLUDED.content").
		Set("url = EXCLUDED.url, start_time = EXCLUDED.start_time, location = EXCLUDED.location, tags = EXCLUDED.tags").
		Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	return err
}

// onDeleteContent forgets a deleted remote object (an actor deleting
// itself is forgotten by onDelete).
func (s *Service) onDeleteContent(ctx context.Context, in *Incoming) error {
	act := in.Activity
	if act.FirstObject().ID == act.Actor.ID {
		return s.onDelete(ctx, in)
	}
	return s.deleteRemote(ctx, act.FirstObject().ID, act.Actor.ID)
}

// deleteRemote deletes an object on the word of an actor of its host.
func (s *Service) deleteRemote(ctx context.Context, iri, actor string) error {
	if iri == "" || ap.Host(iri) != ap.Host(actor) {
		return nil
	}
	if s.d.Catalog != nil {
		// A usage declaration of that hub (the catalog extension): only
		// the row received with that id goes.
		if err := s.d.Catalog.RemoveRemoteUsage(ctx, iri); err != nil {
			return err
		}
	}
	_, err := s.d.DB.W.NewDelete().Model((*RemoteObject)(nil)).Where("iri = ?", iri).Exec(ctx)
	return err
}

// like is a Like received, one per actor and object.
type like struct {
	bun.BaseModel `bun:"table:federation_likes"`

	ObjectIRI   string    `bun:"object_iri,pk"`
	RemoteActor string    `bun:"remote_actor,pk"`
	ActivityID  string    `bun:"activity_id"`
	CreatedAt   time.Time `bun:"created_at"`
}

// onLike counts a Like of one of our published objects or of a stored
// remote object, once per actor.
func (s *Service) onLike(ctx context.Context, in *Incoming) error {
	act := in.Activity
	iri := act.FirstObject().ID
	remote, err := s.d.DB.R.NewSelect().Model((*RemoteObject)(nil)).Where("iri = ?", iri).Exists(ctx)
	if err != nil {
		return err
	}
	if !remote && !s.localObject(ctx, iri) {
		return nil // a like of something we do not hold
	}
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l := like{ObjectIRI: iri, RemoteActor: act.Actor.ID, ActivityID: act.ID, CreatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(&l).On("CONFLICT (object_iri, remote_actor) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		return recountLikes(ctx, tx, iri)
	})
}

// onUndoLike takes back the Like of an actor: the object named by the
// embedded Like, or the Like whose id the Undo names.
func (s *Service) onUndoLike(ctx context.Context, actor, likeID, object string) error {
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var gone []like
		q := tx.NewSelect().Model(&gone).Where("remote_actor = ?", actor)
		switch {
		case object != "":
			q = q.Where("object_iri = ?", object)
		case likeID != "":
			q = q.Where("activity_id = ?", likeID)
		default:
			return nil
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		for _, l := range gone {
			if _, err := tx.NewDelete().Model(&l).WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := recountLikes(ctx, tx, l.ObjectIRI); err != nil {
				return err
			}
		}
		return nil
	})
}

// recountLikes brings the count of a stored remote object in line.
func recountLikes(ctx context.Context, tx bun.Tx, iri string) error {
	_, err := tx.NewUpdate().Model((*RemoteObject)(nil)).
		Set("likes = (SELECT count(*) FROM federation_likes WHERE object_iri = ?)", iri).Where("iri = ?", iri).Exec(ctx)
	return err
}

// Likes is the number of actors of the network who liked one of our
// objects (its IRI).
func (s *Service) Likes(ctx context.Context, iri string) (int, error) {
	n, err := s.d.DB.R.NewSelect().Model((*like)(nil)).Where("object_iri = ?", iri).Count(ctx)
	return int(n), err
}

// FromNetwork lists the newest content received from the actors a
// collective follows, for its page's "Du réseau" section.
func (s *Service) FromNetwork(ctx context.Context, collectiveSlug string, limit int) ([]RemoteObject, error) {
	local := s.base + "/c/" + collectiveSlug
	var out []RemoteObject
	// Replies to our own objects show on their pages, replies to stored
	// remote objects under those (Thread): the list holds the posts.
	err := s.d.DB.R.NewSelect().Model(&out).
		Where("origin_actor IN (SELECT remote_actor FROM federation_following WHERE local_actor = ? AND state = 'accepted')", local).
		Where("in_reply_to = '' OR (in_reply_to NOT IN (SELECT iri FROM federation_objects) AND in_reply_to NOT IN (SELECT iri FROM remote_objects))").
		OrderExpr("published_at DESC, iri").Limit(int64(2 * limit)).Scan(ctx)
	if err != nil {
		return nil, err
	}
	out = s.unblocked(ctx, out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, s.threads(ctx, out)
}

// maxThreadDepth and maxThread bound the replies shown under a post.
const (
	maxThreadDepth = 4
	maxThread      = 50
)

// threads fills the Thread of each object: the stored replies to it, to
// those replies, and so on down to maxThreadDepth levels.
func (s *Service) threads(ctx context.Context, posts []RemoteObject) error {
	root := map[string]int{}
	frontier := make([]string, 0, len(posts))
	for i, p := range posts {
		root[p.IRI] = i
		frontier = append(frontier, p.IRI)
	}
	for depth := 0; depth < maxThreadDepth && len(frontier) > 0; depth++ {
		var replies []RemoteObject
		if err := s.d.DB.R.NewSelect().Model(&replies).Where("in_reply_to IN (?)", bun.List(frontier)).
			OrderExpr("published_at, iri").Limit(int64(maxThread * len(posts))).Scan(ctx); err != nil {
			return err
		}
		frontier = frontier[:0]
		for _, r := range s.unblocked(ctx, replies) {
			i, ok := root[r.InReplyTo]
			if _, seen := root[r.IRI]; !ok || seen || len(posts[i].Thread) >= maxThread {
				continue
			}
			posts[i].Thread = append(posts[i].Thread, r)
			root[r.IRI] = i
			frontier = append(frontier, r.IRI)
		}
	}
	for i := range posts {
		slices.SortFunc(posts[i].Thread, func(a, b RemoteObject) int { return a.PublishedAt.Compare(b.PublishedAt) })
	}
	return nil
}

// unblocked drops the objects of blocked instances (their origin, author or
// own host): blocking without purging keeps them stored, hidden.
func (s *Service) unblocked(ctx context.Context, objs []RemoteObject) []RemoteObject {
	blocked := map[string]bool{}
	is := func(iri string) bool {
		h := ap.Host(iri)
		b, ok := blocked[h]
		if !ok {
			b = s.Blocked(ctx, h)
			blocked[h] = b
		}
		return b
	}
	out := objs[:0]
	for _, o := range objs {
		if !is(o.IRI) && !is(o.OriginActor) && !is(o.Author) {
			out = append(out, o)
		}
	}
	return out
}

// RemoteReplies lists the remote replies to one of our objects, oldest
// first.
func (s *Service) RemoteReplies(ctx context.Context, iri string) ([]RemoteObject, error) {
	var out []RemoteObject
	err := s.d.DB.R.NewSelect().Model(&out).Where("in_reply_to = ? OR in_reply_to LIKE ?", iri, iri+"/r/%").
		OrderExpr("published_at, iri").Limit(200).Scan(ctx)
	return s.unblocked(ctx, out), err
}
