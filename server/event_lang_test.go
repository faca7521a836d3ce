package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/event"
	"collectif/store/storetest"
)

// sentMail is a mail as its reader gets it.
type sentMail struct {
	subject, text string
	files         []string // attachment names
}

// readSent reads a mail the file sender wrote.
func readSent(t *testing.T, path string) sentMail {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var m sentMail
	m.subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if mt == "text/plain" {
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		m.text = string(body)
		return m
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			m.files = append(m.files, p.FileName())
			continue
		}
		body, _ := io.ReadAll(p)
		m.text = string(body)
	}
}

func (m sentMail) has(t *testing.T, what string, subject string, lines ...string) {
	t.Helper()
	if m.subject != subject {
		t.Errorf("%s: subject %q, want %q", what, m.subject, subject)
	}
	for _, l := range lines {
		if !strings.Contains(m.text, l) {
			t.Errorf("%s: no %q in:\n%s", what, l, m.text)
		}
	}
}

// TestEventMailsInTheRegistrationsLanguage: a person who registers from
// the English page, or through the API in English, gets English mails; from
// the French page, French ones; an organizer reading the pages in English
// exports the attendees in English.
func TestEventMailsInTheRegistrationsLanguage(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			r := newEventRig(t, e)
			ctx := context.Background()
			paris := event.Paris()
			day := time.Now().In(paris).AddDate(0, 0, 10)
			start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, paris)
			v := r.event(2, start)
			title := "Webinaire du groupe Poste de travail"
			regID := func(email string) string {
				var id string
				if err := r.db.R.NewRaw("SELECT id FROM event_registrations WHERE email = ?", email).Scan(ctx, &id); err != nil {
					t.Fatal(err)
				}
				return id
			}
			confirmation := func(id string) sentMail {
				if err := event.SendConfirmation(ctx, r.deps, id); err != nil {
					t.Fatal(err)
				}
				return readSent(t, filepath.Join(r.mail, "event-confirmation-"+id+".eml"))
			}
			register := func(b *browser, name, email string) {
				p := b.get(r.base + "/evenements/" + v.ID)
				done := b.post(r.base+"/evenements/"+v.ID+"/inscription", url.Values{"_csrf": {p.csrf(t)}, "name": {name}, "email": {email},
					"category": {"collectivity"}, "consent": {"1"}})
				if done.status != 200 {
					t.Fatalf("registering %s: %d\n%s", email, done.status, done.body)
				}
			}

			en := newBrowser(t)
			en.get(r.base + "/lang/en")
			register(en, "Alex Smith", "alex@council.example")
			enDate := event.WhenIn(event.English, start, start.Add(2*time.Hour))
			if !strings.HasSuffix(enDate, ", 9:00 am to 11:00 am") {
				t.Fatalf("English dates: %q", enDate)
			}
			m := confirmation(regID("alex@council.example"))
			m.has(t, "English confirmation", "Registration: "+title, "Hello Alex Smith,", "Your registration for “"+title+"” is confirmed.",
				"When: "+enDate+" (Paris time)", "Live stream: https://video.ville.example/w/abc", "Your personal link")
			if len(m.files) != 2 || m.files[0] != "event.ics" {
				t.Errorf("English attachments: %v", m.files)
			}

			fr := newBrowser(t)
			register(fr, "Dominique Petit", "dominique@grenoble.example")
			frID := regID("dominique@grenoble.example")
			m = confirmation(frID)
			m.has(t, "French confirmation", "Inscription : "+title, "Bonjour Dominique Petit,", "votre inscription à « "+title+" » est confirmée.",
				"Quand : "+event.When(start, start.Add(2*time.Hour))+" (heure de Paris)", "Votre lien personnel")
			if len(m.files) != 2 || m.files[0] != "evenement.ics" {
				t.Errorf("French attachments: %v", m.files)
			}

			// The API takes the request's language, as the pages do; the
			// event is full: waiting list.
			req, _ := http.NewRequest("POST", r.base+"/api/v1/events/"+v.ID+"/registrations",
				strings.NewReader(`{"name":"Sam Jones","email":"sam@county.example","category":"state","consent":true}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var answer map[string]any
			json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			if resp.StatusCode != 201 || answer["status"] != "waitlisted" || !strings.HasPrefix(fmt.Sprint(answer["message"]), "A confirmation email") {
				t.Fatalf("API registration: %d %v", resp.StatusCode, answer)
			}
			samID := regID("sam@county.example")
			confirmation(samID).has(t, "English waiting list", "Registration: "+title, "“"+title+"” is full: you are on the waiting list.")

			// The French person cancels: the English one on the list gets
			// the place, told in English.
			link := privateLinkRE.FindString(confirmation(frID).text)
			if err := r.events.CancelMine(ctx, link[strings.LastIndex(link, "/")+1:]); err != nil {
				t.Fatal(err)
			}
			if err := event.SendPromoted(ctx, r.deps, event.PromotedMail{RegistrationID: samID}); err != nil {
				t.Fatal(err)
			}
			readSent(t, filepath.Join(r.mail, "event-promoted-"+samID+".eml")).has(t, "English promotion", "Place confirmed: "+title,
				"Hello Sam Jones,", "A place has opened: your registration for “"+title+"” is confirmed.")

			// The day before, each reminder in its registration's language.
			d := r.deps
			d.Now = func() time.Time { return start.AddDate(0, 0, -1).Add(2 * time.Hour) }
			if n, err := event.SendReminders(ctx, d); err != nil || n != 2 {
				t.Fatalf("%d reminders, %v", n, err)
			}
			readSent(t, filepath.Join(r.mail, "event-reminder-"+samID+".eml")).has(t, "English reminder", "Tomorrow: "+title,
				"“"+title+"” is tomorrow.", "When: "+enDate)

			// The organizer reads the pages in English: so is the export.
			r.user("orga@alpes.example", true)
			orga := newBrowser(t)
			orga.login(r.base, "orga@alpes.example", "un mot de passe long")
			orga.get(r.base + "/lang/en")
			p := orga.get(r.base + "/evenements/" + v.ID + "/inscrits.csv")
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(p.body, "\ufeff"))).ReadAll()
			if err != nil || len(rows) != 3 {
				t.Fatalf("CSV %d %v %q", p.status, err, rows)
			}
			if got := strings.Join(rows[0], ","); got != "name,email,organization,category,status,workshops,registered,arrived" {
				t.Errorf("English CSV header: %s", got)
			}
			if rows[1][0] != "Alex Smith" || rows[1][3] != "Local government" || rows[1][4] != "confirmed" || rows[2][3] != "State administration" {
				t.Errorf("English CSV rows: %q", rows[1:])
			}
			orga.get(r.base + "/lang/fr")
			p = orga.get(r.base + "/evenements/" + v.ID + "/inscrits.csv")
			if rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(p.body, "\ufeff"))).ReadAll(); err != nil || len(rows) != 3 ||
				rows[0][0] != "nom" || rows[1][3] != "Collectivité territoriale" || rows[1][4] != "confirmée" {
				t.Errorf("French CSV %v %q", err, rows)
			}
		})
	}
}
