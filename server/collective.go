package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"collectif/collective"
	"collectif/directory"
	"collectif/discussion"
	"collectif/fault"
	"collectif/federation"
	"collectif/model"
	"collectif/resource"
)

func (s *Server) collectiveRoutes() {
	a := s.app
	a.Get("/c/:slug", s.collectivePage)
	a.Post("/c/:slug/join", s.requireLogin, s.collectiveJoin)
	a.Post("/c/:slug/leave", s.requireLogin, s.collectiveLeave)
	a.Get("/c/:slug/members", s.requireLogin, s.membersPage)
	a.Get("/c/:slug/admin", s.requireLogin, s.collectiveAdmin)
	a.Post("/c/:slug/admin/requests/:account", s.requireLogin, s.collectiveDecide)
	a.Post("/c/:slug/admin/invite", s.requireLogin, s.collectiveInvite)
	a.Post("/c/:slug/admin/ban", s.requireLogin, s.collectiveBan)
	a.Post("/c/:slug/groups", s.requireLogin, s.groupCreate)
	a.Get("/collectives/new", s.requireLogin, s.collectiveNewPage)
	a.Post("/collectives", s.requireLogin, s.collectiveCreate)

	a.Get("/api/v1/collectives", s.apiCollectives)
	a.Post("/api/v1/collectives", s.apiCollectiveCreate)
	a.Get("/api/v1/collectives/:slug", s.apiCollective)
	a.Get("/api/v1/collectives/:slug/members", s.apiMembers)
	a.Get("/api/v1/collectives/:slug/groups", s.apiGroups)
	a.Post("/api/v1/collectives/:slug/groups", s.apiGroupCreate)
	a.Post("/api/v1/collectives/:slug/membership", s.apiMembershipRequest)
	a.Delete("/api/v1/collectives/:slug/membership", s.apiMembershipLeave)
	a.Get("/api/v1/collectives/:slug/requests", s.apiPending)
	a.Post("/api/v1/collectives/:slug/requests/:account", s.apiDecide)
	a.Post("/api/v1/collectives/:slug/bans", s.apiBan)
	a.Get("/api/v1/organizations", s.apiOrganizations)
	a.Post("/api/v1/organizations", s.apiOrganizationCreate)
}

// collectiveView is the collective page: the collective, and the latest
// of what happens in it that the viewer may see.
type collectiveView struct {
	*collective.Page
	Topics    []discussion.TopicSummary
	Resources []resource.Item
	Network   []federation.RemoteObject // from the actors the collective follows
	// NetworkReplies are the members' replies to Network, by object IRI;
	// CanReplyNetwork shows the reply forms; Reply* refill one after an
	// invalid reply.
	NetworkReplies                     map[string][]federation.NetworkReply
	CanReplyNetwork                    bool
	ReplyObject, ReplyBody, ReplyError string
}

func (s *Server) collectivePage(c *fiber.Ctx) error {
	v, err := s.collectiveViewOf(c)
	if err != nil {
		return err
	}
	return s.render(c, "collective", "collectives", v)
}

