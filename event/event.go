package event

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/collective"
	"collectif/fault"
	"collectif/jobs"
	"collectif/markdown"
	"collectif/model"
	"collectif/store"
)

// Service runs event actions.
type Service struct {
	db    *store.DB
	queue *jobs.Queue
	md    *markdown.Renderer
	log   *slog.Logger
	now   func() time.Time
}

// Deps are what the service needs.
type Deps struct {
	DB *store.DB
	// Queue receives the mail and index jobs of every change, in the
	// change's transaction; nil sends and indexes nothing (tests).
	Queue    *jobs.Queue
	Markdown *markdown.Renderer // default markdown.New()
	Logger   *slog.Logger
	Now      func() time.Time // default time.Now
}

// New returns the event service.
func New(d Deps) *Service {
	if d.Markdown == nil {
		d.Markdown = markdown.New()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{db: d.DB, queue: d.Queue, md: d.Markdown, log: d.Logger, now: d.Now}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Paris is the time zone events are shown in. The binary embeds tzdata.
func Paris() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}

// ParseLocal reads a date and time typed in a form (2026-10-24T09:30 or
// "2026-10-24 09:30") as Paris time.
func ParseLocal(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, Paris()); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("date invalide")
}

// Limits of what organizers write.
const (
	MaxTitle    = 200
	MaxSummary  = 500
	MaxCapacity = 100000
)

var (
	errEventNotFound   = fault.New(fault.NotFound, "événement introuvable")
	errSessionNotFound = fault.New(fault.NotFound, "séance introuvable")
)

func notFound(err, nf error) error {
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nf
	}
	return err
}

