package signature

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Every error Verify returns wraps exactly one of these, so that the inbox
// can answer 401 with a reason a remote administrator can act on.
var (
	// ErrNoSignature: neither a Signature header nor an
	// "Authorization: Signature" header.
	ErrNoSignature = errors.New("signature: request is not signed")
	// ErrMalformed: the signature header, a signed pseudo-header, the Date
	// or the Digest header cannot be parsed.
	ErrMalformed = errors.New("signature: malformed signature")
	// ErrUnsupportedAlgorithm: an algorithm other than rsa-sha256 or hs2019,
	// a key the algorithm cannot use, or a Digest with neither SHA-256 nor
	// SHA-512.
	ErrUnsupportedAlgorithm = errors.New("signature: unsupported algorithm")
	// ErrMissingHeader: a header this profile requires is not signed, or a
	// signed header is absent from the request.
	ErrMissingHeader = errors.New("signature: required header not signed or absent")
	// ErrDigestMismatch: the Digest header does not match the body.
	ErrDigestMismatch = errors.New("signature: digest does not match the body")
	// ErrClockSkew: Date or (created) too far from now, or (expires) past.
	ErrClockSkew = errors.New("signature: request date outside the accepted window")
	// ErrKeyFetch: the key named by keyId could not be obtained.
	ErrKeyFetch = errors.New("signature: cannot fetch the signing key")
	// ErrBadSignature: the signature does not verify with the key.
	ErrBadSignature = errors.New("signature: signature does not verify")
)

const (
	// DefaultMaxSkew is the Date window when Verifier.MaxSkew is zero: the
	// 12 hours Mastodon allows, since queued deliveries are retried with
	// their original Date.
	DefaultMaxSkew = 12 * time.Hour
	// expiresLeeway tolerates the drift between our clock and the signer's
	// when honouring the (expires) the signer chose.
	expiresLeeway = time.Minute
)

// PublicKey is a remote actor's key.
type PublicKey struct {
	// ID is the key's id (publicKey.id); it names the key, the keyId of
	// signatures made with it.
	ID string
	// Owner is the actor that owns the key (publicKey.owner). The inbox must
	// check that the activity's actor is this owner.
	Owner string
	// Key is *rsa.PublicKey or ed25519.PublicKey, as ParsePublicKeyPEM
	// returns.
	Key crypto.PublicKey
}

// KeyFetcher obtains the key a keyId names. With refresh, a cached copy must
// not be used: Verify asks for it once after a failure with a cached key, in
// case the actor rotated its key. The fetcher is responsible for binding the
// key to keyId: the document fetched must be the one keyId designates and
// Owner must be the owner that document declares (and that owner's actor
// must list the key, if the fetcher follows the GoToSocial stub).
type KeyFetcher interface {
	FetchKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error)
}

// KeyFetcherFunc adapts a function to KeyFetcher.
type KeyFetcherFunc func(ctx context.Context, keyID string, refresh bool) (*PublicKey, error)

// FetchKey calls f.
func (f KeyFetcherFunc) FetchKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error) {
	return f(ctx, keyID, refresh)
}

// Result is what a verified signature establishes.
type Result struct {
	// KeyID is the keyId of the signature.
	KeyID string
	// Owner is the actor owning the key, as the KeyFetcher reported it.
	Owner string
	// Algorithm is the verification actually performed: "rsa-sha256" (for
	// rsa-sha256, hs2019 or no algorithm with an RSA key) or "ed25519"
	// (hs2019 or no algorithm with an Ed25519 key).
	Algorithm string
}

// Verifier checks the HTTP signatures of incoming requests. Its fields are
// read-only once in use; one Verifier serves concurrent requests.
type Verifier struct {
	// Keys fetches the key a keyId names.
	Keys KeyFetcher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far Date or (created) may be from now, either way;
	// zero means DefaultMaxSkew.
	MaxSkew time.Duration
}

type algorithm int

const (
	algHS2019    algorithm = iota // hs2019 or absent: the key decides
	algRSASHA256                  // rsa-sha256: an RSA key is required
)

