package signature

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// fiberSeen is what the net/http handler behind Fiber's adaptor observed.
type fiberSeen struct {
	method, path, rawQuery, requestURI, host string
	header                                   http.Header
	bodyLen                                  int
	rawErr, fixedErr                         error // Verify of r as adapted, and of RestoreAdaptedRequest(r, nil)
	fixedHost                                string
	rawRes                                   *Result
	keptSig                                  string // r.Header.Get("Signature") kept past the handler
	keptSigCopy                              string
	fixedKeptSig                             string // the same from the restored copy
}

// TestFiberAdaptor serves an http.Handler that calls Verify through
// adaptor.HTTPHandler in a Fiber v2 app on 127.0.0.1, and sends it signed
// POSTs with a query string. It records what the handler sees and what the
// adaptor loses, and checks RestoreAdaptedRequest repairs it.
func TestFiberAdaptor(t *testing.T) {
	key := rsaKey(t, 0)
	v := &Verifier{Keys: newFetchLog(&key.PublicKey)}
	seen := make(chan fiberSeen, 1)

	inbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s := fiberSeen{
			method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, requestURI: r.RequestURI,
			host: r.Host, header: r.Header.Clone(), bodyLen: len(body),
		}
		s.rawRes, s.rawErr = v.Verify(r.Context(), r, body)
		fixed := RestoreAdaptedRequest(r, nil)
		_, s.fixedErr = v.Verify(r.Context(), fixed, body)
		s.fixedHost = fixed.Host
		s.keptSig = r.Header.Get("Signature")
		s.keptSigCopy = strings.Clone(s.keptSig)
		s.fixedKeptSig = fixed.Header.Get("Signature")
		seen <- s
		w.WriteHeader(http.StatusAccepted)
	})

	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		Immutable:             true, // as the hub's server sets it
		StrictRouting:         true,
		CaseSensitive:         true,
	})
	app.All("/inbox", adaptor.HTTPHandler(inbox))
	// A Fiber-native route: with the fasthttp request at hand, repeated
	// header lines can be restored too.
	app.Post("/native/inbox", func(c *fiber.Ctx) error {
		r, err := adaptor.ConvertRequest(c, true)
		if err != nil {
			return err
		}
		r = RestoreAdaptedRequest(r, c.Request().Header.VisitAll)
		res, err := v.Verify(c.UserContext(), r, c.Body())
		if err != nil {
			return c.Status(http.StatusUnauthorized).SendString(err.Error())
		}
		return c.Status(http.StatusAccepted).SendString(res.Owner)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	base := "http://" + ln.Addr().String()

	client := &http.Client{Transport: &Transport{Signer: func(*http.Request) (Signer, bool) {
		return Signer{KeyID: testKeyID, Key: key}, true
	}}}
	defer client.CloseIdleConnections()
	body := []byte(`{"type":"Create","actor":"` + testActor + `"}`)
	post := func(t *testing.T, host, target string) fiberSeen {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+target, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/activity+json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		select {
		case s := <-seen:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("handler not reached")
		}
		return fiberSeen{}
	}

	t.Run("what the handler sees", func(t *testing.T) {
		s := post(t, "", "/inbox?via=relay&next=%2Fnotes%2F1&q=caf%C3%A9")
		checks := []struct{ what, got, want string }{
			{"method", s.method, http.MethodPost},
			{"path", s.path, "/inbox"},
			{"query", s.rawQuery, "via=relay&next=%2Fnotes%2F1&q=caf%C3%A9"},
			{"RequestURI", s.requestURI, "/inbox?via=relay&next=%2Fnotes%2F1&q=caf%C3%A9"},
			{"Host", s.host, ln.Addr().String()},
			{"Date", s.header.Get("Date"), s.header.Get("Date")},
			{"Digest", s.header.Get("Digest"), digestOf(body)},
			{"Content-Type", s.header.Get("Content-Type"), "application/activity+json"},
			{"body length", fmt.Sprint(s.bodyLen), fmt.Sprint(len(body))},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		}
		if s.header.Get("Signature") == "" || s.header.Get("Date") == "" {
			t.Error("Signature or Date lost")
		}
		// Difference from net/http: the Host header stays in the map.
		if got := s.header.Get("Host"); got != ln.Addr().String() {
			t.Errorf(`r.Header["Host"] = %q`, got)
		}
		if s.rawErr != nil || s.fixedErr != nil {
			t.Fatalf("verification failed: as adapted: %v; restored: %v", s.rawErr, s.fixedErr)
		}
		if s.rawRes.KeyID != testKeyID || s.rawRes.Owner != testActor {
			t.Errorf("result %+v", s.rawRes)
		}
	})

	t.Run("mixed-case Host is lower-cased by the adaptor", func(t *testing.T) {
		s := post(t, "Hub.Example.ORG", "/inbox?x=1")
		if s.host != "hub.example.org" {
			t.Errorf("r.Host = %q, want fasthttp's lower-cased value", s.host)
		}
		if got := s.header.Get("Host"); got != "Hub.Example.ORG" {
			t.Errorf(`r.Header["Host"] = %q, want the raw value`, got)
		}
		wantErr(t, s.rawErr, ErrBadSignature)
		if s.fixedErr != nil {
			t.Fatalf("restored request refused: %v", s.fixedErr)
		}
		if s.fixedHost != "Hub.Example.ORG" {
			t.Errorf("restored Host %q", s.fixedHost)
		}
	})

	t.Run("strings alias fasthttp buffers after the handler", func(t *testing.T) {
		first := post(t, "", "/inbox?n=1")
		_ = post(t, "", "/inbox?n=2") // same keep-alive connection, new signature
		if first.rawRes == nil || first.rawRes.KeyID != testKeyID {
			t.Errorf("Result changed after the handler: %+v", first.rawRes)
		}
		if first.fixedKeptSig != first.keptSigCopy {
			t.Error("RestoreAdaptedRequest's copy changed after the handler")
		}
		if first.keptSig != first.keptSigCopy {
			tail := func(s string) string { return s[max(0, len(s)-48):] }
			t.Logf("as expected, a Signature string kept from the adapted request changed once the handler returned:\n was …%s\n now …%s", tail(first.keptSigCopy), tail(first.keptSig))
		} else {
			t.Logf("the kept header string did not change this time (fasthttp reused another buffer)")
		}
	})

	t.Run("repeated header lines keep only the last", func(t *testing.T) {
		// A signer covering a header sent on two lines (draft-cavage-12
		// joins them as "a, b"): the adaptor keeps "b" only.
		send := func(target string) (int, string) {
			req, err := http.NewRequest(http.MethodPost, base+target, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = req.URL.Host
			req.Header.Add("X-Collectif-Trace", "a")
			req.Header.Add("X-Collectif-Trace", "b")
			req.Header.Set("Digest", digestOf(body))
			signWithHeaders(t, req, key, []string{requestTarget, "host", "date", "digest", "x-collectif-trace"})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(msg)
		}
		code, _ := send("/inbox")
		if code != http.StatusAccepted {
			t.Fatalf("status %d", code)
		}
		s := <-seen
		if got := s.header.Values("X-Collectif-Trace"); len(got) != 1 || got[0] != "b" {
			t.Errorf("adapted header %q", got)
		}
		wantErr(t, s.rawErr, ErrBadSignature)
		wantErr(t, s.fixedErr, ErrBadSignature) // nil visitAll cannot restore it
		code, msg := send("/native/inbox")
		if code != http.StatusAccepted {
			t.Fatalf("Fiber-native route with VisitAll: status %d: %s", code, msg)
		}
	})

}
