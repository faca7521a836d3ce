package signature

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestTransportSignsForAGoServer sends requests through an http.Client whose
// Transport signs them, and verifies them in a net/http server, checking
// the Host the server received is the one signed.
func TestTransportSignsForAGoServer(t *testing.T) {
	key := rsaKey(t, 0)
	var (
		mu        sync.Mutex
		seenHosts []string
		seenSig   []string
	)
	mux := http.NewServeMux()
	mux.Handle("/", verifyingHandler(&Verifier{Keys: newFetchLog(&key.PublicKey)}, func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seenHosts = append(seenHosts, r.Host)
		seenSig = append(seenSig, r.Header.Get("Signature"))
	}))
	// The redirect sends a delivery on to /inbox, as a server moving its
	// inbox would: the client replays the body and the transport signs the
	// new request for its own target.
	mux.HandleFunc("/old-inbox", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/inbox?moved=1", http.StatusPermanentRedirect)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	srvURL, _ := url.Parse(srv.URL)

	signFor := func(r *http.Request) (Signer, bool) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			return Signer{}, false // WebFinger goes unsigned
		}
		return Signer{KeyID: testKeyID, Key: key}, true
	}
	client := &http.Client{Transport: &Transport{Base: srv.Client().Transport, Signer: signFor}}

	body := []byte(`{"type":"Create"}`)
	cases := []struct {
		name, method, path, host string
		body                     io.Reader
		wantHost                 string
		wantStatus               int
		wantSigned               bool
	}{
		{"GET", http.MethodGet, "/actors/alice?x=1", "", nil, srvURL.Host, 200, true},
		{"POST bytes.Reader", http.MethodPost, "/inbox?x=1", "", bytes.NewReader(body), srvURL.Host, 200, true},
		{"POST opaque reader", http.MethodPost, "/inbox", "", io.MultiReader(bytes.NewReader(body[:5]), bytes.NewReader(body[5:])), srvURL.Host, 200, true},
		{"virtual host", http.MethodPost, "/inbox", "collectif.example", bytes.NewReader(body), "collectif.example", 200, true},
		{"redirected POST", http.MethodPost, "/old-inbox", "", bytes.NewReader(body), srvURL.Host, 200, true},
		{"unsigned WebFinger", http.MethodGet, "/.well-known/webfinger?resource=acct:a@b", "", nil, srvURL.Host, 401, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			seenHosts, seenSig = nil, nil
			mu.Unlock()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, msg)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seenHosts) == 0 || seenHosts[len(seenHosts)-1] != tc.wantHost {
				t.Errorf("server saw Host %q, want %q", seenHosts, tc.wantHost)
			}
			if signed := seenSig[len(seenSig)-1] != ""; signed != tc.wantSigned {
				t.Errorf("signed = %v, want %v", signed, tc.wantSigned)
			}
			if req.Header.Get("Signature") != "" || req.Header.Get("Date") != "" {
				t.Error("the caller's request was modified")
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	closed := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, "http://hub.example/inbox", closed)
	_, err := (&Transport{Signer: func(*http.Request) (Signer, bool) {
		return Signer{KeyID: testKeyID, Key: "not a key"}, true
	}}).RoundTrip(req)
	if err == nil {
		t.Fatal("signed with a string key")
	}
	if !closed.closed {
		t.Error("body not closed on error")
	}

	req, _ = http.NewRequest(http.MethodPost, "http://hub.example/inbox", &closeRecorder{Reader: errReader{}})
	if _, err := (&Transport{Signer: func(*http.Request) (Signer, bool) {
		return Signer{KeyID: testKeyID, Key: rsaKey(t, 0)}, true
	}}).RoundTrip(req); err == nil {
		t.Fatal("body read error ignored")
	}
}

func TestSignRefusals(t *testing.T) {
	key := rsaKey(t, 0)
	for _, tc := range []struct {
		name string
		req  func() *http.Request
		s    Signer
	}{
		{"no key id", func() *http.Request { r, _ := http.NewRequest("GET", "http://a.example/", nil); return r }, Signer{Key: key}},
		{"quote in key id", func() *http.Request { r, _ := http.NewRequest("GET", "http://a.example/", nil); return r }, Signer{KeyID: `a"b`, Key: key}},
		{"non-RSA key", func() *http.Request { r, _ := http.NewRequest("GET", "http://a.example/", nil); return r }, Signer{KeyID: testKeyID, Key: []byte("secret")}},
		{"IDN host", func() *http.Request { r, _ := http.NewRequest("GET", "http://mairie-évry.example/", nil); return r }, Signer{KeyID: testKeyID, Key: key}},
		{"host with space", func() *http.Request {
			r, _ := http.NewRequest("GET", "http://a.example/", nil)
			r.Host = "a.example b"
			return r
		}, Signer{KeyID: testKeyID, Key: key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.Sign(tc.req(), nil); err == nil {
				t.Fatal("signed")
			}
		})
	}
	t.Run("IPv6 zone removed as on the wire", func(t *testing.T) {
		r, _ := http.NewRequest("GET", "http://[fe80::1%25eth0]:8080/x", nil)
		if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, nil); err != nil {
			t.Fatal(err)
		}
		if r.Host != "[fe80::1]:8080" {
			t.Fatalf("Host %q", r.Host)
		}
	})
	t.Run("re-signing replaces", func(t *testing.T) {
		r, _ := http.NewRequest("POST", "http://a.example/inbox", nil)
		r.Header.Set("Digest", "SHA-256=stale")
		s := Signer{KeyID: testKeyID, Key: key}
		if err := s.Sign(r, []byte("one")); err != nil {
			t.Fatal(err)
		}
		if err := s.Sign(r, []byte("two")); err != nil {
			t.Fatal(err)
		}
		if len(r.Header.Values("Signature")) != 1 || r.Header.Get("Digest") != digestOf([]byte("two")) {
			t.Fatalf("headers %v", r.Header)
		}
	})
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
