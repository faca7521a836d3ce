package signature

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// verifyingHandler verifies every request and answers 200 with the key's
// owner, key id and algorithm, or 401 with the reason.
func verifyingHandler(v *Verifier, seen func(*http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if seen != nil {
			seen(r)
		}
		res, err := v.Verify(r.Context(), r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, res.Owner+" "+res.KeyID+" "+res.Algorithm)
	})
}

// verifyingServer serves verifyingHandler on 127.0.0.1.
func verifyingServer(t *testing.T, v *Verifier, seen func(*http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(verifyingHandler(v, seen))
	t.Cleanup(srv.Close)
	return srv
}

func TestSignVerifyOverLoopback(t *testing.T) {
	key := rsaKey(t, 0)
	fl := newFetchLog(&key.PublicKey)
	srv := verifyingServer(t, &Verifier{Keys: fl}, nil)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("server not on loopback: %s", srv.URL)
	}
	signer := Signer{KeyID: testKeyID, Key: key}

	cases := []struct {
		name, method, path string
		body               []byte
	}{
		{"GET with query", http.MethodGet, "/actors/alice/outbox?page=true&min_id=3", nil},
		{"GET escaped path", http.MethodGet, "/tags/caf%C3%A9?q=a%20b&x=%2F", nil},
		{"POST with query", http.MethodPost, "/inbox?via=relay&n=1", []byte(`{"type":"Create","actor":"` + testActor + `"}`)},
		{"POST empty body", http.MethodPost, "/inbox", nil},
		{"HEAD", http.MethodHead, "/actors/alice", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if err := signer.Sign(req, tc.body); err != nil {
				t.Fatal(err)
			}
			p, err := ParseSignatureHeader(req.Header.Get("Signature"))
			if err != nil {
				t.Fatal(err)
			}
			wantHeaders := "(request-target) host date"
			if tc.method == http.MethodPost {
				wantHeaders += " digest"
				if !strings.HasPrefix(req.Header.Get("Digest"), "SHA-256=") {
					t.Errorf("Digest = %q", req.Header.Get("Digest"))
				}
			} else if req.Header.Get("Digest") != "" {
				t.Errorf("Digest set on %s", tc.method)
			}
			if got := strings.Join(p.Headers, " "); got != wantHeaders || p.Algorithm != "rsa-sha256" || p.KeyID != testKeyID {
				t.Errorf("params = %+v, want headers %q, rsa-sha256", p, wantHeaders)
			}
			if _, err := time.Parse(http.TimeFormat, req.Header.Get("Date")); err != nil {
				t.Errorf("Date %q: %v", req.Header.Get("Date"), err)
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
			if tc.method != http.MethodHead && string(msg) != testActor+" "+testKeyID+" rsa-sha256" {
				t.Errorf("result %q", msg)
			}
		})
	}
}

// TestSignedTargetIncludesQuery checks the signing string our signer makes
// carries the query string: the verifier's full-target candidate must be
// the one that verifies, not the query-less fallback.
func TestSignedTargetIncludesQuery(t *testing.T) {
	key := rsaKey(t, 0)
	r := serverRequest(http.MethodGet, "/outbox?page=2", nil)
	if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, nil); err != nil {
		t.Fatal(err)
	}
	p, err := ParseSignatureHeader(r.Header.Get("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	cands, err := signingStrings(r, p.Headers, p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cands[0], "(request-target): get /outbox?page=2\nhost: "+testHost+"\ndate: ") {
		t.Fatalf("signing string %q", cands[0])
	}
	if _, err := verifyWith(&key.PublicKey, algRSASHA256, p.Signature, cands[:1]); err != nil {
		t.Fatalf("full target does not verify: %v", err)
	}
	if _, err := verifyWith(&key.PublicKey, algRSASHA256, p.Signature, cands[1:]); err == nil {
		t.Fatal("query-less target verifies: the query was not signed")
	}
}

