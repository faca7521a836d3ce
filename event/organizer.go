package event

import (
	"context"
	"encoding/csv"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/territory"
)

// AttendeeFilter selects attendees on the organizers' list.
type AttendeeFilter struct {
	Status   string // confirmed, waitlisted, cancelled; "" for all but cancelled
	Category string
	Q        string // part of the name, e-mail or organization
}

// Attendee is a registration on the organizers' list.
type Attendee struct {
	model.Registration
	Workshops []Seat
}

// Seat is a workshop an attendee chose: a seat, or a place in its line.
type Seat struct {
	Title      string
	Waitlisted bool
}

// RemoteHost is the server of a remote participant (who joined through
// ActivityPub), "" for a registration on the hub.
func (a Attendee) RemoteHost() string {
	if a.RemoteActor == "" {
		return ""
	}
	u, err := url.Parse(a.RemoteActor)
	if err != nil {
		return ""
	}
	return u.Host
}

// CategoryCount is how many attendees of a category are confirmed and waitlisted.
type CategoryCount struct {
	Category              Category
	Confirmed, Waitlisted int
	CheckedIn             int
}

// Attendees is the organizers' list of an event's attendees.
type Attendees struct {
	Event  *View
	Filter AttendeeFilter
	Items  []Attendee
	Counts []CategoryCount
}

// MaxAttendees bounds one list (the yearly conference has about 350).
const MaxAttendees = 5000

// Attendees returns the attendees of an event, for its organizers.
func (s *Service) Attendees(ctx context.Context, p access.Principal, eventID string, f AttendeeFilter) (*Attendees, error) {
	const op = "event.Attendees"
	v, err := s.Get(ctx, p, eventID)
	if err != nil {
		return nil, err
	}
	if err := manager(ctx, s.db.R, p, v.CollectiveID, op); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", string(model.RegConfirmed), string(model.RegWaitlisted), string(model.RegCancelled):
	default:
		return nil, fault.Field("status", "statut inconnu")
	}
	if f.Category != "" && CategoryLabel(f.Category) == f.Category {
		return nil, fault.Field("category", "catégorie inconnue")
	}
	f.Q, _ = cleanLine("q", f.Q, 100, false)
	db := s.db.R
	q := db.NewSelect().Model((*model.Registration)(nil)).Where("event_id = ?", v.ID)
	if f.Status == "" {
		q = q.Where("status <> ?", model.RegCancelled)
	} else {
		q = q.Where("status = ?", f.Status)
	}
	if f.Category != "" {
		q = q.Where("category = ?", f.Category)
	}
	if f.Q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Q)) + "%"
		q = q.Where("(lower(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR lower(organization) LIKE ? ESCAPE '\\')", like, like, like)
	}
	var regs []model.Registration
	if err := q.OrderExpr("status, created_at, id").Limit(MaxAttendees).Scan(ctx, &regs); err != nil {
		return nil, fault.Wrap(op, err)
	}
	out := &Attendees{Event: v, Filter: f}
	var choices []struct {
		RegistrationID string `bun:"registration_id"`
		Title          string `bun:"title"`
		Status         string `bun:"status"`
	}
	if err := db.NewSelect().TableExpr("event_choices AS c").Join("JOIN event_sessions AS s ON s.id = c.session_id").
		ColumnExpr("c.registration_id, s.title, c.status").Where("s.event_id = ?", v.ID).OrderExpr("s.starts_at, s.title").Scan(ctx, &choices); err != nil {
		return nil, fault.Wrap(op, err)
	}
	byReg := map[string][]Seat{}
	for _, c := range choices {
		byReg[c.RegistrationID] = append(byReg[c.RegistrationID], Seat{Title: c.Title, Waitlisted: c.Status == string(model.RegWaitlisted)})
	}
	for _, r := range regs {
		out.Items = append(out.Items, Attendee{Registration: r, Workshops: byReg[r.ID]})
	}
	var counts []struct {
		Category  string `bun:"category"`
		Status    string `bun:"status"`
		N         int    `bun:"n"`
		CheckedIn int    `bun:"checked_in"`
	}
	if err := db.NewSelect().Model((*model.Registration)(nil)).
		ColumnExpr("category, status, count(*) AS n, count(checked_in_at) AS checked_in").
		Where("event_id = ? AND status <> ?", v.ID, model.RegCancelled).Group("category", "status").Scan(ctx, &counts); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for _, c := range Categories() {
		cc := CategoryCount{Category: c}
		for _, n := range counts {
			if n.Category != c.ID {
				continue
			}
			if n.Status == string(model.RegConfirmed) {
				cc.Confirmed = n.N
			} else {
				cc.Waitlisted = n.N
			}
			cc.CheckedIn += n.CheckedIn
		}
		out.Counts = append(out.Counts, cc)
	}
	return out, nil
}

