package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/fault"
	"collectif/frontend"
)

// langCookie remembers the language a visitor chose with the switch in
// the footer, or the one a member chose for their account (set at login).
const langCookie = "lang"

type langKey struct{}

// lang is the language of the page being answered: the one the logged-in
// member chose for their account, else the lang cookie's, else the
// browser's Accept-Language, else French.
func lang(c *fiber.Ctx) string {
	if l, ok := c.Locals(langKey{}).(string); ok {
		return l
	}
	chosen := whoOf(c).lang
	if chosen == "" {
		chosen = c.Cookies(langCookie)
	}
	l := frontend.Match(chosen, c.Get(fiber.HeaderAcceptLanguage))
	c.Locals(langKey{}, l)
	return l
}

// useLang keeps l in the lang cookie for a year, and makes it the
// language of the rest of the request (its flash message, for one).
func (s *Server) useLang(c *fiber.Ctx, l string) {
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: l, Path: "/", Secure: s.d.BaseURL.Scheme == "https",
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().AddDate(1, 0, 0)})
	c.Locals(langKey{}, frontend.Match(l, c.Get(fiber.HeaderAcceptLanguage)))
}

// tr translates a message of frontend/locales into the page's language.
// Every text the server shows people (flash messages, error titles) goes
// through it.
func (s *Server) tr(c *fiber.Ctx, id string, args ...any) string {
	return s.d.Frontend.T(lang(c), id, args...)
}

// faultText is the safe message of a domain error in the page's
// language: the English of its French format (frontend's FaultMessage),
// given the fault's values, or the French message when there is none.
// Every fault message the server shows, on a page, in a flash or in the
// JSON API, goes through it.
func (s *Server) faultText(c *fiber.Ctx, err error) string {
	l := lang(c)
	return fault.Localize(err, func(id string) (string, bool) { return s.d.Frontend.FaultMessage(l, id) })
}

// switchLang answers the language links of the footer: it keeps the
// choice in a cookie for a year and goes back to the page; for a logged-in
// member it also records it on the account, so that every browser they
// log in from follows it. A plain link (GET) so that it works without
// JavaScript; the only effect is a preference, so a forged link can do
// little harm, and one from another site changes the cookie only.
func (s *Server) switchLang(c *fiber.Ctx) error {
	to := c.Params("lang")
	if frontend.Match(to, "") != to {
		return fiber.ErrNotFound
	}
	if p := principal(c); !p.IsAnonymous() && c.Get("Sec-Fetch-Site") != "cross-site" {
		if _, err := s.d.Accounts.SetLanguage(c.UserContext(), p, p.AccountID, to); err != nil {
			return err
		}
		whoOf(c).lang = to
	}
	s.useLang(c, to)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(localPath(c.Query("next")), fiber.StatusSeeOther)
}

// localPath keeps next if it is a path of this site, and gives "/"
// otherwise, so that the switch cannot send people elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}
