package server

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/event"
	"collectif/fault"
	"collectif/model"
)

// eventRoutes registers the pages and API of events.
func (s *Server) eventRoutes() {
	a := s.app
	e := s.needEvents
	a.Get("/evenements", e, s.eventList)
	a.Get("/c/:slug/evenements", e, s.collectiveEvents)
	a.Get("/c/:slug/evenements/nouveau", e, s.requireLogin, s.eventNewPage)
	a.Post("/c/:slug/evenements", e, s.requireLogin, s.eventCreate)
	// The private link's routes come before /evenements/:id/… ones.
	a.Get("/evenements/inscription/:token", e, s.minePage)
	a.Post("/evenements/inscription/:token/ateliers", e, s.mineChange)
	a.Post("/evenements/inscription/:token/annuler", e, s.mineCancel)
	a.Post("/evenements/inscription/:token/supprimer", e, s.mineDelete)
	a.Get("/evenements/:id", e, s.eventPage)
	a.Post("/evenements/:id/inscription", e, s.eventRegister)
	a.Get("/evenements/:id/programme", e, s.programmePage)
	a.Get("/evenements/:id/modifier", e, s.requireLogin, s.eventEditPage)
	a.Post("/evenements/:id/modifier", e, s.requireLogin, s.eventUpdate)
	a.Post("/evenements/:id/publier", e, s.requireLogin, s.eventPublish)
	a.Post("/evenements/:id/annuler", e, s.requireLogin, s.eventCancel)
	a.Post("/evenements/:id/seances", e, s.requireLogin, s.sessionAdd)
	a.Post("/evenements/:id/seances/:session/supprimer", e, s.requireLogin, s.sessionDelete)
	a.Get("/evenements/:id/inscrits", e, s.requireLogin, s.attendeesPage)
	a.Get("/evenements/:id/inscrits.csv", e, s.requireLogin, s.attendeesCSV)
	a.Post("/evenements/:id/inscrits", e, s.requireLogin, s.attendeeAdd)
	a.Get("/evenements/:id/accueil", e, s.requireLogin, s.checkinPage)
	a.Get("/evenements/:id/accueil/:code", e, s.requireLogin, s.checkinCode)
	a.Post("/evenements/:id/accueil/:registration", e, s.requireLogin, s.checkinMark)

	a.Get("/api/v1/events", e, s.apiEvents)
	a.Get("/api/v1/events/:id", e, s.apiEvent)
	a.Get("/api/v1/events/:id/programme", e, s.apiProgramme)
	a.Get("/api/v1/events/:id/calendar.ics", e, s.eventICS)
	a.Post("/api/v1/events/:id/registrations", e, s.apiRegister)
	a.Get("/api/v1/collectives/:slug/calendar.ics", e, s.collectiveICS)
}

func (s *Server) needEvents(c *fiber.Ctx) error {
	if s.d.Events == nil {
		return &fault.Error{Kind: fault.Unavailable, Message: "les événements ne sont pas disponibles sur ce hub"}
	}
	return c.Next()
}

// --- public pages ---

type eventListData struct {
	List       *event.List
	Upcoming   []*event.View
	Past       []*event.View
	Collective *model.Collective
}

func (s *Server) renderList(c *fiber.Ctx, slug string) error {
	l, err := s.d.Events.List(c.UserContext(), principal(c), event.Filter{Collective: slug})
	if err != nil {
		return err
	}
	d := eventListData{List: l, Collective: l.Collective}
	now := time.Now()
	for _, v := range l.Items {
		if v.EndsAt.Before(now) {
			d.Past = append(d.Past, v)
		} else {
			d.Upcoming = append([]*event.View{v}, d.Upcoming...) // soonest first
		}
	}
	return s.render(c, "events", "events", d)
}

func (s *Server) eventList(c *fiber.Ctx) error { return s.renderList(c, "") }

