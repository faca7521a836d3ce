package signature

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Signer signs outgoing requests on behalf of one actor.
type Signer struct {
	// KeyID is the id of the actor's public key, e.g. the actor URL with
	// "#main-key".
	KeyID string
	// Key is the actor's *rsa.PrivateKey. Only RSA signs: rsa-sha256 is the
	// one algorithm every fediverse server verifies.
	Key crypto.PrivateKey
}

// Sign signs req, whose body is body (nil for none), in place:
//
//   - it sets Date (http.TimeFormat, UTC) unless present;
//   - for requests with a body, and for POST, PUT and PATCH, it sets
//     Digest: SHA-256=<base64>, replacing any Digest present;
//   - it sets req.Host to the host Go's client will send (req.Host, else
//     req.URL.Host), so that the Host on the wire is the one signed;
//   - it sets Signature: keyId="…",algorithm="rsa-sha256",headers="…",
//     signature="…" over "(request-target) host date", plus "digest" when
//     a Digest is set. (request-target) is the lower-cased method and the
//     target as sent, escaped path and query string included.
//
// Hosts that are not ASCII are refused: Go's client would send them in
// punycode, which would not match the signed value.
func (s Signer) Sign(req *http.Request, body []byte) error {
	if req == nil || req.URL == nil {
		return errors.New("signature: sign: request without URL")
	}
	if err := checkKeyID(s.KeyID); err != nil {
		return fmt.Errorf("signature: sign: %w", err)
	}
	key, ok := s.Key.(*rsa.PrivateKey)
	if !ok || key == nil {
		return fmt.Errorf("signature: sign: key is %T, want *rsa.PrivateKey", s.Key)
	}
	host, err := wireHost(req)
	if err != nil {
		return fmt.Errorf("signature: sign: %w", err)
	}
	req.Host = host
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	headers := []string{requestTarget, "host", "date"}
	if needsDigest(req.Method, body) {
		sum := sha256.Sum256(body)
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		headers = append(headers, "digest")
	}
	req.Header.Del("Signature")
	sig, err := signHeaders(key, s.KeyID, req, host, headers)
	if err != nil {
		return fmt.Errorf("signature: sign: %w", err)
	}
	req.Header.Set("Signature", sig)
	return nil
}

// signHeaders signs the given headers of req with go-fed/httpsig and returns
// the Signature header value in our format. go-fed reads every header,
// "host" included, from the header map, and writes (request-target) from
// URL.Path (unescaped) and URL.RawQuery: it is handed a copy whose header
// map holds the host, and whose URL.Path is the target exactly as Go's
// client writes it, so that what is signed is what goes on the wire.
func signHeaders(key *rsa.PrivateKey, keyID string, req *http.Request, host string, headers []string) (string, error) {
	sigReq := &http.Request{
		Method: req.Method,
		URL:    &url.URL{Path: req.URL.RequestURI()},
		Header: req.Header.Clone(),
	}
	sigReq.Header["Host"] = []string{host}
	sigReq.Header.Del("Signature") // go-fed adds its own; only one may be read back
	// A go-fed Signer is not safe for concurrent use; building one per
	// request costs nothing next to the RSA operation.
	gs, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return "", err
	}
	if err := gs.SignRequest(key, keyID, sigReq, nil); err != nil {
		return "", err
	}
	// go-fed labels every signature "hs2019"; the profile sends
	// "rsa-sha256", which older servers require, so only the signature
	// value is taken from its header.
	p, err := ParseSignatureHeader(sigReq.Header.Get("Signature"))
	if err != nil {
		return "", fmt.Errorf("reading go-fed's signature: %w", err)
	}
	return Params{
		KeyID:     keyID,
		Algorithm: "rsa-sha256",
		Headers:   headers,
		Signature: p.Signature,
	}.String(), nil
}

// checkKeyID refuses keyIds that cannot travel in a quoted string (they are
// URLs, which never contain these bytes unescaped).
func checkKeyID(id string) error {
	if id == "" {
		return errors.New("empty KeyID")
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '"' || c == '\\' || isCTL(c) {
			return fmt.Errorf("KeyID %q has a byte (%q) that cannot be sent", id, c)
		}
	}
	return nil
}

// wireHost returns the Host Go's client will send for req, or an error when
// the client would alter it (punycode) or drop it (invalid bytes): a
// signature over another value would not verify.
func wireHost(req *http.Request) (string, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return "", errors.New("request has no host")
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= 0x80 {
			return "", fmt.Errorf("host %q is not ASCII: convert it to punycode before signing", host)
		}
		if !isHostChar(c) {
			return "", fmt.Errorf("host %q has a byte (%q) Go's client would not send", host, c)
		}
	}
	// RFC 6874: the zone of an IPv6 literal never goes on the wire; Go's
	// client removes it the same way.
	if strings.HasPrefix(host, "[") {
		if end := strings.LastIndex(host, "]"); end > 0 {
			if z := strings.LastIndex(host[:end], "%"); z >= 0 {
				host = host[:z] + host[end:]
			}
		}
	}
	return host, nil
}

// isHostChar reports whether c may appear in an RFC 3986 authority (host
// and port), the bytes Go's client lets through in a Host header.
func isHostChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:[]%", c) >= 0
}

// Transport is an http.RoundTripper that signs every request it sends,
// GETs included, so federation code can use a plain http.Client.
type Transport struct {
	// Base sends the signed requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Signer chooses the actor signing a request; false sends the request
	// unsigned (e.g. a WebFinger lookup).
	Signer func(*http.Request) (Signer, bool)
}

// RoundTrip signs a clone of req (the caller's request is left alone, as
// http.RoundTripper requires), reading the body to compute the digest and
// restoring it for sending.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	if t.Signer == nil {
		closeBody()
		return nil, errors.New("signature: transport: no Signer")
	}
	s, ok := t.Signer(req)
	if !ok {
		return base.RoundTrip(req)
	}
	r2 := req.Clone(req.Context())
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		closeBody()
		if err != nil {
			return nil, fmt.Errorf("signature: transport: reading the body: %w", err)
		}
		body = b
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r2.ContentLength = int64(len(body))
	}
	if err := s.Sign(r2, body); err != nil {
		closeBody()
		return nil, fmt.Errorf("signature: transport: %w", err)
	}
	return base.RoundTrip(r2)
}
