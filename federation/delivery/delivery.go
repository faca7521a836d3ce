package delivery

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"collectif/fault"
	"collectif/federation/signature"
	"collectif/jobs"
	"collectif/model"
	"collectif/store"
)

// Defaults of the delivery.
const (
	// QueueName is the job queue deliveries run in, apart from the hub's
	// other jobs so that a fan-out does not hold up mails and indexing.
	QueueName = "delivery"
	// DefaultWorkers is how many delivery jobs a process runs at once.
	DefaultWorkers = 16
	// DefaultPerHost bounds the requests in flight to one remote host
	// from one process.
	DefaultPerHost = 2
	// MaxActivity bounds the JSON of one activity.
	MaxActivity = 1 << 20
	// RecentErrors is how many errors are kept per host.
	RecentErrors = 20
	// ContentType is the type of every POST.
	ContentType = "application/activity+json"
	// Accept is sent with every GET.
	Accept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// DefaultBackoff is the wait before each retry of a failed inbox: ten
// attempts over about 32 hours, so a host down for a day still gets what
// it missed.
var DefaultBackoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour}

// Keys gives the signing key of a local actor.
type Keys interface {
	SigningKey(ctx context.Context, actor string) (keyID string, key *rsa.PrivateKey, err error)
}

// Delivery is an activity to post to remote inboxes.
type Delivery struct {
	Actor    string          // the local actor IRI whose key signs
	Activity json.RawMessage // the activity's JSON, sent as is
	Inboxes  []string        // shared inboxes when the remote has one
}

// Deps are what the service needs.
type Deps struct {
	DB     *store.DB
	Queue  *jobs.Queue
	Keys   Keys
	Client *http.Client // from NewClient; nil: NewClient(Options{})
	Logger *slog.Logger
	// Metrics registers the delivery metrics; nil: not exported.
	Metrics prometheus.Registerer
	// Blocked reports whether a remote host (a host name, without port)
	// is blocked; nil: none is.
	Blocked func(ctx context.Context, host string) bool
	// PerHost bounds the requests in flight per remote host in this
	// process; 0: DefaultPerHost.
	PerHost int
	// Backoff is the wait before each retry; its length plus one is the
	// number of attempts. Nil: DefaultBackoff.
	Backoff []time.Duration
	// RunBudget bounds the time one job starts requests (default 2 min);
	// the rest of its inboxes go to a follow-up job.
	RunBudget time.Duration
	// HostWait is how long a job waits for a busy host before leaving the
	// host to the jobs already there and coming back (default 2 s).
	HostWait time.Duration
	// BusyDelay is when a job that left a busy host comes back (default 5 s).
	BusyDelay time.Duration
}

// Service delivers activities and fetches remote documents.
type Service struct {
	d      Deps
	log    *slog.Logger
	signed *http.Client
	slots  *hostSlots
	m      *metrics
	now    func() time.Time
}

// New builds the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Client == nil {
		d.Client = NewClient(Options{})
	}
	if d.PerHost <= 0 {
		d.PerHost = DefaultPerHost
	}
	if d.Backoff == nil {
		d.Backoff = DefaultBackoff
	}
	if d.RunBudget <= 0 {
		d.RunBudget = 2 * time.Minute
	}
	if d.HostWait <= 0 {
		d.HostWait = 2 * time.Second
	}
	if d.BusyDelay <= 0 {
		d.BusyDelay = 5 * time.Second
	}
	s := &Service{d: d, log: d.Logger.With("component", "delivery"), now: time.Now}
	s.m = newMetrics(d.Metrics)
	s.slots = newHostSlots(d.PerHost, s.m)
	base := d.Client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	s.signed = &http.Client{
		Transport:     &signature.Transport{Base: base, Signer: signerOf},
		Timeout:       d.Client.Timeout,
		CheckRedirect: d.Client.CheckRedirect,
	}
	return s
}

// Attempts is how many times an inbox is tried.
func (s *Service) Attempts() int { return len(s.d.Backoff) + 1 }

type signerKey struct{}

func withSigner(ctx context.Context, sg signature.Signer) context.Context {
	return context.WithValue(ctx, signerKey{}, sg)
}

func signerOf(r *http.Request) (signature.Signer, bool) {
	sg, ok := r.Context().Value(signerKey{}).(signature.Signer)
	return sg, ok
}

// deliverArgs is the job of delivering an activity to one remote host's
// inboxes at one attempt (Round).
type deliverArgs struct {
	Activity string `json:"activity"`
	Host     string `json:"host"`
	Round    int    `json:"round"`
}

func (deliverArgs) Kind() string  { return "federation.deliver" }
func (deliverArgs) Queue() string { return QueueName }

// RegisterJobs registers the delivery job; s's Queue may be set after
// (hub.Open builds the registry before the queue).
func RegisterJobs(reg *jobs.Registry, s *Service) {
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, a deliverArgs) error { return s.run(ctx, a) })
}

