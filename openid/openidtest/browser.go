package openidtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// maxRedirects bounds the redirects a Browser follows, as browsers do.
const maxRedirects = 10

// Browser is an agent's browser: an http.Client with a cookie jar, which
// follows redirects (up to 10), and so completes the provider's
// auto-approving login page on its own. A test of a web server gets the
// logged-in session by opening the server's login URL:
//
//	resp, err := b.Get(hubURL + "/login/oidc/proconnect")
//	// hub → provider → login page → provider → hub callback → hub page
//
// Cookies are kept by host, not by port, as browsers do: the provider and
// a server on 127.0.0.1 see each other's cookies.
type Browser struct {
	*http.Client
}

// NewBrowser returns a browser with an empty cookie jar, whose idle
// connections are closed when the test ends.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &Browser{Client: &http.Client{
		Transport: tr,
		Jar:       jar,
		Timeout:   10 * time.Second,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("openidtest: too many redirects")
			}
			return nil
		},
	}}
}

// FollowUntil opens rawURL and follows redirects until one leads to a URL
// starting with prefix, which it returns without opening it: the relying
// party's callback, with code and state, when the relying party under
// test is not an HTTP server, or its post-logout URL. It fails if the
// redirects end anywhere else, quoting the last answer.
func (b *Browser) FollowUntil(ctx context.Context, rawURL, prefix string) (*url.URL, error) {
	c := *b.Client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), prefix) {
			return http.ErrUseLastResponse
		}
		if len(via) >= maxRedirects {
			return errors.New("openidtest: too many redirects")
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 == 3 {
		if loc, err := resp.Location(); err == nil && strings.HasPrefix(loc.String(), prefix) {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("openidtest: no redirect to %s: HTTP %d from %s, Location %q, body %q",
		prefix, resp.StatusCode, resp.Request.URL, resp.Header.Get("Location"), body)
}