// Partner is a co-organizer or partner as forms give it.
type Partner struct {
	Role           string `json:"role"` // coorganizer, partner
	Name           string `json:"name"`
	URL            string `json:"url,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// Input is what an organizer writes about an event.
type Input struct {
	Title, Summary, Description   string
	StartsAt, EndsAt              time.Time
	Venue, Address, Accessibility string
	StreamURL, ReplayURL          string
	Capacity                      int
	RegistrationOpensAt           time.Time // zero: open at publication
	RegistrationClosesAt          time.Time // zero: until the start
	Partners                      []Partner
}

// View is an event as pages and the API show it.
type View struct {
	model.Event
	Collective model.Collective
	Partners   []model.EventPartner
	Confirmed  int
	Waitlisted int
	// Remaining places; -1 without a limit.
	Remaining int
	// RegistrationOpen: a visitor may register now.
	RegistrationOpen bool
	// Closed says why not, when RegistrationOpen is false.
	Closed    Closed
	CanManage bool
}

// URL is the event's public page.
func (v *View) URL() string { return "/evenements/" + v.ID }

// When says the event's dates and times in French, in Paris time.
func (v *View) When() string { return When(v.StartsAt, v.EndsAt) }

// Online reports whether the event can be followed from afar.
func (v *View) Online() bool { return v.StreamURL != "" || v.ReplayURL != "" }

// Coorganizers and PartnerList split the partners by role.
func (v *View) Coorganizers() []model.EventPartner { return v.partners("coorganizer") }

// PartnerList is the partners that are not co-organizers.
func (v *View) PartnerList() []model.EventPartner { return v.partners("partner") }

func (v *View) partners(role string) []model.EventPartner {
	var out []model.EventPartner
	for _, p := range v.Partners {
		if p.Role == role {
			out = append(out, p)
		}
	}
	return out
}

// Description renders as HTML; the stored HTML was sanitized when written.
func (v *View) DescriptionSafe() template.HTML { return template.HTML(v.DescriptionHTML) } //nolint:gosec // sanitized by markdown/

// Closed is why registration is closed: a stable code that pages translate,
// and a French sentence (String) for errors.
type Closed string

// The reasons registration may be closed.
const (
	ClosedDraft     Closed = "draft"
	ClosedCancelled Closed = "cancelled"
	ClosedNotYet    Closed = "not_yet"
	ClosedOver      Closed = "over"
	ClosedStarted   Closed = "started"
	// ClosedFull refuses a remote participant when every place is taken:
	// remote participants are never waitlisted, since no mail can tell
	// them of a promotion (see JoinRemote).
	ClosedFull Closed = "full"
)

var closedSentences = map[Closed]string{
	ClosedDraft:     "l'événement n'est pas encore publié",
	ClosedCancelled: "l'événement est annulé",
	ClosedNotYet:    "les inscriptions ne sont pas encore ouvertes",
	ClosedOver:      "les inscriptions sont closes",
	ClosedStarted:   "l'événement a commencé",
	ClosedFull:      "l'événement est complet",
}

func (c Closed) String() string { return closedSentences[c] }

// closedFault refuses a registration (or, change, a change to one) because
// registration is closed for why. Each sentence is written whole, so that
// it translates whole.
func closedFault(why Closed, change bool) error {
	if change {
		switch why {
		case ClosedDraft:
			return fault.New(fault.Gone, "modification impossible : l'événement n'est pas encore publié")
		case ClosedCancelled:
			return fault.New(fault.Gone, "modification impossible : l'événement est annulé")
		case ClosedNotYet:
			return fault.New(fault.Gone, "modification impossible : les inscriptions ne sont pas encore ouvertes")
		case ClosedOver:
			return fault.New(fault.Gone, "modification impossible : les inscriptions sont closes")
		case ClosedStarted:
			return fault.New(fault.Gone, "modification impossible : l'événement a commencé")
		case ClosedFull:
			return fault.New(fault.Gone, "modification impossible : l'événement est complet")
		}
		return fault.New(fault.Gone, "modification impossible : les inscriptions sont closes")
	}
	switch why {
	case ClosedDraft:
		return fault.New(fault.Gone, "inscription impossible : l'événement n'est pas encore publié")
	case ClosedCancelled:
		return fault.New(fault.Gone, "inscription impossible : l'événement est annulé")
	case ClosedNotYet:
		return fault.New(fault.Gone, "inscription impossible : les inscriptions ne sont pas encore ouvertes")
	case ClosedOver:
		return fault.New(fault.Gone, "inscription impossible : les inscriptions sont closes")
	case ClosedStarted:
		return fault.New(fault.Gone, "inscription impossible : l'événement a commencé")
	case ClosedFull:
		return fault.New(fault.Gone, "inscription impossible : l'événement est complet")
	}
	return fault.New(fault.Gone, "inscription impossible : les inscriptions sont closes")
}

// openState says whether registration is open at now, and if not why.
func openState(e *model.Event, now time.Time) (bool, Closed) {
	switch {
	case e.Status == model.EventDraft:
		return false, ClosedDraft
	case e.Status == model.EventCancelled:
		return false, ClosedCancelled
	case !e.RegistrationOpensAt.IsZero() && now.Before(e.RegistrationOpensAt):
		return false, ClosedNotYet
	case !e.RegistrationClosesAt.IsZero() && !now.Before(e.RegistrationClosesAt):
		return false, ClosedOver
	case !now.Before(e.StartsAt):
		return false, ClosedStarted
	}
	return true, ""
}

func cleanText(field, v string, max int, required bool) (string, error) {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return "", fault.Field(field, "ce champ contient des caractères invalides")
	}
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", fault.Field(field, "ce champ est obligatoire")
	}
	if utf8.RuneCountInString(v) > max {
		return "", fault.Field(field, "ce champ ne peut dépasser %d caractères", max)
	}
	return v, nil
}

func cleanLine(field, v string, max int, required bool) (string, error) {
	v, err := cleanText(field, v, max, required)
	return strings.Join(strings.Fields(v), " "), err
}

func cleanURL(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v) > 500 {
		return "", fault.Field(field, "une adresse web commençant par https:// est attendue")
	}
	return u.String(), nil
}

// check validates in and renders its description.
func (s *Service) check(in *Input) (string, error) {
	var err error
	if in.Title, err = cleanLine("title", in.Title, MaxTitle, true); err != nil {
		return "", err
	}
	if in.Summary, err = cleanLine("summary", in.Summary, MaxSummary, false); err != nil {
		return "", err
	}
	if len(in.Description) > markdown.MaxSource {
		return "", fault.Field("description", "la description dépasse la taille autorisée")
	}
	if in.Description, err = cleanText("description", strings.ReplaceAll(in.Description, "\r\n", "\n"), markdown.MaxSource, false); err != nil {
		return "", err
	}
	if in.Venue, err = cleanLine("venue", in.Venue, 200, false); err != nil {
		return "", err
	}
	if in.Address, err = cleanText("address", in.Address, 500, false); err != nil {
		return "", err
	}
	if in.Accessibility, err = cleanText("accessibility", in.Accessibility, 2000, false); err != nil {
		return "", err
	}
	if in.StreamURL, err = cleanURL("stream_url", in.StreamURL); err != nil {
		return "", err
	}
	if in.ReplayURL, err = cleanURL("replay_url", in.ReplayURL); err != nil {
		return "", err
	}
	if in.StartsAt.IsZero() {
		return "", fault.Field("starts_at", "la date de début est obligatoire")
	}
	if in.EndsAt.IsZero() || in.EndsAt.Before(in.StartsAt) {
		return "", fault.Field("ends_at", "la fin doit suivre le début")
	}
	if in.Capacity < 0 || in.Capacity > MaxCapacity {
		return "", fault.Field("capacity", "la jauge doit être comprise entre 0 (sans limite) et %d", MaxCapacity)
	}
	if !in.RegistrationOpensAt.IsZero() && !in.RegistrationClosesAt.IsZero() && !in.RegistrationClosesAt.After(in.RegistrationOpensAt) {
		return "", fault.Field("registration_closes_at", "la clôture des inscriptions doit suivre leur ouverture")
	}
	in.StartsAt, in.EndsAt = in.StartsAt.UTC().Truncate(time.Second), in.EndsAt.UTC().Truncate(time.Second)
	in.RegistrationOpensAt, in.RegistrationClosesAt = in.RegistrationOpensAt.UTC().Truncate(time.Second), in.RegistrationClosesAt.UTC().Truncate(time.Second)
	if len(in.Partners) > 50 {
		return "", fault.Field("partners", "50 partenaires au plus")
	}
	for i := range in.Partners {
		p := &in.Partners[i]
		if p.Role != "coorganizer" && p.Role != "partner" {
			return "", fault.Field("partners", "rôle de partenaire inconnu « %s »", p.Role)
		}
		if p.Name, err = cleanLine("partners", p.Name, 200, true); err != nil {
			return "", err
		}
		if p.URL, err = cleanURL("partners", p.URL); err != nil {
			return "", err
		}
	}
	if in.Description == "" {
		return "", nil
	}
	h, err := s.md.HTML(in.Description)
	return string(h), err
}

// collectiveBySlug loads a collective.
func collectiveBySlug(ctx context.Context, db bun.IDB, slug string) (*model.Collective, error) {
	nf := fault.New(fault.NotFound, "collectif introuvable")
	if !collective.ValidSlug(slug) {
		return nil, nf
	}
	c := new(model.Collective)
	if err := db.NewSelect().Model(c).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, notFound(err, nf)
	}
	return c, nil
}

// manager checks that p organizes the collective's events.
func manager(ctx context.Context, db bun.IDB, p access.Principal, collectiveID, op string) error {
	st, err := collective.Standing(ctx, db, p, collectiveID, "")
	if err != nil {
		return err
	}
	if access.Can(p, access.ManageEvents, st) {
		return nil
	}
	if p.IsAnonymous() {
		return &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "connectez-vous pour organiser des événements"}
	}
	return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seuls les administrateurs du collectif organisent ses événements"}
}

func (s *Service) canManage(ctx context.Context, p access.Principal, collectiveID string) bool {
	if p.IsAnonymous() {
		return false
	}
	return manager(ctx, s.db.R, p, collectiveID, "") == nil
}

// Create adds a draft event to the collective.
func (s *Service) Create(ctx context.Context, p access.Principal, collectiveSlug string, in Input) (*View, error) {
	const op = "event.Create"
	c, err := collectiveBySlug(ctx, s.db.R, collectiveSlug)
	if err != nil {
		return nil, err
	}
	if err := manager(ctx, s.db.R, p, c.ID, op); err != nil {
		return nil, err
	}
	html, err := s.check(&in)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	e := &model.Event{ID: model.NewID(), CollectiveID: c.ID, Status: model.EventDraft, CreatedBy: p.AccountID, CreatedAt: now, UpdatedAt: now}
	fill(e, in, html)
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
			return err
		}
		if err := writePartners(ctx, tx, e.ID, in.Partners); err != nil {
			return err
		}
		return s.index(ctx, tx, "event", e.ID)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return s.Get(ctx, p, e.ID)
}

func fill(e *model.Event, in Input, html string) {
	e.Title, e.Summary, e.Description, e.DescriptionHTML = in.Title, in.Summary, in.Description, html
	e.StartsAt, e.EndsAt = in.StartsAt, in.EndsAt
	e.Venue, e.Address, e.Accessibility = in.Venue, in.Address, in.Accessibility
	e.StreamURL, e.ReplayURL, e.Capacity = in.StreamURL, in.ReplayURL, in.Capacity
	e.RegistrationOpensAt, e.RegistrationClosesAt = in.RegistrationOpensAt, in.RegistrationClosesAt
}

func writePartners(ctx context.Context, tx bun.Tx, eventID string, ps []Partner) error {
	if _, err := tx.NewDelete().Model((*model.EventPartner)(nil)).Where("event_id = ?", eventID).Exec(ctx); err != nil {
		return err
	}
	for i, p := range ps {
		row := &model.EventPartner{ID: model.NewID(), EventID: eventID, Role: p.Role, Name: p.Name, URL: p.URL, Position: i}
		if p.OrganizationID != "" && model.ValidID(p.OrganizationID) {
			ok, err := tx.NewSelect().Table("organizations").Where("id = ?", p.OrganizationID).Exists(ctx)
			if err != nil {
				return err
			}
			if ok {
				row.OrganizationID = p.OrganizationID
			}
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Update changes an event's fields. A lowered capacity waitlists nobody
// who is confirmed; a raised one promotes the first in line.
func (s *Service) Update(ctx context.Context, p access.Principal, id string, in Input) (*View, error) {
	const op = "event.Update"
	html, err := s.check(&in)
	if err != nil {
		return nil, err
	}
	err = s.withEvent(ctx, id, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if err := manager(ctx, tx, p, e.CollectiveID, op); err != nil {
			return err
		}
		fill(e, in, html)
		e.UpdatedAt = s.stamp()
		if _, err := tx.NewUpdate().Model(e).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := writePartners(ctx, tx, e.ID, in.Partners); err != nil {
			return err
		}
		if e.Status == model.EventPublished {
			if err := s.fillEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return s.index(ctx, tx, "event", e.ID)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return s.Get(ctx, p, id)
}

// Publish makes a draft event public.
func (s *Service) Publish(ctx context.Context, p access.Principal, id string) error {
	const op = "event.Publish"
	return fault.Wrap(op, s.withEvent(ctx, id, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if err := manager(ctx, tx, p, e.CollectiveID, op); err != nil {
			return err
		}
		if e.Status != model.EventDraft {
			return fault.New(fault.Conflict, "seul un brouillon peut être publié")
		}
		if _, err := tx.NewUpdate().Model(e).Set("status = ?", model.EventPublished).Set("updated_at = ?", s.stamp()).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := s.index(ctx, tx, "event", e.ID); err != nil {
			return err
		}
		return s.indexSessions(ctx, tx, e.ID)
	}))
}

// MaxCancelMessage bounds the message sent to registrants on cancellation.
const MaxCancelMessage = 2000

// Cancel cancels an event; every registrant (confirmed or waitlisted)
// receives message by mail.
func (s *Service) Cancel(ctx context.Context, p access.Principal, id, message string) error {
	const op = "event.Cancel"
	message, err := cleanText("message", message, MaxCancelMessage, false)
	if err != nil {
		return err
	}
	return fault.Wrap(op, s.withEvent(ctx, id, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if err := manager(ctx, tx, p, e.CollectiveID, op); err != nil {
			return err
		}
		if e.Status == model.EventCancelled {
			return fault.New(fault.Conflict, "l'événement est déjà annulé")
		}
		if _, err := tx.NewUpdate().Model(e).Set("status = ?", model.EventCancelled).Set("cancel_message = ?", message).
			Set("updated_at = ?", s.stamp()).WherePK().Exec(ctx); err != nil {
			return err
		}
		if s.queue != nil {
			if err := s.queue.Enqueue(ctx, tx, CancelledMail{EventID: e.ID}); err != nil {
				return err
			}
		}
		if err := s.index(ctx, tx, "event", e.ID); err != nil {
			return err
		}
		return s.indexSessions(ctx, tx, e.ID)
	}))
}

// withEvent runs fn in a transaction that holds the event's row: no other
// change to its registrations runs meanwhile. SQLite has one writer
// (transactions begin IMMEDIATE); PostgreSQL locks the row.
func (s *Service) withEvent(ctx context.Context, id string, fn func(ctx context.Context, tx bun.Tx, e *model.Event) error) error {
	if !model.ValidID(id) {
		return errEventNotFound
	}
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := lockEvent(ctx, tx, s.db.Engine(), id)
		if err != nil {
			return err
		}
		return fn(ctx, tx, e)
	})
}

func lockEvent(ctx context.Context, tx bun.Tx, engine store.Engine, id string) (*model.Event, error) {
	e := new(model.Event)
	q := tx.NewSelect().Model(e).Where("id = ?", id)
	if engine == store.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, errEventNotFound)
	}
	return e, nil
}

// visibleTo hides drafts from who does not organize them.
func (s *Service) visibleTo(ctx context.Context, p access.Principal, e *model.Event) (bool, bool) {
	can := s.canManage(ctx, p, e.CollectiveID)
	return e.Status != model.EventDraft || can, can
}

// Get returns an event as its page shows it.
func (s *Service) Get(ctx context.Context, p access.Principal, id string) (*View, error) {
	const op = "event.Get"
	if !model.ValidID(id) {
		return nil, errEventNotFound
	}
	db := s.db.R
	e := new(model.Event)
	if err := db.NewSelect().Model(e).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, notFound(err, errEventNotFound))
	}
	ok, can := s.visibleTo(ctx, p, e)
	if !ok {
		return nil, errEventNotFound
	}
	v, err := s.view(ctx, db, e)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	v.CanManage = can
	return v, nil
}

func (s *Service) view(ctx context.Context, db bun.IDB, e *model.Event) (*View, error) {
	v := &View{Event: *e}
	if err := db.NewSelect().Model(&v.Collective).Where("id = ?", e.CollectiveID).Scan(ctx); err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&v.Partners).Where("event_id = ?", e.ID).OrderExpr("position, id").Scan(ctx); err != nil {
		return nil, err
	}
	var counts []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := db.NewSelect().Table("event_registrations").ColumnExpr("status, count(*) AS n").Where("event_id = ?", e.ID).
		Group("status").Scan(ctx, &counts); err != nil {
		return nil, err
	}
	for _, c := range counts {
		switch model.RegistrationStatus(c.Status) {
		case model.RegConfirmed:
			v.Confirmed = c.N
		case model.RegWaitlisted:
			v.Waitlisted = c.N
		}
	}
	v.Remaining = -1
	if e.Capacity > 0 {
		v.Remaining = max(0, e.Capacity-v.Confirmed)
	}
	v.RegistrationOpen, v.Closed = openState(e, s.now())
	return v, nil
}

// Filter selects events.
type Filter struct {
	Collective string // slug; "" for every collective
	// When: "upcoming" (not ended), "past", or "" for both.
	When string
}

// List is a list of events.
type List struct {
	Collective *model.Collective // when filtered on one
	Items      []*View
	CanCreate  bool
}

// MaxList bounds a list of events.
const MaxList = 200

// List returns published and cancelled events (and drafts to their
// organizers): upcoming ones soonest first, past ones latest first.
func (s *Service) List(ctx context.Context, p access.Principal, f Filter) (*List, error) {
	const op = "event.List"
	db := s.db.R
	out := &List{Items: []*View{}}
	q := db.NewSelect().Model((*model.Event)(nil))
	var manages []string
	if f.Collective != "" {
		c, err := collectiveBySlug(ctx, db, f.Collective)
		if err != nil {
			return nil, err
		}
		out.Collective = c
		q = q.Where("collective_id = ?", c.ID)
		if s.canManage(ctx, p, c.ID) {
			out.CanCreate = true
			manages = append(manages, c.ID)
		}
	}
	if len(manages) > 0 {
		q = q.Where("(status <> ? OR collective_id IN (?))", model.EventDraft, bun.List(manages))
	} else if p.IsAdmin() {
		// Instance administrators see drafts everywhere.
	} else {
		q = q.Where("status <> ?", model.EventDraft)
	}
	now := s.stamp()
	switch f.When {
	case "upcoming":
		q = q.Where("ends_at >= ?", now).OrderExpr("starts_at, id")
	case "past":
		q = q.Where("ends_at < ?", now).OrderExpr("starts_at DESC, id DESC")
	case "":
		q = q.OrderExpr("starts_at DESC, id DESC")
	default:
		return nil, fault.Field("when", "valeurs possibles : upcoming, past")
	}
	var rows []model.Event
	if err := q.Limit(MaxList).Scan(ctx, &rows); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for i := range rows {
		v, err := s.view(ctx, db, &rows[i])
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
