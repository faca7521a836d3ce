package server

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/account"
	"collectif/directory"
	"collectif/fault"
	"collectif/openid"
)

func (s *Server) authRoutes() {
	a := s.app
	a.Get("/login", s.loginPage)
	a.Post("/login", s.loginLocal)
	a.Get("/login/oidc/:provider", s.loginOIDC)
	a.Get("/login/oidc/:provider/callback", s.loginOIDCCallback)
	a.Post("/logout", s.logout)
	a.Get("/account", s.requireLogin, s.accountPage)
	a.Post("/account/profile", s.requireLogin, s.accountProfile)
	a.Post("/account/organization", s.requireLogin, s.accountOrganization)
	a.Post("/account/directory", s.requireLogin, s.accountDirectory)
	a.Post("/account/federation", s.requireLogin, s.accountFederation)
	a.Post("/account/language", s.requireLogin, s.accountLanguage)
	a.Post("/account/email", s.requireLogin, s.accountEmail)
	a.Get("/account/email/confirm", s.accountEmailConfirm)
	a.Post("/account/link/:provider", s.requireLogin, s.accountLink)
	a.Get("/account/tokens", s.requireLogin, s.tokensPage)
	a.Post("/account/tokens", s.requireLogin, s.tokenCreate)
	a.Post("/account/tokens/:id/revoke", s.requireLogin, s.tokenRevoke)
	a.Get("/account/sessions", s.requireLogin, s.sessionsPage)
	a.Post("/account/sessions/:id/revoke", s.requireLogin, s.sessionRevoke)
	a.Post("/account/sessions/logout-everywhere", s.requireLogin, s.logoutEverywhere)
	a.Get("/account/data", s.requireLogin, s.dataPage)
	a.Get("/account/export.json", s.requireLogin, s.dataExport)
	a.Post("/account/delete", s.requireLogin, s.accountDelete)
	a.Get("/api/v1/me", s.apiMe)
}

// requireLogin sends a visitor to the login page, then back.
func (s *Server) requireLogin(c *fiber.Ctx) error {
	if principal(c).IsAnonymous() {
		if strings.HasPrefix(c.Path(), "/api/") {
			return &fault.Error{Kind: fault.Unauthorized, Message: "authentification requise : jeton d'accès (Authorization: Bearer …)"}
		}
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	return c.Next()
}

// safeNext keeps only local paths, so a login link cannot send the person
// to another site afterwards.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/account"
	}
	return next
}

type loginData struct {
	Providers []openid.ProviderInfo
	Email     string
	Error     string
	Field     string
	Next      string
}

func (s *Server) providers() []openid.ProviderInfo {
	if s.d.OpenID == nil {
		return nil
	}
	return s.d.OpenID.Providers()
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if !principal(c).IsAnonymous() {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "login", "login", loginData{Providers: s.providers(), Next: safeNext(c.Query("next"))})
}

