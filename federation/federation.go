package federation

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"collectif/catalog"
	"collectif/event"
	"collectif/federation/signature"
	"collectif/jobs"
	"collectif/store"
)

// Outbox sends an activity from a local actor to remote inboxes, durably:
// the delivery is recorded in tx and made after it commits. The delivery
// package implements it (its Service.Enqueue); the hub adapts one to the
// other.
type Outbox interface {
	Send(ctx context.Context, tx bun.Tx, actor string, activity json.RawMessage, inboxes []string) error
}

// Getter makes a signed GET on behalf of a local actor and returns the body,
// size-limited. The delivery package implements it (Service.Get) with its
// guarded client.
type Getter interface {
	Get(ctx context.Context, actor, url string) ([]byte, error)
}

// Deps are what the federation service needs.
type Deps struct {
	DB      *store.DB
	BaseURL *url.URL
	// Outbox sends Accept and Reject of follows; nil: nothing is sent
	// (the follow state is still recorded).
	Outbox Outbox
	// Get fetches remote actors and keys; nil: no remote actor can be
	// known, so every signed request is refused.
	Get Getter
	// AuthorizedFetch requires a valid signature on GETs of our actors and
	// collections (the instance actor stays fetchable without one).
	AuthorizedFetch bool
	// Software and Version name this software in NodeInfo.
	Software string
	Version  string
	Logger   *slog.Logger
	// AllowedNets are the networks of COLLECTIF_FEDERATION_ALLOWED_NETS: a
	// host given as an IP address inside one is reached over plain http
	// when following by handle (tests, private networks).
	AllowedNets []netip.Prefix
	// Catalog sends and receives usage declarations (the catalog
	// extension); nil: they do not federate.
	Catalog *catalog.Service
}

// Service is the ActivityPub side of the hub.
type Service struct {
	d        Deps
	base     string // the base URL without a trailing slash
	log      *slog.Logger
	queue    *jobs.Queue
	verifier *signature.Verifier
	keys     *signature.CachedFetcher
	handlers map[string]Handler
	events   *event.Service

	keyMu    sync.Mutex
	keyCache map[string]*localKey

	blocks  blockList   // the node's copy of the instance block list
	accepts groupCommit // received activities waiting for their transaction

	inboxMu   sync.Mutex
	inboxSeen map[string]time.Time // local inboxes known to exist, and when
}

// New returns the federation service. SetQueue must be called before
// activities are received.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Software == "" {
		d.Software = "collectif"
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	s := &Service{d: d, base: strings.TrimRight(d.BaseURL.String(), "/"), log: d.Logger, keyCache: map[string]*localKey{}, inboxSeen: map[string]time.Time{}}
	s.keys = &signature.CachedFetcher{Fetch: s.fetchKey}
	s.verifier = &signature.Verifier{Keys: s}
	s.handlers = map[string]Handler{}
	s.registerBuiltins()
	return s
}

// SetQueue gives the service the job queue through which received
// activities are processed (the queue is built after the handlers are
// registered: see RegisterJobs).
func (s *Service) SetQueue(q *jobs.Queue) { s.queue = q }

// SetOutbox and SetGetter let the hub plug the delivery service in after
// building both.
func (s *Service) SetOutbox(o Outbox) { s.d.Outbox = o }

// SetGetter sets the signed GET used to fetch remote actors and keys.
func (s *Service) SetGetter(g Getter) { s.d.Get = g }

// InstanceActor is the IRI of the instance actor, whose key signs the
// hub's GETs.
func (s *Service) InstanceActor() string { return s.base + "/actor" }

// SharedInbox is the IRI of the shared inbox.
func (s *Service) SharedInbox() string { return s.base + "/inbox" }
