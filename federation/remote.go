package federation

import (
	"context"
	"errors"
	"fmt"
	"github.com/uptrace/bun"
	"net/url"
	"strings"
	"time"

	"collectif/federation/ap"
	"collectif/federation/signature"
	"collectif/store"
)

// remoteActor is what is kept of a remote actor.
type remoteActor struct {
	bun.BaseModel `bun:"table:remote_actors"`

	IRI               string    `bun:"iri,pk"`
	Host              string    `bun:"host"`
	Type              string    `bun:"type"`
	PreferredUsername string    `bun:"preferred_username"`
	Name              string    `bun:"name"`
	URL               string    `bun:"url"`
	Inbox             string    `bun:"inbox"`
	SharedInbox       string    `bun:"shared_inbox"`
	KeyID             string    `bun:"key_id"`
	PublicKeyPEM      string    `bun:"public_key_pem"`
	FetchedAt         time.Time `bun:"fetched_at"`
}

// remoteActorTTL is how long a stored remote actor is used before it is
// fetched again when needed.
const remoteActorTTL = 24 * time.Hour

// ErrBlocked is returned for an actor or key whose host is blocked.
var ErrBlocked = errors.New("federation: the instance is blocked")

// FetchKey implements signature.KeyFetcher: the key is read from the
// stored remote actor when it is known (keys are stable, and a server that
// deleted an actor can still sign its Delete), and fetched otherwise or on
// refresh, through a bounded in-memory cache.
func (s *Service) FetchKey(ctx context.Context, keyID string, refresh bool) (*signature.PublicKey, error) {
	if s.Blocked(ctx, ap.Host(keyID)) {
		return nil, ErrBlocked
	}
	if !refresh {
		// Parsed keys stay in memory: a signed GET or inbox POST then
		// costs no database read and no PEM parse for a known signer.
		if pk, ok := s.keys.Cached(keyID); ok {
			return pk, nil
		}
		var ra remoteActor
		err := s.d.DB.R.NewSelect().Model(&ra).Where("key_id = ?", keyID).Limit(1).Scan(ctx)
		// The stored key counts only for a key of the actor's own host: a
		// document cannot claim another server's keyId.
		if err == nil && ra.PublicKeyPEM != "" && ap.Host(ra.IRI) == ap.Host(keyID) {
			if k, perr := signature.ParsePublicKeyPEM(ra.PublicKeyPEM); perr == nil {
				pk := &signature.PublicKey{ID: keyID, Owner: ra.IRI, Key: k}
				s.keys.Add(pk)
				return pk, nil
			}
		}
	}
	return s.keys.FetchKey(ctx, keyID, refresh)
}

// fetchKey fetches the document keyId names. It is either the actor (the
// key in its publicKey) or a key document whose owner is the actor; then
// the owner's actor document is fetched too and must list the same key, so
// that nobody can claim someone else's actor.
func (s *Service) fetchKey(ctx context.Context, keyID string) (*signature.PublicKey, error) {
	u, err := url.Parse(keyID)
	if err != nil || !ap.ValidIRI(keyID) {
		return nil, fmt.Errorf("keyId %q is not an http(s) URL", keyID)
	}
	u.Fragment = ""
	doc, err := s.getDocument(ctx, u.String())
	if err != nil {
		return nil, err
	}
	pk, ok := doc.KeyFor(keyID)
	if !ok || pk.PublicKeyPem == "" {
		return nil, fmt.Errorf("the document at %s has no key", u)
	}
	owner := pk.Owner
	actorDoc := doc
	if doc.IsKeyDocument() {
		if !ap.ValidIRI(owner) {
			return nil, fmt.Errorf("key %s has no owner", keyID)
		}
		if actorDoc, err = s.getDocument(ctx, owner); err != nil {
			return nil, err
		}
		listed, ok := actorDoc.KeyFor(keyID)
		if !ok || listed.PublicKeyPem != pk.PublicKeyPem || actorDoc.ID != owner {
			return nil, fmt.Errorf("actor %s does not list key %s", owner, keyID)
		}
	} else if owner == "" {
		owner = doc.ID
	}
	if owner != actorDoc.ID || ap.Host(owner) != ap.Host(keyID) {
		return nil, fmt.Errorf("key %s is not owned by the actor it names", keyID)
	}
	key, err := signature.ParsePublicKeyPEM(pk.PublicKeyPem)
	if err != nil {
		return nil, err
	}
	if err := s.storeRemote(ctx, actorDoc, keyID, pk.PublicKeyPem); err != nil {
		return nil, err
	}
	return &signature.PublicKey{ID: keyID, Owner: owner, Key: key}, nil
}

