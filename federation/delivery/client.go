package delivery

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Limits of the outgoing HTTP client.
const (
	ConnectTimeout        = 5 * time.Second
	TLSHandshakeTimeout   = 5 * time.Second
	ResponseHeaderTimeout = 10 * time.Second
	// RequestTimeout bounds a whole request, body included.
	RequestTimeout = 30 * time.Second
	// MaxRedirects is how many redirects a GET follows.
	MaxRedirects = 3
	// DefaultMaxResponse bounds what is read of a response body: an actor,
	// an object or a collection page is a few kilobytes.
	DefaultMaxResponse = 1 << 20
)

// ErrAddressRefused is wrapped by the error of a request whose host
// resolves to an address the guard refuses (loopback, private, link-local
// and other special ranges not named in Options.AllowedNets).
var ErrAddressRefused = errors.New("address refused by the federation guard")

// ErrResponseTooLarge is wrapped by the error of a read past the maximum
// response size.
var ErrResponseTooLarge = errors.New("response larger than the limit")

// Options configure the outgoing HTTP client.
type Options struct {
	// AllowedNets are special-purpose networks (loopback, private…) that
	// requests may reach anyway: COLLECTIF_FEDERATION_ALLOWED_NETS.
	AllowedNets []netip.Prefix
	// UserAgent is sent on every request: "collectif/<version> (+<base URL>)".
	UserAgent string
	// MaxResponse bounds the bytes read of a response body; 0 means
	// DefaultMaxResponse.
	MaxResponse int64
	// RootCAs are the certificate authorities trusted for https; nil: the
	// system's (see LoadCAFile for COLLECTIF_FEDERATION_CA_FILE).
	RootCAs *x509.CertPool
}

// LoadCAFile returns the system's certificate authorities and those of a
// PEM file (COLLECTIF_FEDERATION_CA_FILE): hubs federating under a private
// CA trust it without replacing the public ones.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// refusedNets are the special-purpose ranges of the IANA registries that
// the fediverse has no business reaching: a remote actor naming one of them
// is trying to make the hub probe its own network.
var refusedNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		// IPv4
		"0.0.0.0/8",       // "this network", unspecified
		"10.0.0.0/8",      // RFC 1918
		"100.64.0.0/10",   // CGNAT (RFC 6598)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local (cloud metadata services)
		"172.16.0.0/12",   // RFC 1918
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // RFC 1918
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		// IPv6 (IPv4-mapped and NAT64 addresses are checked as IPv4)
		"::/128",         // unspecified
		"::1/128",        // loopback
		"::/96",          // IPv4-compatible (deprecated)
		"100::/64",       // discard
		"2001::/23",      // IETF protocol assignments (Teredo…)
		"2001:db8::/32",  // documentation
		"2002::/16",      // 6to4
		"3fff::/20",      // documentation
		"5f00::/16",      // SRv6
		"fc00::/7",       // unique local
		"fe80::/10",      // link-local
		"fec0::/10",      // site-local (deprecated)
		"ff00::/8",       // multicast
		"64:ff9b:1::/48", // local-use NAT64
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard decides which addresses the client may connect to.
type Guard struct {
	Allowed []netip.Prefix
}

// Check returns nil when a connection to addr may be made.
func (g Guard) Check(addr netip.Addr) error {
	addr = addr.WithZone("")
	for _, p := range g.Allowed {
		if p.Contains(addr) || addr.Is4In6() && p.Contains(addr.Unmap()) {
			return nil
		}
	}
	a := addr.Unmap()
	if a.Is6() && nat64.Contains(a) {
		// The well-known NAT64 prefix carries an IPv4 address in its
		// last 32 bits: the hub may sit on an IPv6-only network.
		b := a.As16()
		return g.Check(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrAddressRefused)
	}
	for _, p := range refusedNets {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is in %s (COLLECTIF_FEDERATION_ALLOWED_NETS may allow it)", ErrAddressRefused, a, p)
		}
	}
	if a.Is6() && !netip.MustParsePrefix("2000::/3").Contains(a) {
		return fmt.Errorf("%w: %s is not a global unicast address", ErrAddressRefused, a)
	}
	return nil
}

// control runs after the name is resolved and before the socket connects:
// the address checked is the one connected to, so a name that resolves to
// a public address when checked and a private one when used (DNS
// rebinding) cannot pass.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrAddressRefused, address)
	}
	return g.Check(ap.Addr())
}

// NewClient returns the HTTP client for every federation request: it
// connects only to addresses the guard accepts, times out (connect 5 s,
// TLS handshake 5 s, response headers 10 s, whole request 30 s), follows
// at most 3 redirects of GET and HEAD requests, each to an address checked
// again and never from https to http, does not follow redirects of other
// methods (a POST is never re-sent elsewhere), sends the User-Agent on every
// request, uses no proxy from the environment, and cuts a response body
// longer than the maximum with ErrResponseTooLarge.
func NewClient(o Options) *http.Client {
	if o.MaxResponse <= 0 {
		o.MaxResponse = DefaultMaxResponse
	}
	g := Guard{Allowed: o.AllowedNets}
	d := &net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second, Control: g.control}
	t := &http.Transport{
		// No Proxy: the guard must see the remote's address, not a proxy's.
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          200,
		MaxIdleConnsPerHost:   4,
		// A hard bound per host beside the delivery's own.
		MaxConnsPerHost:        16,
		MaxResponseHeaderBytes: 64 << 10,
	}
	if o.RootCAs != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport:     &limitTransport{base: t, userAgent: o.UserAgent, max: o.MaxResponse},
		Timeout:       RequestTimeout,
		CheckRedirect: checkRedirect,
	}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if first.Method != http.MethodGet && first.Method != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if len(via) > MaxRedirects {
		return fmt.Errorf("more than %d redirects", MaxRedirects)
	}
	if via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
	}
	return nil
}

// limitTransport sets the User-Agent and bounds response bodies.
type limitTransport struct {
	base      http.RoundTripper
	userAgent string
	max       int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.userAgent != "" && req.Header.Get("User-Agent") != t.userAgent {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.userAgent)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s announces %d bytes, the limit is %d", ErrResponseTooLarge, req.URL.Host, resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, max: t.max, host: req.URL.Host}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	max  int64
	host string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly max bytes from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: %s sent more than %d bytes", ErrResponseTooLarge, b.host, b.max)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// UserAgent builds the User-Agent the fediverse expects: the software, its
// version and the hub's base URL.
func UserAgent(version, baseURL string) string {
	v := make([]byte, 0, len(version))
	for i := 0; i < len(version); i++ {
		c := version[i]
		if c == ' ' {
			break
		}
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '+' || c == '_' {
			v = append(v, c)
		}
	}
	if len(v) == 0 {
		v = []byte("dev")
	}
	return "collectif/" + string(v) + " (+" + baseURL + ")"
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