func (s *Server) collectiveEvents(c *fiber.Ctx) error { return s.renderList(c, c.Params("slug")) }

type eventPageData struct {
	Event      *event.View
	Programme  *event.Programme
	Categories []event.Category
	Likes      int    // Likes received from the network
	Closed     string // the message saying why registration is closed
	Values     registrantValues
	Error      string
	Field      string
}

type registrantValues struct {
	Name, Email, Organization, Category string
	Workshops                           map[string]bool
	Consent                             bool
}

func (s *Server) eventPageWith(c *fiber.Ctx, d eventPageData) error {
	pr, err := s.d.Events.Programme(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	d.Event, d.Programme, d.Categories = pr.Event, pr, event.Categories()
	if s.d.Federation != nil {
		if d.Likes, err = s.d.Federation.Likes(c.UserContext(), strings.TrimRight(s.d.BaseURL.String(), "/")+"/evenements/"+pr.Event.ID); err != nil {
			return err
		}
	}
	d.Closed = "event.closed_" + string(pr.Event.Closed)
	if pr.Event.Closed == "" {
		d.Closed = "event.closed_over"
	}
	if d.Error != "" {
		c.Status(statusOf(fault.Invalid))
	}
	return s.render(c, "event", "events", d)
}

func (s *Server) eventPage(c *fiber.Ctx) error { return s.eventPageWith(c, eventPageData{}) }

// registrantOf reads the registration form. The registration takes the
// page's language, in which its mails are written (for a person an
// organizer adds, the organizer's).
func registrantOf(c *fiber.Ctx) (event.Registrant, registrantValues) {
	in := event.Registrant{Name: c.FormValue("name"), Email: c.FormValue("email"), Organization: c.FormValue("organization"),
		Category: c.FormValue("category"), Consent: c.FormValue("consent") == "1", Lang: lang(c)}
	v := registrantValues{Name: in.Name, Email: in.Email, Organization: in.Organization, Category: in.Category, Workshops: map[string]bool{},
		Consent: in.Consent}
	if args := c.Request().PostArgs(); args != nil {
		for _, w := range args.PeekMulti("workshops") {
			in.Workshops = append(in.Workshops, string(w))
			v.Workshops[string(w)] = true
		}
	}
	return in, v
}

type registeredData struct {
	Event   *event.View
	Receipt *event.Receipt
	Email   string
}

func (s *Server) eventRegister(c *fiber.Ctx) error {
	in, vals := registrantOf(c)
	r, err := s.d.Events.Register(c.UserContext(), principal(c), c.Params("id"), in)
	if fault.Is(err, fault.Invalid) || fault.Is(err, fault.Conflict) || fault.Is(err, fault.Gone) {
		return s.eventPageWith(c, eventPageData{Values: vals, Error: s.faultText(c, err), Field: fault.FieldOf(err)})
	}
	if err != nil {
		return err
	}
	v, err := s.d.Events.Get(c.UserContext(), principal(c), r.EventID)
	if err != nil {
		return err
	}
	return s.render(c, "event_registered", "events", registeredData{Event: v, Receipt: r, Email: strings.TrimSpace(in.Email)})
}

func (s *Server) programmePage(c *fiber.Ctx) error {
	pr, err := s.d.Events.Programme(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, "event_programme", "events", pr)
}

// --- the private link ---

type mineData struct {
	Mine  *event.Mine
	Token string
	Done  string
}

func (s *Server) minePage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the link is the key
	m, err := s.d.Events.ByToken(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "event_mine", "events", mineData{Mine: m, Token: c.Params("token"), Done: c.Query("ok")})
}

func (s *Server) mineChange(c *fiber.Ctx) error {
	var ws []string
	for _, w := range c.Request().PostArgs().PeekMulti("workshops") {
		ws = append(ws, string(w))
	}
	if err := s.d.Events.ChangeMine(c.UserContext(), c.Params("token"), ws); err != nil {
		return err
	}
	return c.Redirect("/evenements/inscription/"+c.Params("token")+"?ok=ateliers", fiber.StatusSeeOther)
}

