package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"collectif/access"
	"collectif/account"
	"collectif/collective"
	"collectif/directory"
	"collectif/event"
	"collectif/frontend"
	"collectif/jobs"
	"collectif/kv"
	mailer "collectif/mail"
	"collectif/model"
	"collectif/server"
	"collectif/store"
	"collectif/store/storetest"
)

type eventRig struct {
	*rig
	events *event.Service
	deps   event.JobDeps
	mail   string
}

func newEventRig(t *testing.T, e store.Engine) *eventRig {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, e)
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backend := kv.NewMemory(kv.Options{})
	t.Cleanup(func() { backend.Close() })
	dir := directory.New(db, refData(t))
	accounts := account.New(account.Deps{DB: db, Queue: q, Password: fastPasswords, Directory: dir})
	events := event.New(event.Deps{DB: db, Queue: q})
	fe, err := frontend.New()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	srv := server.New(server.Deps{BaseURL: base, Frontend: fe, Collectives: collective.New(db), Accounts: accounts, Directory: dir, KV: backend, Events: events})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	if _, err := collective.New(db).Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Collectif des Alpes", Scope: model.ScopeRegional}); err != nil {
		t.Fatal(err)
	}
	md := t.TempDir()
	return &eventRig{rig: &rig{t: t, db: db, accounts: accounts, kv: backend, srv: srv, base: base.String()}, events: events, mail: md,
		deps: event.JobDeps{DB: db, Mail: &mailer.Files{Dir: md, Host: base.Hostname()}, From: "hub@hub.example", BaseURL: base}}
}

