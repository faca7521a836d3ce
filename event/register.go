package event

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/account"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/territory"
)

// Category is an attendee category.
type Category struct{ ID, Label string }

// Categories lists the attendee categories, in the order forms show them.
func Categories() []Category {
	return []Category{
		{"collectivity", "Collectivité territoriale"},
		{"state", "Administration de l'État"},
		{"association", "Association"},
		{"company", "Entreprise"},
		{"citizen", "Citoyenne ou citoyen"},
	}
}

// CategoryLabel names a category in French.
func CategoryLabel(id string) string { return CategoryLabelIn(French, id) }

// StatusLabel names a registration status in French.
func StatusLabel(s model.RegistrationStatus) string { return StatusLabelIn(French, s) }

// ConsentText is what an attendee agrees to by registering.
const ConsentText = "J'accepte que mes nom, adresse e-mail, organisation et catégorie soient conservés pour l'organisation de cet événement, " +
	"communiqués à ses organisateurs, puis anonymisés après l'événement. Je peux consulter, modifier ou supprimer mon inscription depuis mon lien personnel."

// Registrant is what a person fills in to register.
type Registrant struct {
	Name           string
	Email          string
	OrganizationID string // from the directory, when picked there
	Organization   string // free text otherwise (matched with the directory by name)
	Category       string
	Workshops      []string // session IDs
	Consent        bool
	// Lang is the language of the page or request the registration is
	// made from (French or English; anything else counts as French): its
	// mails are written in it.
	Lang string
}

// Receipt is the outcome of a registration.
type Receipt struct {
	ID        string
	EventID   string
	Status    model.RegistrationStatus
	Workshops map[string]model.RegistrationStatus // session ID → status
}

// NormalizeEmail checks an address as accounts do (a dot in the domain)
// and returns it lower-cased.
func NormalizeEmail(v string) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) > 254 {
		return "", fault.Field("email", "adresse e-mail invalide")
	}
	return account.NormalizeEmail(v)
}

func checkRegistrant(in *Registrant) error {
	var err error
	if in.Name, err = cleanLine("name", in.Name, 200, true); err != nil {
		return err
	}
	if in.Email, err = NormalizeEmail(in.Email); err != nil {
		return err
	}
	if in.Organization, err = cleanLine("organization", in.Organization, 200, false); err != nil {
		return err
	}
	if CategoryLabel(in.Category) == in.Category {
		return fault.Field("category", "choisissez une catégorie : collectivity, state, association, company ou citizen")
	}
	if !in.Consent {
		return fault.Field("consent", "votre accord est nécessaire pour vous inscrire")
	}
	if len(in.Workshops) > 50 {
		return fault.Field("workshops", "trop d'ateliers choisis")
	}
	seen := map[string]bool{}
	ws := in.Workshops[:0:0]
	for _, w := range in.Workshops {
		if w == "" || seen[w] {
			continue
		}
		if !model.ValidID(w) {
			return fault.Field("workshops", "atelier inconnu")
		}
		seen[w] = true
		ws = append(ws, w)
	}
	in.Workshops = ws
	return nil
}

// Register registers a person (no account needed) to an event: confirmed
// while places remain, waitlisted after. The confirmation mail is
// enqueued in the same transaction.
func (s *Service) Register(ctx context.Context, _ access.Principal, eventID string, in Registrant) (*Receipt, error) {
	return s.register(ctx, eventID, in, nil)
}

// AddAttendee is an organizer's manual registration of someone: it is
// allowed outside the registration dates, and still respects capacities.
func (s *Service) AddAttendee(ctx context.Context, p access.Principal, eventID string, in Registrant) (*Receipt, error) {
	return s.register(ctx, eventID, in, &p)
}

