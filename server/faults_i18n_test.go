package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"collectif/model"
	"collectif/store/storetest"
)

// The domain's error messages are shown in the visitor's language: a
// registration with a mistake, an error page and the JSON API say it in
// English to an English visitor and in French to a French one.
func TestFaultMessagesInVisitorsLanguage(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			r := newEventRig(t, e)
			v := r.event(10, time.Now().Add(72*time.Hour))
			form := func(p page, email string) url.Values {
				return url.Values{"_csrf": {p.csrf(t)}, "name": {"Dominique Clavier"}, "email": {email}, "category": {"collectivity"}, "consent": {"1"}}
			}

			// The registration form, an address without a dot in its domain.
			en := newEnglish(t)
			p := en.get(r.base + v.URL())
			bad := en.post(r.base+v.URL()+"/inscription", form(p, "dominique.clavier@mairie"))
			if bad.status != 422 || !strings.Contains(bad.body, `invalid e-mail address: &#34;dominique.clavier@mairie&#34;`) ||
				!strings.Contains(bad.body, `aria-describedby="email-error"`) || strings.Contains(bad.body, "adresse e-mail invalide") {
				t.Errorf("English registration with a bad address: %d\n%s", bad.status, around(bad.body, "email-error"))
			}
			fr := newBrowser(t)
			p = fr.get(r.base + v.URL())
			bad = fr.post(r.base+v.URL()+"/inscription", form(p, "dominique.clavier@mairie"))
			if bad.status != 422 || !strings.Contains(bad.body, `adresse e-mail invalide : &#34;dominique.clavier@mairie&#34;`) {
				t.Errorf("French registration with a bad address: %d\n%s", bad.status, around(bad.body, "email-error"))
			}
			// A value in the message: the English sentence gets it too.
			long := form(en.get(r.base+v.URL()), "dominique@mairie.example")
			long.Set("name", strings.Repeat("x", 201))
			if bad := en.post(r.base+v.URL()+"/inscription", long); bad.status != 422 || !strings.Contains(bad.body, "this field cannot exceed 200 characters") {
				t.Errorf("English registration with a long name: %d\n%s", bad.status, around(bad.body, "name-error"))
			}

			// An error page: the message in English, not marked French.
			missing := en.get(r.base + "/evenements/" + model.NewID())
			if missing.status != 404 || !strings.Contains(missing.body, "<p>event not found</p>") {
				t.Errorf("English error page: %d\n%s", missing.status, missing.body)
			}
			if missing := fr.get(r.base + "/evenements/" + model.NewID()); missing.status != 404 || !strings.Contains(missing.body, "<p>événement introuvable</p>") {
				t.Errorf("French error page: %d\n%s", missing.status, missing.body)
			}

			// The JSON API follows Accept-Language, French by default; the
			// shape of the error stays the same.
			api := func(lang string) (int, map[string]any) {
				req, _ := http.NewRequest("POST", r.base+"/api/v1/events/"+v.ID+"/registrations",
					strings.NewReader(`{"name":"Dominique Clavier","email":"dominique.clavier@mairie","category":"collectivity","consent":true}`))
				req.Header.Set("Content-Type", "application/json")
				if lang != "" {
					req.Header.Set("Accept-Language", lang)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out struct {
					Error map[string]any `json:"error"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
					t.Fatal(err)
				}
				return resp.StatusCode, out.Error
			}
			for _, c := range []struct{ lang, want string }{
				{"en-GB,en;q=0.9", `invalid e-mail address: "dominique.clavier@mairie"`},
				{"fr-FR", `adresse e-mail invalide : "dominique.clavier@mairie"`},
				{"", `adresse e-mail invalide : "dominique.clavier@mairie"`},
			} {
				code, got := api(c.lang)
				if code != 422 || got["code"] != "invalid" || got["field"] != "email" || got["message"] != c.want || len(got) != 3 {
					t.Errorf("API, Accept-Language %q: %d %v, want 422 with %q", c.lang, code, got, c.want)
				}
			}
		})
	}
}
