package server

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"collectif/fault"
	"collectif/federation"
	"collectif/federation/signature"
)

// federationRoutes mounts the ActivityPub endpoints, net/http handlers of
// the federation package, through Fiber's adaptor. It is registered before
// the pages: on /c/:slug and /c/:slug/g/:group a request whose Accept asks
// for ActivityStreams gets the actor, any other goes on to the page.
func (s *Server) federationRoutes() {
	f := s.d.Federation
	if f == nil {
		return
	}
	a := s.app
	actor := s.netHTTP(f.ActorHandler())
	inbox := s.netHTTP(f.InboxHandler())
	negotiate := func(c *fiber.Ctx) error {
		c.Vary(fiber.HeaderAccept)
		if federation.WantsActivity(c.Get(fiber.HeaderAccept)) {
			return actor(c)
		}
		return c.Next()
	}
	a.Get(federation.WebFingerPath, s.netHTTP(f.WebFingerHandler()))
	a.Get(federation.HostMetaPath, s.netHTTP(f.HostMetaHandler()))
	nodeinfo := s.netHTTP(f.NodeInfoHandler())
	a.Get(federation.NodeInfoPath, nodeinfo)
	a.Get("/nodeinfo/:version", nodeinfo)
	a.Get("/actor", actor)
	a.Get(federation.IconPath+":name", s.netHTTP(f.IconHandler()))
	a.Post("/inbox", inbox)
	for _, p := range []string{"/actor", "/c/:slug", "/c/:slug/g/:group", "/u/:id"} {
		if p != "/actor" {
			a.Get(p, negotiate)
		}
		for _, col := range []string{"/outbox", "/followers", "/following"} {
			a.Get(p+col, actor)
		}
		a.Post(p+"/inbox", inbox)
	}

	// Published content is served as ActivityStreams on its page's URL; a
	// reply's IRI has no page of its own and leads to its anchor.
	object := s.netHTTP(f.ObjectHandler())
	objectOr := func(c *fiber.Ctx) error {
		c.Vary(fiber.HeaderAccept)
		if federation.WantsActivity(c.Get(fiber.HeaderAccept)) {
			return object(c)
		}
		return c.Next()
	}
	for _, p := range []string{"/c/:slug/g/:group/t/:id", "/c/:slug/r/:id", "/evenements/:id"} {
		a.Get(p, objectOr)
	}
	a.Get("/c/:slug/g/:group/t/:id/r/:reply", objectOr, func(c *fiber.Ctx) error {
		return c.Redirect("/c/"+c.Params("slug")+"/g/"+c.Params("group")+"/t/"+c.Params("id")+"#r-"+c.Params("reply"), fiber.StatusSeeOther)
	})
	// The catalog extension: its context document, and usage declarations
	// (a person is led to the declaration on its software's page).
	a.Get(federation.ContextPath, s.netHTTP(f.ContextHandler()))
	a.Get("/declarations/:id", objectOr, s.needCatalog, s.usagePage)
	a.Get("/c/:slug/declarations", s.netHTTP(f.DeclarationsHandler()))

	a.Get("/c/:slug/federation", s.requireLogin, s.federationQueuePage)
	a.Post("/c/:slug/federation/follows/:id", s.requireLogin, s.federationDecide)
	a.Post("/c/:slug/federation/reports/:id/resolve", s.requireLogin, s.federationResolve)
	a.Post("/c/:slug/federation/groups/:group/replies", s.requireLogin, s.federationRemoteReplies)
	a.Post("/c/:slug/federation/following", s.requireLogin, s.federationFollow)
	a.Post("/c/:slug/federation/bans", s.requireLogin, s.federationBan)
	a.Post("/c/:slug/federation/bans/:id/delete", s.requireLogin, s.federationUnban)
	a.Get("/api/v1/collectives/:slug/federation/bans", s.apiFederationBans)
	a.Post("/api/v1/collectives/:slug/federation/bans", s.apiFederationBan)
	a.Delete("/api/v1/collectives/:slug/federation/bans/:id", s.apiFederationUnban)
	a.Post("/c/:slug/federation/following/:id/delete", s.requireLogin, s.federationUnfollow)
	a.Get("/admin/federation", s.requireLogin, s.federationAdminPage)
	a.Post("/admin/federation/blocks", s.requireLogin, s.federationBlock)
	a.Post("/admin/federation/blocks/:host/delete", s.requireLogin, s.federationUnblock)
	a.Get("/api/v1/admin/federation/blocks", s.apiBlocks)
	a.Post("/api/v1/admin/federation/blocks", s.apiBlock)
	a.Delete("/api/v1/admin/federation/blocks/:host", s.apiUnblock)
	a.Get("/api/v1/collectives/:slug/following", s.apiFollowings)
	a.Post("/api/v1/collectives/:slug/following", s.apiFollow)
	a.Delete("/api/v1/collectives/:slug/following/:id", s.apiUnfollow)
	s.networkReplyRoutes(objectOr)
}