func (s *Service) getDocument(ctx context.Context, iri string) (*ap.RemoteActor, error) {
	if s.d.Get == nil {
		return nil, errors.New("federation: no client to fetch remote documents")
	}
	if s.Blocked(ctx, ap.Host(iri)) {
		return nil, ErrBlocked
	}
	b, err := s.d.Get.Get(ctx, s.InstanceActor(), iri)
	if err != nil {
		return nil, err
	}
	doc, err := ap.ParseRemoteActor(b)
	if err != nil {
		return nil, err
	}
	// The document must be the one asked for: a server may not answer for
	// another's actors (the fragment of a keyId aside).
	want, _ := url.Parse(iri)
	want.Fragment = ""
	got, _ := url.Parse(doc.ID)
	got.Fragment = ""
	if got.String() != want.String() {
		return nil, fmt.Errorf("the document at %s says it is %s", iri, doc.ID)
	}
	return doc, nil
}

func (s *Service) storeRemote(ctx context.Context, doc *ap.RemoteActor, keyID, pem string) error {
	if doc.Inbox == "" || !ap.ValidIRI(doc.Inbox) {
		return fmt.Errorf("actor %s has no inbox", doc.ID)
	}
	ra := remoteActor{IRI: doc.ID, Host: ap.Host(doc.ID), Type: doc.Type.First(), PreferredUsername: trunc(doc.PreferredUsername, 200),
		Name: trunc(doc.Name, 500), URL: trunc(doc.URL.ID, 2048), Inbox: doc.Inbox, KeyID: keyID, PublicKeyPEM: pem, FetchedAt: time.Now().UTC()}
	if si := doc.SharedInboxIRI(); ap.ValidIRI(si) && ap.Host(si) == ra.Host {
		ra.SharedInbox = si
	}
	_, err := s.d.DB.W.NewInsert().Model(&ra).
		On("CONFLICT (iri) DO UPDATE").
		Set("host = EXCLUDED.host, type = EXCLUDED.type, preferred_username = EXCLUDED.preferred_username, name = EXCLUDED.name").
		Set("url = EXCLUDED.url, inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox").
		Set("key_id = EXCLUDED.key_id, public_key_pem = EXCLUDED.public_key_pem, fetched_at = EXCLUDED.fetched_at").
		Exec(ctx)
	return err
}

// remote returns a remote actor, from the store when fresh, fetched
// otherwise.
func (s *Service) remote(ctx context.Context, iri string) (*remoteActor, error) {
	var ra remoteActor
	err := s.d.DB.R.NewSelect().Model(&ra).Where("iri = ?", iri).Scan(ctx)
	if err == nil && time.Since(ra.FetchedAt) < remoteActorTTL {
		return &ra, nil
	}
	if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, err
	}
	doc, ferr := s.getDocument(ctx, iri)
	if ferr != nil {
		if err == nil {
			return &ra, nil // stale is better than nothing
		}
		return nil, ferr
	}
	pk, _ := doc.KeyFor("")
	if pk.Owner != doc.ID || ap.Host(pk.ID) != ap.Host(doc.ID) {
		pk = ap.PublicKey{} // a key that is not its own is not kept
	}
	if err := s.storeRemote(ctx, doc, pk.ID, pk.PublicKeyPem); err != nil {
		return nil, err
	}
	if err := s.d.DB.R.NewSelect().Model(&ra).Where("iri = ?", iri).Scan(ctx); err != nil {
		return nil, err
	}
	return &ra, nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