func (s *Server) mineCancel(c *fiber.Ctx) error {
	if err := s.d.Events.CancelMine(c.UserContext(), c.Params("token")); err != nil {
		return err
	}
	return c.Redirect("/evenements/inscription/"+c.Params("token")+"?ok=annulee", fiber.StatusSeeOther)
}

func (s *Server) mineDelete(c *fiber.Ctx) error {
	if err := s.d.Events.DeleteMine(c.UserContext(), c.Params("token")); err != nil {
		return err
	}
	s.flash(c, "event.flash_data_deleted")
	return c.Redirect("/evenements", fiber.StatusSeeOther)
}

// --- organizers ---

type eventFormData struct {
	Action     string
	Editing    bool
	Event      *event.View
	Programme  *event.Programme
	Collective model.Collective
	Values     map[string]string
	// SessionValues keep what was typed in the new session's form.
	SessionValues map[string]string
	Kinds         []model.SessionKind
	Error         string
	Field         string
}

func sessionKinds() []model.SessionKind {
	return []model.SessionKind{model.SessionTalk, model.SessionWorkshop, model.SessionRoundTable}
}

func localValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(event.Paris()).Format("2006-01-02T15:04")
}

func eventValues(v *event.View) map[string]string {
	m := map[string]string{"title": v.Title, "summary": v.Summary, "description": v.Description, "starts_at": localValue(v.StartsAt),
		"ends_at": localValue(v.EndsAt), "venue": v.Venue, "address": v.Address, "accessibility": v.Accessibility,
		"stream_url": v.StreamURL, "replay_url": v.ReplayURL, "capacity": strconv.Itoa(v.Capacity),
		"registration_opens_at": localValue(v.RegistrationOpensAt), "registration_closes_at": localValue(v.RegistrationClosesAt)}
	var co, pa []string
	for _, p := range v.Partners {
		l := p.Name
		if p.URL != "" {
			l += " | " + p.URL
		}
		if p.Role == "coorganizer" {
			co = append(co, l)
		} else {
			pa = append(pa, l)
		}
	}
	m["coorganizers"], m["partners"] = strings.Join(co, "\n"), strings.Join(pa, "\n")
	return m
}

var formFields = []string{"title", "summary", "description", "starts_at", "ends_at", "venue", "address", "accessibility", "stream_url",
	"replay_url", "capacity", "registration_opens_at", "registration_closes_at", "coorganizers", "partners"}

// eventInput reads the event form; dates are Paris time.
func eventInput(c *fiber.Ctx) (event.Input, map[string]string, error) {
	vals := map[string]string{}
	for _, f := range formFields {
		vals[f] = c.FormValue(f)
	}
	in := event.Input{Title: vals["title"], Summary: vals["summary"], Description: vals["description"], Venue: vals["venue"],
		Address: vals["address"], Accessibility: vals["accessibility"], StreamURL: vals["stream_url"], ReplayURL: vals["replay_url"]}
	var err error
	for _, d := range []struct {
		field    string
		dst      *time.Time
		required bool
	}{{"starts_at", &in.StartsAt, true}, {"ends_at", &in.EndsAt, true}, {"registration_opens_at", &in.RegistrationOpensAt, false}, {"registration_closes_at", &in.RegistrationClosesAt, false}} {
		if strings.TrimSpace(vals[d.field]) == "" && !d.required {
			continue
		}
		if *d.dst, err = event.ParseLocal(vals[d.field]); err != nil {
			return in, vals, fault.Field(d.field, "date et heure attendues (AAAA-MM-JJ HH:MM, heure de Paris)")
		}
	}
	if v := strings.TrimSpace(vals["capacity"]); v != "" {
		if in.Capacity, err = strconv.Atoi(v); err != nil {
			return in, vals, fault.Field("capacity", "un nombre de places est attendu (0 : sans limite)")
		}
	}
	for role, field := range map[string]string{"coorganizer": "coorganizers", "partner": "partners"} {
		for _, l := range strings.Split(vals[field], "\n") {
			name, link, _ := strings.Cut(l, "|")
			if strings.TrimSpace(name) == "" {
				continue
			}
			in.Partners = append(in.Partners, event.Partner{Role: role, Name: name, URL: strings.TrimSpace(link)})
		}
	}
	return in, vals, nil
}

