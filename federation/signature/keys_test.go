package signature

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

func TestKeysRoundTrip(t *testing.T) {
	k := rsaKey(t, 0)
	if k.N.BitLen() != 2048 {
		t.Fatalf("generated %d bits", k.N.BitLen())
	}

	privPEM, err := EncodePrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("private PEM %q", privPEM[:40])
	}
	back, err := ParsePrivateKeyPEM(privPEM)
	if err != nil || !back.Equal(k) {
		t.Fatalf("PKCS#8 round trip: %v", err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	if back, err := ParsePrivateKeyPEM(pkcs1); err != nil || !back.Equal(k) {
		t.Fatalf("PKCS#1 private key: %v", err)
	}

	pubPEM, err := EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public PEM %q", pubPEM[:40])
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil || !k.PublicKey.Equal(pub) {
		t.Fatalf("PKIX round trip: %v", err)
	}
	// As found in actor documents: surrounding whitespace, CRLF.
	messy := "\n  " + strings.ReplaceAll(pubPEM, "\n", "\r\n") + "  \n"
	if pub, err := ParsePublicKeyPEM(messy); err != nil || !k.PublicKey.Equal(pub) {
		t.Fatalf("PEM with whitespace: %v", err)
	}
	pkcs1Pub := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)}))
	if pub, err := ParsePublicKeyPEM(pkcs1Pub); err != nil || !k.PublicKey.Equal(pub) {
		t.Fatalf("PKCS#1 public key: %v", err)
	}
}

func TestParsePublicKeyPEMTypes(t *testing.T) {
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(edPub)
	got, err := ParsePublicKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := got.(ed25519.PublicKey); !ok || !k.Equal(edPub) {
		t.Fatalf("Ed25519: got %T", got)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ = x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if _, err := ParsePublicKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err == nil {
		t.Error("ECDSA key accepted")
	}

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ = x509.MarshalPKIXPublicKey(&small.PublicKey)
	if _, err := ParsePublicKeyPEM(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err == nil {
		t.Error("1024-bit key accepted")
	}
	if s, err := EncodePrivateKeyPEM(small); err == nil {
		if _, err := ParsePrivateKeyPEM(s); err == nil {
			t.Error("1024-bit private key accepted")
		}
	}

	for _, bad := range []string{
		"",
		"not a key",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		if _, err := ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
		if _, err := ParsePrivateKeyPEM(bad); err == nil {
			t.Errorf("private: accepted %q", bad)
		}
	}
	if _, err := EncodePublicKeyPEM(nil); err == nil {
		t.Error("nil public key encoded")
	}
	if _, err := EncodePrivateKeyPEM(nil); err == nil {
		t.Error("nil private key encoded")
	}
}
