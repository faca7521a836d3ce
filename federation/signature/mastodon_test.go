package signature

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// TestMastodonStyleRequests signs requests with go-fed/httpsig directly, the
// way Mastodon's Request class builds them (app/lib/request.rb): a Host
// header holding the URL's host without port, a Date, a SHA-256 Digest on
// POST, and the signed headers "(request-target) host date digest
// content-type" for a delivery and "(request-target) host date accept" for a
// fetch. Mastodon long signed the path without the query string; newer
// versions sign the full path. go-fed labels everything "hs2019"; Mastodon
// sends "rsa-sha256": both labels are tried. They travel over loopback to a
// net/http server that verifies them.
func TestMastodonStyleRequests(t *testing.T) {
	key := rsaKey(t, 0)
	srv := verifyingServer(t, &Verifier{Keys: newFetchLog(&key.PublicKey)}, nil)
	srvURL, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	activity := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Like","actor":"` + testActor + `","object":"https://hub.example/notes/1"}`)

	cases := []struct {
		name, method, path string
		headers            []string
		body               []byte
		pathOnlyTarget     bool // Mastodon before @full_path
		label              string
	}{
		{"delivery hs2019", http.MethodPost, "/inbox", []string{requestTarget, "host", "date", "digest", "content-type"}, activity, false, "hs2019"},
		{"delivery rsa-sha256", http.MethodPost, "/inbox", []string{requestTarget, "host", "date", "digest", "content-type"}, activity, false, "rsa-sha256"},
		{"fetch, full path", http.MethodGet, "/actors/alice/followers?page=2", []string{requestTarget, "host", "date", "accept"}, nil, false, "rsa-sha256"},
		{"fetch, query not signed", http.MethodGet, "/actors/alice/followers?page=2", []string{requestTarget, "host", "date", "accept"}, nil, true, "rsa-sha256"},
		{"fetch, query not signed, hs2019", http.MethodGet, "/actors/alice/outbox?page=true", []string{requestTarget, "host", "date", "accept"}, nil, true, "hs2019"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = srvURL.Hostname() // Mastodon: Host = @url.host, no port
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			req.Header.Set("User-Agent", "http.rb/5.1.1 (Mastodon/4.3.0; +https://mastodon.example/)")
			if tc.method == http.MethodPost {
				req.Header.Set("Content-Type", "application/activity+json")
			} else {
				req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
			}

			toSign := req.Clone(req.Context())
			if tc.pathOnlyTarget {
				toSign.URL.RawQuery = ""
			}
			gofedSign(t, toSign, key, httpsig.RSA_SHA256, tc.headers, tc.body, 0)
			sig := toSign.Header.Get("Signature")
			if !strings.Contains(sig, `algorithm="hs2019"`) {
				t.Fatalf("go-fed header %q", sig)
			}
			if tc.label != "hs2019" {
				sig = strings.Replace(sig, `algorithm="hs2019"`, `algorithm="`+tc.label+`"`, 1)
			}
			req.Header.Set("Signature", sig)
			if d := toSign.Header.Get("Digest"); d != "" {
				req.Header.Set("Digest", d)
			}

			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s (Signature: %s)", resp.StatusCode, msg, sig)
			}
		})
	}
}
