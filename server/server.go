package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/prometheus/client_golang/prometheus"

	"collectif/account"
	"collectif/catalog"
	"collectif/collective"
	"collectif/directory"
	"collectif/discussion"
	"collectif/event"
	"collectif/federation"
	"collectif/federation/delivery"
	"collectif/finder"
	"collectif/frontend"
	"collectif/kv"
	"collectif/openid"
	"collectif/resource"
)

// Check is a named readiness check of a dependency.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are what the server needs.
type Deps struct {
	BaseURL     *url.URL
	Logger      *slog.Logger
	Frontend    *frontend.Frontend
	Collectives *collective.Service
	Accounts    *account.Service
	Directory   *directory.Service
	Discussions *discussion.Service
	Finder      *finder.Service // nil: no search page
	Resources   *resource.Service
	// Federation serves ActivityPub; nil: not federated.
	Federation *federation.Service
	Catalog    *catalog.Service // nil: no catalog pages
	Events     *event.Service   // nil: no event pages
	// KV holds sessions and rate-limit counters (Redis or in process).
	KV kv.Backend
	// OpenID is the relying party of the configured providers (may have none).
	OpenID      *openid.RP
	Ready       []Check
	Metrics     *prometheus.Registry
	BodyLimit   int // bytes, for every request but uploads; default 1 MiB
	UploadLimit int // bytes, for the routes that take files; default BodyLimit
	// TrustedProxies are the reverse proxies (IPs or CIDRs) whose
	// X-Forwarded-For gives the client's address; empty: the TCP peer.
	TrustedProxies []string
	// Delivery is the outgoing federation (nil: its admin pages answer 503).
	Delivery *delivery.Service
}

// Server is the HTTP server of one hub process.
type Server struct {
	openapiDoc []byte
	d          Deps
	app        *fiber.App
	log        *slog.Logger
	m          *httpMetrics
	sessions   *sessions
}

// New builds the Fiber app and its routes.
func New(d Deps) *Server {
	if d.BodyLimit <= 0 {
		d.BodyLimit = 1 << 20
	}
	if d.UploadLimit < d.BodyLimit {
		d.UploadLimit = d.BodyLimit
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.KV == nil {
		d.KV = kv.NewMemory(kv.Options{})
	}
	s := &Server{d: d, log: d.Logger}
	s.sessions = &sessions{kv: d.KV, secure: d.BaseURL.Scheme == "https"}
	s.app = fiber.New(fiber.Config{
		AppName:               "collectif",
		DisableStartupMessage: true,
		// Immutable: strings read from the context are copies, so nothing
		// a handler keeps can change under it when fasthttp reuses buffers.
		Immutable: true,
		// fasthttp reads a body before routing, so its limit is the
		// uploads'; limitBodies holds every other route to BodyLimit.
		BodyLimit: d.UploadLimit,
		// Long enough for a 20 MiB upload or download on a slow line.
		ReadTimeout:  2 * time.Minute,
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  60 * time.Second,
		// Big enough for the headers of signed federation requests, small
		// enough to refuse header floods.
		ReadBufferSize: 16 << 10,
		ErrorHandler:   s.errorHandler,
		// Trailing slashes and case are not folded: one URL per page.
		StrictRouting: true,
		CaseSensitive: true,
		// X-Forwarded-* are believed only from the configured proxies;
		// the check stays on with none, so that Fiber never trusts a
		// client's own X-Forwarded-Proto or -Host.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.TrustedProxies,
		ProxyHeader:             proxyHeader(d.TrustedProxies),
		EnableIPValidation:      true,
	})
	doc, err := buildOpenAPI()
	if err != nil {
		// The fragments are embedded: a broken one is a build mistake,
		// caught by the tests before any release.
		panic(err)
	}
	s.openapiDoc = doc
	s.m = newHTTPMetrics(d.Metrics)
	s.app.Use(s.requestContext, s.recoverPanic, securityHeaders(d.BaseURL.Scheme == "https"), s.limitBodies)
	s.app.Use(compress.New(compress.Config{Level: compress.LevelDefault}))
	s.app.Use(s.identify, s.checkCSRF)
	s.routes()
	return s
}

// App exposes the Fiber app (tests drive it with app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.app.Listener(ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in flight to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.app.ShutdownWithContext(ctx)
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
