package bench

import (
	"bytes"
	"context"
	"net"

	"github.com/gofiber/fiber/v2"
)

// ReferenceBody is what the reference server answers: 2 KiB of text.
var ReferenceBody = bytes.Repeat([]byte("Le logiciel libre dans les collectivités. "), 2048/42+1)[:2048]

// ServeReference answers GET / with ReferenceBody, and GET /readyz, on ln
// until ctx ends: a minimal Fiber handler, the yardstick every scenario is
// divided by. `collectif bench` runs it as a child process of its own, so
// it is measured exactly as the hub is.
func ServeReference(ctx context.Context, ln net.Listener) error {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Send(ReferenceBody)
	})
	app.Get("/readyz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	go func() {
		<-ctx.Done()
		app.Shutdown()
	}()
	return app.Listener(ln)
}
