package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"collectif/access"
)

// modes are the two browsers every journey runs in: every flow must work
// without JavaScript.
var modes = []struct {
	name string
	js   bool
}{{"javascript", true}, {"sans-javascript", false}}

// login goes through the login form as a person would, from the page shown.
func (tb *tab) login(p person) {
	tb.t.Helper()
	tb.fill("#email", p.Email)
	tb.fill("#password", testPassword)
	tb.click(`form[action="/login"] button[type="submit"]`)
}

// TestJourneys walks the main journeys, with JavaScript and without: a
// visitor reads the hub; a member logs in, edits the profile, creates an API
// token, asks to join another collective; an owner decides on a request,
// searches the directory and logs out. tab.check runs axe-core, the weight
// budget and the third-party check on every page on the way.
func TestJourneys(t *testing.T) {
	b := sharedBrowser(t)
	t.Parallel()
	r := newRig(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			rep := &report{}
			defer func() { t.Logf("pages of the journey:\n%s", rep.table()) }()
			owner := r.owner("camille."+m.name+"@recette.example", "Camille Recette")
			cand := r.candidate("dominique."+m.name+"@recette.example", "Dominique Candidate", "alpes",
				"Bonjour, je suis responsable informatique à Vizille et nous migrons nos postes sous Linux.")
			tb := b.newTab(t, r.base, m.js, rep, 3*time.Minute)

			// A visitor reads the home page, then a collective's.
			tb.open("/")
			tb.wantText("h1", "Les collectifs")
			tb.wantText("main", "Collectif des collectivités libres des Alpes", "Réseau national des collectivités et du logiciel libre")
			tb.click(`main a[href="/c/alpes"]`)
			tb.wantPath("/c/alpes")
			tb.wantText("h1", "Collectif des collectivités libres des Alpes")
			tb.wantText("main", "Groupes de travail", "Migration du poste de travail sous Linux", "Connectez-vous")
			if n := tb.count(`a[href="/c/alpes/admin"], a[href="/c/alpes/members"]`); n != 0 {
				t.Errorf("[%s] a visitor sees %d links to the directory or the administration", tb.mode(), n)
			}

			// A wrong password is refused with a message tied to the fields.
			tb.click(`header a[href="/login"]`)
			tb.wantPath("/login")
			tb.fill("#email", owner.Email)
			tb.fill("#password", "pas le bon mot de passe")
			tb.clickWant(`form[action="/login"] button[type="submit"]`, http.StatusUnauthorized)
			if tb.count(`#login-error[role="alert"]`) != 1 || tb.count(`#password[aria-invalid="true"][aria-describedby="login-error"]`) != 1 {
				t.Errorf("[%s] the login error is not announced and tied to the password field", tb.mode())
			}
			if got := tb.value("#email"); got != owner.Email {
				t.Errorf("[%s] after a refused login the e-mail field holds %q, want %q", tb.mode(), got, owner.Email)
			}

			// Logs in through the form: lands on the account page.
			tb.login(owner)
			tb.wantPath("/account")
			tb.wantText("h1", "Mon compte")
			tb.wantText("main", owner.Email)

			// Edits the profile (a form with its CSRF token).
			if tb.count(`form[action="/account/profile"] input[name="_csrf"]`) != 1 {
				t.Errorf("[%s] the profile form has no CSRF field", tb.mode())
			}
			tb.fill("#name", "Camille Lefèvre-Recette")
			tb.fill("#title", "Responsable du numérique")
			tb.click(`form[action="/account/profile"] button[type="submit"]`)
			tb.wantPath("/account")
			tb.wantText(".flash", "Votre profil est enregistré.")
			if got := tb.value("#name"); got != "Camille Lefèvre-Recette" {
				t.Errorf("[%s] name after saving: %q", tb.mode(), got)
			}
			if got := tb.value("#title"); got != "Responsable du numérique" {
				t.Errorf("[%s] title after saving: %q", tb.mode(), got)
			}

			// Creates an API token and sees it once.
			tb.click(`.subnav a[href="/account/tokens"]`)
			tb.wantPath("/account/tokens")
			tb.fill("#name", "Tableau de bord DSI")
			tb.click(`form[action="/account/tokens"] button[type="submit"]`)
			token := tb.text("code.token")
			if len(token) < 20 {
				t.Fatalf("[%s] the new token shown is %q", tb.mode(), token)
			}
			tb.wantText("table", "Tableau de bord DSI", "jamais utilisé")
			if got := apiMe(t, r.base, token); got != owner.Email {
				t.Errorf("[%s] GET /api/v1/me with the new token: %q, want %q", tb.mode(), got, owner.Email)
			}
			tb.open("/account/tokens")
			if tb.count("code.token") != 0 || strings.Contains(tb.text("main"), token) {
				t.Errorf("[%s] the token is shown again on /account/tokens", tb.mode())
			}

			// Asks to join the national collective, with a message.
			const msg = "Nous aimerions partager notre migration de la messagerie vers SOGo."
			tb.open("/c/national")
			tb.fill("#message", msg)
			tb.click(`form[action="/c/national/join"] button[type="submit"]`)
			tb.wantPath("/c/national")
			tb.wantText(".flash", "Votre demande est envoyée")
			tb.wantText(".membership", "en attente de décision", "Retirer ma demande")
			if !pendingWith(t, r, "national", owner.ID, msg) {
				t.Errorf("[%s] the national collective has no pending request from %s with the message", tb.mode(), owner.Email)
			}

			// The owner of "alpes" opens the administration and accepts a
			// request.
			tb.open("/c/alpes")
			tb.wantText(".membership", "propriétaire")
			tb.click(`a[href="/c/alpes/admin"]`)
			tb.wantPath("/c/alpes/admin")
			tb.wantText("h1", "Demandes d'adhésion")
			decide := fmt.Sprintf(`form[action="/c/alpes/admin/requests/%s"]`, cand.ID)
			tb.wantText(decide+` label`, cand.Name)
			tb.wantText("main", "responsable informatique à Vizille")
			tb.click(decide + ` button[value="approve"]`)
			tb.wantPath("/c/alpes/admin")
			tb.wantText(".flash", "La demande est acceptée.")
			if tb.count(decide) != 0 {
				t.Errorf("[%s] the accepted request is still listed", tb.mode())
			}

			// The member directory, filtered by a tool.
			tb.open("/c/alpes")
			tb.click(`a[href="/c/alpes/members"]`)
			tb.wantText("h1", "Annuaire des membres")
			tb.fill("#tool", "nextcloud")
			tb.click(`form[action="/c/alpes/members"] button[type="submit"]`)
			if !strings.Contains(tb.path(), "tool=nextcloud") {
				t.Errorf("[%s] the filter is not in the address: %s", tb.mode(), tb.path())
			}
			tb.wantText("main .meta", "3 membres")
			tb.wantText(".cards", "Alix Fictif", "Damien Essai", "Karima Démo", "Nextcloud")
			if strings.Contains(tb.text(".cards"), "Paul Essai") {
				t.Errorf("[%s] the filter by tool keeps a member without it", tb.mode())
			}
			if got := tb.value("#tool"); got != "nextcloud" {
				t.Errorf("[%s] the tool field lost the filter: %q", tb.mode(), got)
			}

			// Logs out: back home as a visitor, the account is closed.
			tb.click(`header form[action="/logout"] button[type="submit"]`)
			tb.wantPath("/")
			if tb.count(`header a[href="/login"]`) != 1 {
				t.Errorf("[%s] after logging out, the header offers no login", tb.mode())
			}
			tb.open("/account")
			if p := tb.path(); !strings.HasPrefix(p, "/login") {
				t.Errorf("[%s] /account after logout shows %s, want the login page", tb.mode(), p)
			}
		})
	}
}

// apiMe answers the e-mail of the account of a bearer token.
func apiMe(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct{ Email string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&me) != nil {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return me.Email
}

// pendingWith reports whether accountID's request to join slug, with its
// message, is waiting for the collective's administrators.
func pendingWith(t *testing.T, r *rig, slug, accountID, msg string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pend, err := r.hub.Collectives.Pending(ctx, access.System(), slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pend {
		if p.AccountID == accountID {
			return p.Message == msg
		}
	}
	return false
}
