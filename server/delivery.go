package server

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/fault"
	"collectif/federation/delivery"
)

// deliveryRoutes registers the administrators' view of outgoing federation
// deliveries, as a page and in the API.
func (s *Server) deliveryRoutes() {
	a := s.app
	a.Get("/admin/federation/deliveries", s.deliveriesOn, s.requireLogin, s.deliveriesPage)
	a.Get("/api/v1/admin/federation/deliveries", s.deliveriesOn, s.requireLogin, s.apiDeliveries)
}

// deliveriesOn answers 503 when the hub was built without the delivery
// service (servers built for tests of other areas).
func (s *Server) deliveriesOn(c *fiber.Ctx) error {
	if s.d.Delivery == nil {
		return &fault.Error{Kind: fault.Unavailable, Message: "la fédération n'est pas disponible sur ce hub"}
	}
	return c.Next()
}

func deliveryFilter(c *fiber.Ctx) (delivery.HostFilter, error) {
	f := delivery.HostFilter{Cursor: c.Query("cursor")}
	switch c.Query("failing") {
	case "", "0", "false":
	case "1", "true":
		f.Failing = true
	default:
		return f, fault.Field("failing", "failing vaut true ou false")
	}
	return f, nil
}

type deliveriesData struct {
	Page    *delivery.HostPage
	Failing bool
	NextURL string
	Now     time.Time
}

func (s *Server) deliveriesPage(c *fiber.Ctx) error {
	f, err := deliveryFilter(c)
	if err != nil {
		return err
	}
	pg, err := s.d.Delivery.Hosts(c.UserContext(), principal(c), f)
	if err != nil {
		return err
	}
	d := deliveriesData{Page: pg, Failing: f.Failing, Now: time.Now()}
	if pg.Next != "" {
		q := url.Values{"cursor": {pg.Next}}
		if f.Failing {
			q.Set("failing", "1")
		}
		d.NextURL = "/admin/federation/deliveries?" + q.Encode()
	}
	return s.render(c, "federation_deliveries", "", d)
}

func (s *Server) apiDeliveries(c *fiber.Ctx) error {
	f, err := deliveryFilter(c)
	if err != nil {
		return err
	}
	if f.Limit, err = apiLimit(c); err != nil {
		return err
	}
	pg, err := s.d.Delivery.Hosts(c.UserContext(), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": pg.Items, "next": nextOf(pg.Next), "pending": pg.Pending})
}
