package signature

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

const (
	// keyBits is the size of the keys this hub generates: what Mastodon and
	// GoToSocial generate, and what every fediverse server can verify.
	keyBits = 2048
	// minRSABits refuses keys that can be factored for a price an attacker
	// would pay to impersonate a collectivity.
	minRSABits = 2048
	// maxRSABits bounds the cost of one verification: the modulus is chosen
	// by a remote server, so without a bound a hostile actor could make every
	// inbox delivery arbitrarily expensive.
	maxRSABits = 16384
)

// GenerateKey returns a new 2048-bit RSA key for an actor.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("signature: generate RSA key: %w", err)
	}
	return k, nil
}

// EncodePrivateKeyPEM encodes k as a PKCS#8 "PRIVATE KEY" PEM block, the form
// to store in the database (encrypted at rest by the caller).
func EncodePrivateKeyPEM(k *rsa.PrivateKey) (string, error) {
	if k == nil {
		return "", errors.New("signature: encode private key: nil key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("signature: encode private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKeyPEM parses an RSA private key in PKCS#8 ("PRIVATE KEY") or
// PKCS#1 ("RSA PRIVATE KEY", what Mastodon stores) form. Keys under 2048 bits
// are refused.
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("signature: parse private key: no PEM block")
	}
	var k *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature: parse private key: %w", err)
		}
		rk, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signature: parse private key: %T is not an RSA key", parsed)
		}
		k = rk
	case "RSA PRIVATE KEY":
		rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature: parse private key: %w", err)
		}
		k = rk
	default:
		return nil, fmt.Errorf("signature: parse private key: unexpected PEM type %q", block.Type)
	}
	if err := checkRSASize(&k.PublicKey); err != nil {
		return nil, fmt.Errorf("signature: parse private key: %w", err)
	}
	return k, nil
}

// EncodePublicKeyPEM encodes k as a PKIX "PUBLIC KEY" PEM block: the form
// actors publish in publicKey.publicKeyPem.
func EncodePublicKeyPEM(k *rsa.PublicKey) (string, error) {
	if k == nil {
		return "", errors.New("signature: encode public key: nil key")
	}
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("signature: encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM parses a remote actor's publicKeyPem. It accepts PKIX
// ("PUBLIC KEY") RSA or Ed25519 keys and PKCS#1 ("RSA PUBLIC KEY") RSA keys,
// and returns *rsa.PublicKey or ed25519.PublicKey. RSA keys under 2048 or over
// 16384 bits, and every other key type, are refused: the Verifier could not
// use them, and the bound keeps a hostile key from making verification costly.
// The first PEM block is used; surrounding whitespace, which some servers
// publish, is ignored.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("signature: parse public key: no PEM block")
	}
	var key crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature: parse public key: %w", err)
		}
		key = k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature: parse public key: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("signature: parse public key: unexpected PEM type %q", block.Type)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if err := checkRSASize(k); err != nil {
			return nil, fmt.Errorf("signature: parse public key: %w", err)
		}
		return k, nil
	case ed25519.PublicKey:
		return k, nil
	default:
		return nil, fmt.Errorf("signature: parse public key: unsupported key type %T", key)
	}
}

func checkRSASize(k *rsa.PublicKey) error {
	if k.N == nil {
		return errors.New("RSA key has no modulus")
	}
	bits := k.N.BitLen()
	if bits < minRSABits {
		return fmt.Errorf("RSA key of %d bits is under the %d-bit minimum", bits, minRSABits)
	}
	if bits > maxRSABits {
		return fmt.Errorf("RSA key of %d bits is over the %d-bit maximum", bits, maxRSABits)
	}
	return nil
}
