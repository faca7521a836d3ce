// Package signature signs and verifies HTTP requests as the fediverse does:
// draft-cavage-http-signatures-12 in the profile Mastodon and GoToSocial use,
// so that the hub interoperates with Mastodon, GoToSocial, Lemmy, Mobilizon
// and PeerTube.
//
// It holds:
//   - actor keys: GenerateKey, EncodePrivateKeyPEM, ParsePrivateKeyPEM,
//     EncodePublicKeyPEM (the publicKeyPem actors publish) and
//     ParsePublicKeyPEM (for remote actors' keys);
//   - signing: Signer.Sign for one request, and Transport, an
//     http.RoundTripper signing every request of a plain http.Client;
//   - verification: Verifier.Verify, the KeyFetcher it obtains keys from,
//     and CachedFetcher, a bounded in-memory cache in front of the real
//     fetch;
//   - ParseSignatureHeader and Params.String for the Signature header;
//   - RestoreAdaptedRequest, for requests reaching net/http code through
//     Fiber's adaptor.
//
// # Profile sent
//
// Every outgoing request, GET included, carries:
//
//	Date: Sun, 05 Jan 2014 21:31:40 GMT                  (http.TimeFormat, UTC; kept if already set)
//	Digest: SHA-256=<base64 SHA-256 of the body>         (requests with a body; POST, PUT and PATCH always)
//	Signature: keyId="<key id>",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="<base64>"
//
// headers is "(request-target) host date" when there is no Digest. The
// signature is RSASSA-PKCS1-v1_5 with SHA-256 under the actor's 2048-bit RSA
// key. The signing string is one "name: value" line per signed header,
// joined by "\n": (request-target) is the lower-cased method, a space and
// the request target as sent (escaped path and query string); host is the
// Host header as sent on the wire. The algorithm is labelled "rsa-sha256",
// which every implementation accepts, rather than "hs2019".
//
// # Profile accepted
//
// The parameters are read from the Signature header, or else from an
// "Authorization: Signature <parameters>" header. A request is accepted when
// all of these hold:
//   - algorithm is rsa-sha256, hs2019 or absent. rsa-sha256 needs an RSA
//     key; hs2019 and absent mean RSASSA-PKCS1-v1_5 with SHA-256 for an RSA
//     key and Ed25519 for an Ed25519 key;
//   - headers names (request-target), host, and date or (created); and
//     digest when the request has a body or is a POST, PUT or PATCH.
//     (created) and (expires) are refused with rsa-sha256, as the draft
//     and Mastodon require;
//   - the signed Date, or the signed created, is within 12 hours of the
//     verifier's clock either way (Verifier.MaxSkew), and a signed expires
//     is not past by more than a minute;
//   - the Digest header (RFC 3230; SHA-256 and SHA-512 are understood, and
//     every such value offered must match) is the digest of the body,
//     compared in constant time;
//   - the signature verifies with the key keyId names, over the signing
//     string whose (request-target) carries the query string or, failing
//     that, over the same string without it: Mastodon has long signed the
//     path alone, and Mastodon and GoToSocial accept both. The host
//     line is the Host the server received (r.Host);
//   - if it does not verify with the key the KeyFetcher returned (cached,
//     as a rule), the key is fetched once more with refresh and the
//     signature tried once more: the key may have been rotated.
//
// Checks that need no key come first, so a malformed or stale request costs
// no outgoing fetch. RSA keys from 2048 to 16384 bits are accepted (checked
// by ParsePublicKeyPEM, through which remote keys should enter). The
// Signature header is limited to 8 KiB, a parameter given twice is refused,
// unknown parameters are ignored. Every refusal wraps one of ErrNoSignature,
// ErrMalformed, ErrUnsupportedAlgorithm, ErrMissingHeader,
// ErrDigestMismatch, ErrClockSkew, ErrKeyFetch or ErrBadSignature, so that an
// inbox can answer 401 with the reason.
//
// # go-fed/httpsig
//
// Signatures are computed by github.com/go-fed/httpsig v1.1.0, which is
// given a copy of the request whose header map holds the Host (go-fed reads
// "host" from the map, where Go's client never keeps it) and whose URL path
// is the target as written on the wire (go-fed writes the unescaped path).
// Verification does not use go-fed's verifier: it reads the host from the
// header map and so adds it to r.Header, checks created and expires against
// its own clock, ignores the algorithm parameter and splits parameters on
// commas regardless of quoting. The signing string is built here instead,
// and the tests check both against the draft's published test values.
//
// # Fiber
//
// The hub serves HTTP with Fiber. Through Fiber's net/http adaptor a handler
// sees the method, path, query, body and headers, but r.Host lower-cased,
// headers sent on several lines reduced to their last line, and strings
// that change once the handler returns: see RestoreAdaptedRequest.
//
// # Dependencies
//
// The package imports nothing from the collectif module: only the standard
// library, github.com/go-fed/httpsig and golang.org/x/sync/singleflight. It
// knows no ActivityPub JSON: fetching a key document and checking its owner
// is the KeyFetcher's business, written elsewhere.
package signature