func (s *Server) eventNewPage(c *fiber.Ctx) error {
	l, err := s.d.Events.List(c.UserContext(), principal(c), event.Filter{Collective: c.Params("slug"), When: "upcoming"})
	if err != nil {
		return err
	}
	if !l.CanCreate {
		return fault.New(fault.Forbidden, "seuls les administrateurs du collectif organisent ses événements")
	}
	return s.render(c, "event_form", "events", eventFormData{Action: "/c/" + l.Collective.Slug + "/evenements", Collective: *l.Collective,
		Values: map[string]string{"capacity": "0"}, Kinds: sessionKinds()})
}

func (s *Server) eventCreate(c *fiber.Ctx) error {
	in, vals, err := eventInput(c)
	if err == nil {
		var v *event.View
		if v, err = s.d.Events.Create(c.UserContext(), principal(c), c.Params("slug"), in); err == nil {
			s.flash(c, "event_form.flash_created")
			return c.Redirect("/evenements/"+v.ID+"/modifier", fiber.StatusSeeOther)
		}
	}
	if !fault.Is(err, fault.Invalid) {
		return err
	}
	l, lerr := s.d.Events.List(c.UserContext(), principal(c), event.Filter{Collective: c.Params("slug"), When: "upcoming"})
	if lerr != nil {
		return lerr
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "event_form", "events", eventFormData{Action: "/c/" + l.Collective.Slug + "/evenements", Collective: *l.Collective,
		Values: vals, Kinds: sessionKinds(), Error: s.faultText(c, err), Field: fault.FieldOf(err)})
}

