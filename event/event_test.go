package event_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"collectif/access"
	"collectif/collective"
	"collectif/event"
	"collectif/fault"
	"collectif/jobs"
	mailer "collectif/mail"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// fixture is a collective with an event service over a real database, and
// a mail directory where the jobs write.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	db   *store.DB
	s    *event.Service
	c    *model.Collective
	mail string
	deps event.JobDeps
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := collective.New(db).Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base, _ := url.Parse("https://hub.example")
	return &fixture{t: t, ctx: ctx, db: db, s: event.New(event.Deps{DB: db, Queue: q}), c: c, mail: dir,
		deps: event.JobDeps{DB: db, Mail: &mailer.Files{Dir: dir, Host: "hub.example"}, From: "hub@hub.example", BaseURL: base}}
}

// published creates and publishes an event starting in a week.
func (f *fixture) published(capacity int, start time.Time, end time.Time) *event.View {
	f.t.Helper()
	v, err := f.s.Create(f.ctx, access.System(), "alpes", event.Input{Title: "Rencontres du libre", Summary: "La journée annuelle",
		Description: "Un **programme** riche.", StartsAt: start, EndsAt: end, Venue: "Salle des fêtes", Address: "1 place de la Mairie, 38130 Échirolles",
		Capacity: capacity, Partners: []event.Partner{{Role: "coorganizer", Name: "Ville d'Échirolles"}, {Role: "partner", Name: "Fondation pour le numérique"}}})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.s.Publish(f.ctx, access.System(), v.ID); err != nil {
		f.t.Fatal(err)
	}
	return v
}

func inAWeek() (time.Time, time.Time) {
	s := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Hour)
	return s, s.Add(8 * time.Hour)
}

func person(i int) event.Registrant {
	return event.Registrant{Name: fmt.Sprintf("Personne %03d", i), Email: fmt.Sprintf("p%03d@mairie.example", i), Category: "collectivity", Consent: true}
}

