package server

import (
	"github.com/gofiber/fiber/v2"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
)

// networkReplyRoutes: members of a collective answer what it receives from
// the network, from its page and through the API; a reply's IRI serves its
// Note to ActivityStreams requests and leads people to it on the page.
func (s *Server) networkReplyRoutes(objectOr fiber.Handler) {
	a := s.app
	a.Post("/c/:slug/reseau/repondre", s.requireLogin, s.networkReply)
	a.Get("/c/:slug/reseau/:id", objectOr, func(c *fiber.Ctx) error {
		return c.Redirect("/c/"+c.Params("slug")+"#reseau-"+c.Params("id"), fiber.StatusSeeOther)
	})
	a.Post("/api/v1/collectives/:slug/network/replies", s.apiNetworkReply)
}

// networkReplies loads the members' replies to what the page shows from
// the network, and whether the viewer may reply.
func (s *Server) networkReplies(c *fiber.Ctx, v *collectiveView) error {
	if len(v.Network) == 0 {
		return nil
	}
	iris := make([]string, len(v.Network))
	for i, o := range v.Network {
		iris[i] = o.IRI
	}
	var err error
	if v.NetworkReplies, err = s.d.Federation.NetworkReplies(c.UserContext(), v.Collective.Slug, iris); err != nil {
		return err
	}
	sub := access.Subject{}
	if m := v.Membership; m != nil {
		sub.Banned = m.Status == model.StatusBanned
		if m.Status == model.StatusActive {
			sub.Role = m.Role
		}
	}
	p := principal(c)
	v.CanReplyNetwork = !p.IsAnonymous() && access.Can(p, access.ReplyToNetwork, sub)
	return nil
}

func (s *Server) networkReply(c *fiber.Ctx) error {
	object, body := c.FormValue("object"), c.FormValue("body")
	r, err := s.d.Federation.ReplyToNetwork(c.UserContext(), principal(c), c.Params("slug"), object, body)
	if fault.Is(err, fault.Invalid) {
		v, verr := s.collectiveViewOf(c)
		if verr != nil {
			return verr
		}
		v.ReplyObject, v.ReplyBody, v.ReplyError = object, formBody(body), s.faultText(c, err)
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "collective", "collectives", v)
	}
	if err != nil {
		return err
	}
	s.flash(c, "federation.flash_network_reply")
	return c.Redirect("/c/"+c.Params("slug")+"#reseau-"+r.ID, fiber.StatusSeeOther)
}

func (s *Server) apiNetworkReply(c *fiber.Ctx) error {
	var in struct {
		Object string `json:"object"`
		Body   string `json:"body"`
	}
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	r, err := s.d.Federation.ReplyToNetwork(c.UserContext(), principal(c), c.Params("slug"), in.Object, in.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}