func (s *Server) editData(c *fiber.Ctx) (*eventFormData, error) {
	pr, err := s.d.Events.Programme(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !pr.Event.CanManage {
		return nil, fault.New(fault.Forbidden, "seuls les administrateurs du collectif organisent ses événements")
	}
	return &eventFormData{Action: "/evenements/" + pr.Event.ID + "/modifier", Editing: true, Event: pr.Event, Programme: pr,
		Collective: pr.Event.Collective, Values: eventValues(pr.Event), Kinds: sessionKinds()}, nil
}

func (s *Server) eventEditPage(c *fiber.Ctx) error {
	d, err := s.editData(c)
	if err != nil {
		return err
	}
	return s.render(c, "event_form", "events", d)
}

func (s *Server) eventFormError(c *fiber.Ctx, err error, vals map[string]string) error {
	if !fault.Is(err, fault.Invalid) && !fault.Is(err, fault.Conflict) {
		return err
	}
	d, derr := s.editData(c)
	if derr != nil {
		return derr
	}
	if vals != nil {
		d.Values = vals
	}
	d.Error, d.Field = s.faultText(c, err), fault.FieldOf(err)
	c.Status(statusOf(fault.KindOf(err)))
	return s.render(c, "event_form", "events", d)
}

// sessionFormError shows the edit page again with the new session's
// form as it was typed and its error.
func (s *Server) sessionFormError(c *fiber.Ctx, err error, vals map[string]string) error {
	if !fault.Is(err, fault.Invalid) && !fault.Is(err, fault.Conflict) {
		return err
	}
	d, derr := s.editData(c)
	if derr != nil {
		return derr
	}
	d.SessionValues = vals
	d.Error, d.Field = s.faultText(c, err), fault.FieldOf(err)
	c.Status(statusOf(fault.KindOf(err)))
	return s.render(c, "event_form", "events", d)
}

func (s *Server) eventUpdate(c *fiber.Ctx) error {
	in, vals, err := eventInput(c)
	if err == nil {
		if _, err = s.d.Events.Update(c.UserContext(), principal(c), c.Params("id"), in); err == nil {
			s.flash(c, "event_form.flash_saved")
			return c.Redirect("/evenements/"+c.Params("id")+"/modifier", fiber.StatusSeeOther)
		}
	}
	return s.eventFormError(c, err, vals)
}

func (s *Server) eventPublish(c *fiber.Ctx) error {
	if err := s.d.Events.Publish(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return s.eventFormError(c, err, nil)
	}
	s.flash(c, "event_form.flash_published")
	return c.Redirect("/evenements/"+c.Params("id"), fiber.StatusSeeOther)
}

func (s *Server) eventCancel(c *fiber.Ctx) error {
	if err := s.d.Events.Cancel(c.UserContext(), principal(c), c.Params("id"), c.FormValue("message")); err != nil {
		return s.eventFormError(c, err, nil)
	}
	s.flash(c, "event_form.flash_cancelled")
	return c.Redirect("/evenements/"+c.Params("id"), fiber.StatusSeeOther)
}

// sessionFields are the new session form's fields, named apart from
// the event's own (both forms are on the same page).
var sessionFields = map[string]string{"title": "s-title", "starts_at": "session_starts_at", "ends_at": "session_ends_at", "capacity": "session_capacity"}

func (s *Server) sessionAdd(c *fiber.Ctx) error {
	vals := map[string]string{}
	for _, k := range []string{"kind", "title", "abstract", "session_starts_at", "session_ends_at", "track", "room", "speakers", "session_capacity"} {
		vals[k] = c.FormValue(k)
	}
	fail := func(err error) error {
		var f *fault.Error
		if errors.As(err, &f) && f.Kind == fault.Invalid {
			if n, ok := sessionFields[f.Field]; ok {
				cp := *f
				cp.Field = n
				err = &cp
			}
		}
		return s.sessionFormError(c, err, vals)
	}
	in := event.SessionInput{Kind: model.SessionKind(c.FormValue("kind")), Title: c.FormValue("title"), Abstract: c.FormValue("abstract"),
		Track: c.FormValue("track"), Room: c.FormValue("room")}
	var err error
	if in.StartsAt, err = event.ParseLocal(c.FormValue("session_starts_at")); err != nil {
		return fail(fault.Field("session_starts_at", "début de séance attendu (AAAA-MM-JJ HH:MM)"))
	}
	if in.EndsAt, err = event.ParseLocal(c.FormValue("session_ends_at")); err != nil {
		return fail(fault.Field("session_ends_at", "fin de séance attendue (AAAA-MM-JJ HH:MM)"))
	}
	if v := strings.TrimSpace(c.FormValue("session_capacity")); v != "" {
		if in.Capacity, err = strconv.Atoi(v); err != nil {
			return fail(fault.Field("session_capacity", "un nombre de places est attendu"))
		}
	}
	for _, l := range strings.Split(c.FormValue("speakers"), "\n") {
		name, aff, _ := strings.Cut(l, "|")
		if strings.TrimSpace(name) != "" {
			in.Speakers = append(in.Speakers, event.Speaker{Name: name, Affiliation: strings.TrimSpace(aff)})
		}
	}
	if _, err := s.d.Events.AddSession(c.UserContext(), principal(c), c.Params("id"), in); err != nil {
		return fail(err)
	}
	s.flash(c, "event_form.flash_session_added")
	return c.Redirect("/evenements/"+c.Params("id")+"/modifier#programme", fiber.StatusSeeOther)
}

func (s *Server) sessionDelete(c *fiber.Ctx) error {
	if err := s.d.Events.DeleteSession(c.UserContext(), principal(c), c.Params("id"), c.Params("session")); err != nil {
		return err
	}
	s.flash(c, "event_form.flash_session_removed")
	return c.Redirect("/evenements/"+c.Params("id")+"/modifier#programme", fiber.StatusSeeOther)
}

type attendeesData struct {
	A          *event.Attendees
	Categories []event.Category
	CSVURL     string
	Values     registrantValues
	Error      string
	Field      string
	Added      string
}

func attendeeFilter(c *fiber.Ctx) event.AttendeeFilter {
	return event.AttendeeFilter{Status: c.Query("status"), Category: c.Query("category"), Q: c.Query("q")}
}

func (s *Server) attendeesPage(c *fiber.Ctx) error {
	f := attendeeFilter(c)
	a, err := s.d.Events.Attendees(c.UserContext(), principal(c), c.Params("id"), f)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "category": f.Category, "q": f.Q} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return s.render(c, "event_attendees", "events", attendeesData{A: a, Categories: event.Categories(),
		CSVURL: "/evenements/" + a.Event.ID + "/inscrits.csv?" + q.Encode()})
}

