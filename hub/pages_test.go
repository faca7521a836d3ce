package hub_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/config"
	"collectif/demo"
	"collectif/event"
	"collectif/hub"
	"collectif/model"
	"collectif/store/storetest"
)

// TestDemoPagesRender loads the demonstration data into a whole hub and
// opens every main page as a visitor and as a member: each answers 200
// with its expected content, so a template that breaks on real data is
// caught here.
func TestDemoPagesRender(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			opts := storetest.Options(t, e)
			env := map[string]string{"COLLECTIF_DATA_DIR": t.TempDir(), "COLLECTIF_DATABASE_URL": opts.DatabaseURL}
			cfg, err := config.FromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h, err := hub.Open(ctx, cfg, nil, hub.Options{Workers: true})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := demo.Load(ctx, h.DemoDeps())
			if err != nil || rep.Topics == 0 || rep.Resources == 0 || rep.Usages == 0 {
				t.Fatalf("demo: %v %v", rep, err)
			}
			figures, err := h.Catalog.NetworkFigures(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The demo is idempotent: a second load writes no new declaration.
			if _, err := demo.Load(ctx, h.DemoDeps()); err != nil {
				t.Fatal(err)
			}
			if again, _ := h.Catalog.NetworkFigures(ctx); again != figures {
				t.Fatalf("figures after a second demo load: %+v, before %+v", again, figures)
			}
			echirolles, err := h.Directory.Ensure(ctx, "213801517")
			if err != nil {
				t.Fatal(err)
			}
			a, err := h.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: "membre@alpes.example", Name: "Membre Démo", Password: "un mot de passe long"})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Collectives.Join(ctx, access.System(), "alpes", a.ID, model.RoleMember); err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- h.Serve(ctx, ln) }()
			base := "http://" + ln.Addr().String()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: time.Minute}
			get := func(path string) (int, string) {
				resp, err := c.Get(base + path)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			pages := map[string]string{
				"/":                               "Collectif des collectivités libres des Alpes",
				"/c/alpes":                        "Retour d&#39;expérience : 600 postes sous Linux",
				"/c/national":                     "Modèle de CCTP",
				"/c/alpes/g/poste-linux":          "Migration du poste de travail sous Linux",
				"/c/alpes/resources":              "Recette de déploiement des postes Debian",
				"/search?q=visioconference":       "Visioconférence",
				"/login":                          "Adresse e-mail",
				"/logiciels":                      "Polotno Studio",
				"/logiciels?q=Canva":              "Polotno Studio",
				"/logiciels/bigbluebutton":        "Échirolles",
				"/c/alpes/logiciels":              "Maarch Courrier",
				"/organisations/" + echirolles.ID: "360\u202f000\u00a0€",
				"/search?q=Canva":                 "Polotno Studio",
				"/evenements":                     "Webinaire du groupe Poste de travail libre",
				"/c/national/evenements":          "Rencontres annuelles du réseau",
			}
			if evs, err := h.Events.List(ctx, access.Anonymous(), event.Filter{Collective: "national"}); err != nil || len(evs.Items) != 2 {
				t.Fatalf("demo events: %v", err)
			} else {
				for _, v := range evs.Items {
					pages["/evenements/"+v.ID] = "Programme"
					pages["/evenements/"+v.ID+"/programme"] = "Salle"
					if v.Capacity == 100 {
						pages["/evenements/"+v.ID] = "100 places"
						pages["/api/v1/events/"+v.ID] = `"capacity":100`
						pages["/evenements/"+v.ID+"/programme"] = "Trois migrations"
					}
				}
			}
			if again, err := demo.Load(ctx, h.DemoDeps()); err != nil || again.Events != 2 {
				t.Fatalf("demo loaded twice: %v %v", again, err)
			}
			check := func(who string) {
				for path, want := range pages {
					code, body := get(path)
					if code != 200 || !strings.Contains(body, want) {
						t.Errorf("%s GET %s = %d, lacks %q", who, path, code, want)
					}
				}
			}
			// Index jobs run in the workers: wait for the search to catch up.
			for _, q := range []string{"visioconference", "Canva"} {
				for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if _, body := get("/api/v1/search?q=" + q); !strings.Contains(body, `"total":0`) {
						break
					}
				}
			}
			check("visitor")
			_, lp := get("/login")
			tok := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(lp)
			if tok == nil {
				t.Fatal("no CSRF field on /login")
			}
			resp, err := c.PostForm(base+"/login", url.Values{"_csrf": {tok[1]}, "email": {"membre@alpes.example"}, "password": {"un mot de passe long"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			pages["/c/alpes/members"] = "Membre Démo"
			pages["/account"] = "membre@alpes.example"
			pages["/notifications"] = "Notifications"
			pages["/account/tokens"] = "Jetons"
			pages["/account/sessions"] = "Dernières connexions"
			pages["/account/data"] = "Télécharger mes données"
			check("member")
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
