package signature

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The test values of draft-cavage-http-signatures (Appendix C, unchanged
// from -09 to -12): a 1024-bit RSA key named "Test", one request, and the
// signatures of that request over three header lists. RSA PKCS#1 v1.5 is
// deterministic, so the signatures can be compared byte for byte.
const (
	draftPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----`
	draftPrivateKeyPEM = `-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----`

	draftTarget = "/foo?param=value&pet=dog"
	draftHost   = "example.com"
	draftDate   = "Sun, 05 Jan 2014 21:31:40 GMT"
	draftBody   = `{"hello": "world"}`
	draftDigest = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="

	// C.1 Default Test: no headers parameter, so "date" alone.
	draftDefaultSig = `keyId="Test",algorithm="rsa-sha256",signature="SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="`
	// C.2 Basic Test.
	draftBasicSig = `keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="`
	// C.3 All Headers Test.
	draftAllSig = `keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date content-type digest content-length",signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="`
)

// draftClock is 30 s after the example's Date.
func draftClock() time.Time { return time.Date(2014, time.January, 5, 21, 32, 10, 0, time.UTC) }

func draftKeys(t *testing.T) (*rsa.PrivateKey, *rsa.PublicKey) {
	t.Helper()
	// The 1024-bit test key is below what ParsePublicKeyPEM accepts (see
	// TestDraftKeyRefused): it is parsed directly.
	b, _ := pem.Decode([]byte(draftPrivateKeyPEM))
	priv, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = pem.Decode([]byte(draftPublicKeyPEM))
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub.(*rsa.PublicKey)
}

func draftRequest(sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, draftTarget, strings.NewReader(draftBody))
	r.Host = draftHost
	r.Header.Set("Date", draftDate)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Digest", draftDigest)
	r.Header.Set("Content-Length", "18")
	if sig != "" {
		r.Header.Set("Signature", sig)
	}
	return r
}

func TestGoldenDraftCavage(t *testing.T) {
	_, pub := draftKeys(t)
	newVerifier := func() (*Verifier, *fetchLog) {
		fl := newFetchLog(pub)
		fl.owner = "https://example.com/actor"
		return &Verifier{Keys: fl, Now: draftClock}, fl
	}

	t.Run("C.3 all headers verifies", func(t *testing.T) {
		v, fl := newVerifier()
		res, err := v.Verify(context.Background(), draftRequest(draftAllSig), []byte(draftBody))
		if err != nil {
			t.Fatal(err)
		}
		if res.KeyID != "Test" || res.Owner != "https://example.com/actor" || res.Algorithm != "rsa-sha256" {
			t.Errorf("result %+v", res)
		}
		if got := fl.calls(); len(got) != 1 || got[0] {
			t.Errorf("fetches %v, want one cached", got)
		}
	})
	t.Run("C.3 labelled hs2019 verifies", func(t *testing.T) {
		v, _ := newVerifier()
		sig := strings.Replace(draftAllSig, "rsa-sha256", "hs2019", 1)
		if _, err := v.Verify(context.Background(), draftRequest(sig), []byte(draftBody)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("C.3 in an Authorization header verifies", func(t *testing.T) {
		v, _ := newVerifier()
		r := draftRequest("")
		r.Header.Set("Authorization", "Signature "+draftAllSig)
		if _, err := v.Verify(context.Background(), r, []byte(draftBody)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("C.3 over loopback with the example's Host", func(t *testing.T) {
		v, _ := newVerifier()
		srv := verifyingServer(t, v, nil)
		req, err := http.NewRequest(http.MethodPost, srv.URL+draftTarget, strings.NewReader(draftBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = draftHost
		for k, vs := range draftRequest(draftAllSig).Header {
			req.Header[k] = vs
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, msg)
		}
	})
	t.Run("C.3 thirteen hours later is refused", func(t *testing.T) {
		v, _ := newVerifier()
		v.Now = func() time.Time { return draftClock().Add(13 * time.Hour) }
		_, err := v.Verify(context.Background(), draftRequest(draftAllSig), []byte(draftBody))
		wantErr(t, err, ErrClockSkew)
	})
	t.Run("C.3 with another body is refused", func(t *testing.T) {
		v, _ := newVerifier()
		_, err := v.Verify(context.Background(), draftRequest(draftAllSig), []byte(`{"hello": "World"}`))
		wantErr(t, err, ErrDigestMismatch)
	})
	t.Run("C.2 basic is refused: a POST without digest", func(t *testing.T) {
		v, fl := newVerifier()
		_, err := v.Verify(context.Background(), draftRequest(draftBasicSig), []byte(draftBody))
		wantErr(t, err, ErrMissingHeader)
		if len(fl.calls()) != 0 {
			t.Error("key fetched for a request refused on its form")
		}
	})
	t.Run("C.1 default (date only) is refused", func(t *testing.T) {
		v, _ := newVerifier()
		_, err := v.Verify(context.Background(), draftRequest(draftDefaultSig), []byte(draftBody))
		wantErr(t, err, ErrMissingHeader)
	})
}

// TestGoldenSignerReproducesDraft signs the draft's request through this
// package's signing path (go-fed with the host put into the header map for
// signing only, the target taken from the URL as sent) and expects the
// draft's exact signatures.
func TestGoldenSignerReproducesDraft(t *testing.T) {
	priv, _ := draftKeys(t)
	for _, tc := range []struct {
		name, want string
	}{
		{"C.2 basic", draftBasicSig},
		{"C.3 all headers", draftAllSig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := ParseSignatureHeader(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			// A client-side request: no Host in the header map, as with
			// http.NewRequest; the host comes from the URL.
			req, err := http.NewRequest(http.MethodPost, "http://"+draftHost+draftTarget, strings.NewReader(draftBody))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Date", draftDate)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Digest", draftDigest)
			req.Header.Set("Content-Length", "18")
			host, err := wireHost(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := signHeaders(priv, "Test", req, host, want.Headers)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Signature\n got %s\nwant %s", got, tc.want)
			}
			if _, ok := req.Header["Host"]; ok {
				t.Error("signing left a Host entry in the caller's header map")
			}
		})
	}
	t.Run("Sign sets the draft's Digest", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, "http://"+draftHost+draftTarget, strings.NewReader(draftBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Date", draftDate)
		if err := (Signer{KeyID: "Test", Key: priv}).Sign(req, []byte(draftBody)); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Digest"); got != draftDigest {
			t.Errorf("Digest %q, want %q", got, draftDigest)
		}
		if req.Header.Get("Date") != draftDate {
			t.Errorf("Date replaced: %q", req.Header.Get("Date"))
		}
		// Verifiable with the draft key at the draft's time.
		_, pub := draftKeys(t)
		srvReq := draftRequest(req.Header.Get("Signature"))
		if _, err := (&Verifier{Keys: newFetchLog(pub), Now: draftClock}).Verify(context.Background(), srvReq, []byte(draftBody)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDraftKeyRefused(t *testing.T) {
	if _, err := ParsePublicKeyPEM(draftPublicKeyPEM); err == nil || !strings.Contains(err.Error(), "1024") {
		t.Fatalf("1024-bit key: err = %v", err)
	}
	if _, err := ParsePrivateKeyPEM(draftPrivateKeyPEM); err == nil {
		t.Fatal("1024-bit private key accepted")
	}
}