func (s *Server) collectiveViewOf(c *fiber.Ctx) (collectiveView, error) {
	ctx, p := c.UserContext(), principal(c)
	pg, err := s.d.Collectives.Get(ctx, p, c.Params("slug"))
	if err != nil {
		return collectiveView{}, err
	}
	v := collectiveView{Page: pg}
	if s.d.Discussions != nil {
		if v.Topics, err = s.d.Discussions.Latest(ctx, p, pg.Collective.ID, 5); err != nil {
			return v, err
		}
	}
	if s.d.Resources != nil {
		if v.Resources, err = s.d.Resources.Latest(ctx, p, pg.Collective.ID, 5); err != nil {
			return v, err
		}
	}
	if s.d.Federation != nil {
		if v.Network, err = s.d.Federation.FromNetwork(ctx, pg.Collective.Slug, 10); err != nil {
			return v, err
		}
		if err := s.networkReplies(c, &v); err != nil {
			return v, err
		}
	}
	if !p.IsAnonymous() {
		if _, err := s.csrfToken(c); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (s *Server) collectiveJoin(c *fiber.Ctx) error {
	m, err := s.d.Collectives.RequestMembership(c.UserContext(), principal(c), c.Params("slug"), c.FormValue("message"))
	if err != nil {
		return err
	}
	if m != nil && m.Status == model.StatusActive {
		s.flash(c, "flash.collective_joined")
	} else {
		s.flash(c, "flash.collective_requested")
	}
	return c.Redirect("/c/"+c.Params("slug"), fiber.StatusSeeOther)
}

func (s *Server) collectiveLeave(c *fiber.Ctx) error {
	if err := s.d.Collectives.Leave(c.UserContext(), principal(c), c.Params("slug")); err != nil {
		return err
	}
	s.flash(c, "flash.collective_left")
	return c.Redirect("/c/"+c.Params("slug"), fiber.StatusSeeOther)
}

type membersData struct {
	Collective *model.Collective
	Page       *collective.MemberPage
	Filter     collective.MemberFilter
	Kinds      []model.OrgKind
}

func memberFilter(c *fiber.Ctx) collective.MemberFilter {
	return collective.MemberFilter{OrgKind: model.OrgKind(c.Query("kind")), Region: c.Query("region"), Skill: c.Query("skill"),
		Tool: c.Query("tool"), Cursor: c.Query("cursor"), Limit: c.QueryInt("limit")}
}

func (s *Server) membersPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	col, err := s.d.Collectives.BySlug(ctx, c.Params("slug"))
	if err != nil {
		return err
	}
	f := memberFilter(c)
	pg, err := s.d.Collectives.Members(ctx, principal(c), c.Params("slug"), f)
	if err != nil {
		return err
	}
	return s.render(c, "members", "collectives", membersData{Collective: col, Page: pg, Filter: f, Kinds: model.OrgKinds})
}

type adminData struct {
	Collective *model.Collective
	Pending    []collective.PendingRequest
	Error      string
	Field      string
}

func (s *Server) collectiveAdmin(c *fiber.Ctx) error {
	ctx := c.UserContext()
	col, err := s.d.Collectives.BySlug(ctx, c.Params("slug"))
	if err != nil {
		return err
	}
	pend, err := s.d.Collectives.Pending(ctx, principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "collective_admin", "collectives", adminData{Collective: col, Pending: pend})
}

func (s *Server) collectiveDecide(c *fiber.Ctx) error {
	d := collective.Decision{Approve: c.FormValue("decision") == "approve", Role: model.Role(c.FormValue("role")), Message: c.FormValue("message")}
	if err := s.d.Collectives.Decide(c.UserContext(), principal(c), c.Params("slug"), c.Params("account"), d); err != nil {
		return err
	}
	if d.Approve {
		s.flash(c, "flash.request_approved")
	} else {
		s.flash(c, "flash.request_refused")
	}
	return c.Redirect("/c/"+c.Params("slug")+"/admin", fiber.StatusSeeOther)
}

func (s *Server) collectiveInvite(c *fiber.Ctx) error {
	ctx := c.UserContext()
	a, err := s.d.Accounts.ByEmail(ctx, c.FormValue("email"))
	if err != nil {
		return &fault.Error{Kind: fault.Invalid, Field: "email", Message: "aucun compte n'a cette adresse : la personne doit d'abord se connecter une fois au hub"}
	}
	role := model.Role(c.FormValue("role"))
	if role == "" {
		role = model.RoleMember
	}
	if err := s.d.Collectives.Invite(ctx, principal(c), c.Params("slug"), a.ID, role); err != nil {
		return err
	}
	s.flash(c, "flash.collective_invited", "Name", a.Name)
	return c.Redirect("/c/"+c.Params("slug")+"/admin", fiber.StatusSeeOther)
}

func (s *Server) collectiveBan(c *fiber.Ctx) error {
	ctx := c.UserContext()
	a, err := s.d.Accounts.ByEmail(ctx, c.FormValue("email"))
	if err != nil {
		return &fault.Error{Kind: fault.Invalid, Field: "email", Message: "aucun compte n'a cette adresse"}
	}
	if err := s.d.Collectives.Ban(ctx, principal(c), c.Params("slug"), a.ID, c.FormValue("message")); err != nil {
		return err
	}
	s.flash(c, "flash.member_banned", "Name", a.Name)
	return c.Redirect("/c/"+c.Params("slug")+"/admin", fiber.StatusSeeOther)
}

func (s *Server) apiBan(c *fiber.Ctx) error {
	var in struct {
		AccountID string `json:"account_id"`
		Message   string `json:"message"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	if err := s.d.Collectives.Ban(c.UserContext(), principal(c), c.Params("slug"), in.AccountID, in.Message); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func groupInput(name, slug, summary, join, vis string) collective.NewGroup {
	return collective.NewGroup{Slug: strings.TrimSpace(slug), Name: name, Summary: summary,
		JoinPolicy: model.JoinPolicy(join), Visibility: model.Visibility(vis)}
}

func (s *Server) groupCreate(c *fiber.Ctx) error {
	g, err := s.d.Collectives.CreateGroup(c.UserContext(), principal(c), c.Params("slug"),
		groupInput(c.FormValue("name"), c.FormValue("group_slug"), c.FormValue("summary"), c.FormValue("join_policy"), c.FormValue("visibility")))
	if err != nil {
		return err
	}
	s.flash(c, "flash.group_created", "Name", g.Name)
	return c.Redirect("/c/"+c.Params("slug"), fiber.StatusSeeOther)
}

func (s *Server) collectiveNewPage(c *fiber.Ctx) error {
	if !principal(c).IsAdmin() {
		return fault.New(fault.Forbidden, "seuls les administrateurs du hub créent des collectifs")
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "collective_new", "collectives", map[string]string{})
}

func (s *Server) collectiveCreate(c *fiber.Ctx) error {
	col, err := s.d.Collectives.Create(c.UserContext(), principal(c), collective.NewCollective{Slug: c.FormValue("slug"), Name: c.FormValue("name"),
		Summary: c.FormValue("summary"), Scope: model.Scope(c.FormValue("scope")), Region: c.FormValue("region")})
	if fault.Is(err, fault.Invalid) || fault.Is(err, fault.Conflict) {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "collective_new", "collectives", map[string]string{"Error": s.faultText(c, err), "Field": fault.FieldOf(err),
			"Slug": c.FormValue("slug"), "Name": c.FormValue("name"), "Summary": c.FormValue("summary"), "Region": c.FormValue("region")})
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.collective_created")
	return c.Redirect("/c/"+col.Slug, fiber.StatusSeeOther)
}

// ---- JSON API

type listBody struct {
	Items any     `json:"items"`
	Next  *string `json:"next"`
	Total int     `json:"total"`
}

func list(items any, next string, total int) listBody {
	l := listBody{Items: items, Total: total}
	if next != "" {
		l.Next = &next
	}
	return l
}

// bodyJSON decodes a JSON request body, naming the problem when it is not.
func bodyJSON(c *fiber.Ctx, v any) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return &fault.Error{Kind: fault.Invalid, Message: "le corps de la requête doit être du JSON (Content-Type: application/json)"}
	}
	if err := c.BodyParser(v); err != nil {
		return fault.New(fault.Invalid, "JSON invalide : %s", err.Error())
	}
	return nil
}

type apiCollective struct {
	ID      string `json:"id"`
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Scope   string `json:"scope"`
	Region  string `json:"region,omitempty"`
	Members int    `json:"members"`
	URL     string `json:"url"`
}

func (s *Server) toAPICollective(col model.Collective, members int) apiCollective {
	return apiCollective{ID: col.ID, Slug: col.Slug, Name: col.Name, Summary: col.Summary, Scope: string(col.Scope), Region: col.Region,
		Members: members, URL: s.d.BaseURL.String() + "/c/" + col.Slug}
}

func (s *Server) apiCollectives(c *fiber.Ctx) error {
	all, err := s.d.Collectives.List(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	items := make([]apiCollective, 0, len(all))
	for _, x := range all {
		items = append(items, s.toAPICollective(x.Collective, x.Members))
	}
	return c.JSON(list(items, "", len(items)))
}

func (s *Server) apiCollective(c *fiber.Ctx) error {
	pg, err := s.d.Collectives.Get(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	out := struct {
		apiCollective
		Groups []apiGroup `json:"groups"`
	}{s.toAPICollective(pg.Collective, pg.Members), toAPIGroups(pg.Groups)}
	return c.JSON(out)
}

func (s *Server) apiCollectiveCreate(c *fiber.Ctx) error {
	var in struct {
		Slug, Name, Summary, Scope, Region string
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	col, err := s.d.Collectives.Create(c.UserContext(), principal(c), collective.NewCollective{Slug: in.Slug, Name: in.Name, Summary: in.Summary, Scope: model.Scope(in.Scope), Region: in.Region})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.toAPICollective(*col, 0))
}

func (s *Server) apiMembers(c *fiber.Ctx) error {
	pg, err := s.d.Collectives.Members(c.UserContext(), principal(c), c.Params("slug"), memberFilter(c))
	if err != nil {
		return err
	}
	return c.JSON(list(pg.Items, pg.Next, pg.Total))
}

type apiGroup struct {
	ID         string `json:"id"`
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	Summary    string `json:"summary"`
	JoinPolicy string `json:"join_policy"`
	Visibility string `json:"visibility"`
}

func toAPIGroups(gs []model.WorkingGroup) []apiGroup {
	out := make([]apiGroup, 0, len(gs))
	for _, g := range gs {
		out = append(out, apiGroup{ID: g.ID, Slug: g.Slug, Name: g.Name, Summary: g.Summary, JoinPolicy: string(g.JoinPolicy), Visibility: string(g.Visibility)})
	}
	return out
}

func (s *Server) apiGroups(c *fiber.Ctx) error {
	gs, err := s.d.Collectives.Groups(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	items := toAPIGroups(gs)
	return c.JSON(list(items, "", len(items)))
}

func (s *Server) apiGroupCreate(c *fiber.Ctx) error {
	var in struct {
		Slug, Name, Summary string
		JoinPolicy          string `json:"join_policy"`
		Visibility          string `json:"visibility"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	g, err := s.d.Collectives.CreateGroup(c.UserContext(), principal(c), c.Params("slug"), groupInput(in.Name, in.Slug, in.Summary, in.JoinPolicy, in.Visibility))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPIGroups([]model.WorkingGroup{*g})[0])
}

func (s *Server) apiMembershipRequest(c *fiber.Ctx) error {
	var in struct{ Message string }
	if len(c.Body()) > 0 {
		if err := bodyJSON(c, &in); err != nil {
			return err
		}
	}
	if principal(c).IsAnonymous() {
		return &fault.Error{Kind: fault.Unauthorized, Message: "authentification requise"}
	}
	m, err := s.d.Collectives.RequestMembership(c.UserContext(), principal(c), c.Params("slug"), in.Message)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"status": m.Status, "role": m.Role})
}