func (s *Server) attendeesCSV(c *fiber.Ctx) error {
	a, err := s.d.Events.Attendees(c.UserContext(), principal(c), c.Params("id"), attendeeFilter(c))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := a.WriteCSV(&buf, lang(c)); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="inscrits-`+a.Event.ID+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

func (s *Server) attendeeAdd(c *fiber.Ctx) error {
	in, vals := registrantOf(c)
	in.Consent = true // the organizer collected it
	r, err := s.d.Events.AddAttendee(c.UserContext(), principal(c), c.Params("id"), in)
	if err != nil && !fault.Is(err, fault.Invalid) && !fault.Is(err, fault.Conflict) && !fault.Is(err, fault.Gone) {
		return err
	}
	a, aerr := s.d.Events.Attendees(c.UserContext(), principal(c), c.Params("id"), event.AttendeeFilter{})
	if aerr != nil {
		return aerr
	}
	d := attendeesData{A: a, Categories: event.Categories(), CSVURL: "/evenements/" + a.Event.ID + "/inscrits.csv"}
	if err != nil {
		d.Values, d.Error, d.Field = vals, s.faultText(c, err), fault.FieldOf(err)
		c.Status(statusOf(fault.KindOf(err)))
	} else {
		d.Added = s.tr(c, "attendees.added", "Name", in.Name, "Status", s.tr(c, "regstatus."+string(r.Status)))
	}
	return s.render(c, "event_attendees", "events", d)
}

type checkinData struct {
	A       *event.Attendees
	Q       string
	Arrived string
}

func (s *Server) checkinPage(c *fiber.Ctx) error {
	q := c.Query("q")
	a, err := s.d.Events.Attendees(c.UserContext(), principal(c), c.Params("id"), event.AttendeeFilter{Status: string(model.RegConfirmed), Q: q})
	if err != nil {
		return err
	}
	if q == "" {
		a.Items = nil // the page asks for a name first: 350 rows help nobody at the door
	}
	return s.render(c, "event_checkin", "events", checkinData{A: a, Q: q, Arrived: c.Query("arrive")})
}

func (s *Server) checkinMark(c *fiber.Ctx) error {
	r, err := s.d.Events.CheckIn(c.UserContext(), principal(c), c.Params("id"), c.Params("registration"), c.FormValue("undo") == "1")
	if err != nil {
		return err
	}
	return c.Redirect("/evenements/"+c.Params("id")+"/accueil?"+url.Values{"q": {c.FormValue("q")}, "arrive": {r.Name}}.Encode(), fiber.StatusSeeOther)
}

// checkinCode is the link of the QR code: an organizer who scans it marks
// the attendee arrived.
func (s *Server) checkinCode(c *fiber.Ctx) error {
	r, err := s.d.Events.CheckInByCode(c.UserContext(), principal(c), c.Params("id"), c.Params("code"))
	if err != nil {
		return err
	}
	return c.Redirect("/evenements/"+c.Params("id")+"/accueil?"+url.Values{"arrive": {r.Name}}.Encode(), fiber.StatusSeeOther)
}

// --- iCalendar ---

func (s *Server) sendICS(c *fiber.Ctx, b []byte, name string) error {
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+name+`.ics"`)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(b)
}