func (r *eventRig) event(capacity int, start time.Time) *event.View {
	r.t.Helper()
	ctx := context.Background()
	v, err := r.events.Create(ctx, access.System(), "alpes", event.Input{Title: "Webinaire du groupe Poste de travail", StartsAt: start, EndsAt: start.Add(2 * time.Hour),
		StreamURL: "https://video.ville.example/w/abc", Capacity: capacity})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.events.Publish(ctx, access.System(), v.ID); err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *eventRig) postJSON(path string, body string) (int, map[string]any) {
	r.t.Helper()
	resp, err := http.Post(r.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (r *eventRig) getJSON(path string) (int, map[string]any) {
	r.t.Helper()
	resp, err := http.Get(r.base + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestEventAPI(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			r := newEventRig(t, e)
			v := r.event(2, time.Now().Add(48*time.Hour))
			code, got := r.getJSON("/api/v1/events/" + v.ID)
			if code != 200 || got["capacity"] != 2.0 || got["remaining"] != 2.0 || got["status"] != "published" || got["time_zone"] != "Europe/Paris" {
				t.Fatalf("GET event: %d %v", code, got)
			}
			reg := func(email string) (int, map[string]any) {
				return r.postJSON("/api/v1/events/"+v.ID+"/registrations",
					`{"name":"Camille Durand","email":"`+email+`","organization":"Mairie de Crolles","category":"collectivity","consent":true}`)
			}
			for i, want := range []string{"confirmed", "confirmed", "waitlisted"} {
				code, got := reg("camille" + string(rune('a'+i)) + "@crolles.example")
				if code != 201 || got["status"] != want {
					t.Fatalf("registration %d: %d %v, want 201 %s", i, code, got, want)
				}
			}
			if code, got := reg("CAMILLEA@crolles.example"); code != 409 {
				t.Errorf("duplicate: %d %v", code, got)
			}
			if code, got := r.postJSON("/api/v1/events/"+v.ID+"/registrations", `{"name":"","email":"x","category":"citizen","consent":true}`); code != 422 {
				t.Errorf("invalid: %d %v", code, got)
			}
			if code, _ := r.postJSON("/api/v1/events/"+v.ID+"/registrations", `{"name":"A","email":"a@b.example","category":"citizen","consent":true,"admin":true}`); code != 422 {
				t.Errorf("unknown field: %d", code)
			}
			started := r.event(10, time.Now().Add(-time.Minute))
			if code, got := r.postJSON("/api/v1/events/"+started.ID+"/registrations", `{"name":"A","email":"a@b.example","category":"citizen","consent":true}`); code != 410 {
				t.Errorf("closed: %d %v", code, got)
			}
			code, got = r.getJSON("/api/v1/events/" + v.ID)
			if code != 200 || got["remaining"] != 0.0 || got["waitlisted"] != 1.0 {
				t.Errorf("after registrations: %v", got)
			}
			if code, got := r.getJSON("/api/v1/events?collective=alpes&when=upcoming"); code != 200 || got["total"] != 2.0 { // the started one is not over
				t.Errorf("list: %d %v", code, got)
			}
			if code, _ := r.getJSON("/api/v1/events/" + model.NewID()); code != 404 {
				t.Errorf("unknown event: %d", code)
			}
			if code, got := r.getJSON("/api/v1/events/" + v.ID + "/programme"); code != 200 || got["sessions"] == nil {
				t.Errorf("programme: %d %v", code, got)
			}
			// Both feeds are iCalendar a real parser reads.
			for _, path := range []string{"/api/v1/events/" + v.ID + "/calendar.ics", "/api/v1/collectives/alpes/calendar.ics"} {
				resp, err := http.Get(r.base + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
					t.Errorf("%s: content type %q", path, ct)
				}
				cal, err := ics.ParseCalendar(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if len(cal.Events()) == 0 || cal.Events()[0].GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"][0] != "Europe/Paris" {
					t.Errorf("%s: %s", path, body)
				}
			}
		})
	}
}

var privateLinkRE = regexp.MustCompile(`https?://[^\s]+/evenements/inscription/[A-Za-z0-9_-]+`)

// confirmationLink runs the mail job and returns the private link it mailed.
func (r *eventRig) confirmationLink(regID string) string {
	r.t.Helper()
	if err := event.SendConfirmation(context.Background(), r.deps, regID); err != nil {
		r.t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(r.mail, "event-confirmation-"+regID+".eml"))
	if err != nil {
		r.t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		r.t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	part, err := multipart.NewReader(msg.Body, params["boundary"]).NextPart()
	if err != nil {
		r.t.Fatal(err)
	}
	text, _ := io.ReadAll(part)
	link := privateLinkRE.FindString(string(text))
	if link == "" {
		r.t.Fatalf("no private link in %s", text)
	}
	return link
}

func TestEventPagesRegisterWithoutAccount(t *testing.T) {
	r := newEventRig(t, store.SQLite)
	v := r.event(1, time.Now().Add(72*time.Hour))
	b := newBrowser(t)
	p := b.get(r.base + "/evenements/" + v.ID)
	if p.status != 200 || !strings.Contains(p.body, "Webinaire du groupe Poste de travail") || !strings.Contains(p.body, `href="https://video.ville.example/w/abc"`) {
		t.Fatalf("event page %d:\n%s", p.status, p.body)
	}
	if strings.Contains(p.body, "<iframe") {
		t.Error("the page embeds a third-party player")
	}
	form := url.Values{"_csrf": {p.csrf(t)}, "name": {"Dominique Petit"}, "email": {"dominique@grenoble.example"}, "organization": {"Ville de Grenoble"},
		"category": {"collectivity"}, "consent": {"1"}}
	done := b.post(r.base+"/evenements/"+v.ID+"/inscription", form)
	if done.status != 200 || !strings.Contains(done.body, "Inscription confirmée") {
		t.Fatalf("after registering %d:\n%s", done.status, done.body)
	}
	// Without consent the form comes back with the reason and the values.
	form.Set("email", "autre@grenoble.example")
	form.Del("consent")
	again := b.post(r.base+"/evenements/"+v.ID+"/inscription", form)
	if again.status != 422 || !strings.Contains(again.body, "votre accord est nécessaire") || !strings.Contains(again.body, `value="autre@grenoble.example"`) {
		t.Errorf("without consent %d:\n%s", again.status, again.body)
	}
	// The next person is waitlisted: the event is full.
	form.Set("consent", "1")
	second := b.post(r.base+"/evenements/"+v.ID+"/inscription", form)
	if !strings.Contains(second.body, "liste d'attente") {
		t.Errorf("second registration:\n%s", second.body)
	}
	var regID, waitID string
	r.db.R.NewRaw("SELECT id FROM event_registrations WHERE email = 'dominique@grenoble.example'").Scan(context.Background(), &regID)
	r.db.R.NewRaw("SELECT id FROM event_registrations WHERE email = 'autre@grenoble.example'").Scan(context.Background(), &waitID)
	link := r.confirmationLink(regID)
	mine := b.get(link)
	if mine.status != 200 || !strings.Contains(mine.body, "dominique@grenoble.example") || mine.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("private page %d:\n%s", mine.status, mine.body)
	}
	cancelled := b.post(link+"/annuler", url.Values{"_csrf": {mine.csrf(t)}})
	if !strings.Contains(cancelled.body, "Votre inscription est annulée") {
		t.Errorf("after cancelling:\n%s", cancelled.body)
	}
	var st string
	r.db.R.NewRaw("SELECT status FROM event_registrations WHERE id = ?", waitID).Scan(context.Background(), &st)
	if st != "confirmed" {
		t.Errorf("waitlisted person is %s after the cancellation", st)
	}
	deleted := b.post(link+"/supprimer", url.Values{"_csrf": {mine.csrf(t)}})
	if !strings.Contains(deleted.body, "ont été supprimées") {
		t.Errorf("after deleting:\n%s", deleted.body)
	}
	if p := b.get(link); p.status != 404 {
		t.Errorf("deleted registration's link answers %d", p.status)
	}
	if p := b.get(r.base + "/evenements/inscription/" + strings.Repeat("x", 43)); p.status != 404 {
		t.Errorf("guessed link answers %d", p.status)
	}
	if p := b.get(r.base + "/evenements/" + v.ID + "/programme"); p.status != 200 {
		t.Errorf("programme page %d", p.status)
	}
	if p := b.get(r.base + "/evenements"); !strings.Contains(p.body, v.Title) {
		t.Errorf("events list:\n%s", p.body)
	}
}

func TestEventOrganizerPages(t *testing.T) {
	r := newEventRig(t, store.SQLite)
	r.user("orga@alpes.example", true)
	b := newBrowser(t)
	b.login(r.base, "orga@alpes.example", "un mot de passe long")
	np := b.get(r.base + "/c/alpes/evenements/nouveau")
	if np.status != 200 {
		t.Fatalf("new event page %d:\n%s", np.status, np.body)
	}
	start := time.Now().In(event.Paris()).Add(10 * 24 * time.Hour)
	day := start.Format("2006-01-02")
	created := b.post(r.base+"/c/alpes/evenements", url.Values{"_csrf": {np.csrf(t)}, "title": {"Rencontre régionale"}, "starts_at": {day + "T09:00"},
		"ends_at": {day + "T17:00"}, "capacity": {"30"}, "coorganizers": {"Ville de Grenoble | https://www.grenoble.fr"}})
	if created.status != 200 || !strings.Contains(created.body, "Brouillon créé") {
		t.Fatalf("create %d:\n%s", created.status, created.body)
	}
	edit := strings.TrimSuffix(created.url, "/modifier")
	withSession := b.post(edit+"/seances", url.Values{"_csrf": {created.csrf(t)}, "kind": {"workshop"}, "title": {"Atelier LibreOffice"},
		"session_starts_at": {day + "T10:00"}, "session_ends_at": {day + "T12:00"}, "session_capacity": {"12"}, "speakers": {"Sacha Roux | Ville de Grenoble"}})
	if !strings.Contains(withSession.body, "Atelier LibreOffice") {
		t.Fatalf("session not added:\n%s", withSession.body)
	}
	pub := b.post(edit+"/publier", url.Values{"_csrf": {withSession.csrf(t)}})
	if !strings.Contains(pub.body, "Événement publié") {
		t.Fatalf("publish:\n%s", pub.body)
	}
	att := b.get(edit + "/inscrits")
	added := b.post(edit+"/inscrits", url.Values{"_csrf": {att.csrf(t)}, "name": {"Noa Girard"}, "email": {"noa@asso.example"}, "category": {"association"}, "organization": {"=HYPERLINK(\"x\")"}})
	if !strings.Contains(added.body, "Noa Girard : inscription confirmée") {
		t.Fatalf("manual add:\n%s", added.body)
	}
	csvPage := b.get(edit + "/inscrits.csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvPage.body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "Noa Girard" || rows[1][2] != `'=HYPERLINK("x")` || rows[1][3] != "Association" {
		t.Errorf("CSV %v %q", err, rows)
	}
	filtered := b.get(edit + "/inscrits?category=company")
	if strings.Contains(filtered.body, "noa@asso.example") {
		t.Error("category filter shows another category")
	}
	checkin := b.get(edit + "/accueil?q=noa")
	m := regexp.MustCompile(`action="(/evenements/[^/]+/accueil/[^"]+)"`).FindStringSubmatch(checkin.body)
	if m == nil {
		t.Fatalf("no check-in button:\n%s", checkin.body)
	}
	arrived := b.post(r.base+m[1], url.Values{"_csrf": {checkin.csrf(t)}, "q": {"noa"}})
	if !strings.Contains(arrived.body, "Noa Girard : arrivée enregistrée") || !strings.Contains(arrived.body, "Annuler l'arrivée") {
		t.Errorf("check-in:\n%s", arrived.body)
	}
	// A visitor sees none of it.
	if p := newBrowser(t).get(edit + "/inscrits"); !strings.Contains(p.url, "/login") {
		t.Errorf("visitor reaches the attendee list: %s", p.url)
	}
}