// registerAll registers n people at once and returns their receipts.
func (f *fixture) registerAll(eventID string, n int, mod func(*event.Registrant)) []*event.Receipt {
	f.t.Helper()
	out := make([]*event.Receipt, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := person(i)
			if mod != nil {
				mod(&in)
			}
			out[i], errs[i] = f.s.Register(f.ctx, access.Anonymous(), eventID, in)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.R.NewRaw(q, args...).Scan(f.ctx, &n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// mailOf runs the confirmation job of a registration and returns the
// message the attendee receives.
func (f *fixture) mailOf(regID string) *parsedMail {
	f.t.Helper()
	if err := event.SendConfirmation(f.ctx, f.deps, regID); err != nil {
		f.t.Fatal(err)
	}
	return parseMail(f.t, filepath.Join(f.mail, "event-confirmation-"+regID+".eml"))
}

type parsedMail struct {
	to, subject, text string
	files             map[string][]byte
}

var linkRE = regexp.MustCompile(`/evenements/inscription/([A-Za-z0-9_-]+)`)

func (m *parsedMail) token(t *testing.T) string {
	t.Helper()
	g := linkRE.FindStringSubmatch(m.text)
	if g == nil {
		t.Fatalf("no private link in:\n%s", m.text)
	}
	return g[1]
}

func parseMail(t *testing.T, path string) *parsedMail {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	out := &parsedMail{to: msg.Header.Get("To"), subject: subject, files: map[string][]byte{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt == "text/plain" { // a mail without attachments is one part
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		out.text = string(body)
		return out
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // multipart decodes quoted-printable itself
		if name := p.FileName(); name != "" {
			data, err := decodeBase64(body)
			if err != nil {
				t.Fatal(err)
			}
			out.files[name] = data
		} else {
			out.text = string(body)
		}
	}
	return out
}

func TestCapacityHoldsUnderConcurrentRegistrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		v := f.published(50, start, end)
		receipts := f.registerAll(v.ID, 200, nil)
		confirmed, waitlisted := 0, 0
		for _, r := range receipts {
			switch r.Status {
			case model.RegConfirmed:
				confirmed++
			case model.RegWaitlisted:
				waitlisted++
			}
		}
		if confirmed != 50 || waitlisted != 150 {
			t.Fatalf("receipts: %d confirmed, %d waitlisted; want 50 and 150", confirmed, waitlisted)
		}
		if n := f.count("SELECT count(*) FROM event_registrations WHERE event_id = ? AND status = 'confirmed'", v.ID); n != 50 {
			t.Fatalf("%d confirmed in the database", n)
		}
		got, err := f.s.Get(f.ctx, access.Anonymous(), v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Remaining != 0 || got.Waitlisted != 150 {
			t.Errorf("page says %d remaining, %d waitlisted", got.Remaining, got.Waitlisted)
		}
		// Every registration enqueued its confirmation in its transaction.
		if n := f.count("SELECT count(*) FROM river_job WHERE kind = 'event.confirmation_mail'"); n != 200 {
			t.Errorf("%d confirmation jobs, want 200", n)
		}

		// A confirmed person cancels from their private link: the first
		// waitlisted person takes the place and is told.
		var first model.Registration
		if err := db.R.NewSelect().Model(&first).Where("event_id = ? AND status = 'waitlisted'", v.ID).OrderExpr("created_at, id").Limit(1).Scan(f.ctx); err != nil {
			t.Fatal(err)
		}
		var leaving string
		for _, r := range receipts {
			if r.Status == model.RegConfirmed {
				leaving = r.ID
				break
			}
		}
		m := f.mailOf(leaving)
		if !strings.Contains(m.subject, "Rencontres du libre") || !strings.Contains(m.text, "est confirmée") {
			t.Errorf("confirmation mail: %q\n%s", m.subject, m.text)
		}
		if err := f.s.CancelMine(f.ctx, m.token(t)); err != nil {
			t.Fatal(err)
		}
		var promoted model.Registration
		if err := db.R.NewSelect().Model(&promoted).Where("id = ?", first.ID).Scan(f.ctx); err != nil {
			t.Fatal(err)
		}
		if promoted.Status != model.RegConfirmed {
			t.Fatalf("first waitlisted is %s after a cancellation", promoted.Status)
		}
		if n := f.count("SELECT count(*) FROM event_registrations WHERE event_id = ? AND status = 'confirmed'", v.ID); n != 50 {
			t.Errorf("%d confirmed after the promotion, want 50", n)
		}
		if n := f.count("SELECT count(*) FROM river_job WHERE kind = 'event.promoted_mail' AND CAST(args AS TEXT) LIKE ?", "%"+first.ID+"%"); n != 1 {
			t.Errorf("%d promotion mails for the promoted person", n)
		}
		if err := event.SendPromoted(f.ctx, f.deps, event.PromotedMail{RegistrationID: first.ID}); err != nil {
			t.Fatal(err)
		}
		pm, err := os.ReadFile(filepath.Join(f.mail, "event-promoted-"+first.ID+".eml"))
		if err != nil || !bytes.Contains(pm, []byte(first.Email)) {
			t.Errorf("promotion mail: %v\n%s", err, pm)
		}
	})
}

func TestWorkshopCapacityHoldsUnderConcurrentRegistrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		v := f.published(0, start, end)
		w, err := f.s.AddSession(f.ctx, access.System(), v.ID, event.SessionInput{Kind: model.SessionWorkshop, Title: "Migrer vers LibreOffice",
			StartsAt: start.Add(time.Hour), EndsAt: start.Add(3 * time.Hour), Capacity: 20, Room: "Salle B", Speakers: []event.Speaker{{Name: "Alex Dupont", Affiliation: "Ville"}}})
		if err != nil {
			t.Fatal(err)
		}
		receipts := f.registerAll(v.ID, 200, func(r *event.Registrant) { r.Workshops = []string{w.ID} })
		seats := 0
		for _, r := range receipts {
			if r.Status != model.RegConfirmed {
				t.Fatalf("event without limit waitlisted someone")
			}
			if r.Workshops[w.ID] == model.RegConfirmed {
				seats++
			}
		}
		if seats != 20 {
			t.Fatalf("%d seats given in a 20-place workshop", seats)
		}
		if n := f.count("SELECT count(*) FROM event_choices WHERE session_id = ? AND status = 'waitlisted'", w.ID); n != 180 {
			t.Fatalf("%d waitlisted in the workshop, want 180", n)
		}
		pr, err := f.s.Programme(f.ctx, access.Anonymous(), v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Sessions) != 1 || pr.Sessions[0].Remaining != 0 || pr.Sessions[0].Room != "Salle B" || len(pr.Sessions[0].Speakers) != 1 {
			t.Fatalf("programme: %+v", pr.Sessions)
		}
		// One seated person drops the workshop: the first in its line is seated.
		var seated, next string
		if err := db.R.NewRaw("SELECT registration_id FROM event_choices WHERE session_id = ? AND status = 'confirmed' ORDER BY created_at LIMIT 1", w.ID).Scan(f.ctx, &seated); err != nil {
			t.Fatal(err)
		}
		if err := db.R.NewRaw("SELECT c.registration_id FROM event_choices c JOIN event_registrations r ON r.id = c.registration_id WHERE c.session_id = ? AND c.status = 'waitlisted' ORDER BY c.created_at, r.created_at, r.id LIMIT 1", w.ID).Scan(f.ctx, &next); err != nil {
			t.Fatal(err)
		}
		tok := f.mailOf(seated).token(t)
		if err := f.s.ChangeMine(f.ctx, tok, nil); err != nil {
			t.Fatal(err)
		}
		if n := f.count("SELECT count(*) FROM event_choices WHERE registration_id = ? AND status = 'confirmed'", next); n != 1 {
			t.Errorf("the first in the workshop's line was not seated")
		}
		if n := f.count("SELECT count(*) FROM event_choices WHERE session_id = ? AND status = 'confirmed'", w.ID); n != 20 {
			t.Errorf("%d seats after the change", n)
		}
	})
}

func TestRegistrationRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		v := f.published(10, start, end)
		if _, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, person(1)); err != nil {
			t.Fatal(err)
		}
		dup := person(2)
		dup.Email = "  P001@Mairie.example "
		if _, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, dup); !fault.Is(err, fault.Conflict) {
			t.Errorf("same e-mail in other case: %v, want a conflict", err)
		}
		for name, mod := range map[string]func(*event.Registrant){
			"no consent":     func(r *event.Registrant) { r.Consent = false },
			"bad e-mail":     func(r *event.Registrant) { r.Email = "pas une adresse" },
			"dotless domain": func(r *event.Registrant) { r.Email = "dominique.clavier@mairie" },
			"no name":        func(r *event.Registrant) { r.Name = "   " },
			"bad category":   func(r *event.Registrant) { r.Category = "alien" },
			"other workshop": func(r *event.Registrant) { r.Workshops = []string{model.NewID()} },
		} {
			in := person(3)
			mod(&in)
			if _, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, in); !fault.Is(err, fault.Invalid) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		// Closed registration: 410.
		past := f.published(10, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if _, err := f.s.Register(f.ctx, access.Anonymous(), past.ID, person(4)); !fault.Is(err, fault.Gone) {
			t.Errorf("started event: %v, want gone", err)
		}
		// A draft is nobody's business but its organizers'.
		draft, err := f.s.Create(f.ctx, access.System(), "alpes", event.Input{Title: "Brouillon", StartsAt: start, EndsAt: end})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Get(f.ctx, access.Anonymous(), draft.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("draft seen by a visitor: %v", err)
		}
		if _, err := f.s.Register(f.ctx, access.Anonymous(), draft.ID, person(5)); !fault.Is(err, fault.NotFound) {
			t.Errorf("registration to a draft: %v", err)
		}
		// Only organizers create.
		if _, err := f.s.Create(f.ctx, access.Anonymous(), "alpes", event.Input{Title: "x", StartsAt: start, EndsAt: end}); !fault.Is(err, fault.Unauthorized) {
			t.Errorf("visitor creates: %v", err)
		}
	})
}

