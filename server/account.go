package server

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/account"
	"collectif/fault"
	"collectif/model"
	"collectif/openid"
	"collectif/territory"
)

type accountData struct {
	Account      *model.Account
	Organization *model.Organization
	Identities   []model.Identity
	Providers    []openid.ProviderInfo
	OrgQuery     string
	OrgResults   []territory.Territory
	Skills       string
	Tools        string
	Error        string
	Field        string
}

func (s *Server) me(c *fiber.Ctx) (*model.Account, error) {
	w := whoOf(c)
	if w.account != nil {
		return w.account, nil
	}
	a, err := s.d.Accounts.ByID(c.UserContext(), w.p.AccountID)
	if err != nil {
		return nil, err
	}
	w.account = a
	return a, nil
}

func (s *Server) accountData(c *fiber.Ctx) (*accountData, error) {
	a, err := s.me(c)
	if err != nil {
		return nil, err
	}
	d := &accountData{Account: a, Providers: s.providers()}
	if a.OrganizationID != "" && s.d.Directory != nil {
		if o, err := s.d.Directory.ByID(c.UserContext(), a.OrganizationID); err == nil {
			d.Organization = o
		}
	}
	if d.Identities, err = s.d.Accounts.Identities(c.UserContext(), a.ID); err != nil {
		return nil, err
	}
	skills, tools, err := s.d.Accounts.Tags(c.UserContext(), a.ID)
	if err != nil {
		return nil, err
	}
	d.Skills, d.Tools = strings.Join(skills, ", "), strings.Join(tools, ", ")
	if q := strings.TrimSpace(c.Query("org_q")); q != "" && s.d.Directory != nil {
		d.OrgQuery = q
		for _, t := range s.d.Directory.Reference().Search(q, 10) {
			if t.SIREN != "" {
				d.OrgResults = append(d.OrgResults, t)
			}
		}
	}
	return d, nil
}

func (s *Server) accountPage(c *fiber.Ctx) error {
	d, err := s.accountData(c)
	if err != nil {
		return err
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "account", "account", d)
}

func (s *Server) accountProfile(c *fiber.Ctx) error {
	p := principal(c)
	err := s.d.Accounts.UpdateProfile(c.UserContext(), p, p.AccountID, c.FormValue("name"), c.FormValue("title"))
	if fault.Is(err, fault.Invalid) {
		d, derr := s.accountData(c)
		if derr != nil {
			return derr
		}
		d.Error, d.Field = s.faultText(c, err), fault.FieldOf(err)
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "account", "account", d)
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.profile_saved")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

// accountLanguage saves the language the member chose on the account
// page, and applies it to this browser at once; "no preference" leaves
// this browser's own choice as it is.
func (s *Server) accountLanguage(c *fiber.Ctx) error {
	p := principal(c)
	l, err := s.d.Accounts.SetLanguage(c.UserContext(), p, p.AccountID, c.FormValue("lang"))
	if fault.Is(err, fault.Invalid) {
		return s.accountFormError(c, err)
	}
	if err != nil {
		return err
	}
	whoOf(c).lang = l
	if l != "" {
		s.useLang(c, l)
	} else {
		c.Locals(langKey{}, nil) // the cookie or Accept-Language decides again
	}
	s.flash(c, "flash.language_saved")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) accountFormError(c *fiber.Ctx, err error) error {
	d, derr := s.accountData(c)
	if derr != nil {
		return derr
	}
	d.Error, d.Field = s.faultText(c, err), fault.FieldOf(err)
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "account", "account", d)
}

