package federation

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"collectif/federation/ap"
	"collectif/federation/signature"
)

// MaxDocumentBytes bounds a fetched actor or key document.
const MaxDocumentBytes = 1 << 20

// SignedGetter is a Getter over an http.Client: GETs signed with the
// local actor's key, Accept asking for ActivityStreams, the User-Agent
// naming the software, bodies size-limited. The delivery package's Get
// (whose client refuses private addresses) is what the hub uses; this one
// serves where none is given (tests, and a hub built without delivery).
type SignedGetter struct {
	Client    *http.Client // nil: a client with a 30 s timeout
	Keys      *Service     // the signing keys
	UserAgent string
}

// Get implements Getter.
func (g *SignedGetter) Get(ctx context.Context, actor, url string) ([]byte, error) {
	keyID, key, err := g.Keys.SigningKey(ctx, actor)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", ap.LDJSON+", "+ap.ActivityJSON)
	if g.UserAgent != "" {
		req.Header.Set("User-Agent", g.UserAgent)
	}
	if err := (signature.Signer{KeyID: keyID, Key: key}).Sign(req, nil); err != nil {
		return nil, err
	}
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		return nil, fmt.Errorf("GET %s: Content-Type %q is not JSON", url, ct)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDocumentBytes {
		return nil, fmt.Errorf("GET %s: document larger than %d bytes", url, MaxDocumentBytes)
	}
	return b, nil
}

// UserAgent is the User-Agent of the hub's requests: the software, its
// version and the hub's URL, as Mastodon and others expect (some servers
// refuse requests without one).
func (s *Service) UserAgent() string {
	return s.d.Software + "/" + s.d.Version + " (+" + s.base + "/)"
}