// netHTTP runs a net/http handler of the federation package. The request
// is restored to what the client sent (method, path, Host and every header
// line) so that HTTP signatures verify: see signature.RestoreAdaptedRequest.
func (s *Server) netHTTP(h http.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		visit := c.Request().Header.VisitAll
		// The adaptor's request carries fasthttp's RequestCtx as its
		// context, whose Done races with the server's shutdown: the
		// handler gets the request's own context (request ID, logger)
		// instead.
		ctx := c.UserContext()
		return adaptor.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, signature.RestoreAdaptedRequest(r.WithContext(ctx), visit))
		}))(c)
	}
}

// isInbox reports whether a path is an ActivityPub inbox: its POSTs are
// authenticated by their HTTP signature, carry no cookie authority, and so
// need no anti-forgery token.
func isInbox(method, path string) bool {
	return method == fiber.MethodPost && (path == "/inbox" || strings.HasSuffix(path, "/inbox"))
}

type federationQueueData struct {
	Slug  string
	Queue *federation.Queue
	// Following is what the collective follows, for instance
	// administrators (nil for others: the section is not shown).
	Following []federation.Following
	CanFollow bool
	// Target and FollowError are a refused follow form's value and error.
	Target, FollowError string
	// Ban is a refused ban form's values, BanError its error.
	Ban      banValues
	BanError string
}

type banValues struct{ Target, Group, Reason string }

func (s *Server) federationQueuePage(c *fiber.Ctx) error {
	return s.federationQueuePageWith(c, federationQueueData{})
}

func (s *Server) federationQueuePageWith(c *fiber.Ctx, d federationQueueData) error {
	ctx, p := c.UserContext(), principal(c)
	q, err := s.d.Federation.ModerationQueue(ctx, p, c.Params("slug"))
	if err != nil {
		return err
	}
	if d.CanFollow = p.IsAdmin(); d.CanFollow {
		if d.Following, err = s.d.Federation.Followings(ctx, p, c.Params("slug")); err != nil {
			return err
		}
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	d.Slug, d.Queue = c.Params("slug"), q
	if d.FollowError != "" || d.BanError != "" {
		c.Status(statusOf(fault.Invalid))
	}
	return s.render(c, "federation_queue", "collectives", d)
}

// federationFollow makes the collective follow a remote actor (instance
// administrators), as POST /api/v1/collectives/{slug}/following does.
func (s *Server) federationFollow(c *fiber.Ctx) error {
	target := c.FormValue("target")
	if _, err := s.d.Federation.FollowRemote(c.UserContext(), principal(c), c.Params("slug"), target); err != nil {
		if fault.Is(err, fault.Invalid) {
			return s.federationQueuePageWith(c, federationQueueData{Target: target, FollowError: s.faultText(c, err)})
		}
		return err
	}
	s.flash(c, "federation.flash_following")
	return c.Redirect("/c/"+c.Params("slug")+"/federation#suivis", fiber.StatusSeeOther)
}

func (s *Server) federationUnfollow(c *fiber.Ctx) error {
	if err := s.d.Federation.Unfollow(c.UserContext(), principal(c), c.Params("slug"), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "federation.flash_unfollowed")
	return c.Redirect("/c/"+c.Params("slug")+"/federation#suivis", fiber.StatusSeeOther)
}

func (s *Server) federationDecide(c *fiber.Ctx) error {
	d := federation.Decision(c.FormValue("decision"))
	if err := s.d.Federation.DecideFollow(c.UserContext(), principal(c), c.Params("slug"), c.Params("id"), d); err != nil {
		return err
	}
	switch d {
	case federation.DecisionAccept:
		s.flash(c, "federation.flash_accepted")
	case federation.DecisionBan:
		s.flash(c, "federation.flash_banned")
	default:
		s.flash(c, "federation.flash_rejected")
	}
	return c.Redirect("/c/"+c.Params("slug")+"/federation", fiber.StatusSeeOther)
}

func (s *Server) federationResolve(c *fiber.Ctx) error {
	if err := s.d.Federation.ResolveReport(c.UserContext(), principal(c), c.Params("slug"), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "federation.flash_resolved")
	return c.Redirect("/c/"+c.Params("slug")+"/federation", fiber.StatusSeeOther)
}

func (s *Server) federationRemoteReplies(c *fiber.Ctx) error {
	on := c.FormValue("remote_replies") == "on"
	if err := s.d.Federation.SetRemoteReplies(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), on); err != nil {
		return err
	}
	s.flash(c, "federation.flash_settings")
	return c.Redirect("/c/"+c.Params("slug")+"/federation", fiber.StatusSeeOther)
}