func (s *Service) register(ctx context.Context, eventID string, in Registrant, organizer *access.Principal) (*Receipt, error) {
	const op = "event.Register"
	if err := checkRegistrant(&in); err != nil {
		return nil, err
	}
	var out *Receipt
	err := s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if organizer != nil {
			if err := manager(ctx, tx, *organizer, e.CollectiveID, op); err != nil {
				return err
			}
			if e.Status == model.EventCancelled {
				return fault.New(fault.Gone, "l'événement est annulé")
			}
		} else {
			if e.Status == model.EventDraft {
				return errEventNotFound
			}
			if ok, why := openState(e, s.now()); !ok {
				return closedFault(why, false)
			}
		}
		dup, err := tx.NewSelect().Model((*model.Registration)(nil)).
			Where("event_id = ? AND email = ? AND status <> ?", e.ID, in.Email, model.RegCancelled).Exists(ctx)
		if err != nil {
			return err
		}
		if dup {
			return errDuplicate
		}
		if len(in.Workshops) > 0 {
			n, err := tx.NewSelect().Model((*model.EventSession)(nil)).
				Where("event_id = ? AND kind = ? AND id IN (?)", e.ID, model.SessionWorkshop, bun.List(in.Workshops)).Count(ctx)
			if err != nil {
				return err
			}
			if int(n) != len(in.Workshops) {
				return fault.Field("workshops", "atelier inconnu pour cet événement")
			}
		}
		if err := s.matchOrganization(ctx, tx, &in); err != nil {
			return err
		}
		now := s.stamp()
		r := &model.Registration{ID: model.NewID(), EventID: e.ID, Email: in.Email, Name: in.Name, OrganizationID: in.OrganizationID,
			Organization: in.Organization, Category: in.Category, Status: model.RegWaitlisted, Lang: Lang(in.Lang), ConsentAt: now, CreatedAt: now, UpdatedAt: now}
		if e.Capacity == 0 {
			r.Status = model.RegConfirmed
		} else {
			n, err := tx.NewSelect().Model((*model.Registration)(nil)).Where("event_id = ? AND status = ?", e.ID, model.RegConfirmed).Count(ctx)
			if err != nil {
				return err
			}
			if int(n) < e.Capacity {
				r.Status = model.RegConfirmed
			}
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return errDuplicate
			}
			return err
		}
		out = &Receipt{ID: r.ID, EventID: e.ID, Status: r.Status, Workshops: map[string]model.RegistrationStatus{}}
		for _, w := range in.Workshops {
			st, err := s.choose(ctx, tx, r, w, now)
			if err != nil {
				return err
			}
			out.Workshops[w] = st
		}
		if s.queue != nil {
			return s.queue.Enqueue(ctx, tx, ConfirmationMail{RegistrationID: r.ID})
		}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

var errDuplicate = fault.New(fault.Conflict, "cette adresse e-mail est déjà inscrite à cet événement")

// matchOrganization links the registration to the directory: by the ID
// picked, or by the exact (normalized) name typed.
func (s *Service) matchOrganization(ctx context.Context, tx bun.Tx, in *Registrant) error {
	if in.OrganizationID != "" {
		var name string
		err := tx.NewSelect().Table("organizations").Column("name").Where("id = ?", in.OrganizationID).Scan(ctx, &name)
		if notFound(err, nil) != nil {
			return err
		}
		if err != nil || !model.ValidID(in.OrganizationID) {
			return fault.Field("organization_id", "organisation inconnue de l'annuaire")
		}
		in.Organization = name
		return nil
	}
	if in.Organization == "" {
		return nil
	}
	var ids []string
	if err := tx.NewSelect().Table("organizations").Column("id").Where("name_norm = ?", territory.Normalize(in.Organization)).
		Limit(2).Scan(ctx, &ids); err != nil {
		return err
	}
	if len(ids) == 1 {
		in.OrganizationID = ids[0]
	}
	return nil
}

// choose gives r a seat in workshop w, or a place in its line.
func (s *Service) choose(ctx context.Context, tx bun.Tx, r *model.Registration, w string, now time.Time) (model.RegistrationStatus, error) {
	var cap int
	if err := tx.NewSelect().Model((*model.EventSession)(nil)).Column("capacity").Where("id = ?", w).Scan(ctx, &cap); err != nil {
		return "", err
	}
	st := model.RegWaitlisted
	if r.Status == model.RegConfirmed {
		if cap == 0 {
			st = model.RegConfirmed
		} else {
			n, err := tx.NewSelect().Model((*model.EventChoice)(nil)).Where("session_id = ? AND status = ?", w, model.RegConfirmed).Count(ctx)
			if err != nil {
				return "", err
			}
			if int(n) < cap {
				st = model.RegConfirmed
			}
		}
	}
	c := &model.EventChoice{RegistrationID: r.ID, SessionID: w, Status: st, CreatedAt: now}
	_, err := tx.NewInsert().Model(c).Exec(ctx)
	return st, err
}

