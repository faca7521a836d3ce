package event_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/event"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

var mailLangs = []string{event.French, event.English}

var update = flag.Bool("update", false, "rewrite the expected mails of testdata/mails")

var tokenRE = regexp.MustCompile(`/(inscription|accueil)/[A-Za-z0-9_-]{43}`)

// mailTexts registers people to a fixed event in lang and returns, by
// name, the subject and text of every mail they get, links and IDs
// replaced by placeholders.
func mailTexts(t *testing.T, db *store.DB, lang string) map[string]string {
	f := newFixture(t, db)
	paris := event.Paris()
	start := time.Date(2027, 3, 12, 9, 0, 0, 0, paris)
	v, err := f.s.Create(f.ctx, access.System(), "alpes", event.Input{Title: "Rencontres du libre", Summary: "La journée annuelle",
		StartsAt: start, EndsAt: start.Add(8*time.Hour + 30*time.Minute), Venue: "Salle des fêtes", Address: "1 place de la Mairie, 38130 Échirolles",
		Accessibility: "Salle de plain-pied, boucle magnétique", StreamURL: "https://video.ville.example/w/abc", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.s.AddSession(f.ctx, access.System(), v.ID, event.SessionInput{Kind: model.SessionWorkshop, Title: "Atelier LibreOffice",
		StartsAt: start.Add(time.Hour), EndsAt: start.Add(3 * time.Hour), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Publish(f.ctx, access.System(), v.ID); err != nil {
		t.Fatal(err)
	}
	two, err := f.s.Create(f.ctx, access.System(), "alpes", event.Input{Title: "Université d'été", StartsAt: start.AddDate(0, 3, 0),
		EndsAt: start.AddDate(0, 3, 1).Add(8 * time.Hour), StreamURL: "https://video.ville.example/w/ete"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Publish(f.ctx, access.System(), two.ID); err != nil {
		t.Fatal(err)
	}
	in := func(i int) event.Registrant {
		r := person(i)
		r.Workshops = []string{w.ID}
		r.Lang = lang
		return r
	}
	first, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, in(1))
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.s.Register(f.ctx, access.Anonymous(), v.ID, in(2))
	if err != nil {
		t.Fatal(err)
	}
	online := in(3)
	online.Workshops = nil
	third, err := f.s.Register(f.ctx, access.Anonymous(), two.ID, online)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	read := func(name, file string) {
		t.Helper()
		m := parseMail(t, filepath.Join(f.mail, file))
		text := tokenRE.ReplaceAllString(m.text, "/$1/TOKEN")
		text = strings.NewReplacer(v.ID, "EVENT", two.ID, "EVENT2").Replace(text)
		out[name] = "Subject: " + m.subject + "\n\n" + text
	}
	for name, id := range map[string]string{"confirmed": first.ID, "waitlisted": second.ID, "online": third.ID} {
		f.mailOf(id)
		read(name, "event-confirmation-"+id+".eml")
	}
	// The .ics keeps the organizers' texts and writes its own labels in
	// the registration's language.
	ics := map[string][]string{event.French: {"evenement.ics", `\nDiffusion en direct : https`, "DESCRIPTION:Atelier"},
		event.English: {"event.ics", `\nLive stream: https`, "DESCRIPTION:Workshop"}}[lang]
	cal := strings.ReplaceAll(string(f.mailOf(first.ID).files[ics[0]]), "\r\n ", "")
	for _, want := range append(ics[1:], "SUMMARY:Rencontres du libre", "SUMMARY:Atelier LibreOffice (Rencontres du libre)") {
		if !strings.Contains(cal, want) {
			t.Errorf("no %q in the %s .ics:\n%s", want, lang, cal)
		}
	}
	// The first cancels: the second gets the place, then the workshop's.
	tok := f.mailOf(first.ID).token(t)
	if err := f.s.CancelMine(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := event.SendPromoted(f.ctx, f.deps, event.PromotedMail{RegistrationID: second.ID}); err != nil {
		t.Fatal(err)
	}
	read("promoted", "event-promoted-"+second.ID+".eml")
	if err := event.SendPromoted(f.ctx, f.deps, event.PromotedMail{RegistrationID: second.ID, SessionID: w.ID}); err != nil {
		t.Fatal(err)
	}
	read("promoted_workshop", "event-promoted-"+second.ID+"-"+w.ID+".eml")
	d := f.deps
	d.Now = func() time.Time { return start.AddDate(0, 0, -1).Add(time.Hour) }
	if n, err := event.SendReminders(f.ctx, d); err != nil || n != 1 {
		t.Fatalf("%d reminders, %v", n, err)
	}
	read("reminder", "event-reminder-"+second.ID+".eml")
	if err := f.s.Cancel(f.ctx, access.System(), two.ID, "Salle indisponible ; report à l'automne."); err != nil {
		t.Fatal(err)
	}
	if err := event.SendCancelled(f.ctx, f.deps, two.ID); err != nil {
		t.Fatal(err)
	}
	read("cancelled", "event-cancelled-"+third.ID+".eml")
	return out
}

// TestMailTexts compares every mail of a registration, in each language,
// with the text expected in testdata/mails (go test -update rewrites it).
func TestMailTexts(t *testing.T) {
	for _, lang := range mailLangs {
		t.Run(lang, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				for name, text := range mailTexts(t, db, lang) {
					path := filepath.Join("testdata", "mails", name+"."+lang+".txt")
					if *update && db.Engine() == store.SQLite {
						if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
							t.Fatal(err)
						}
						continue
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if text != string(want) {
						t.Errorf("%s in %s:\n%s\nwant:\n%s", name, lang, text, want)
					}
				}
			})
		})
	}
}
