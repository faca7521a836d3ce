package server

import (
	"encoding/xml"
	"html"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/access"
	"collectif/discussion"
	"collectif/resource"
)

// Atom feeds (RFC 4287) of what is public: a collective's resources and
// topics, a public working group's topics, the hub's resources. They are
// read with the anonymous principal whoever asks, so that a feed address
// shared by a member never carries members-only items.
func (s *Server) feedRoutes() {
	a := s.app
	a.Get("/resources.atom", s.needResources, s.resourcesFeed)
	a.Get("/c/:slug/feed.atom", s.collectiveFeed)
	a.Get("/c/:slug/g/:group/feed.atom", s.discussionsOn, s.groupFeed)
}

// feedSize is how many entries a feed carries: the newest, as readers
// poll often.
const feedSize = 30

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Published string      `xml:"published,omitempty"`
	Author    *atomPerson `xml:"author,omitempty"`
	Link      atomLink    `xml:"link"`
	Content   atomText    `xml:"content"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// newFeed starts a feed whose alternate is the page at path.
func (s *Server) newFeed(c *fiber.Ctx, title, page string, author string) *atomFeed {
	self := s.abs(c.Path())
	return &atomFeed{Lang: lang(c), ID: self, Title: title, Author: atomPerson{Name: author},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: s.abs(page)}}}
}

// resourceEntry is a resource as an entry. Its content is built from
// escaped text only (summary, kind, group), so it needs no sanitizer.
func (s *Server) resourceEntry(c *fiber.Ctx, it resource.Item) atomEntry {
	u := s.abs(resourceURL(it.CollectiveSlug, it.ID))
	var b strings.Builder
	if it.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(it.Summary) + "</p>")
	}
	meta := s.d.Frontend.Label(lang(c), "rkind", string(it.Kind)) + " · " + it.CollectiveName
	if it.GroupName != "" {
		meta += " · " + it.GroupName
	}
	b.WriteString("<p>" + html.EscapeString(meta) + "</p>")
	e := atomEntry{ID: u, Title: it.Title, Updated: atomTime(it.UpdatedAt), Published: atomTime(it.CreatedAt),
		Link: atomLink{Rel: "alternate", Type: "text/html", Href: u}, Content: atomText{Type: "html", Body: b.String()}}
	if it.AuthorName != "" {
		e.Author = &atomPerson{Name: it.AuthorName}
	}
	return e
}

func (s *Server) topicEntry(c *fiber.Ctx, t discussion.TopicSummary) atomEntry {
	u := s.abs(t.URL())
	body := "<p>" + html.EscapeString(t.Group.Name+" · "+s.tr(c, "common.replies", t.Replies)) + "</p>"
	e := atomEntry{ID: u, Title: t.Title, Updated: atomTime(t.LastActivityAt), Published: atomTime(t.CreatedAt),
		Link: atomLink{Rel: "alternate", Type: "text/html", Href: u}, Content: atomText{Type: "html", Body: body}}
	if t.Author.Name != "" {
		e.Author = &atomPerson{Name: t.Author.Name}
	}
	return e
}

// sendFeed sorts the entries newest first, dates the feed by its newest
// entry (since when nothing changed), and writes it.
func (s *Server) sendFeed(c *fiber.Ctx, f *atomFeed, since time.Time) error {
	sort.SliceStable(f.Entries, func(i, j int) bool { return f.Entries[i].Updated > f.Entries[j].Updated })
	if len(f.Entries) > feedSize {
		f.Entries = f.Entries[:feedSize]
	}
	f.Updated = atomTime(since)
	if len(f.Entries) > 0 && f.Entries[0].Updated > f.Updated {
		f.Updated = f.Entries[0].Updated
	}
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Send(append([]byte(xml.Header), out...))
}

func (s *Server) resourcesFeed(c *fiber.Ctx) error {
	pg, err := s.d.Resources.List(c.UserContext(), access.Anonymous(), resource.Filter{Limit: feedSize})
	if err != nil {
		return err
	}
	f := s.newFeed(c, s.tr(c, "resources.feed_title", "Host", s.d.BaseURL.Host), "/", s.d.BaseURL.Host)
	for _, it := range pg.Items {
		f.Entries = append(f.Entries, s.resourceEntry(c, it))
	}
	return s.sendFeed(c, f, time.Unix(0, 0))
}

func (s *Server) collectiveFeed(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), access.Anonymous()
	pg, err := s.d.Collectives.Get(ctx, p, c.Params("slug"))
	if err != nil {
		return err
	}
	col := pg.Collective
	f := s.newFeed(c, col.Name, "/c/"+col.Slug, col.Name)
	if s.d.Resources != nil {
		items, err := s.d.Resources.Latest(ctx, p, col.ID, feedSize)
		if err != nil {
			return err
		}
		for _, it := range items {
			f.Entries = append(f.Entries, s.resourceEntry(c, it))
		}
	}
	if s.d.Discussions != nil {
		topics, err := s.d.Discussions.Latest(ctx, p, col.ID, feedSize)
		if err != nil {
			return err
		}
		for _, t := range topics {
			f.Entries = append(f.Entries, s.topicEntry(c, t))
		}
	}
	return s.sendFeed(c, f, col.CreatedAt)
}

func (s *Server) groupFeed(c *fiber.Ctx) error {
	// A members-only group is not found by the anonymous principal, as
	// its page is not found by strangers.
	pg, err := s.d.Discussions.GroupPage(c.UserContext(), access.Anonymous(), c.Params("slug"), c.Params("group"), "", feedSize)
	if err != nil {
		return err
	}
	if !pg.CanView {
		return fiber.ErrNotFound
	}
	title := pg.Collective.Name + " — " + pg.Group.Name
	f := s.newFeed(c, title, pg.URL(), pg.Collective.Name)
	for _, t := range pg.Topics.Items {
		if !t.Deleted {
			f.Entries = append(f.Entries, s.topicEntry(c, t))
		}
	}
	return s.sendFeed(c, f, pg.Group.CreatedAt)
}
