package signature

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// maxHeaderLen bounds the Signature header we parse. Real headers are under
// 1 KiB (a keyId URL, a few header names, a 344-character RSA-2048
// signature); 8 KiB leaves room for long keyIds while refusing floods.
const maxHeaderLen = 8 << 10

// Pseudo-headers of draft-cavage-http-signatures-12.
const (
	requestTarget = "(request-target)"
	createdPseudo = "(created)"
	expiresPseudo = "(expires)"
)

// Params are the parameters of a Signature header (or of the credentials of
// an "Authorization: Signature" header).
type Params struct {
	// KeyID is the keyId parameter, as sent: a URL for every fediverse server.
	KeyID string
	// Algorithm is the algorithm parameter as sent, "" when absent.
	Algorithm string
	// Headers is the headers parameter split on whitespace and lower-cased,
	// in the signed order; nil when the parameter is absent.
	Headers []string
	// Signature is the decoded signature parameter.
	Signature []byte
	// Created and Expires are the created and expires parameters (Unix
	// seconds), 0 when absent.
	Created int64
	Expires int64
}

// ParseSignatureHeader parses the value of a Signature header: a
// comma-separated list of name=value parameters, each value a token or a
// quoted string (backslash escapes allowed). keyId and signature are
// required; signature must be base64; created and expires must be positive
// integers; every name in headers must be a header name or one of the three
// pseudo-headers. Parameter names are matched without regard to case; a
// parameter given twice is refused (a verifier and a proxy could otherwise
// read different values), unknown parameters are ignored, as the draft asks.
// Headers over 8 KiB are refused. Errors wrap ErrMalformed.
//
// The strings of the result never share memory with s, so they may be kept
// after a request whose buffers are reused (fasthttp, through Fiber's
// adaptor).
func ParseSignatureHeader(s string) (Params, error) {
	if len(s) > maxHeaderLen {
		return Params{}, fmt.Errorf("%w: Signature header is %d bytes, over the %d-byte limit", ErrMalformed, len(s), maxHeaderLen)
	}
	var (
		p                Params
		seen             = make(map[string]bool, 6)
		haveKey, haveSig bool
	)
	i := 0
	for {
		i = skipOWS(s, i)
		if i == len(s) {
			break
		}
		if s[i] == ',' { // empty list element, allowed by RFC 9110's list rule
			i++
			continue
		}
		start := i
		for i < len(s) && isTChar(s[i]) {
			i++
		}
		if i == start {
			return Params{}, fmt.Errorf("%w: expected a parameter name at byte %d", ErrMalformed, i)
		}
		name := strings.ToLower(s[start:i])
		i = skipOWS(s, i)
		if i == len(s) || s[i] != '=' {
			return Params{}, fmt.Errorf("%w: parameter %q has no value", ErrMalformed, name)
		}
		i = skipOWS(s, i+1)
		var (
			val string
			err error
		)
		if i < len(s) && s[i] == '"' {
			val, i, err = parseQuoted(s, i)
			if err != nil {
				return Params{}, fmt.Errorf("%w: parameter %q: %w", ErrMalformed, name, err)
			}
		} else {
			vs := i
			for i < len(s) && isTChar(s[i]) {
				i++
			}
			if i == vs {
				return Params{}, fmt.Errorf("%w: parameter %q has an empty or invalid value", ErrMalformed, name)
			}
			val = strings.Clone(s[vs:i])
		}
		i = skipOWS(s, i)
		if i < len(s) && s[i] != ',' {
			return Params{}, fmt.Errorf("%w: expected ',' after parameter %q at byte %d", ErrMalformed, name, i)
		}
		if seen[name] {
			return Params{}, fmt.Errorf("%w: parameter %q given twice", ErrMalformed, name)
		}
		seen[name] = true

		switch name {
		case "keyid":
			p.KeyID, haveKey = val, true
		case "algorithm":
			p.Algorithm = val
		case "headers":
			hs, err := parseHeaderList(val)
			if err != nil {
				return Params{}, err
			}
			p.Headers = hs
		case "signature":
			sig, err := decodeBase64(val)
			if err != nil {
				return Params{}, fmt.Errorf("%w: signature is not base64: %w", ErrMalformed, err)
			}
			p.Signature, haveSig = sig, true
		case "created":
			p.Created, err = parseTimestamp(val)
			if err != nil {
				return Params{}, fmt.Errorf("%w: created: %w", ErrMalformed, err)
			}
		case "expires":
			p.Expires, err = parseTimestamp(val)
			if err != nil {
				return Params{}, fmt.Errorf("%w: expires: %w", ErrMalformed, err)
			}
		}
	}
	if !haveKey || p.KeyID == "" {
		return Params{}, fmt.Errorf("%w: keyId is missing", ErrMalformed)
	}
	if !haveSig || len(p.Signature) == 0 {
		return Params{}, fmt.Errorf("%w: signature is missing", ErrMalformed)
	}
	return p, nil
}