func (s *Server) accountEmail(c *fiber.Ctx) error {
	p := principal(c)
	err := s.d.Accounts.RequestEmailChange(c.UserContext(), p, p.AccountID, c.FormValue("email"), c.FormValue("current_password"))
	if fault.Is(err, fault.Invalid) || fault.Is(err, fault.Conflict) {
		return s.accountFormError(c, err)
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.email_link_sent")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) accountEmailConfirm(c *fiber.Ctx) error {
	a, err := s.d.Accounts.ConfirmEmailChange(c.UserContext(), c.Query("token"))
	if err != nil {
		return err
	}
	s.flash(c, "flash.email_changed", "Email", a.Email)
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) accountDirectory(c *fiber.Ctx) error {
	p := principal(c)
	split := func(v string) []string { return strings.Split(v, ",") }
	err := s.d.Accounts.UpdateDirectoryProfile(c.UserContext(), p, p.AccountID, account.DirectoryProfile{
		Bio: c.FormValue("bio"), Skills: split(c.FormValue("skills")), Tools: split(c.FormValue("tools")),
		ShowInDir: c.FormValue("show_in_directory") == "on", ShowEmail: c.FormValue("show_email") == "on", ShowPhone: c.FormValue("show_phone") == "on"})
	if fault.Is(err, fault.Invalid) {
		return s.accountFormError(c, err)
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.directory_saved")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) accountOrganization(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	siren := strings.TrimSpace(c.FormValue("siren"))
	orgID := ""
	if siren != "" {
		o, err := s.d.Directory.Ensure(ctx, siren)
		if err != nil {
			return err
		}
		orgID = o.ID
	}
	if err := s.d.Accounts.SetOrganization(ctx, p, p.AccountID, orgID); err != nil {
		return err
	}
	if orgID == "" {
		s.flash(c, "flash.organization_removed")
	} else {
		s.flash(c, "flash.organization_saved")
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) accountLink(c *fiber.Ctx) error {
	if s.d.OpenID == nil {
		return fiber.ErrNotFound
	}
	return s.beginOIDC(c, c.Params("provider"), true)
}

type tokensData struct {
	Tokens  []model.APIToken
	Created string // the new token, shown once
	Error   string
	Field   string
}

func (s *Server) tokensPage(c *fiber.Ctx) error {
	p := principal(c)
	toks, err := s.d.Accounts.Tokens(c.UserContext(), p, p.AccountID)
	if err != nil {
		return err
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "tokens", "account", tokensData{Tokens: toks})
}

func (s *Server) tokenCreate(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	scope := "read"
	if c.FormValue("write") == "on" {
		scope = "read,write"
	}
	plain, _, err := s.d.Accounts.CreateToken(ctx, p, p.AccountID, c.FormValue("name"), scope)
	d := tokensData{}
	switch {
	case fault.Is(err, fault.Invalid):
		d.Error, d.Field = s.faultText(c, err), fault.FieldOf(err)
		c.Status(fiber.StatusUnprocessableEntity)
	case err != nil:
		return err
	default:
		d.Created = plain
		// The token is on this page only: never cache it.
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	if d.Tokens, err = s.d.Accounts.Tokens(ctx, p, p.AccountID); err != nil {
		return err
	}
	return s.render(c, "tokens", "account", d)
}

func (s *Server) tokenRevoke(c *fiber.Ctx) error {
	p := principal(c)
	if err := s.d.Accounts.RevokeToken(c.UserContext(), p, p.AccountID, c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "flash.token_revoked")
	return c.Redirect("/account/tokens", fiber.StatusSeeOther)
}

type sessionsData struct {
	Sessions []sessionInfo
	SignIns  []model.SignIn
}

// openSessions lists the account's sessions that still exist.
func (s *Server) openSessions(ctx context.Context, accountID, current string) []sessionInfo {
	ids, err := s.d.KV.SMembers(ctx, "acct-sess:"+accountID)
	if err != nil {
		return nil
	}
	var out []sessionInfo
	for _, id := range ids {
		b, err := s.d.KV.Get(ctx, "sessinfo:"+id)
		if err != nil {
			s.d.KV.SRem(ctx, "acct-sess:"+accountID, id) // expired: forget it
			continue
		}
		var si sessionInfo
		if json.Unmarshal(b, &si) != nil {
			continue
		}
		si.ID, si.Short, si.Current = id, shortID(id), id == current
		out = append(out, si)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.After(out[j].Since) })
	return out
}

func (s *Server) sessionsPage(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	sis, err := s.d.Accounts.SignIns(ctx, p, p.AccountID, 20)
	if err != nil {
		return err
	}
	cur := ""
	if w := whoOf(c); w.sess != nil {
		cur = w.sess.handle()
	}
	return s.render(c, "sessions", "account", sessionsData{Sessions: s.openSessions(ctx, p.AccountID, cur), SignIns: sis})
}

// sessionRevoke ends one session of the account, by the short ID the
// sessions page shows.
func (s *Server) sessionRevoke(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	for _, si := range s.openSessions(ctx, p.AccountID, "") {
		if shortID(si.ID) == c.Params("id") {
			if err := s.sessions.deleteByHandle(ctx, si.ID); err != nil {
				return errSessionStore
			}
			s.d.KV.Delete(ctx, "sessinfo:"+si.ID)
			s.d.KV.SRem(ctx, "acct-sess:"+p.AccountID, si.ID)
			s.flash(c, "flash.session_closed")
			return c.Redirect("/account/sessions", fiber.StatusSeeOther)
		}
	}
	return fault.New(fault.NotFound, "session introuvable")
}

func (s *Server) logoutEverywhere(c *fiber.Ctx) error {
	p := principal(c)
	if err := s.d.Accounts.LogoutEverywhere(c.UserContext(), p.AccountID); err != nil {
		return err
	}
	s.endSession(c, whoOf(c))
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) dataPage(c *fiber.Ctx) error {
	a, err := s.me(c)
	if err != nil {
		return err
	}
	return s.render(c, "data", "account", dataPageData{a, ""})
}

type dataPageData struct {
	*model.Account
	Error string
}

func (s *Server) dataExport(c *fiber.Ctx) error {
	p := principal(c)
	e, err := s.d.Accounts.Export(c.UserContext(), p, p.AccountID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="collectif-`+time.Now().UTC().Format("2006-01-02")+`.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}

func (s *Server) accountDelete(c *fiber.Ctx) error {
	p := principal(c)
	a, err := s.me(c)
	if err != nil {
		return err
	}
	if strings.ToLower(strings.TrimSpace(c.FormValue("confirm"))) != a.Email {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "data", "account", dataPageData{a, "Recopiez exactement votre adresse e-mail pour confirmer la suppression."})
	}
	keep := c.FormValue("content") != "delete"
	if err := s.d.Accounts.Delete(c.UserContext(), p, p.AccountID, keep); err != nil {
		return err
	}
	s.endSession(c, whoOf(c))
	return s.render(c, "deleted", "", nil)
}

// apiMe answers GET /api/v1/me: the account of the bearer token (or of the
// session), as JSON.
func (s *Server) apiMe(c *fiber.Ctx) error {
	if principal(c).IsAnonymous() {
		return &fault.Error{Kind: fault.Unauthorized, Message: "authentification requise : jeton d'accès (Authorization: Bearer …)"}
	}
	a, err := s.me(c)
	if err != nil {
		return err
	}
	out := fiber.Map{"id": a.ID, "name": a.Name, "email": a.Email, "title": a.Title, "lang": a.Lang, "organization": nil}
	if a.OrganizationID != "" && s.d.Directory != nil {
		if o, err := s.d.Directory.ByID(c.UserContext(), a.OrganizationID); err == nil {
			out["organization"] = fiber.Map{"id": o.ID, "name": o.Name, "kind": o.Kind, "siren": o.SIREN}
		}
	}
	return c.JSON(out)
}

// shortID is the part of a session ID that pages show and forms send
// back: enough to pick one of a member's sessions, useless to hijack it.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