func (s *Server) apiMembershipLeave(c *fiber.Ctx) error {
	if principal(c).IsAnonymous() {
		return &fault.Error{Kind: fault.Unauthorized, Message: "authentification requise"}
	}
	if err := s.d.Collectives.Leave(c.UserContext(), principal(c), c.Params("slug")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiPending(c *fiber.Ctx) error {
	pend, err := s.d.Collectives.Pending(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	if pend == nil {
		pend = []collective.PendingRequest{}
	}
	return c.JSON(list(pend, "", len(pend)))
}

func (s *Server) apiDecide(c *fiber.Ctx) error {
	var in struct {
		Approve bool   `json:"approve"`
		Role    string `json:"role"`
		Message string `json:"message"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	err := s.d.Collectives.Decide(c.UserContext(), principal(c), c.Params("slug"), c.Params("account"),
		collective.Decision{Approve: in.Approve, Role: model.Role(in.Role), Message: in.Message})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiOrganizations(c *fiber.Ctx) error {
	hits, err := s.d.Directory.Search(c.UserContext(), c.Query("q"), c.QueryInt("limit"))
	if err != nil {
		return err
	}
	return c.JSON(list(hits, "", len(hits)))
}

func (s *Server) apiOrganizationCreate(c *fiber.Ctx) error {
	var in struct {
		Kind, Name, SIREN, Website string
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	o, err := s.d.Directory.Create(c.UserContext(), principal(c).IsAdmin(), directory.NewOrganization{Kind: model.OrgKind(in.Kind), Name: in.Name, SIREN: in.SIREN, Website: in.Website})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(directory.Hit{ID: o.ID, Name: o.Name, Kind: o.Kind, SIREN: o.SIREN})
}