func TestVerifyRefusals(t *testing.T) {
	key := rsaKey(t, 0)
	signer := Signer{KeyID: testKeyID, Key: key}
	body := []byte(`{"type":"Follow"}`)
	signedPOST := func(t *testing.T) *http.Request {
		r := serverRequest(http.MethodPost, "/inbox?x=1", body)
		if err := signer.Sign(r, body); err != nil {
			t.Fatal(err)
		}
		return r
	}
	past := time.Now().Add(-13 * time.Hour).UTC().Format(http.TimeFormat)
	future := time.Now().Add(13 * time.Hour).UTC().Format(http.TimeFormat)

	cases := []struct {
		name    string
		build   func(t *testing.T) (*http.Request, []byte)
		want    error
		fetches int // key fetches made before the refusal
	}{
		{"unsigned", func(t *testing.T) (*http.Request, []byte) {
			return serverRequest(http.MethodGet, "/outbox", nil), nil
		}, ErrNoSignature, 0},
		{"GET without host signed", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			signWithHeaders(t, r, key, []string{requestTarget, "date"})
			return r, nil
		}, ErrMissingHeader, 0},
		{"GET without (request-target) signed", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			signWithHeaders(t, r, key, []string{"host", "date"})
			return r, nil
		}, ErrMissingHeader, 0},
		{"GET without date or (created) signed", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			signWithHeaders(t, r, key, []string{requestTarget, "host"})
			return r, nil
		}, ErrMissingHeader, 0},
		{"Date 13h old", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			r.Header.Set("Date", past)
			if err := signer.Sign(r, nil); err != nil {
				t.Fatal(err)
			}
			return r, nil
		}, ErrClockSkew, 0},
		{"Date 13h ahead", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodPost, "/inbox", body)
			r.Header.Set("Date", future)
			if err := signer.Sign(r, body); err != nil {
				t.Fatal(err)
			}
			return r, body
		}, ErrClockSkew, 0},
		{"Date unparsable", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			r.Header.Set("Date", "yesterday")
			if err := signer.Sign(r, nil); err != nil {
				t.Fatal(err)
			}
			return r, nil
		}, ErrMalformed, 0},
		{"wrong Digest, validly signed", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodPost, "/inbox", body)
			r.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") // of ""
			signWithHeaders(t, r, key, []string{requestTarget, "host", "date", "digest"})
			return r, body
		}, ErrDigestMismatch, 0},
		{"body changed after signing", func(t *testing.T) (*http.Request, []byte) {
			return signedPOST(t), []byte(`{"type":"Delete"}`)
		}, ErrDigestMismatch, 0},
		{"Digest header replaced after signing", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			other := []byte(`{"type":"Delete"}`)
			r.Header.Set("Digest", digestOf(other))
			return r, other
		}, ErrBadSignature, 2},
		{"POST without digest signed", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodPost, "/inbox", body)
			signWithHeaders(t, r, key, []string{requestTarget, "host", "date"})
			return r, body
		}, ErrMissingHeader, 0},
		{"empty POST without digest signed", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodPost, "/inbox", nil)
			signWithHeaders(t, r, key, []string{requestTarget, "host", "date"})
			return r, nil
		}, ErrMissingHeader, 0},
		{"digest signed but Digest absent", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Header.Del("Digest")
			return r, body
		}, ErrMissingHeader, 0},
		{"Digest in MD5 only", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodPost, "/inbox", body)
			r.Header.Set("Digest", "MD5=HUXZLQLMuI/KZ5KDcJPcOA==")
			signWithHeaders(t, r, key, []string{requestTarget, "host", "date", "digest"})
			return r, body
		}, ErrUnsupportedAlgorithm, 0},
		{"unknown algorithm", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hmac-sha256"`, 1))
			return r, body
		}, ErrUnsupportedAlgorithm, 0},
		{"rsa-sha512", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="rsa-sha512"`, 1))
			return r, body
		}, ErrUnsupportedAlgorithm, 0},
		{"malformed header", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Header.Set("Signature", `keyId="`+testKeyID+`,signature="abc"`)
			return r, body
		}, ErrMalformed, 0},
		{"two Signature headers", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Header.Add("Signature", r.Header.Get("Signature"))
			return r, body
		}, ErrMalformed, 0},
		{"signature bytes altered", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			p, err := ParseSignatureHeader(r.Header.Get("Signature"))
			if err != nil {
				t.Fatal(err)
			}
			p.Signature[10] ^= 0xff
			r.Header.Set("Signature", p.String())
			return r, body
		}, ErrBadSignature, 2},
		{"sent to another host", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Host = "other.example"
			return r, body
		}, ErrBadSignature, 2},
		{"sent to another path", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.RequestURI = "/users/bob/inbox?x=1"
			return r, body
		}, ErrBadSignature, 2},
		{"method changed", func(t *testing.T) (*http.Request, []byte) {
			r := signedPOST(t)
			r.Method = http.MethodPut
			return r, body
		}, ErrBadSignature, 2},
		{"(created) with rsa-sha256", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			gofedSign(t, r, key, httpsig.RSA_SHA256, []string{requestTarget, "host", createdPseudo}, nil, 60)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
			return r, nil
		}, ErrMalformed, 0},
		{"(created) signed, created missing", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			gofedSign(t, r, key, httpsig.RSA_SHA256, []string{requestTarget, "host", createdPseudo}, nil, 60)
			p, err := ParseSignatureHeader(r.Header.Get("Signature"))
			if err != nil {
				t.Fatal(err)
			}
			p.Created = 0
			r.Header.Set("Signature", p.String())
			return r, nil
		}, ErrMalformed, 0},
		{"(created) 13h old", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			gofedSign(t, r, key, httpsig.RSA_SHA256, []string{requestTarget, "host", createdPseudo}, nil, 60)
			p, err := ParseSignatureHeader(r.Header.Get("Signature"))
			if err != nil {
				t.Fatal(err)
			}
			p.Created -= 13 * 3600
			r.Header.Set("Signature", p.String())
			return r, nil
		}, ErrClockSkew, 0},
		{"(expires) past", func(t *testing.T) (*http.Request, []byte) {
			r := serverRequest(http.MethodGet, "/outbox", nil)
			gofedSign(t, r, key, httpsig.RSA_SHA256, []string{requestTarget, "host", createdPseudo, expiresPseudo}, nil, 60)
			p, err := ParseSignatureHeader(r.Header.Get("Signature"))
			if err != nil {
				t.Fatal(err)
			}
			p.Expires = time.Now().Add(-time.Hour).Unix()
			r.Header.Set("Signature", p.String())
			return r, nil
		}, ErrClockSkew, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, b := tc.build(t)
			fl := newFetchLog(&key.PublicKey)
			res, err := (&Verifier{Keys: fl}).Verify(context.Background(), r, b)
			if res != nil {
				t.Fatalf("accepted: %+v", res)
			}
			wantErr(t, err, tc.want)
			if n := len(fl.calls()); n != tc.fetches {
				t.Errorf("%d key fetches, want %d", n, tc.fetches)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// TestVerifyRSALabelWithEd25519Key: "rsa-sha256" names its key type; an
// Ed25519 key cannot serve it (and a refresh is tried, in case the actor
// went back to RSA).
func TestVerifyRSALabelWithEd25519Key(t *testing.T) {
	r := serverRequest(http.MethodGet, "/outbox", nil)
	signWithHeaders(t, r, rsaKey(t, 0), []string{requestTarget, "host", "date"})
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fl := newFetchLog(pub)
	_, err = (&Verifier{Keys: fl}).Verify(context.Background(), r, nil)
	wantErr(t, err, ErrUnsupportedAlgorithm)
	if got := fl.calls(); len(got) != 2 {
		t.Errorf("fetches %v", got)
	}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

func TestVerifyAccepts(t *testing.T) {
	key := rsaKey(t, 0)
	body := []byte(`{"type":"Announce"}`)

	t.Run("Authorization: Signature", func(t *testing.T) {
		r := serverRequest(http.MethodPost, "/inbox", body)
		if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, body); err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
		r.Header.Del("Signature")
		res, err := (&Verifier{Keys: newFetchLog(&key.PublicKey)}).Verify(context.Background(), r, body)
		if err != nil {
			t.Fatal(err)
		}
		if res.Owner != testActor || res.KeyID != testKeyID || res.Algorithm != "rsa-sha256" {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("hs2019 with (created) and (expires), no date", func(t *testing.T) {
		r := serverRequest(http.MethodPost, "/inbox", body)
		gofedSign(t, r, key, httpsig.RSA_SHA256, []string{requestTarget, "host", createdPseudo, expiresPseudo, "digest"}, body, 300)
		r.Header.Del("Date")
		if !strings.Contains(r.Header.Get("Signature"), `algorithm="hs2019"`) {
			t.Fatalf("go-fed header %q", r.Header.Get("Signature"))
		}
		if _, err := (&Verifier{Keys: newFetchLog(&key.PublicKey)}).Verify(context.Background(), r, body); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("hs2019 with an Ed25519 key", func(t *testing.T) {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		r := serverRequest(http.MethodPost, "/inbox?a=b", body)
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		gofedSign(t, r, priv, httpsig.ED25519, []string{requestTarget, "host", "date", "digest"}, body, 0)
		res, err := (&Verifier{Keys: newFetchLog(pub)}).Verify(context.Background(), r, body)
		if err != nil {
			t.Fatal(err)
		}
		if res.Algorithm != "ed25519" {
			t.Errorf("algorithm %q", res.Algorithm)
		}
	})
	t.Run("no algorithm parameter", func(t *testing.T) {
		r := serverRequest(http.MethodGet, "/outbox", nil)
		if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, nil); err != nil {
			t.Fatal(err)
		}
		p, _ := ParseSignatureHeader(r.Header.Get("Signature"))
		p.Algorithm = ""
		r.Header.Set("Signature", p.String())
		if _, err := (&Verifier{Keys: newFetchLog(&key.PublicKey)}).Verify(context.Background(), r, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SHA-512 Digest", func(t *testing.T) {
		r := serverRequest(http.MethodPost, "/inbox", body)
		sum := sha512.Sum512(body)
		r.Header.Set("Digest", "SHA-512="+base64.StdEncoding.EncodeToString(sum[:]))
		signWithHeaders(t, r, key, []string{requestTarget, "host", "date", "digest"})
		if _, err := (&Verifier{Keys: newFetchLog(&key.PublicKey)}).Verify(context.Background(), r, body); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Date 11h old, within the default 12h", func(t *testing.T) {
		r := serverRequest(http.MethodGet, "/outbox", nil)
		r.Header.Set("Date", time.Now().Add(-11*time.Hour).UTC().Format(http.TimeFormat))
		if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := (&Verifier{Keys: newFetchLog(&key.PublicKey)}).Verify(context.Background(), r, nil); err != nil {
			t.Fatal(err)
		}
		_, err := (&Verifier{Keys: newFetchLog(&key.PublicKey), MaxSkew: time.Hour}).Verify(context.Background(), r, nil)
		wantErr(t, err, ErrClockSkew)
	})
}

func TestVerifyKeyFetchErrors(t *testing.T) {
	key := rsaKey(t, 0)
	r := serverRequest(http.MethodGet, "/outbox", nil)
	if err := (Signer{KeyID: testKeyID, Key: key}).Sign(r, nil); err != nil {
		t.Fatal(err)
	}
	network := errors.New("connection refused")
	fl := newFetchLog(&key.PublicKey)
	fl.err = network
	_, err := (&Verifier{Keys: fl}).Verify(context.Background(), r, nil)
	wantErr(t, err, ErrKeyFetch)
	if !errors.Is(err, network) {
		t.Errorf("cause lost: %v", err)
	}

	noOwner := newFetchLog(&key.PublicKey)
	noOwner.owner = ""
	_, err = (&Verifier{Keys: noOwner}).Verify(context.Background(), r, nil)
	wantErr(t, err, ErrKeyFetch)

	_, err = (&Verifier{}).Verify(context.Background(), r, nil)
	wantErr(t, err, ErrKeyFetch)
}

// TestKeyRotation: the cached key is the old one; the signature is made with
// the new one. Exactly one refetch, with refresh, makes it pass.
func TestKeyRotation(t *testing.T) {
	oldKey, newKey := rsaKey(t, 0), rsaKey(t, 1)
	body := []byte(`{"type":"Update"}`)
	r := serverRequest(http.MethodPost, "/inbox", body)
	if err := (Signer{KeyID: testKeyID, Key: newKey}).Sign(r, body); err != nil {
		t.Fatal(err)
	}

	fl := newFetchLog(&oldKey.PublicKey, &newKey.PublicKey)
	if _, err := (&Verifier{Keys: fl}).Verify(context.Background(), r, body); err != nil {
		t.Fatalf("rotated key refused: %v", err)
	}
	if got := fl.calls(); len(got) != 2 || got[0] || !got[1] {
		t.Fatalf("fetches (refresh flags) = %v, want [false true]", got)
	}

	t.Run("through CachedFetcher", func(t *testing.T) {
		var fetched []string
		serve := []*PublicKey{
			{ID: testKeyID, Owner: testActor, Key: &oldKey.PublicKey},
			{ID: testKeyID, Owner: testActor, Key: &newKey.PublicKey},
		}
		cf := &CachedFetcher{Fetch: func(_ context.Context, id string) (*PublicKey, error) {
			fetched = append(fetched, id)
			return serve[min(len(fetched)-1, 1)], nil
		}}
		// Warm the cache with the old key, as an earlier delivery would.
		if _, err := cf.FetchKey(context.Background(), testKeyID, false); err != nil {
			t.Fatal(err)
		}
		v := &Verifier{Keys: cf}
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			t.Fatal(err)
		}
		if len(fetched) != 2 {
			t.Fatalf("%d network fetches, want 2 (warm-up, refresh)", len(fetched))
		}
		// The refreshed key is now cached: no more fetches.
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			t.Fatal(err)
		}
		if len(fetched) != 2 {
			t.Fatalf("%d network fetches after a second delivery, want 2", len(fetched))
		}
	})

	t.Run("bad signature refetches at most once", func(t *testing.T) {
		forged := serverRequest(http.MethodPost, "/inbox", body)
		if err := (Signer{KeyID: testKeyID, Key: newKey}).Sign(forged, body); err != nil {
			t.Fatal(err)
		}
		p, _ := ParseSignatureHeader(forged.Header.Get("Signature"))
		p.Signature[0] ^= 1
		forged.Header.Set("Signature", p.String())
		fl := newFetchLog(&oldKey.PublicKey, &newKey.PublicKey, &newKey.PublicKey)
		_, err := (&Verifier{Keys: fl}).Verify(context.Background(), forged, body)
		wantErr(t, err, ErrBadSignature)
		if got := fl.calls(); len(got) != 2 || got[0] || !got[1] {
			t.Fatalf("fetches = %v, want [false true]", got)
		}
	})

	t.Run("refresh fails", func(t *testing.T) {
		calls := 0
		kf := KeyFetcherFunc(func(_ context.Context, id string, refresh bool) (*PublicKey, error) {
			calls++
			if refresh {
				return nil, errors.New("gone")
			}
			return &PublicKey{ID: id, Owner: testActor, Key: &oldKey.PublicKey}, nil
		})
		_, err := (&Verifier{Keys: kf}).Verify(context.Background(), r, body)
		wantErr(t, err, ErrKeyFetch)
		if calls != 2 {
			t.Fatalf("%d fetches, want 2", calls)
		}
	})
}
