package federation

import (
	"context"
	"crypto/rsa"
	"fmt"
	"github.com/uptrace/bun"
	"time"

	"collectif/federation/signature"
	"collectif/store"
)

type localKey struct {
	keyID     string
	private   *rsa.PrivateKey
	publicPEM string
}

type keyRow struct {
	bun.BaseModel `bun:"table:federation_keys"`

	Actor      string    `bun:"actor,pk"`
	PrivatePEM string    `bun:"private_pem"`
	PublicPEM  string    `bun:"public_pem"`
	CreatedAt  time.Time `bun:"created_at"`
}

// KeyID is the id of a local actor's key: its IRI and #main-key, as
// Mastodon names keys.
func KeyID(actor string) string { return actor + "#main-key" }

// SigningKey returns the key that signs for a local actor, creating it
// (2048-bit RSA) the first time and storing it, so that it stays the same
// across restarts and hub nodes: remote servers cache it. It implements
// the delivery package's Keys.
func (s *Service) SigningKey(ctx context.Context, actor string) (string, *rsa.PrivateKey, error) {
	k, err := s.key(ctx, actor)
	if err != nil {
		return "", nil, err
	}
	return k.keyID, k.private, nil
}

func (s *Service) key(ctx context.Context, actor string) (*localKey, error) {
	s.keyMu.Lock()
	k, ok := s.keyCache[actor]
	s.keyMu.Unlock()
	if ok {
		return k, nil
	}
	row := keyRow{}
	err := s.d.DB.R.NewSelect().Model(&row).Where("actor = ?", actor).Scan(ctx)
	if err = store.NotFound(err); err == store.ErrNotFound {
		priv, gerr := signature.GenerateKey()
		if gerr != nil {
			return nil, gerr
		}
		privPEM, gerr := signature.EncodePrivateKeyPEM(priv)
		if gerr != nil {
			return nil, gerr
		}
		pubPEM, gerr := signature.EncodePublicKeyPEM(&priv.PublicKey)
		if gerr != nil {
			return nil, gerr
		}
		row = keyRow{Actor: actor, PrivatePEM: privPEM, PublicPEM: pubPEM, CreatedAt: time.Now().UTC()}
		// Two nodes may create a key at once: the first insert wins and
		// both read it back.
		if _, err := s.d.DB.W.NewInsert().Model(&row).On("CONFLICT (actor) DO NOTHING").Exec(ctx); err != nil {
			return nil, fmt.Errorf("federation: store key: %w", err)
		}
		err = s.d.DB.W.NewSelect().Model(&row).Where("actor = ?", actor).Scan(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: load key of %s: %w", actor, err)
	}
	priv, err := signature.ParsePrivateKeyPEM(row.PrivatePEM)
	if err != nil {
		return nil, err
	}
	k = &localKey{keyID: KeyID(actor), private: priv, publicPEM: row.PublicPEM}
	s.keyMu.Lock()
	s.keyCache[actor] = k
	s.keyMu.Unlock()
	return k, nil
}
