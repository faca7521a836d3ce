package server

import (
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"collectif/requestid"
)

var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestContext gives each request an ID (the proxy's X-Request-ID when it
// looks sane), puts it in the context the domain receives, and, once the
// request is done, logs it and counts it in the metrics.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !goodRequestID.MatchString(id) {
		id = requestid.New()
	}
	c.Set(fiber.HeaderXRequestID, id)
	c.SetUserContext(requestid.With(c.UserContext(), id))

	err := c.Next()
	if err != nil {
		// Render the error now, so the log and metrics see its status.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	// The route pattern, not the path, keeps the metrics' label set
	// bounded; a request that matched only middleware is "unmatched".
	route := "unmatched"
	if r := c.Route(); r != nil && r.Method != "USE" {
		route = r.Path
	}
	d := time.Since(start)
	s.m.observe(c.Method(), route, status, d)
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case route == "/healthz" || route == "/readyz" || route == "/metrics" || route == "/static/:name":
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("duration_us", d.Microseconds()),
		slog.Int("bytes", len(c.Response().Body())),
		slog.String("remote", c.IP()),
	}
	if err != nil && status >= 500 {
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	s.log.LogAttrs(c.UserContext(), level, "http request", attrs...)
	return nil
}

// recoverPanic turns a panic in a handler into a 500 and a logged stack.
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(c.UserContext(), "panic in handler",
				"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// csp allows nothing from another origin: no fonts, scripts, images or
// frames from third parties, ever.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(https bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return c.Next()
	}
}

type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "collectif_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method, route pattern and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
	}
	if reg != nil {
		reg.MustRegister(m.duration)
	}
	return m
}

func (m *httpMetrics) observe(method, route string, status int, d time.Duration) {
	m.duration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

// isUpload reports whether a request goes to a route that takes files.
func isUpload(method, path string) bool {
	if method != fiber.MethodPost {
		return false
	}
	switch {
	case strings.HasPrefix(path, "/c/") && strings.HasSuffix(path, "/resources"):
		return true
	case strings.HasPrefix(path, "/c/") && strings.Contains(path, "/r/") && strings.HasSuffix(path, "/edit"):
		return true
	case strings.HasPrefix(path, "/api/v1/resources/") && strings.HasSuffix(path, "/attachments"):
		return true
	}
	return false
}

// limitBodies refuses, with 413, a body over BodyLimit on any route that
// does not take files.
func (s *Server) limitBodies(c *fiber.Ctx) error {
	if n := len(c.Body()); n > s.d.BodyLimit && !isUpload(c.Method(), c.Path()) {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}
