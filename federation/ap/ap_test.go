package ap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestParseActivityShapes(t *testing.T) {
	cases := []struct {
		name, body         string
		kind, actor, first string
		objects            int
	}{
		{"strings", `{"id":"https://a.example/1","type":"Follow","actor":"https://a.example/u","object":"https://b.example/g"}`, "Follow", "https://a.example/u", "https://b.example/g", 1},
		{"one-element arrays", `{"type":["Follow"],"actor":["https://a.example/u"],"object":["https://b.example/g"]}`, "Follow", "https://a.example/u", "https://b.example/g", 1},
		{"embedded objects", `{"type":"Undo","actor":{"id":"https://a.example/u","type":"Person"},"object":{"id":"https://a.example/f","type":"Follow","actor":"https://a.example/u","object":"https://b.example/g"}}`, "Undo", "https://a.example/u", "https://a.example/f", 1},
		{"several objects", `{"type":"Flag","actor":"https://a.example/u","object":["https://b.example/g","https://b.example/p/1"]}`, "Flag", "https://a.example/u", "https://b.example/g", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseActivity([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind() != c.kind || a.Actor.ID != c.actor || a.FirstObject().ID != c.first || len(a.Object) != c.objects {
				t.Fatalf("got %+v", a)
			}
		})
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"type":"Follow"}`, `{"actor":"https://a.example/u"}`,
		`{"type":"Follow","actor":"javascript:alert(1)"}`, `{"type":"Follow","actor":"https://a.example/u","id":"urn:x"}`} {
		if _, err := ParseActivity([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRemoteActorKeys(t *testing.T) {
	stub, err := ParseRemoteActor([]byte(`{"id":"https://a.example/keys/1","owner":"https://a.example/u","publicKeyPem":"PEM"}`))
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := stub.KeyFor("https://a.example/keys/1"); !ok || k.Owner != "https://a.example/u" || !stub.IsKeyDocument() {
		t.Fatalf("stub key %+v", k)
	}
	actor, err := ParseRemoteActor([]byte(`{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/u/inbox","sharedInbox":"https://a.example/inbox",
		"publicKey":[{"id":"https://a.example/u#k1","owner":"https://a.example/u","publicKeyPem":"A"},{"id":"https://a.example/u#k2","owner":"https://a.example/u","publicKeyPem":"B"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := actor.KeyFor("https://a.example/u#k2"); k.PublicKeyPem != "B" || actor.SharedInboxIRI() != "https://a.example/inbox" || actor.IsKeyDocument() {
		t.Fatalf("actor key %+v", k)
	}
}

// FuzzInbox feeds the inbox's JSON parser arbitrary bodies: it must never
// panic, and what it accepts has a type and an http(s) actor. Seeds: the
// Follow activities of other servers in ../testdata/follows, and the
// activities they publish kept by the server's tests.
func FuzzInbox(f *testing.F) {
	files, _ := filepath.Glob("../testdata/follows/*.json")
	more, _ := filepath.Glob("../../server/testdata/*/*.json")
	files = append(files, more...)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"Undo","actor":"https://a.example/u","object":{"type":"Follow","object":["https://b.example/g"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseActivity(b)
		if err != nil {
			return
		}
		if a.Kind() == "" || !ValidIRI(a.Actor.ID) {
			t.Fatalf("accepted without type or actor: %q", b)
		}
		for _, o := range a.Object {
			if o.Raw != nil {
				var inner Activity
				_ = json.Unmarshal(o.Raw, &inner)
			}
		}
		_ = a.Object.IDs()
	})
}