// fillEvent promotes, in order of registration, the waitlisted people for
// whom places have opened, then fills each workshop the same way; each
// promoted person gets a mail.
func (s *Service) fillEvent(ctx context.Context, tx bun.Tx, e *model.Event) error {
	if e.Status == model.EventCancelled {
		return nil
	}
	q := tx.NewSelect().Model((*model.Registration)(nil)).Column("id").
		Where("event_id = ? AND status = ?", e.ID, model.RegWaitlisted).OrderExpr("created_at, id")
	if e.Capacity > 0 {
		n, err := tx.NewSelect().Model((*model.Registration)(nil)).Where("event_id = ? AND status = ?", e.ID, model.RegConfirmed).Count(ctx)
		if err != nil {
			return err
		}
		free := e.Capacity - int(n)
		if free <= 0 {
			q = nil
		} else {
			q = q.Limit(int64(free))
		}
	}
	if q != nil {
		var ids []string
		if err := q.Scan(ctx, &ids); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.NewUpdate().Model((*model.Registration)(nil)).Set("status = ?", model.RegConfirmed).
				Set("updated_at = ?", s.stamp()).Where("id = ?", id).Exec(ctx); err != nil {
				return err
			}
			if s.queue != nil {
				if err := s.queue.Enqueue(ctx, tx, PromotedMail{RegistrationID: id}); err != nil {
					return err
				}
			}
		}
	}
	var workshops []model.EventSession
	if err := tx.NewSelect().Model(&workshops).Where("event_id = ? AND kind = ?", e.ID, model.SessionWorkshop).OrderExpr("id").Scan(ctx); err != nil {
		return err
	}
	for _, w := range workshops {
		if err := s.fillSession(ctx, tx, w); err != nil {
			return err
		}
	}
	return nil
}

// fillSession seats, in order, waitlisted choices of confirmed attendees.
func (s *Service) fillSession(ctx context.Context, tx bun.Tx, w model.EventSession) error {
	q := tx.NewSelect().TableExpr("event_choices AS c").Join("JOIN event_registrations AS r ON r.id = c.registration_id").
		Column("c.registration_id").Where("c.session_id = ? AND c.status = ? AND r.status = ?", w.ID, model.RegWaitlisted, model.RegConfirmed).
		OrderExpr("c.created_at, r.created_at, r.id")
	if w.Capacity > 0 {
		n, err := tx.NewSelect().Model((*model.EventChoice)(nil)).Where("session_id = ? AND status = ?", w.ID, model.RegConfirmed).Count(ctx)
		if err != nil {
			return err
		}
		free := w.Capacity - int(n)
		if free <= 0 {
			return nil
		}
		q = q.Limit(int64(free))
	}
	var ids []string
	if err := q.Scan(ctx, &ids); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.NewUpdate().Model((*model.EventChoice)(nil)).Set("status = ?", model.RegConfirmed).
			Where("registration_id = ? AND session_id = ?", id, w.ID).Exec(ctx); err != nil {
			return err
		}
		if s.queue != nil {
			if err := s.queue.Enqueue(ctx, tx, PromotedMail{RegistrationID: id, SessionID: w.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// --- the private link ---

// newToken returns a random 256-bit token and its stored hash.
func newToken() (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var errBadLink = fault.New(fault.NotFound, "ce lien d'inscription n'est pas valide (ou l'inscription a été supprimée)")

// validToken checks a token's shape before any lookup.
func validToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 32
}

// Choice is a workshop chosen by an attendee.
type Choice struct {
	Session SessionView
	Status  model.RegistrationStatus
}

// Mine is a registration seen from its private link.
type Mine struct {
	model.Registration
	Event     *View
	Programme *Programme
	Choices   []Choice
	Position  int // in the waiting list, 1 first; 0 when not waitlisted
}

// Chose reports whether the attendee chose the session.
func (m *Mine) Chose(sessionID string) bool {
	for _, c := range m.Choices {
		if c.Session.ID == sessionID {
			return true
		}
	}
	return false
}

// ByToken returns the registration of a private link.
func (s *Service) ByToken(ctx context.Context, token string) (*Mine, error) {
	const op = "event.ByToken"
	if !validToken(token) {
		return nil, errBadLink
	}
	db := s.db.R
	r := new(model.Registration)
	if err := db.NewSelect().Model(r).Where("token_hash = ?", HashToken(token)).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, notFound(err, errBadLink))
	}
	e := new(model.Event)
	if err := db.NewSelect().Model(e).Where("id = ?", r.EventID).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	v, err := s.view(ctx, db, e)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	pr, err := s.programme(ctx, db, v)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	m := &Mine{Registration: *r, Event: v, Programme: pr}
	var choices []model.EventChoice
	if err := db.NewSelect().Model(&choices).Where("registration_id = ?", r.ID).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for _, ses := range pr.Sessions {
		for _, c := range choices {
			if c.SessionID == ses.ID {
				m.Choices = append(m.Choices, Choice{Session: ses, Status: c.Status})
			}
		}
	}
	if r.Status == model.RegWaitlisted {
		n, err := db.NewSelect().Model((*model.Registration)(nil)).Where("event_id = ? AND status = ?", r.EventID, model.RegWaitlisted).
			Where("(created_at < ? OR (created_at = ? AND id <= ?))", r.CreatedAt, r.CreatedAt, r.ID).Count(ctx)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		m.Position = int(n)
	}
	return m, nil
}

// withToken runs fn on the registration of token, holding its event.
func (s *Service) withToken(ctx context.Context, op, token string, fn func(ctx context.Context, tx bun.Tx, e *model.Event, r *model.Registration) error) error {
	if !validToken(token) {
		return errBadLink
	}
	var eventID string
	if err := s.db.R.NewSelect().Model((*model.Registration)(nil)).Column("event_id").Where("token_hash = ?", HashToken(token)).Scan(ctx, &eventID); err != nil {
		return fault.Wrap(op, notFound(err, errBadLink))
	}
	return fault.Wrap(op, s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		r := new(model.Registration)
		if err := tx.NewSelect().Model(r).Where("token_hash = ? AND event_id = ?", HashToken(token), e.ID).Scan(ctx); err != nil {
			return notFound(err, errBadLink)
		}
		return fn(ctx, tx, e, r)
	}))
}