// SetQueue gives the service its queue when it was built before it.
func (s *Service) SetQueue(q *jobs.Queue) { s.d.Queue = q }

// SetKeys gives the service the local actors' keys when they are built
// after it; to be called before the workers start.
func (s *Service) SetKeys(k Keys) { s.d.Keys = k }

// SetBlocked gives the service the block list when it is built after it;
// to be called before the workers start.
func (s *Service) SetBlocked(b func(ctx context.Context, host string) bool) { s.d.Blocked = b }

// Collectors are the service's metrics, for a registry that was not given
// in Deps.
func (s *Service) Collectors() []prometheus.Collector { return s.m.collectors() }

func (s *Service) signingKey(ctx context.Context, actor string) (string, *rsa.PrivateKey, error) {
	if s.d.Keys == nil {
		return "", nil, errors.New("delivery: no signing keys configured")
	}
	return s.d.Keys.SigningKey(ctx, actor)
}

type activityRow struct {
	bun.BaseModel `bun:"table:delivery_activities"`

	ID         string    `bun:"id,pk"`
	Actor      string    `bun:"actor"`
	ActivityID string    `bun:"activity_id"`
	Body       string    `bun:"body"`
	Remaining  int       `bun:"remaining"`
	CreatedAt  time.Time `bun:"created_at"`
}

type targetRow struct {
	bun.BaseModel `bun:"table:delivery_targets"`

	ActivityID string `bun:"activity_id,pk"`
	Host       string `bun:"host,pk"`
	Inbox      string `bun:"inbox,pk"`
	Round      int    `bun:"round"`
}

// Enqueue stores the activity once and schedules its delivery to every
// inbox, in tx: nothing is sent unless tx commits. Inboxes are
// deduplicated, those of blocked hosts and malformed ones dropped (and
// logged); one job per remote host is enqueued.
func (s *Service) Enqueue(ctx context.Context, tx bun.Tx, d Delivery) error {
	if d.Actor == "" {
		return fault.New(fault.Invalid, "delivery: no actor")
	}
	if len(d.Activity) > MaxActivity {
		return &fault.Error{Kind: fault.TooLarge, Op: "delivery.Enqueue", Message: "l'activité est trop grande"}
	}
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(d.Activity, &head); err != nil {
		return &fault.Error{Kind: fault.Invalid, Op: "delivery.Enqueue", Message: "l'activité n'est pas un objet JSON", Err: err}
	}
	seen := map[string]bool{}
	var targets []targetRow
	hosts := map[string]bool{}
	var hostOrder []string
	id := model.NewID()
	for _, raw := range d.Inboxes {
		u, err := inboxURL(raw)
		if err != nil {
			s.log.WarnContext(ctx, "inbox dropped", "inbox", raw, "err", err)
			continue
		}
		key := u.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		if s.d.Blocked != nil && s.d.Blocked(ctx, u.Hostname()) {
			s.m.final.WithLabelValues("dropped").Inc()
			continue
		}
		targets = append(targets, targetRow{ActivityID: id, Host: u.Host, Inbox: key, Round: 1})
		if !hosts[u.Host] {
			hosts[u.Host] = true
			hostOrder = append(hostOrder, u.Host)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	row := &activityRow{ID: id, Actor: d.Actor, ActivityID: head.ID, Body: string(d.Activity), Remaining: len(targets),
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return fmt.Errorf("delivery: store activity: %w", err)
	}
	for chunk := range slicesChunk(targets, 500) {
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("delivery: store inboxes: %w", err)
		}
	}
	args := make([]jobs.Args, len(hostOrder))
	for i, h := range hostOrder {
		args[i] = deliverArgs{Activity: id, Host: h, Round: 1}
	}
	return s.d.Queue.EnqueueMany(ctx, tx, args)
}

func slicesChunk[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for i := 0; i < len(s); i += n {
			if !yield(s[i:min(i+n, len(s))]) {
				return
			}
		}
	}
}

// inboxURL checks an inbox URL and returns it normalized (scheme and host
// lower-cased, default port dropped), the form inboxes are deduplicated on.
func inboxURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, errors.New("not an http(s) URL with a host")
	}
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); p == "443" && u.Scheme == "https" || p == "80" && u.Scheme == "http" {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// delay is the wait before round next (2…): the back-off with ±10 %
// jitter, or what the remote asked with Retry-After when longer.
func (s *Service) delay(next int, asked time.Duration) time.Duration {
	b := s.d.Backoff[min(next-2, len(s.d.Backoff)-1)]
	b += time.Duration((rand.Float64()*0.2 - 0.1) * float64(b))
	const maxAsked = 24 * time.Hour
	return max(b, min(asked, maxAsked))
}
