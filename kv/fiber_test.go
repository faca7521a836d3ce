package kv

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
)

func TestFiberStorageContract(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		ctx := ctxT(t)
		fs := FiberStorage(b, "sess:")

		if v, err := fs.Get("absent"); v != nil || err != nil {
			t.Fatalf("Get absent = %q, %v; want nil, nil", v, err)
		}
		if err := fs.Set("a", []byte("1"), 0); err != nil {
			t.Fatal(err)
		}
		if err := fs.Set("b", []byte("2"), 80*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		// Empty key or value: ignored without error.
		if err := fs.Set("", []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
		if err := fs.Set("empty", nil, 0); err != nil {
			t.Fatal(err)
		}
		if v, err := fs.Get("empty"); v != nil || err != nil {
			t.Fatalf("empty value was stored: %q, %v", v, err)
		}
		if v, err := fs.Get("a"); string(v) != "1" || err != nil {
			t.Fatalf("Get a = %q, %v", v, err)
		}
		// Stored under the prefix, in the Store's key space.
		if v, err := b.Get(ctx, "sess:a"); string(v) != "1" || err != nil {
			t.Fatalf("Store view of sess:a = %q, %v", v, err)
		}
		time.Sleep(120 * time.Millisecond)
		if v, err := fs.Get("b"); v != nil || err != nil {
			t.Fatalf("Get expired = %q, %v", v, err)
		}
		if err := fs.Delete("a"); err != nil {
			t.Fatal(err)
		}
		if err := fs.Delete("a"); err != nil {
			t.Fatalf("Delete absent: %v", err)
		}
		if v, _ := fs.Get("a"); v != nil {
			t.Fatalf("Get after Delete = %q", v)
		}

		// Reset deletes only this prefix.
		for i := 0; i < 30; i++ {
			if err := fs.Set(fmt.Sprint(i), []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Set(ctx, "unrelated", []byte("keep"), time.Minute); err != nil {
			t.Fatal(err)
		}
		other := FiberStorage(b, "limiter:")
		if err := other.Set("x", []byte("keep"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := fs.Reset(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			if v, _ := fs.Get(fmt.Sprint(i)); v != nil {
				t.Fatalf("key %d survived Reset", i)
			}
		}
		if v, err := b.Get(ctx, "unrelated"); string(v) != "keep" || err != nil {
			t.Fatalf("Reset deleted a key outside its prefix: %q, %v", v, err)
		}
		if v, err := other.Get("x"); string(v) != "keep" || err != nil {
			t.Fatalf("Reset deleted another adapter's key: %q, %v", v, err)
		}

		// Close must not close the shared backend.
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Ping(ctx); err != nil {
			t.Fatalf("backend unusable after adapter Close: %v", err)
		}
	})
}

// Fiber's session middleware on top of the adapter, end to end. (Fiber's
// limiter middleware would work the same way, but importing it needs
// github.com/tinylib/msgp in go.sum; the hub uses Limiter directly.)
func TestFiberSessionMiddleware(t *testing.T) {
	eachBackend(t, func(t *testing.T, b Backend) {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		store := session.New(session.Config{Storage: FiberStorage(b, "sess:"), Expiration: time.Minute})
		app.Get("/count", func(c *fiber.Ctx) error {
			s, err := store.Get(c)
			if err != nil {
				return err
			}
			n, _ := s.Get("n").(int)
			s.Set("n", n+1)
			if err := s.Save(); err != nil {
				return err
			}
			return c.SendString(fmt.Sprint(n + 1))
		})

		var cookie string
		for i := 1; i <= 3; i++ {
			req := httptest.NewRequest("GET", "/count", nil)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			resp, err := app.Test(req, 5000)
			if err != nil {
				t.Fatal(err)
			}
			body := make([]byte, 16)
			n, _ := resp.Body.Read(body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 || string(body[:n]) != fmt.Sprint(i) {
				t.Fatalf("request %d: %d %q", i, resp.StatusCode, body[:n])
			}
			for _, c := range resp.Cookies() {
				if c.Name == "session_id" {
					cookie = c.Name + "=" + c.Value
				}
			}
		}
		// A request without the cookie starts a new session.
		resp, err := app.Test(httptest.NewRequest("GET", "/count", nil), 5000)
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 16)
		n, _ := resp.Body.Read(body)
		_ = resp.Body.Close()
		if string(body[:n]) != "1" {
			t.Fatalf("new session counted %q", body[:n])
		}
		keys, err := b.DeletePrefix(ctxT(t), "sess:")
		if err != nil || keys != 2 {
			t.Fatalf("session keys in the store: %d, %v; want 2", keys, err)
		}
	})
}
