package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/federation/ap"
	"collectif/jobs"
	"collectif/outbox"
)

// InboxJob is a verified activity waiting to be processed.
type InboxJob struct {
	// Recipient is the local actor whose inbox received it; empty for the
	// shared inbox.
	Recipient string `json:"recipient,omitempty"`
	// Activity is the body as received.
	Activity json.RawMessage `json:"activity"`
}

// Kind names the job; stored, never renamed.
func (InboxJob) Kind() string { return "federation.inbox" }

// InboxQueue is the job queue received activities are processed in, apart
// from mails and indexing: a burst of activities from the fediverse does
// not delay a registration's confirmation mail, and the reverse.
const InboxQueue = "inbox"

// InboxWorkers is how many received activities a process handles at once
// (each is a few short queries): with River fetching jobs at most every
// 100 ms, the workers bound how many are processed per second.
const InboxWorkers = 32

// Queue implements jobs.Queued.
func (InboxJob) Queue() string { return InboxQueue }

// RegisterJobs registers the handler of received activities.
func (s *Service) RegisterJobs(reg *jobs.Registry) {
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, j InboxJob) error { return s.Process(ctx, j) })
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, j outbox.Job) error { return s.Publish(ctx, j) })
}

// InboxHandler answers POSTs to actors' inboxes ({actor}/inbox) and the
// shared inbox (/inbox). An activity is accepted (202) when it is an
// ActivityStreams document within the size limit, signed by its actor, from
// an instance that is not blocked; it is then recorded and processed by the
// job queue. Nothing is changed otherwise. A second delivery of an activity
// already received is answered 202 and ignored.
func (s *Service) InboxHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed: an inbox takes signed POSTs", http.StatusMethodNotAllowed)
			return
		}
		code, msg := s.receive(r)
		if code == http.StatusAccepted {
			w.WriteHeader(code)
			return
		}
		http.Error(w, msg, code)
	})
}

// AcceptableContentType reports whether an inbox accepts a Content-Type:
// application/activity+json, or application/ld+json (Mastodon accepts it
// with any profile; so do we).
func AcceptableContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/activity+json" || mt == "application/ld+json")
}

func (s *Service) receive(r *http.Request) (int, string) {
	ctx := r.Context()
	if !AcceptableContentType(r.Header.Get("Content-Type")) {
		return http.StatusUnsupportedMediaType, "Content-Type must be application/activity+json or application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
	}
	recipient := ""
	if p := strings.TrimSuffix(r.URL.Path, "/inbox"); p != "" {
		recipient = s.base + p
		if err := s.inboxExists(ctx, recipient); errors.Is(err, ErrNoActor) {
			return http.StatusNotFound, "no such actor"
		} else if err != nil {
			s.log.ErrorContext(ctx, "inbox actor lookup failed", "err", err)
			return http.StatusInternalServerError, "internal error"
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, ap.MaxActivityBytes+1))
	if err != nil {
		return http.StatusBadRequest, "cannot read the body"
	}
	if len(body) > ap.MaxActivityBytes {
		return http.StatusRequestEntityTooLarge, "the activity is larger than 256 KiB"
	}
	act, err := ap.ParseActivity(body)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	// Blocked instances are refused before any key is fetched from them.
	if s.Blocked(ctx, ap.Host(act.Actor.ID)) {
		return http.StatusForbidden, "this instance is blocked"
	}
	res, err := s.verifier.Verify(ctx, r, body)
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			return http.StatusForbidden, "this instance is blocked"
		}
		s.log.InfoContext(ctx, "inbox signature refused", "actor", act.Actor.ID, "err", err)
		return http.StatusUnauthorized, "signature refused: " + err.Error()
	}
	if res.Owner != act.Actor.ID {
		// Relayed activities (signed by another actor) would need their
		// object fetched from its origin; they are refused for now.
		return http.StatusUnauthorized, "the key's owner is not the activity's actor"
	}
	id := act.ID
	if id == "" {
		sum := sha256.Sum256(body)
		id = "urn:sha256:" + hex.EncodeToString(sum[:])
	}
	row := receivedRow{ID: id, Actor: act.Actor.ID, Type: trunc(act.Kind(), 100), ReceivedAt: time.Now().UTC()}
	if err := s.accepts.submit(ctx, s.recordReceived, &accepted{ctx: ctx, row: row, job: InboxJob{Recipient: recipient, Activity: body}}); err != nil {
		s.log.ErrorContext(ctx, "inbox enqueue failed", "err", err)
		return http.StatusServiceUnavailable, "cannot record the activity now; try again later"
	}
	return http.StatusAccepted, ""
}

type receivedRow struct {
	bun.BaseModel `bun:"table:federation_received"`

	ID         string    `bun:"id,pk"`
	Actor      string    `bun:"actor"`
	Type       string    `bun:"type"`
	ReceivedAt time.Time `bun:"received_at"`
}

// recordReceived writes accepted activities in one transaction: their IDs
// in federation_received (a second delivery of an ID is dropped there) and
// a processing job for each new one.
func (s *Service) recordReceived(ctx context.Context, batch []*accepted) error {
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		items := make([]jobs.Item, 0, len(batch))
		for _, a := range batch {
			res, err := tx.NewInsert().Model(&a.row).On("CONFLICT (id) DO NOTHING").Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // already received: a retry by the sender
			}
			items = append(items, jobs.Item{Ctx: a.ctx, Args: a.job})
		}
		return s.queue.EnqueueBatch(ctx, tx, items)
	})
}

// inboxTTL is how long a node remembers that a local actor's inbox
// exists: a burst of activities to one inbox then costs no query each.
// The job that processes an activity looks the actor up again, so one
// accepted in the seconds after its actor went away is dropped there.
const inboxTTL = 5 * time.Second

// inboxExists answers ErrNoActor when recipient is not a local actor.
func (s *Service) inboxExists(ctx context.Context, recipient string) error {
	s.inboxMu.Lock()
	at, ok := s.inboxSeen[recipient]
	s.inboxMu.Unlock()
	if ok && time.Since(at) < inboxTTL {
		return nil
	}
	if _, err := s.ActorByIRI(ctx, recipient); err != nil {
		return err
	}
	s.inboxMu.Lock()
	if len(s.inboxSeen) >= 10000 {
		clear(s.inboxSeen) // bounded: the actors of one hub, in practice
	}
	s.inboxSeen[recipient] = time.Now()
	s.inboxMu.Unlock()
	return nil
}
