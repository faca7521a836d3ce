package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

const (
	testActor = "https://mairie.example/actors/collectif"
	testKeyID = testActor + "#main-key"
	testHost  = "hub.example"
)

// RSA-2048 generation takes a noticeable time under -race: the keys are made
// once per test binary.
var testRSAKeys = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	keys := make([]*rsa.PrivateKey, 2)
	for i := range keys {
		k, err := GenerateKey()
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
})

// rsaKey returns test key i (0: the actor's key, 1: its rotated key).
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keys, err := testRSAKeys()
	if err != nil {
		t.Fatal(err)
	}
	return keys[i]
}

// fetchLog is a KeyFetcher serving keys[n] on the n-th call (the last key
// once past the end), recording the refresh flag of each call.
type fetchLog struct {
	mu        sync.Mutex
	keys      []crypto.PublicKey
	err       error
	owner     string
	refreshes []bool
}

func newFetchLog(keys ...crypto.PublicKey) *fetchLog {
	return &fetchLog{keys: keys, owner: testActor}
}

func (f *fetchLog) FetchKey(_ context.Context, keyID string, refresh bool) (*PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.refreshes)
	f.refreshes = append(f.refreshes, refresh)
	if f.err != nil {
		return nil, f.err
	}
	if n >= len(f.keys) {
		n = len(f.keys) - 1
	}
	return &PublicKey{ID: keyID, Owner: f.owner, Key: f.keys[n]}, nil
}

func (f *fetchLog) calls() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.refreshes...)
}

// serverRequest builds a request as a net/http server hands it to a
// handler: RequestURI set, Host in r.Host and not in r.Header.
func serverRequest(method, target string, body []byte) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.Host = testHost
	return r
}

// gofedSign signs r with go-fed/httpsig directly, as another server would,
// over the given headers. go-fed reads "host" from the header map: it is put
// there for signing only. With expiresIn > 0, go-fed sets created and expires.
func gofedSign(t testing.TB, r *http.Request, key crypto.PrivateKey, alg httpsig.Algorithm, headers []string, body []byte, expiresIn int64) {
	t.Helper()
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{alg}, httpsig.DigestSha256, headers, httpsig.Signature, expiresIn)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Host", r.Host)
	defer r.Header.Del("Host")
	if err := s.SignRequest(key, testKeyID, r, body); err != nil {
		t.Fatal(err)
	}
}

// signWithHeaders signs r over an arbitrary header list with this package's
// signing path (used to build requests a conforming signer would not send).
func signWithHeaders(t testing.TB, r *http.Request, key *rsa.PrivateKey, headers []string) {
	t.Helper()
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	sig, err := signHeaders(key, testKeyID, r, r.Host, headers)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Signature", sig)
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want one wrapping %v", err, want)
	}
}