// CancelMine cancels the registration of a private link; the first
// waitlisted person takes the place (and is told by mail).
func (s *Service) CancelMine(ctx context.Context, token string) error {
	return s.withToken(ctx, "event.CancelMine", token, func(ctx context.Context, tx bun.Tx, e *model.Event, r *model.Registration) error {
		if r.Status == model.RegCancelled {
			return nil // already done: a second click changes nothing
		}
		if _, err := tx.NewDelete().Model((*model.EventChoice)(nil)).Where("registration_id = ?", r.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(r).Set("status = ?", model.RegCancelled).Set("updated_at = ?", s.stamp()).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.fillEvent(ctx, tx, e)
	})
}

// DeleteMine deletes the registration of a private link and everything it
// held; the link stops working.
func (s *Service) DeleteMine(ctx context.Context, token string) error {
	return s.withToken(ctx, "event.DeleteMine", token, func(ctx context.Context, tx bun.Tx, e *model.Event, r *model.Registration) error {
		if _, err := tx.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.fillEvent(ctx, tx, e)
	})
}

// ChangeMine replaces the workshops chosen from a private link: kept
// choices keep their seat or place in line, new ones join the end.
func (s *Service) ChangeMine(ctx context.Context, token string, workshops []string) error {
	in := Registrant{Name: "x", Email: "x@x.x", Category: "citizen", Consent: true, Workshops: workshops}
	if err := checkRegistrant(&in); err != nil {
		return err
	}
	return s.withToken(ctx, "event.ChangeMine", token, func(ctx context.Context, tx bun.Tx, e *model.Event, r *model.Registration) error {
		if r.Status == model.RegCancelled {
			return fault.New(fault.Conflict, "cette inscription est annulée")
		}
		if ok, why := openState(e, s.now()); !ok {
			return closedFault(why, true)
		}
		if len(in.Workshops) > 0 {
			n, err := tx.NewSelect().Model((*model.EventSession)(nil)).
				Where("event_id = ? AND kind = ? AND id IN (?)", e.ID, model.SessionWorkshop, bun.List(in.Workshops)).Count(ctx)
			if err != nil {
				return err
			}
			if int(n) != len(in.Workshops) {
				return fault.Field("workshops", "atelier inconnu pour cet événement")
			}
		}
		var have []string
		if err := tx.NewSelect().Model((*model.EventChoice)(nil)).Column("session_id").Where("registration_id = ?", r.ID).Scan(ctx, &have); err != nil {
			return err
		}
		for _, h := range have {
			if !slices.Contains(in.Workshops, h) {
				if _, err := tx.NewDelete().Model((*model.EventChoice)(nil)).Where("registration_id = ? AND session_id = ?", r.ID, h).Exec(ctx); err != nil {
					return err
				}
			}
		}
		now := s.stamp()
		for _, w := range in.Workshops {
			if !slices.Contains(have, w) {
				if _, err := s.choose(ctx, tx, r, w, now); err != nil {
					return err
				}
			}
		}
		return s.fillEvent(ctx, tx, e)
	})
}