// String formats p as a Signature header value, in the parameter order
// Mastodon sends: keyId, algorithm, created, expires, headers, signature.
// ParseSignatureHeader(p.String()) gives back p for every p it returned.
func (p Params) String() string {
	var b strings.Builder
	b.Grow(len(p.KeyID) + len(p.Algorithm) + 64 + base64.StdEncoding.EncodedLen(len(p.Signature)))
	b.WriteString("keyId=")
	writeQuoted(&b, p.KeyID)
	if p.Algorithm != "" {
		b.WriteString(",algorithm=")
		writeQuoted(&b, p.Algorithm)
	}
	if p.Created != 0 {
		b.WriteString(",created=")
		b.WriteString(strconv.FormatInt(p.Created, 10))
	}
	if p.Expires != 0 {
		b.WriteString(",expires=")
		b.WriteString(strconv.FormatInt(p.Expires, 10))
	}
	if p.Headers != nil {
		b.WriteString(",headers=")
		writeQuoted(&b, strings.Join(p.Headers, " "))
	}
	b.WriteString(`,signature="`)
	b.WriteString(base64.StdEncoding.EncodeToString(p.Signature))
	b.WriteByte('"')
	return b.String()
}

// parseQuoted reads the quoted-string starting at s[i] (a '"') and returns
// its unescaped content and the index after the closing quote. Control
// characters other than tab are refused: they cannot appear in a header
// field, and a newline in a header name would let a sender forge lines of
// the signing string.
func parseQuoted(s string, i int) (string, int, error) {
	i++ // opening quote
	start := i
	var b *strings.Builder // only allocated when an escape is met
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			if b == nil {
				return strings.Clone(s[start:i]), i + 1, nil
			}
			b.WriteString(s[start:i])
			return b.String(), i + 1, nil
		case c == '\\':
			if i+1 == len(s) {
				return "", 0, fmt.Errorf("escape at the end of the header")
			}
			if isCTL(s[i+1]) {
				return "", 0, fmt.Errorf("escaped control character at byte %d", i+1)
			}
			if b == nil {
				b = new(strings.Builder)
			}
			b.WriteString(s[start:i])
			b.WriteByte(s[i+1])
			i += 2
			start = i
			continue
		case isCTL(c):
			return "", 0, fmt.Errorf("control character at byte %d", i)
		}
		i++
	}
	return "", 0, fmt.Errorf("unterminated quoted string")
}

func writeQuoted(b *strings.Builder, v string) {
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
}

func parseHeaderList(v string) ([]string, error) {
	fields := strings.Fields(strings.ToLower(v))
	for _, f := range fields {
		switch f {
		case requestTarget, createdPseudo, expiresPseudo:
			continue
		}
		for j := 0; j < len(f); j++ {
			if !isTChar(f[j]) {
				return nil, fmt.Errorf("%w: headers: %q is not a header name", ErrMalformed, f)
			}
		}
	}
	return fields, nil
}

// decodeBase64 accepts padded standard base64 (what everyone sends) and, as
// Mastodon's lenient decoder does, the unpadded form.
func decodeBase64(v string) ([]byte, error) {
	if b, err := base64.StdEncoding.Strict().DecodeString(v); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(v)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// parseTimestamp accepts only canonical positive decimal integers, so that
// the value we put in the signing string is the text the signer signed.
func parseTimestamp(v string) (int64, error) {
	if v == "" || v[0] == '0' || len(v) > 19 {
		return 0, fmt.Errorf("%q is not a positive Unix time", v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("%q is not a positive Unix time", v)
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a positive Unix time", v)
	}
	return n, nil
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func isCTL(c byte) bool { return (c < 0x20 && c != '\t') || c == 0x7f }

// isTChar reports whether c may appear in an RFC 9110 token.
func isTChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
