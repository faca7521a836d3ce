package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"collectif/fault"
	"collectif/search"
)

func (s *Server) searchRoutes() {
	s.app.Get("/search", s.searchPage)
	s.app.Get("/api/v1/search", s.apiSearch)
}

// searchQuery reads the search parameters shared by the page and the API:
// q, type (repeatable), one filter per facet field, sort, page.
func searchQuery(c *fiber.Ctx) search.Query {
	q := search.Query{Text: c.Query("q"), Sort: c.Query("sort"), Page: c.QueryInt("page"), PerPage: c.QueryInt("per_page"),
		Prefix: c.Query("prefix") == "1", Filters: map[string][]string{}}
	if q.PerPage == 0 {
		q.PerPage = c.QueryInt("limit")
	}
	args := c.Request().URI().QueryArgs()
	for _, v := range args.PeekMulti("type") {
		if t := strings.TrimSpace(string(v)); t != "" {
			q.Types = append(q.Types, t)
		}
	}
	for _, f := range []string{search.FieldCollective, search.FieldGroup, search.FieldRegion, search.FieldCategories, search.FieldLicence, search.FieldTags, search.FieldWhen} {
		for _, v := range args.PeekMulti(f) {
			if s := strings.TrimSpace(string(v)); s != "" {
				q.Filters[f] = append(q.Filters[f], s)
			}
		}
	}
	return q
}

type searchData struct {
	Query   search.Query
	Result  *search.Result
	Error   string
	Types   map[string]string
	Prev    string
	Next    string
	Started bool
}

// typeLabels names document types in French.
var typeLabels = map[string]string{
	"collective": "Collectifs", "group": "Groupes de travail", "member": "Membres", "organization": "Organisations",
	"topic": "Discussions", "reply": "Réponses", "resource": "Ressources", "software": "Logiciels", "usage": "Usages",
	"event": "Événements", "session": "Sessions",
}

func (s *Server) searchPage(c *fiber.Ctx) error {
	q := searchQuery(c)
	d := searchData{Query: q, Types: typeLabels, Started: q.Text != "" || len(q.Types) > 0}
	if d.Started && s.d.Finder != nil {
		res, err := s.d.Finder.Search(c.UserContext(), principal(c), q)
		switch {
		case fault.Is(err, fault.Unavailable), fault.Is(err, fault.Invalid):
			// The page answers with the reason instead of an error page.
			d.Error = s.faultText(c, err)
		case err != nil:
			return err
		default:
			d.Result = res
			page := max(q.Page, 1)
			per := q.PerPage
			if per <= 0 {
				per = search.DefaultPerPage
			}
			base := c.Request().URI().QueryArgs()
			link := func(p int) string {
				args := fasthttpArgsCopy(base)
				args.SetUint("page", p)
				return "/search?" + string(args.QueryString())
			}
			if page > 1 {
				d.Prev = link(page - 1)
			}
			if page*per < res.Total {
				d.Next = link(page + 1)
			}
		}
	}
	return s.render(c, "search", "search", d)
}

func (s *Server) apiSearch(c *fiber.Ctx) error {
	q := searchQuery(c)
	if s.d.Finder == nil {
		return &fault.Error{Kind: fault.Unavailable, Message: "la recherche n'est pas configurée"}
	}
	res, err := s.d.Finder.Search(c.UserContext(), principal(c), q)
	if err != nil {
		return err
	}
	type hit struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		URL     string `json:"url"`
		Snippet string `json:"snippet"`
		Date    string `json:"date,omitempty"`
	}
	type facet struct {
		Value string `json:"value"`
		Count int    `json:"count"`
	}
	out := struct {
		Hits   []hit              `json:"hits"`
		Total  int                `json:"total"`
		Facets map[string][]facet `json:"facets"`
		Engine string             `json:"engine"`
	}{Hits: []hit{}, Total: res.Total, Facets: map[string][]facet{}, Engine: res.Engine}
	for _, h := range res.Hits {
		x := hit{ID: h.ID, Type: h.Type, Title: h.Title, URL: s.d.BaseURL.String() + h.URL, Snippet: h.Snippet}
		if !h.Date.IsZero() {
			x.Date = h.Date.UTC().Format("2006-01-02T15:04:05Z")
		}
		out.Hits = append(out.Hits, x)
	}
	for f, fcs := range res.Facets {
		for _, fc := range fcs {
			out.Facets[f] = append(out.Facets[f], facet{fc.Value, fc.Count})
		}
	}
	return c.JSON(out)
}