// Verify checks the signature of r, whose body the caller has already read
// (within its own size limit) into body. The host of the signing string is
// r.Host: a Go server keeps the Host header out of r.Header. The request
// target is r.RequestURI as received (r.URL.RequestURI() when empty); if
// the signature does not verify with the query string it is tried without,
// as Mastodon and GoToSocial do, because Mastodon long signed the path only.
//
// Every check that needs no key runs before the key is fetched, so a
// malformed or stale request costs no outgoing request. If the signature
// fails with the key returned by Keys, the key is fetched once more with
// refresh and the signature tried once more.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Result, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: no request", ErrNoSignature)
	}
	raw, err := signatureHeader(r.Header)
	if err != nil {
		return nil, err
	}
	p, err := ParseSignatureHeader(raw)
	if err != nil {
		return nil, err
	}
	alg, err := parseAlgorithm(p.Algorithm)
	if err != nil {
		return nil, err
	}
	headers := p.Headers
	if headers == nil {
		// The draft-cavage-12 defaults; neither satisfies the checks
		// below, but the error then names what is missing.
		headers = []string{createdPseudo}
		if alg == algRSASHA256 {
			headers = []string{"date"}
		}
	}
	signed := make(map[string]bool, len(headers))
	for _, h := range headers {
		signed[h] = true
	}

	if err := checkRequired(r, body, signed); err != nil {
		return nil, err
	}
	if alg == algRSASHA256 && (signed[createdPseudo] || signed[expiresPseudo]) {
		// draft-cavage-12: (created) and (expires) are forbidden
		// with algorithms that name their hash; Mastodon refuses them too.
		return nil, fmt.Errorf("%w: (created) and (expires) cannot be signed with rsa-sha256", ErrMalformed)
	}
	if signed[createdPseudo] && p.Created == 0 {
		return nil, fmt.Errorf("%w: (created) is signed but the created parameter is missing", ErrMalformed)
	}
	if signed[expiresPseudo] && p.Expires == 0 {
		return nil, fmt.Errorf("%w: (expires) is signed but the expires parameter is missing", ErrMalformed)
	}
	if err := v.checkTime(r, p, signed); err != nil {
		return nil, err
	}
	if signed["digest"] {
		if err := checkDigest(r.Header, body); err != nil {
			return nil, err
		}
	}

	candidates, err := signingStrings(r, headers, p)
	if err != nil {
		return nil, err
	}

	if v.Keys == nil {
		return nil, fmt.Errorf("%w: no key fetcher configured", ErrKeyFetch)
	}
	pk, err := fetch(ctx, v.Keys, p.KeyID, false)
	if err != nil {
		return nil, err
	}
	used, verr := verifyWith(pk.Key, alg, p.Signature, candidates)
	if verr != nil {
		// The key may have rotated since it was cached: fetch it afresh,
		// once, so a forged signature costs at most one more fetch.
		fresh, ferr := fetch(ctx, v.Keys, p.KeyID, true)
		if ferr != nil {
			return nil, fmt.Errorf("%w (the cached key failed: %v)", ferr, verr)
		}
		used, verr = verifyWith(fresh.Key, alg, p.Signature, candidates)
		if verr != nil {
			return nil, verr
		}
		pk = fresh
	}
	return &Result{KeyID: p.KeyID, Owner: pk.Owner, Algorithm: used}, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// signatureHeader returns the signature parameters, from the Signature
// header or else from "Authorization: Signature <params>".
func signatureHeader(h http.Header) (string, error) {
	if vals := h.Values("Signature"); len(vals) > 0 {
		if len(vals) > 1 {
			return "", fmt.Errorf("%w: %d Signature headers", ErrMalformed, len(vals))
		}
		if strings.TrimSpace(vals[0]) == "" {
			return "", fmt.Errorf("%w: empty Signature header", ErrNoSignature)
		}
		return vals[0], nil
	}
	for _, a := range h.Values("Authorization") {
		scheme, rest, ok := strings.Cut(strings.TrimLeft(a, " \t"), " ")
		if ok && strings.EqualFold(scheme, "Signature") {
			return rest, nil
		}
	}
	return "", ErrNoSignature
}

