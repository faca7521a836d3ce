package delivery

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"collectif/federation/signature"
)

// StatusError is returned by Get when the remote answers other than 2xx.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Get fetches a remote ActivityPub document with a GET signed by actor's
// key ("(request-target) host date"), or unsigned when actor is empty
// (WebFinger, or the instance actor's own key being unavailable). It sends
// Accept: application/activity+json and the ld+json profile, follows at
// most 3 redirects, and reads at most the client's maximum response size
// (1 MiB by default; a longer body gives ErrResponseTooLarge). A non-2xx
// answer gives a *StatusError.
func (s *Service) Get(ctx context.Context, actor, url string) ([]byte, error) {
	if actor != "" {
		keyID, key, err := s.signingKey(ctx, actor)
		if err != nil {
			return nil, fmt.Errorf("delivery: signing key of %s: %w", actor, err)
		}
		ctx = withSigner(ctx, signature.Signer{KeyID: keyID, Key: key})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("delivery: GET %s: %w", url, err)
	}
	req.Header.Set("Accept", Accept)
	resp, err := s.signed.Do(req)
	if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{URL: url, Code: resp.StatusCode}
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("delivery: GET %s: %w", url, err)
	}
	return b, nil
}
