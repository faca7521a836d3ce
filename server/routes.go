package server

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (s *Server) routes() {
	a := s.app
	a.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	a.Get("/readyz", s.readyz)
	if s.d.Metrics != nil {
		a.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.d.Metrics, promhttp.HandlerOpts{})))
	}
	a.Get("/static/:name", s.static)
	a.Get("/lang/:lang", s.switchLang)

	a.Get("/", s.home)
	s.federationRoutes()
	s.collectiveRoutes()

	s.authRoutes()
	a.Get("/api/v1/openapi.json", s.openapi)
	s.searchRoutes()
	s.discussionRoutes()
	s.resourceRoutes()
	s.deliveryRoutes()
	s.catalogRoutes()
	s.eventRoutes()
	s.feedRoutes()
}

// pageData is what every page template gets.
type pageData struct {
	Host     string
	Nav      string // which main navigation entry is current
	LoggedIn bool
	Admin    bool
	CSRF     string // the anti-forgery token for forms
	Flash    string // a one-time message, e.g. "your token was revoked"
	Data     any
	Lang     string // fr or en: the page's language
	Path     string // this page's path and query, for the language switch
	URL      string // this page's absolute address (og:url)
}

// Locale tells frontend.Render the page's language.
func (p pageData) Locale() string { return p.Lang }

func (s *Server) page(c *fiber.Ctx, nav string, data any) pageData {
	p := principal(c)
	pd := pageData{Host: s.d.BaseURL.Host, Nav: nav, LoggedIn: !p.IsAnonymous(), Admin: p.IsAdmin(), Data: data}
	pd.Lang, pd.Path = lang(c), string(c.Request().URI().RequestURI())
	pd.URL = s.abs(string(c.Request().URI().Path()))
	if w := whoOf(c); w.sess != nil {
		pd.CSRF = w.sess.data.CSRF
		if f := w.sess.data.Flash; f != "" {
			pd.Flash = f
			w.sess.data.Flash = ""
			w.dirty = true
		}
	}
	return pd
}

// flash keeps a message for the next page the visitor sees: id is a
// message of frontend/locales, args as frontend.T reads them.
func (s *Server) flash(c *fiber.Ctx, id string, args ...any) {
	msg := s.tr(c, id, args...)
	if sess, err := s.session(c); err == nil {
		sess.data.Flash = msg
		whoOf(c).dirty = true
	}
}

func (s *Server) render(c *fiber.Ctx, name, nav string, data any) error {
	c.Type("html", "utf-8")
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return s.d.Frontend.Render(c, name, s.page(c, nav, data))
}

func (s *Server) home(c *fiber.Ctx) error {
	list, err := s.d.Collectives.List(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	return s.render(c, "home", "home", list)
}

func (s *Server) static(c *fiber.Ctx) error {
	a, ok := s.d.Frontend.Asset(c.Params("name"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, a.ETag)
	if c.Get(fiber.HeaderIfNoneMatch) == a.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Body)
}

// readyz checks every dependency at once, each within two seconds, and
// names those that failed.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	results := make(map[string]string, len(s.d.Ready))
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := false
	for _, chk := range s.d.Ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := "ok"
			if err := chk.Check(ctx); err != nil {
				res = "error: " + err.Error()
			}
			mu.Lock()
			results[chk.Name] = res
			if res != "ok" {
				failed = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	status := "ok"
	if failed {
		status = "unavailable"
		c.Status(fiber.StatusServiceUnavailable)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": status, "checks": results})
}