func parseAlgorithm(a string) (algorithm, error) {
	switch strings.ToLower(a) {
	case "", "hs2019":
		return algHS2019, nil
	case "rsa-sha256":
		return algRSASHA256, nil
	}
	return 0, fmt.Errorf("%w: %q (accepted: rsa-sha256, hs2019)", ErrUnsupportedAlgorithm, a)
}

// needsDigest reports whether a request must carry a signed Digest: any
// request with a body, and POST, PUT and PATCH even when empty, so that a
// proxy cannot add a body the signature does not cover.
func needsDigest(method string, body []byte) bool {
	if len(body) > 0 {
		return true
	}
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

func checkRequired(r *http.Request, body []byte, signed map[string]bool) error {
	if !signed[requestTarget] {
		return fmt.Errorf("%w: (request-target) is not signed", ErrMissingHeader)
	}
	if !signed["host"] {
		return fmt.Errorf("%w: host is not signed", ErrMissingHeader)
	}
	if !signed["date"] && !signed[createdPseudo] {
		return fmt.Errorf("%w: neither date nor (created) is signed", ErrMissingHeader)
	}
	if needsDigest(r.Method, body) && !signed["digest"] {
		return fmt.Errorf("%w: digest is not signed on a request with a body", ErrMissingHeader)
	}
	return nil
}

func (v *Verifier) checkTime(r *http.Request, p Params, signed map[string]bool) error {
	now, skew := v.now(), v.maxSkew()
	if signed["date"] {
		vals := r.Header.Values("Date")
		switch {
		case len(vals) == 0:
			return fmt.Errorf("%w: date is signed but the request has no Date header", ErrMissingHeader)
		case len(vals) > 1:
			return fmt.Errorf("%w: %d Date headers", ErrMalformed, len(vals))
		}
		d, err := http.ParseTime(vals[0])
		if err != nil {
			return fmt.Errorf("%w: Date %q: %w", ErrMalformed, vals[0], err)
		}
		if off := now.Sub(d); off > skew || off < -skew {
			return fmt.Errorf("%w: Date %q is %s away from now, more than %s", ErrClockSkew, vals[0], absDuration(off), skew)
		}
	}
	if signed[createdPseudo] {
		off := now.Sub(time.Unix(p.Created, 0))
		if off > skew || off < -skew {
			return fmt.Errorf("%w: created %d is %s away from now, more than %s", ErrClockSkew, p.Created, absDuration(off), skew)
		}
	}
	if signed[expiresPseudo] && now.After(time.Unix(p.Expires, 0).Add(expiresLeeway)) {
		return fmt.Errorf("%w: the signature expired at %d", ErrClockSkew, p.Expires)
	}
	return nil
}

// absDuration is |d| to the second, for messages a remote admin reads.
func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	return d.Round(time.Second)
}

// checkDigest checks the RFC 3230 Digest header against body. Every SHA-256
// and SHA-512 value offered must match (values in other algorithms are
// ignored), and at least one must be offered.
func checkDigest(h http.Header, body []byte) error {
	vals := h.Values("Digest")
	if len(vals) == 0 {
		return fmt.Errorf("%w: digest is signed but the request has no Digest header", ErrMissingHeader)
	}
	var sum256, sum512 []byte
	checked := 0
	for _, line := range vals {
		for _, elem := range strings.Split(line, ",") {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			alg, val, ok := strings.Cut(elem, "=")
			if !ok {
				return fmt.Errorf("%w: Digest element %q has no value", ErrMalformed, elem)
			}
			var want []byte
			switch strings.ToLower(strings.TrimSpace(alg)) {
			case "sha-256":
				if sum256 == nil {
					s := sha256.Sum256(body)
					sum256 = s[:]
				}
				want = sum256
			case "sha-512":
				if sum512 == nil {
					s := sha512.Sum512(body)
					sum512 = s[:]
				}
				want = sum512
			default:
				continue
			}
			got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
			if err != nil {
				return fmt.Errorf("%w: Digest %s value is not base64: %w", ErrMalformed, alg, err)
			}
			if subtle.ConstantTimeCompare(got, want) != 1 {
				return fmt.Errorf("%w: %s of the body differs from the Digest header", ErrDigestMismatch, strings.ToUpper(alg))
			}
			checked++
		}
	}
	if checked == 0 {
		return fmt.Errorf("%w: Digest offers neither SHA-256 nor SHA-512", ErrUnsupportedAlgorithm)
	}
	return nil
}

