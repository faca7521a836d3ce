package ap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Media types of ActivityStreams documents.
const (
	ActivityJSON = "application/activity+json"
	// LDJSON is what Mastodon and others send in Accept; both are served
	// and accepted.
	LDJSON        = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	ContextAS     = "https://www.w3.org/ns/activitystreams"
	ContextSec    = "https://w3id.org/security/v1"
	PublicAddress = "https://www.w3.org/ns/activitystreams#Public"
)

// MaxActivityBytes bounds an inbox body: a big Create with its object and
// tags is a few tens of kilobytes.
const MaxActivityBytes = 256 << 10

// Ref is a reference to an object: an IRI, or an embedded object whose id
// is the IRI. Raw keeps the embedded object (nil for a bare IRI).
type Ref struct {
	ID   string
	Type string
	Raw  json.RawMessage
}

// UnmarshalJSON reads a string, an object with an id, or a one-element
// array of either.
func (r *Ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		if len(arr) == 0 {
			*r = Ref{}
			return nil
		}
		// Several values where one is expected: the first is read, as
		// Mastodon does.
		return r.UnmarshalJSON(arr[0])
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = Ref{ID: s}
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*r = Ref{}
		return nil
	}
	var o struct {
		ID   string  `json:"id"`
		Type Strings `json:"type"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("ap: a reference is an IRI or an object: %w", err)
	}
	*r = Ref{ID: o.ID, Type: o.Type.First(), Raw: append(json.RawMessage(nil), b...)}
	return nil
}

// Refs is a property that may hold several references: a bare value or an
// array.
type Refs []Ref

// UnmarshalJSON reads one reference or an array of them.
func (rs *Refs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var arr []Ref
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		*rs = arr
		return nil
	}
	var r Ref
	if err := r.UnmarshalJSON(b); err != nil {
		return err
	}
	if r.ID == "" && r.Raw == nil {
		*rs = nil
		return nil
	}
	*rs = Refs{r}
	return nil
}

// IDs lists the IRIs of the references.
func (rs Refs) IDs() []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.ID != "" {
			out = append(out, r.ID)
		}
	}
	return out
}

// Strings is a property holding strings: a bare string or an array.
type Strings []string

// UnmarshalJSON reads a string or an array of strings (non-strings in the
// array are skipped).
func (s *Strings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		out := make(Strings, 0, len(arr))
		for _, e := range arr {
			var v string
			if json.Unmarshal(e, &v) == nil {
				out = append(out, v)
			}
		}
		*s = out
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Strings{v}
	return nil
}

// First returns the first string, or "".
func (s Strings) First() string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Activity is an activity as received. Raw is the whole document.
type Activity struct {
	ID      string          `json:"id"`
	Type    Strings         `json:"type"`
	Actor   Ref             `json:"actor"`
	Object  Refs            `json:"object"`
	Target  Ref             `json:"target"`
	To      Refs            `json:"to"`
	CC      Refs            `json:"cc"`
	Content string          `json:"content"`
	Summary string          `json:"summary"` // Lemmy's reports carry their reason here
	Raw     json.RawMessage `json:"-"`
}

// Kind is the activity's first type.
func (a *Activity) Kind() string { return a.Type.First() }

// FirstObject is the activity's first object (the zero Ref if none).
func (a *Activity) FirstObject() Ref {
	if len(a.Object) == 0 {
		return Ref{}
	}
	return a.Object[0]
}

// Errors of ParseActivity.
var (
	ErrNotJSON  = errors.New("ap: the body is not a JSON object")
	ErrNoType   = errors.New("ap: the activity has no type")
	ErrNoActor  = errors.New("ap: the activity has no actor")
	ErrBadIRI   = errors.New("ap: an IRI is not an absolute http(s) URL")
	ErrTooLarge = errors.New("ap: the activity is too large")
)

// ParseActivity reads an activity received in an inbox. The actor is
// required and must be an http(s) IRI; the id, when present, too.
func ParseActivity(b []byte) (*Activity, error) {
	if len(b) > MaxActivityBytes {
		return nil, ErrTooLarge
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, ErrNotJSON
	}
	var a Activity
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if a.Kind() == "" {
		return nil, ErrNoType
	}
	if a.Actor.ID == "" {
		return nil, ErrNoActor
	}
	if !ValidIRI(a.Actor.ID) {
		return nil, fmt.Errorf("%w: actor %q", ErrBadIRI, a.Actor.ID)
	}
	if a.ID != "" && !ValidIRI(a.ID) {
		return nil, fmt.Errorf("%w: id %q", ErrBadIRI, a.ID)
	}
	a.Raw = append(json.RawMessage(nil), b...)
	return &a, nil
}

// ValidIRI reports whether s is an absolute http or https URL with a host,
// no user information, at most 2 KiB long.
func ValidIRI(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// Host returns the lower-cased host (with port) of an IRI, or "".
func Host(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