// An attendee's address is checked as an account's is: the domain part
// needs a dot, a dot in the local part is not enough.
func TestNormalizeEmail(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "dominique.clavier@mairie-exemple.fr", "dominique.clavier@mairie-exemple.fr", true},
		{"trimmed and lower-cased", "  Dominique.Clavier@Mairie.example ", "dominique.clavier@mairie.example", true},
		{"dot only in the local part", "dominique.clavier@mairie", "", false},
		{"no at sign", "dominique.clavier.mairie.fr", "", false},
		{"display name", "Dominique <dominique@mairie.fr>", "", false},
		{"too long", strings.Repeat("a", 250) + "@x.fr", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := event.NormalizeEmail(c.in)
			if c.ok && (err != nil || got != c.want) {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			if !c.ok && (!fault.Is(err, fault.Invalid) || fault.FieldOf(err) != "email") {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want an invalid e-mail field", c.in, got, err)
			}
		})
	}
}

func TestPrivateLinkCannotBeGuessedNorReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		v := f.published(10, start, end)
		a, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, person(1))
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, person(2))
		if err != nil {
			t.Fatal(err)
		}
		ma, mb := f.mailOf(a.ID), f.mailOf(b.ID)
		ta, tb := ma.token(t), mb.token(t)
		if len(ta) != 43 || ta == tb {
			t.Fatalf("tokens %q %q: want distinct 256-bit tokens", ta, tb)
		}
		// Only hashes are stored.
		if n := f.count("SELECT count(*) FROM event_registrations WHERE token_hash = ? OR checkin_hash = ?", ta, ta); n != 0 {
			t.Fatal("a token is stored in clear")
		}
		mine, err := f.s.ByToken(f.ctx, ta)
		if err != nil || mine.ID != a.ID || mine.Email != "p001@mairie.example" {
			t.Fatalf("A's link shows %+v, %v", mine, err)
		}
		for name, tok := range map[string]string{
			"random":     strings.Repeat("A", 43),
			"truncated":  ta[:42],
			"a's hash":   event.HashToken(ta),
			"registr id": a.ID,
		} {
			if _, err := f.s.ByToken(f.ctx, tok); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s token: %v", name, err)
			}
			if err := f.s.CancelMine(f.ctx, tok); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s token cancels: %v", name, err)
			}
		}
		// A's link acts on A only.
		if err := f.s.CancelMine(f.ctx, ta); err != nil {
			t.Fatal(err)
		}
		if mb2, _ := f.s.ByToken(f.ctx, tb); mb2.Status != model.RegConfirmed {
			t.Errorf("B's registration changed by A's link: %s", mb2.Status)
		}
		// A new confirmation mail (a retried job) makes a new link; the old one stops.
		nb := f.mailOf(b.ID).token(t)
		if _, err := f.s.ByToken(f.ctx, tb); !fault.Is(err, fault.NotFound) {
			t.Errorf("old link still works: %v", err)
		}
		// Deleting one's data: the row goes, the link is dead.
		if err := f.s.DeleteMine(f.ctx, nb); err != nil {
			t.Fatal(err)
		}
		if n := f.count("SELECT count(*) FROM event_registrations WHERE id = ?", b.ID); n != 0 {
			t.Error("registration still stored after deletion")
		}
		if _, err := f.s.ByToken(f.ctx, nb); !fault.Is(err, fault.NotFound) {
			t.Errorf("deleted registration's link: %v", err)
		}
		// The mail carries a QR code and an .ics.
		if png := ma.files["accueil.png"]; !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("no PNG QR code attached")
		}
		if _, ok := ma.files["evenement.ics"]; !ok {
			t.Errorf("no .ics attached")
		}
	})
}

func TestICalendarAcrossDaylightSavingChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		paris := event.Paris()
		// 2026-10-25 is the last Sunday of October: clocks go back at 03:00.
		start := time.Date(2026, 10, 24, 9, 0, 0, 0, paris)
		end := time.Date(2026, 10, 25, 17, 30, 0, 0, paris)
		v, err := f.s.Create(f.ctx, access.System(), "alpes", event.Input{Title: "Rencontres annuelles, édition 2026 ; Échirolles",
			Summary:  "Deux jours\u00a0: conférences, ateliers et tables rondes autour du logiciel libre dans les collectivités territoriales françaises",
			StartsAt: start, EndsAt: end, Venue: "La Rampe", Address: "15 avenue du 8 Mai 1945, Échirolles"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.Publish(f.ctx, access.System(), v.ID); err != nil {
			t.Fatal(err)
		}
		sunday := time.Date(2026, 10, 25, 10, 0, 0, 0, paris)
		if _, err := f.s.AddSession(f.ctx, access.System(), v.ID, event.SessionInput{Kind: model.SessionTalk, Title: "Ouverture du dimanche",
			StartsAt: sunday, EndsAt: sunday.Add(time.Hour), Speakers: []event.Speaker{{Name: "Élise Martin"}}}); err != nil {
			t.Fatal(err)
		}
		b, err := f.s.EventCalendar(f.ctx, access.Anonymous(), v.ID, "hub.example", "https://hub.example")
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n") {
			if len(l) > 75 {
				t.Errorf("line %d has %d octets: %q", i, len(l), l)
			}
			if strings.Contains(l, "\n") {
				t.Errorf("line %d has a bare LF", i)
			}
		}
		cal, err := ics.ParseCalendar(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(cal.Events()); n != 2 {
			t.Fatalf("%d events in the calendar, want the event and its session", n)
		}
		ev := cal.Events()[0]
		if p := ev.GetProperty(ics.ComponentPropertyDtStart); p == nil || p.ICalParameters["TZID"][0] != "Europe/Paris" || p.Value != "20261024T090000" {
			t.Fatalf("DTSTART %+v", p)
		}
		gotStart, err := ev.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		gotEnd, err := ev.GetEndAt()
		if err != nil {
			t.Fatal(err)
		}
		// Summer time on Saturday (UTC+2), winter time on Sunday (UTC+1).
		if !gotStart.Equal(time.Date(2026, 10, 24, 7, 0, 0, 0, time.UTC)) || !gotEnd.Equal(time.Date(2026, 10, 25, 16, 30, 0, 0, time.UTC)) {
			t.Errorf("parsed %s – %s", gotStart.UTC(), gotEnd.UTC())
		}
		if s := ev.GetProperty(ics.ComponentPropertySummary); s == nil || s.Value != `Rencontres annuelles\, édition 2026 \; Échirolles` && s.Value != "Rencontres annuelles, édition 2026 ; Échirolles" {
			t.Errorf("SUMMARY %+v", s)
		}
		if uid := ev.Id(); uid != "event-"+v.ID+"@hub.example" {
			t.Errorf("UID %q", uid)
		}
		ses := cal.Events()[1]
		if st, err := ses.GetStartAt(); err != nil || !st.Equal(time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("Sunday session at %s (%v), want 09:00 UTC", st, err)
		}
		var tz bool
		for _, z := range cal.Timezones() {
			if p := z.GetProperty(ics.ComponentProperty(ics.PropertyTzid)); p != nil && p.Value == "Europe/Paris" {
				tz = true
			}
		}
		if !tz {
			t.Error("no VTIMEZONE for Europe/Paris")
		}
		// Stable UIDs: the feed of the collective names the event the same way.
		cb, err := f.s.CollectiveCalendar(f.ctx, access.Anonymous(), "alpes", "hub.example", "https://hub.example")
		if err != nil {
			t.Fatal(err)
		}
		cc, err := ics.ParseCalendar(bytes.NewReader(cb))
		if err != nil {
			t.Fatal(err)
		}
		if len(cc.Events()) != 1 || cc.Events()[0].Id() != ev.Id() {
			t.Errorf("collective feed: %d events", len(cc.Events()))
		}
		if w := event.When(start, end); w != "du samedi 24 octobre 2026, 09h00, au dimanche 25 octobre 2026, 17h30" {
			t.Errorf("When: %q", w)
		}
	})
}

func TestRetentionAnonymizesOldRegistrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		v := f.published(0, start, end)
		r, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, person(1))
		if err != nil {
			t.Fatal(err)
		}
		tok := f.mailOf(r.ID).token(t)
		d := f.deps
		d.Now = func() time.Time { return end.Add(5 * 30 * 24 * time.Hour) }
		if n, err := event.Anonymize(f.ctx, d); err != nil || n != 0 {
			t.Fatalf("five months after: %d anonymized, %v", n, err)
		}
		d.Now = func() time.Time { return end.Add(7 * 30 * 24 * time.Hour) }
		if n, err := event.Anonymize(f.ctx, d); err != nil || n != 1 {
			t.Fatalf("seven months after: %d anonymized, %v", n, err)
		}
		var got model.Registration
		if err := db.R.NewSelect().Model(&got).Where("id = ?", r.ID).Scan(f.ctx); err != nil {
			t.Fatal(err)
		}
		if got.Name != "" || strings.Contains(got.Email, "mairie") || got.Organization != "" || got.TokenHash != "" || got.AnonymizedAt.IsZero() {
			t.Errorf("after retention: %+v", got)
		}
		if got.Category != "collectivity" || got.Status != model.RegConfirmed {
			t.Errorf("counts lost: %+v", got)
		}
		if _, err := f.s.ByToken(f.ctx, tok); !fault.Is(err, fault.NotFound) {
			t.Errorf("link after anonymization: %v", err)
		}
		if n, _ := event.Anonymize(f.ctx, d); n != 0 {
			t.Errorf("second run anonymized %d again", n)
		}
	})
}

func TestReminderTheDayBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		paris := event.Paris()
		start := time.Now().In(paris).AddDate(0, 0, 2)
		start = time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, paris)
		v := f.published(0, start, start.Add(4*time.Hour))
		r, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, person(1))
		if err != nil {
			t.Fatal(err)
		}
		d := f.deps
		d.Now = func() time.Time { return start.AddDate(0, 0, -2).Add(2 * time.Hour) } // two days before
		if n, _ := event.SendReminders(f.ctx, d); n != 0 {
			t.Fatalf("%d reminders two days before", n)
		}
		d.Now = func() time.Time { return start.AddDate(0, 0, -1).Add(time.Hour) } // the day before, 10:00
		if n, err := event.SendReminders(f.ctx, d); err != nil || n != 1 {
			t.Fatalf("%d reminders the day before, %v", n, err)
		}
		if n, _ := event.SendReminders(f.ctx, d); n != 0 {
			t.Errorf("reminder sent twice")
		}
		if _, err := os.Stat(filepath.Join(f.mail, "event-reminder-"+r.ID+".eml")); err != nil {
			t.Error(err)
		}
	})
}

func TestCancelledEventMailsRegistrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		v := f.published(1, start, end)
		rs := f.registerAll(v.ID, 2, nil)
		if err := f.s.Cancel(f.ctx, access.System(), v.ID, "Salle indisponible ; report à l'automne."); err != nil {
			t.Fatal(err)
		}
		if err := event.SendCancelled(f.ctx, f.deps, v.ID); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			b, err := os.ReadFile(filepath.Join(f.mail, "event-cancelled-"+r.ID+".eml"))
			if err != nil || !bytes.Contains(b, []byte("report =C3=A0 l'automne")) {
				t.Errorf("cancellation mail of %s: %v\n%s", r.Status, err, b)
			}
		}
		if _, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, person(9)); !fault.Is(err, fault.Gone) {
			t.Errorf("registration to a cancelled event: %v", err)
		}
	})
}

func decodeBase64(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
}