// requestTargetOf returns the request target as it was on the wire: the raw
// RequestURI a server received (origin form), else the URL's.
func requestTargetOf(r *http.Request) string {
	if t := r.RequestURI; t != "" && t[0] == '/' {
		return t
	}
	if r.URL == nil {
		return "/"
	}
	return r.URL.RequestURI()
}

// signingStrings builds the draft-cavage-12 signing string, and when the
// target has a query, the same string without it (see Verify).
func signingStrings(r *http.Request, headers []string, p Params) ([]string, error) {
	target := requestTargetOf(r)
	full, err := signingString(r, headers, p, target)
	if err != nil {
		return nil, err
	}
	path, _, hasQuery := strings.Cut(target, "?")
	if !hasQuery {
		return []string{full}, nil
	}
	short, err := signingString(r, headers, p, path)
	if err != nil {
		return nil, err
	}
	return []string{full, short}, nil
}

func signingString(r *http.Request, headers []string, p Params, target string) (string, error) {
	var b strings.Builder
	for i, h := range headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		switch h {
		case requestTarget:
			b.WriteString(strings.ToLower(r.Method))
			b.WriteByte(' ')
			b.WriteString(target)
		case createdPseudo:
			b.WriteString(strconv.FormatInt(p.Created, 10))
		case expiresPseudo:
			b.WriteString(strconv.FormatInt(p.Expires, 10))
		case "host":
			if r.Host == "" {
				return "", fmt.Errorf("%w: host is signed but the request has no Host", ErrMissingHeader)
			}
			b.WriteString(r.Host)
		default:
			vals := r.Header.Values(h)
			if len(vals) == 0 {
				return "", fmt.Errorf("%w: %s is signed but absent from the request", ErrMissingHeader, h)
			}
			// draft-cavage-12: values trimmed, repeated fields joined
			// by ", " in the order received.
			for j, val := range vals {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.TrimSpace(val))
			}
		}
	}
	return b.String(), nil
}

func fetch(ctx context.Context, keys KeyFetcher, keyID string, refresh bool) (*PublicKey, error) {
	pk, err := keys.FetchKey(ctx, keyID, refresh)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrKeyFetch, keyID, err)
	}
	if pk == nil || pk.Key == nil {
		return nil, fmt.Errorf("%w: %q: the fetcher returned no key", ErrKeyFetch, keyID)
	}
	if pk.Owner == "" {
		return nil, fmt.Errorf("%w: %q: the key has no owner", ErrKeyFetch, keyID)
	}
	return pk, nil
}

// verifyWith tries each candidate signing string with key and returns the
// verification performed.
func verifyWith(key crypto.PublicKey, alg algorithm, sig []byte, candidates []string) (string, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		for _, c := range candidates {
			h := sha256.Sum256([]byte(c))
			if rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil {
				return "rsa-sha256", nil
			}
		}
		return "", fmt.Errorf("%w: RSA-SHA256 verification failed", ErrBadSignature)
	case ed25519.PublicKey:
		if alg == algRSASHA256 {
			return "", fmt.Errorf("%w: algorithm rsa-sha256 with an Ed25519 key", ErrUnsupportedAlgorithm)
		}
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedAlgorithm, len(k))
		}
		for _, c := range candidates {
			if ed25519.Verify(k, []byte(c), sig) {
				return "ed25519", nil
			}
		}
		return "", fmt.Errorf("%w: Ed25519 verification failed", ErrBadSignature)
	default:
		return "", fmt.Errorf("%w: key type %T", ErrUnsupportedAlgorithm, key)
	}
}
