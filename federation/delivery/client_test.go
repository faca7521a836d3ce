package delivery

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

func TestGuardRanges(t *testing.T) {
	allow127 := Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	cases := []struct {
		addr        string
		byDefault   bool // allowed with no allow-list
		withAllowed bool // allowed with 127.0.0.0/8 and fd00::/8
	}{
		{"93.184.215.14", true, true},
		{"2606:4700:4700::1111", true, true},
		{"64:ff9b::5db8:d70e", true, true}, // NAT64 of a public address
		{"127.0.0.1", false, true},
		{"127.0.0.2", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"64:ff9b::7f00:1", false, true}, // NAT64 of 127.0.0.1
		{"10.1.2.3", false, false},
		{"172.16.0.1", false, false},
		{"192.168.1.1", false, false},
		{"169.254.169.254", false, false},
		{"100.64.0.1", false, false},
		{"0.0.0.0", false, false},
		{"224.0.0.1", false, false},
		{"255.255.255.255", false, false},
		{"198.18.0.1", false, false},
		{"::1", false, false},
		{"::", false, false},
		{"fe80::1", false, false},
		{"fc00::1", false, false},
		{"fd12::1", false, true},
		{"ff02::1", false, false},
		{"2001:db8::1", false, false},
		{"2002:7f00:1::1", false, false}, // 6to4
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			a := netip.MustParseAddr(c.addr)
			if err := (Guard{}).Check(a); (err == nil) != c.byDefault {
				t.Errorf("default guard: %v, want allowed=%v", err, c.byDefault)
			} else if err != nil && !errors.Is(err, ErrAddressRefused) {
				t.Errorf("error %v does not wrap ErrAddressRefused", err)
			}
			if err := allow127.Check(a); (err == nil) != c.withAllowed {
				t.Errorf("with allow-list: %v, want allowed=%v", err, c.withAllowed)
			}
		})
	}
}