func (s *Server) federationAdminPage(c *fiber.Ctx) error {
	blocks, err := s.d.Federation.Blocks(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "federation_admin", "admin", blocks)
}

func (s *Server) federationBlock(c *fiber.Ctx) error {
	if _, err := s.d.Federation.BlockInstance(c.UserContext(), principal(c), c.FormValue("host"), c.FormValue("reason"), c.FormValue("purge") == "on"); err != nil {
		return err
	}
	s.flash(c, "federation.flash_blocked")
	return c.Redirect("/admin/federation", fiber.StatusSeeOther)
}

func (s *Server) federationUnblock(c *fiber.Ctx) error {
	if err := s.d.Federation.UnblockInstance(c.UserContext(), principal(c), c.Params("host")); err != nil {
		return err
	}
	s.flash(c, "federation.flash_unblocked")
	return c.Redirect("/admin/federation", fiber.StatusSeeOther)
}

func (s *Server) apiBlocks(c *fiber.Ctx) error {
	blocks, err := s.d.Federation.Blocks(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	if blocks == nil {
		blocks = []federation.Block{}
	}
	return c.JSON(fiber.Map{"blocks": blocks})
}

func (s *Server) apiBlock(c *fiber.Ctx) error {
	var in struct {
		Host   string `json:"host"`
		Reason string `json:"reason"`
		// Purge also deletes what was received from the host.
		Purge bool `json:"purge"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	b, err := s.d.Federation.BlockInstance(c.UserContext(), principal(c), in.Host, in.Reason, in.Purge)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(b)
}

func (s *Server) apiUnblock(c *fiber.Ctx) error {
	if err := s.d.Federation.UnblockInstance(c.UserContext(), principal(c), c.Params("host")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) accountFederation(c *fiber.Ctx) error {
	p := principal(c)
	on := c.FormValue("federated") == "on"
	if err := s.d.Accounts.SetFederated(c.UserContext(), p, p.AccountID, on); err != nil {
		return err
	}
	if on {
		s.flash(c, "federation.flash_visible")
	} else {
		s.flash(c, "federation.flash_hidden")
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) apiFollowings(c *fiber.Ctx) error {
	fs, err := s.d.Federation.Followings(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": fs})
}

func (s *Server) apiFollow(c *fiber.Ctx) error {
	var in struct {
		Target string `json:"target"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	f, err := s.d.Federation.FollowRemote(c.UserContext(), principal(c), c.Params("slug"), in.Target)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(f)
}

func (s *Server) apiUnfollow(c *fiber.Ctx) error {
	if err := s.d.Federation.Unfollow(c.UserContext(), principal(c), c.Params("slug"), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// federationBan bans a remote actor from the collective or one of its
// groups (their moderators), as POST /api/v1/collectives/{slug}/federation/bans does.
func (s *Server) federationBan(c *fiber.Ctx) error {
	v := banValues{Target: c.FormValue("target"), Group: c.FormValue("group"), Reason: c.FormValue("reason")}
	if _, err := s.d.Federation.BanActor(c.UserContext(), principal(c), c.Params("slug"), v.Group, v.Target, v.Reason); err != nil {
		if fault.Is(err, fault.Invalid) {
			return s.federationQueuePageWith(c, federationQueueData{Ban: v, BanError: s.faultText(c, err)})
		}
		return err
	}
	s.flash(c, "federation.flash_banned_actor")
	return c.Redirect("/c/"+c.Params("slug")+"/federation#bannis", fiber.StatusSeeOther)
}

func (s *Server) federationUnban(c *fiber.Ctx) error {
	if err := s.d.Federation.Unban(c.UserContext(), principal(c), c.Params("slug"), c.Params("id")); err != nil {
		return err
	}
	s.flash(c, "federation.flash_unbanned")
	return c.Redirect("/c/"+c.Params("slug")+"/federation#bannis", fiber.StatusSeeOther)
}

func (s *Server) apiFederationBans(c *fiber.Ctx) error {
	bans, err := s.d.Federation.Bans(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": bans})
}

func (s *Server) apiFederationBan(c *fiber.Ctx) error {
	var in struct {
		Target string `json:"target"`
		Group  string `json:"group"` // a group's slug; "" for the collective
		Reason string `json:"reason"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	b, err := s.d.Federation.BanActor(c.UserContext(), principal(c), c.Params("slug"), in.Group, in.Target, in.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(b)
}

func (s *Server) apiFederationUnban(c *fiber.Ctx) error {
	if err := s.d.Federation.Unban(c.UserContext(), principal(c), c.Params("slug"), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
