package signature

import (
	"bytes"
	"context"
	"net/http"
	"testing"
)

var benchBody = bytes.Repeat([]byte(`{"type":"Note","content":"Bonjour"}`), 60) // ~2 KiB, a typical activity

// BenchmarkSign signs a 2 KiB POST with RSA-2048 (the RSA private-key
// operation dominates).
func BenchmarkSign(b *testing.B) {
	s := Signer{KeyID: testKeyID, Key: rsaKey(b, 0)}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "https://mairie.example/inbox?x=1", nil)
		if err := s.Sign(req, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify verifies that POST with RSA-2048, the key already at hand
// (the cost per delivery once the key is cached).
func BenchmarkVerify(b *testing.B) {
	key := rsaKey(b, 0)
	r := serverRequest(http.MethodPost, "/inbox?x=1", benchBody)
	if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, benchBody); err != nil {
		b.Fatal(err)
	}
	pk := &PublicKey{ID: testKeyID, Owner: testActor, Key: &key.PublicKey}
	v := &Verifier{Keys: KeyFetcherFunc(func(context.Context, string, bool) (*PublicKey, error) { return pk, nil })}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