func (s *Server) eventICS(c *fiber.Ctx) error {
	b, err := s.d.Events.EventCalendar(c.UserContext(), principal(c), c.Params("id"), s.d.BaseURL.Host, s.absolute(""))
	if err != nil {
		return err
	}
	return s.sendICS(c, b, "evenement-"+c.Params("id"))
}

func (s *Server) collectiveICS(c *fiber.Ctx) error {
	b, err := s.d.Events.CollectiveCalendar(c.UserContext(), principal(c), c.Params("slug"), s.d.BaseURL.Host, s.absolute(""))
	if err != nil {
		return err
	}
	return s.sendICS(c, b, "evenements-"+c.Params("slug"))
}

// --- JSON API ---

type apiPartner struct {
	Role           string  `json:"role"`
	Name           string  `json:"name"`
	URL            *string `json:"url"`
	OrganizationID *string `json:"organization_id"`
}

type apiEventOut struct {
	ID                   string       `json:"id"`
	URL                  string       `json:"url"`
	CalendarURL          string       `json:"calendar_url"`
	Collective           apiRef       `json:"collective"`
	Title                string       `json:"title"`
	Summary              string       `json:"summary"`
	Description          string       `json:"description"`
	DescriptionHTML      string       `json:"description_html"`
	StartsAt             time.Time    `json:"starts_at"`
	EndsAt               time.Time    `json:"ends_at"`
	TimeZone             string       `json:"time_zone"`
	Venue                string       `json:"venue"`
	Address              string       `json:"address"`
	Accessibility        string       `json:"accessibility"`
	StreamURL            *string      `json:"stream_url"`
	ReplayURL            *string      `json:"replay_url"`
	Capacity             *int         `json:"capacity"`
	Remaining            *int         `json:"remaining"`
	Confirmed            int          `json:"confirmed"`
	Waitlisted           int          `json:"waitlisted"`
	Status               string       `json:"status"`
	CancelMessage        *string      `json:"cancel_message"`
	RegistrationOpen     bool         `json:"registration_open"`
	RegistrationOpensAt  *time.Time   `json:"registration_opens_at"`
	RegistrationClosesAt *time.Time   `json:"registration_closes_at"`
	Partners             []apiPartner `json:"partners"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) apiEventOf(v *event.View) apiEventOut {
	out := apiEventOut{ID: v.ID, URL: s.absolute(v.URL()), CalendarURL: s.absolute("/api/v1/events/" + v.ID + "/calendar.ics"),
		Collective: apiRef{ID: v.Collective.ID, Slug: v.Collective.Slug, Name: v.Collective.Name},
		Title:      v.Title, Summary: v.Summary, Description: v.Description, DescriptionHTML: v.DescriptionHTML,
		StartsAt: v.StartsAt.UTC(), EndsAt: v.EndsAt.UTC(), TimeZone: "Europe/Paris", Venue: v.Venue, Address: v.Address, Accessibility: v.Accessibility,
		StreamURL: optString(v.StreamURL), ReplayURL: optString(v.ReplayURL), Confirmed: v.Confirmed, Waitlisted: v.Waitlisted,
		Status: string(v.Status), RegistrationOpen: v.RegistrationOpen, RegistrationOpensAt: optTime(v.RegistrationOpensAt),
		RegistrationClosesAt: optTime(v.RegistrationClosesAt), Partners: []apiPartner{}}
	if v.Status == model.EventCancelled {
		out.CancelMessage = &v.CancelMessage
	}
	if v.Capacity > 0 {
		c, r := v.Capacity, v.Remaining
		out.Capacity, out.Remaining = &c, &r
	}
	for _, p := range v.Partners {
		out.Partners = append(out.Partners, apiPartner{Role: p.Role, Name: p.Name, URL: optString(p.URL), OrganizationID: optString(p.OrganizationID)})
	}
	return out
}

func (s *Server) apiEvents(c *fiber.Ctx) error {
	l, err := s.d.Events.List(c.UserContext(), principal(c), event.Filter{Collective: c.Query("collective"), When: c.Query("when")})
	if err != nil {
		return err
	}
	items := make([]apiEventOut, 0, len(l.Items))
	for _, v := range l.Items {
		items = append(items, s.apiEventOf(v))
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

func (s *Server) apiEvent(c *fiber.Ctx) error {
	v, err := s.d.Events.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(s.apiEventOf(v))
}

type apiSpeaker struct {
	Name        string  `json:"name"`
	Affiliation string  `json:"affiliation"`
	AccountID   *string `json:"account_id"`
}

type apiSession struct {
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	Title     string       `json:"title"`
	Abstract  string       `json:"abstract"`
	StartsAt  time.Time    `json:"starts_at"`
	EndsAt    time.Time    `json:"ends_at"`
	Track     *string      `json:"track"`
	Room      *string      `json:"room"`
	Speakers  []apiSpeaker `json:"speakers"`
	Capacity  *int         `json:"capacity"`
	Remaining *int         `json:"remaining"`
}

func (s *Server) apiProgramme(c *fiber.Ctx) error {
	pr, err := s.d.Events.Programme(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := []apiSession{}
	for _, ses := range pr.Sessions {
		a := apiSession{ID: ses.ID, Kind: string(ses.Kind), Title: ses.Title, Abstract: ses.Abstract, StartsAt: ses.StartsAt.UTC(), EndsAt: ses.EndsAt.UTC(),
			Track: optString(ses.Track), Room: optString(ses.Room), Speakers: []apiSpeaker{}}
		for _, sp := range ses.Speakers {
			a.Speakers = append(a.Speakers, apiSpeaker{Name: sp.Name, Affiliation: sp.Affiliation, AccountID: optString(sp.AccountID)})
		}
		if ses.Kind == model.SessionWorkshop && ses.Capacity > 0 {
			cp, r := ses.Capacity, ses.Remaining
			a.Capacity, a.Remaining = &cp, &r
		}
		out = append(out, a)
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(fiber.Map{"event": s.apiEventOf(pr.Event), "sessions": out})
}

type apiRegistrationIn struct {
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Organization   string   `json:"organization"`
	OrganizationID string   `json:"organization_id"`
	Category       string   `json:"category"`
	Workshops      []string `json:"workshops"`
	Consent        bool     `json:"consent"`
}

type apiChoice struct {
	SessionID string `json:"session_id"`
	Status    string `json:"status"`
}

func (s *Server) apiRegister(c *fiber.Ctx) error {
	var in apiRegistrationIn
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.d.Events.Register(c.UserContext(), principal(c), c.Params("id"), event.Registrant{Name: in.Name, Email: in.Email,
		Organization: in.Organization, OrganizationID: in.OrganizationID, Category: in.Category, Workshops: in.Workshops, Consent: in.Consent,
		Lang: lang(c)})
	if err != nil {
		return err
	}
	ws := []apiChoice{}
	for _, w := range in.Workshops {
		if st, ok := r.Workshops[w]; ok {
			ws = append(ws, apiChoice{SessionID: w, Status: string(st)})
			delete(r.Workshops, w)
		}
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": r.ID, "event_id": r.EventID, "status": string(r.Status), "workshops": ws,
		"message": s.tr(c, "registered.api_message")})
}