func (s *Server) loginLocal(c *fiber.Ctx) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	ip := c.IP()
	// Brute-force protection: per address and IP, per IP, and per address
	// whatever the IP. The last one is loose, so that an attacker cannot
	// lock a member out for more than an hour, and OpenID logins are
	// never blocked by it.
	for _, l := range []struct {
		name, key string
		n         int
		w         time.Duration
	}{
		{"login-ip", ip, 30, 10 * time.Minute},
		{"login-email-ip", email + "|" + ip, 5, 10 * time.Minute},
		{"login-email", email, 100, time.Hour},
	} {
		if err := s.limit(c, l.name, l.key, l.n, l.w); err != nil {
			return err
		}
	}
	a, err := s.d.Accounts.Authenticate(c.UserContext(), email, c.FormValue("password"), account.Client{IP: ip, UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		if fault.Is(err, fault.Unauthorized) {
			c.Status(fiber.StatusUnauthorized)
			return s.render(c, "login", "login", loginData{Providers: s.providers(), Email: email, Error: s.faultText(c, err), Field: "password", Next: safeNext(c.FormValue("next"))})
		}
		return err
	}
	if err := s.startSession(c, a, "password"); err != nil {
		return err
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

func (s *Server) loginOIDC(c *fiber.Ctx) error {
	if s.d.OpenID == nil {
		return fiber.ErrNotFound
	}
	if err := s.limit(c, "oidc-ip", c.IP(), 60, time.Minute); err != nil {
		return err
	}
	return s.beginOIDC(c, c.Params("provider"), false)
}

func (s *Server) beginOIDC(c *fiber.Ctx, provider string, link bool) error {
	authURL, pending, err := s.d.OpenID.Begin(c.UserContext(), provider)
	if errors.Is(err, openid.ErrUnknownProvider) {
		return fiber.ErrNotFound
	}
	if err != nil {
		s.log.WarnContext(c.UserContext(), "openid begin failed", "provider", provider, "err", err)
		return &fault.Error{Kind: fault.Unavailable, Message: "le fournisseur d'identité ne répond pas : réessayez plus tard ou utilisez un autre moyen de connexion"}
	}
	sess, err := s.session(c)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(pending)
	sess.data.Pending, sess.data.Link = string(b), link
	if err := s.saveSession(c); err != nil {
		return err
	}
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

func (s *Server) loginOIDCCallback(c *fiber.Ctx) error {
	if s.d.OpenID == nil {
		return fiber.ErrNotFound
	}
	if err := s.limit(c, "oidc-ip", c.IP(), 60, time.Minute); err != nil {
		return err
	}
	sess, err := s.session(c)
	if err != nil {
		return err
	}
	raw, link := sess.data.Pending, sess.data.Link
	if raw == "" {
		return fault.New(fault.Invalid, "aucune connexion n'est en cours (lien déjà utilisé ou expiré) : recommencez depuis la page de connexion")
	}
	// One use only: a replayed callback finds nothing.
	sess.data.Pending, sess.data.Link = "", false
	if err := s.saveSession(c); err != nil {
		return err
	}
	var pending openid.Pending
	if err := json.Unmarshal([]byte(raw), &pending); err != nil || pending.Provider != c.Params("provider") {
		return fault.New(fault.Invalid, "la réponse ne correspond pas à la connexion en cours : recommencez")
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	id, err := s.d.OpenID.Complete(c.UserContext(), pending, q)
	if err != nil {
		s.log.InfoContext(c.UserContext(), "openid login refused", "provider", pending.Provider, "err", err)
		var pe *openid.ProviderError
		switch {
		case errors.As(err, &pe):
			return fault.New(fault.Forbidden, "le fournisseur d'identité a refusé la connexion : %s", pe.Description)
		case errors.Is(err, openid.ErrExpired):
			return fault.New(fault.Invalid, "la connexion a expiré : recommencez")
		case errors.Is(err, openid.ErrDiscovery), errors.Is(err, openid.ErrExchange), errors.Is(err, openid.ErrUserInfo):
			return &fault.Error{Kind: fault.Unavailable, Message: "le fournisseur d'identité n'a pas répondu correctement : réessayez plus tard"}
		}
		return fault.New(fault.Invalid, "la connexion n'a pas pu être vérifiée : recommencez depuis la page de connexion")
	}
	subject := id.Subject
	if id.IdpID != "" {
		// With ProConnect a subject is unique per identity provider only.
		subject = id.IdpID + "|" + id.Subject
	}
	name := strings.TrimSpace(id.GivenName + " " + id.FamilyName)
	ext := account.ExternalIdentity{Provider: pending.Provider, Issuer: id.Issuer, Subject: subject, Email: id.Email,
		EmailVerified: id.EmailVerified, Name: name, Phone: id.Phone, SIREN: directory.SIRENOf(id.SIRET)}
	ctx := c.UserContext()
	if link {
		p := principal(c)
		if p.IsAnonymous() {
			return fault.New(fault.Invalid, "connectez-vous d'abord pour lier un fournisseur d'identité")
		}
		if err := s.d.Accounts.LinkIdentity(ctx, p.AccountID, ext); err != nil {
			return err
		}
		s.flash(c, "flash.identity_linked")
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	login, err := s.d.Accounts.LoginOIDC(ctx, ext, account.Client{IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		return err
	}
	if err := s.startSession(c, login.Account, "oidc:"+pending.Provider); err != nil {
		return err
	}
	sess, _ = s.session(c)
	sess.data.IDToken, sess.data.Provider = id.IDToken, pending.Provider
	if login.Created && login.Organization != nil {
		sess.data.Flash = s.tr(c, "flash.welcome_siret", "Name", login.Organization.Name)
	} else if login.Created {
		sess.data.Flash = s.tr(c, "flash.welcome")
	}
	if err := s.saveSession(c); err != nil {
		return err
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) logout(c *fiber.Ctx) error {
	w := whoOf(c)
	var idt, prov string
	if w.sess != nil {
		idt, prov = w.sess.data.IDToken, w.sess.data.Provider
	}
	s.endSession(c, w)
	if idt != "" && s.d.OpenID != nil {
		if u, ok := s.d.OpenID.LogoutURL(prov, idt, randomKey(), s.d.BaseURL.String()+"/"); ok {
			return c.Redirect(u, fiber.StatusSeeOther)
		}
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}
