package ap

import (
	"encoding/json"
	"fmt"
)

// PublicKey is the security vocabulary's key of an actor.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// Endpoints carries the shared inbox.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

// Image is an icon.
type Image struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"`
}

// Actor is a local actor as served: Application, Group or Person.
type Actor struct {
	Context                   []any     `json:"@context"`
	ID                        string    `json:"id"`
	Type                      string    `json:"type"`
	PreferredUsername         string    `json:"preferredUsername"`
	Name                      string    `json:"name"`
	Summary                   string    `json:"summary,omitempty"`
	URL                       string    `json:"url"`
	Icon                      *Image    `json:"icon,omitempty"`
	Inbox                     string    `json:"inbox"`
	Outbox                    string    `json:"outbox"`
	Followers                 string    `json:"followers"`
	Following                 string    `json:"following"`
	Endpoints                 Endpoints `json:"endpoints"`
	ManuallyApprovesFollowers bool      `json:"manuallyApprovesFollowers"`
	Discoverable              bool      `json:"discoverable"`
	Published                 string    `json:"published,omitempty"`
	PublicKey                 PublicKey `json:"publicKey"`
}

// ActorContext is the @context of our actor documents: ActivityStreams,
// the security vocabulary, and the terms Mastodon added that we use.
func ActorContext() []any {
	return []any{ContextAS, ContextSec, map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"discoverable":              "toot:discoverable",
		"toot":                      "http://joinmastodon.org/ns#",
	}}
}

// RemoteActor is what is read of a remote actor document, or of a key
// document (a stub with owner and publicKeyPem, as some servers serve at
// the keyId).
type RemoteActor struct {
	ID                string    `json:"id"`
	Type              Strings   `json:"type"`
	PreferredUsername string    `json:"preferredUsername"`
	Name              string    `json:"name"`
	URL               Ref       `json:"url"`
	Inbox             string    `json:"inbox"`
	Endpoints         Endpoints `json:"endpoints"`
	SharedInbox       string    `json:"sharedInbox"` // some servers put it at the top
	PublicKey         keyProp   `json:"publicKey"`
	// A key document's own fields.
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// keyProp is publicKey: one object or an array of them (the first is read
// unless one matches the keyId; see KeyFor).
type keyProp []PublicKey

func (k *keyProp) UnmarshalJSON(b []byte) error {
	var arr []PublicKey
	if err := json.Unmarshal(b, &arr); err == nil {
		*k = arr
		return nil
	}
	var one PublicKey
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*k = keyProp{one}
	return nil
}

// ParseRemoteActor reads an actor or key document.
func ParseRemoteActor(b []byte) (*RemoteActor, error) {
	var a RemoteActor
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("ap: actor document: %w", err)
	}
	if !ValidIRI(a.ID) {
		return nil, fmt.Errorf("%w: actor id %q", ErrBadIRI, a.ID)
	}
	return &a, nil
}

// IsKeyDocument reports whether the document is a key (a stub with owner
// and publicKeyPem) rather than an actor.
func (a *RemoteActor) IsKeyDocument() bool {
	return a.Owner != "" && a.PublicKeyPem != "" && a.Inbox == ""
}

// SharedInboxIRI returns endpoints.sharedInbox, or a top-level sharedInbox.
func (a *RemoteActor) SharedInboxIRI() string {
	if a.Endpoints.SharedInbox != "" {
		return a.Endpoints.SharedInbox
	}
	return a.SharedInbox
}

// KeyFor returns the key of the document whose id is keyID, or its first
// key when none matches exactly (servers that serve the key at the actor's
// URL without a fragment).
func (a *RemoteActor) KeyFor(keyID string) (PublicKey, bool) {
	if a.IsKeyDocument() {
		return PublicKey{ID: a.ID, Owner: a.Owner, PublicKeyPem: a.PublicKeyPem}, true
	}
	for _, k := range a.PublicKey {
		if k.ID == keyID {
			return k, true
		}
	}
	if len(a.PublicKey) > 0 {
		return a.PublicKey[0], true
	}
	return PublicKey{}, false
}

// OrderedCollection is a collection served with its first page.
type OrderedCollection struct {
	Context    string `json:"@context,omitempty"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	First      string `json:"first,omitempty"`
	Last       string `json:"last,omitempty"`
}

// OrderedCollectionPage is one page of a collection.
type OrderedCollectionPage struct {
	Context      string `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	PartOf       string `json:"partOf"`
	TotalItems   int    `json:"totalItems"`
	Next         string `json:"next,omitempty"`
	OrderedItems []any  `json:"orderedItems"`
}