// countingServer listens on ip and counts the requests it receives.
func countingServer(t *testing.T, ip string, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestGuardRefusesAtDialTime(t *testing.T) {
	v4, n4 := countingServer(t, "127.0.0.1", nil)
	def := NewClient(Options{UserAgent: "collectif/test"})
	for _, u := range []string{v4.URL + "/actor", "http://10.255.255.1:9/inbox", "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/"} {
		resp, err := def.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s went through the default guard", u)
		}
		if !errors.Is(err, ErrAddressRefused) {
			t.Fatalf("GET %s: %v, want ErrAddressRefused", u, err)
		}
	}
	if n4.Load() != 0 {
		t.Fatalf("the loopback server received %d requests", n4.Load())
	}
	// A name that resolves to loopback is refused as well: the check is
	// on the address connected to.
	host := strings.Replace(v4.URL, "127.0.0.1", "localhost", 1)
	if _, err := def.Get(host); !errors.Is(err, ErrAddressRefused) {
		t.Fatalf("GET %s: %v, want ErrAddressRefused", host, err)
	}
	v6, n6 := countingServer(t, "[::1]", nil)
	if _, err := def.Get(v6.URL); !errors.Is(err, ErrAddressRefused) || n6.Load() != 0 {
		t.Fatalf("GET %s: %v (%d requests), want ErrAddressRefused", v6.URL, err, n6.Load())
	}

	allowed := NewClient(Options{AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	for _, u := range []string{v4.URL, v6.URL} {
		resp, err := allowed.Get(u)
		if err != nil {
			t.Fatalf("GET %s with the allow-list: %v", u, err)
		}
		resp.Body.Close()
	}
	if n4.Load() != 1 || n6.Load() != 1 {
		t.Fatalf("requests = %d, %d; want 1, 1", n4.Load(), n6.Load())
	}
}

func TestRedirects(t *testing.T) {
	private, nPrivate := countingServer(t, "127.0.0.1", nil)
	var ua []string
	final, _ := countingServer(t, "127.0.0.3", func(w http.ResponseWriter, r *http.Request) {
		ua = append(ua, r.UserAgent())
		w.Write([]byte("{}"))
	})
	hops := 0
	var redirector *httptest.Server
	redirector, _ = countingServer(t, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) {
		ua = append(ua, r.UserAgent())
		switch r.URL.Path {
		case "/to-private":
			http.Redirect(w, r, private.URL+"/secret", http.StatusFound)
		case "/to-final":
			http.Redirect(w, r, final.URL+"/actor", http.StatusMovedPermanently)
		case "/loop":
			hops++
			http.Redirect(w, r, redirector.URL+"/loop", http.StatusFound)
		case "/post":
			http.Redirect(w, r, final.URL+"/inbox", http.StatusTemporaryRedirect)
		}
	})
	// 127.0.0.2 and 127.0.0.3 stand for public hosts; 127.0.0.1 for the
	// hub's own network.
	c := NewClient(Options{UserAgent: "collectif/1.0 (+https://hub.example)",
		AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32"), netip.MustParsePrefix("127.0.0.3/32")}})

	if _, err := c.Get(redirector.URL + "/to-private"); !errors.Is(err, ErrAddressRefused) || nPrivate.Load() != 0 {
		t.Fatalf("redirect to a private address: %v, %d requests reached it", err, nPrivate.Load())
	}
	ua = nil
	resp, err := c.Get(redirector.URL + "/to-final")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("redirect to an allowed host: %v", err)
	}
	resp.Body.Close()
	if len(ua) != 2 || ua[0] != "collectif/1.0 (+https://hub.example)" || ua[1] != ua[0] {
		t.Fatalf("User-Agents seen = %q", ua)
	}
	if _, err := c.Get(redirector.URL + "/loop"); err == nil || !strings.Contains(err.Error(), "redirects") || hops != MaxRedirects+1 {
		t.Fatalf("redirect loop: %v after %d hops", err, hops)
	}
	// A POST is never sent on elsewhere: the redirect is its answer.
	resp, err = c.Post(redirector.URL+"/post", ContentType, strings.NewReader("{}"))
	if err != nil || resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("POST redirected: %v %v", resp, err)
	}
	resp.Body.Close()

	// https → http is refused.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/actor", http.StatusFound)
	}))
	defer tlsSrv.Close()
	c2 := NewClient(Options{AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	c2.Transport.(*limitTransport).base.(*http.Transport).TLSClientConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig
	if _, err := c2.Get(tlsSrv.URL); err == nil || !strings.Contains(err.Error(), "https to http") {
		t.Fatalf("https → http: %v", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	srv, _ := countingServer(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		}
		io.WriteString(w, big)
	})
	c := NewClient(Options{AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, MaxResponse: 1 << 20})
	// Announced too large: refused before reading.
	if _, err := c.Get(srv.URL + "/sized"); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("announced 2 MiB: %v", err)
	}
	resp, err := c.Get(srv.URL + "/chunked")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, ErrResponseTooLarge) || len(b) != 1<<20 || !strings.Contains(err.Error(), "more than 1048576 bytes") {
		t.Fatalf("chunked 2 MiB: read %d bytes, %v", len(b), err)
	}
	// Exactly the limit is fine.
	exact, _ := countingServer(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		io.WriteString(w, big[:1<<20])
	})
	resp, err = c.Get(exact.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(b) != 1<<20 {
		t.Fatalf("exactly 1 MiB: %d bytes, %v", len(b), err)
	}
}

func TestUserAgent(t *testing.T) {
	for v, want := range map[string]string{
		"v1.4.0":                     "collectif/v1.4.0 (+https://hub.example)",
		"v0.0.0-2026 (abc123+dirty)": "collectif/v0.0.0-2026 (+https://hub.example)",
		"(devel)":                    "collectif/devel (+https://hub.example)",
		"":                           "collectif/dev (+https://hub.example)",
	} {
		if got := UserAgent(v, "https://hub.example"); got != want {
			t.Errorf("UserAgent(%q) = %q, want %q", v, got, want)
		}
	}
}