// WriteCSV writes the list as CSV (UTF-8 with a byte-order mark, so that
// spreadsheet programs read the accents right), its header and labels in
// lang, the organizer's language. Cells that a spreadsheet would take for
// a formula are prefixed with a quote.
func (a *Attendees) WriteCSV(w io.Writer, lang string) error {
	words := wordsIn(lang)
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(words.csvHeader); err != nil {
		return err
	}
	loc := Paris()
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	for _, r := range a.Items {
		var seats []string
		for _, s := range r.Workshops {
			if s.Waitlisted {
				s.Title += words.waiting
			}
			seats = append(seats, s.Title)
		}
		row := []string{r.Name, r.Email, r.Organization, CategoryLabelIn(lang, r.Category), StatusLabelIn(lang, r.Status),
			strings.Join(seats, " ; "), stamp(r.CreatedAt), stamp(r.CheckedInAt)}
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				row[i] = "'" + c
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CheckIn marks an attendee arrived (or not, with undo).
func (s *Service) CheckIn(ctx context.Context, p access.Principal, eventID, regID string, undo bool) (*model.Registration, error) {
	const op = "event.CheckIn"
	if !model.ValidID(regID) {
		return nil, fault.New(fault.NotFound, "inscription introuvable")
	}
	return s.checkIn(ctx, p, op, eventID, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("id = ?", regID) }, undo)
}

// CheckInByCode marks arrived the attendee whose QR code was scanned.
func (s *Service) CheckInByCode(ctx context.Context, p access.Principal, eventID, code string) (*model.Registration, error) {
	const op = "event.CheckInByCode"
	if !validToken(code) {
		return nil, fault.New(fault.NotFound, "code d'accueil inconnu")
	}
	return s.checkIn(ctx, p, op, eventID, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("checkin_hash = ?", HashToken(code)) }, false)
}

func (s *Service) checkIn(ctx context.Context, p access.Principal, op, eventID string, where func(*bun.SelectQuery) *bun.SelectQuery, undo bool) (*model.Registration, error) {
	r := new(model.Registration)
	err := s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if err := manager(ctx, tx, p, e.CollectiveID, op); err != nil {
			return err
		}
		if err := where(tx.NewSelect().Model(r).Where("event_id = ?", e.ID)).Scan(ctx); err != nil {
			return notFound(err, fault.New(fault.NotFound, "inscription introuvable pour cet événement"))
		}
		switch r.Status {
		case model.RegConfirmed:
			// The one status that checks in.
		case model.RegWaitlisted:
			return fault.New(fault.Conflict, "cette inscription est en liste d'attente")
		case model.RegCancelled:
			return fault.New(fault.Conflict, "cette inscription est annulée")
		default:
			return fault.New(fault.Conflict, "cette inscription n'est pas confirmée")
		}
		var at any // nil: NULL, not arrived
		if undo {
			r.CheckedInAt = time.Time{}
		} else {
			if !r.CheckedInAt.IsZero() {
				return nil // scanned twice: the first arrival stays
			}
			r.CheckedInAt = s.stamp()
			at = r.CheckedInAt
		}
		_, err := tx.NewUpdate().Model(r).Set("checked_in_at = ?", at).WherePK().Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return r, nil
}

// Organization is a directory entry offered on the registration form.
type Organization struct{ ID, Name string }

// MatchOrganizations returns up to limit organizations of the directory
// whose name starts like q, for the registration form's suggestions.
func (s *Service) MatchOrganizations(ctx context.Context, q string, limit int) ([]Organization, error) {
	q = territory.Normalize(q)
	if len(q) < 2 {
		return nil, nil
	}
	var out []Organization
	err := s.db.R.NewSelect().Table("organizations").ColumnExpr("id, name").Where("name_norm LIKE ?", q+"%").
		OrderExpr("population DESC, name").Limit(int64(limit)).Scan(ctx, &out)
	return out, fault.Wrap("event.MatchOrganizations", err)
}

// CategoryLabel names the attendee's category in French.
func (a Attendee) CategoryLabel() string { return CategoryLabel(a.Category) }

// StatusLabel names the registration's status in French.
func (a Attendee) StatusLabel() string { return StatusLabel(a.Status) }
