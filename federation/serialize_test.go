package federation

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"collectif/federation/ap"
)

// BenchmarkActorJSON measures the serialization of a Group actor document.
func BenchmarkActorJSON(b *testing.B) {
	doc := &ap.Actor{Context: ap.ActorContext(), ID: "https://hub.example/c/alpes/g/sig", Type: "Group", PreferredUsername: "alpes_sig",
		Name: "Cartographie libre", Summary: "Le groupe des SIG libres des collectivités des Alpes.", URL: "https://hub.example/c/alpes/g/sig",
		Inbox: "https://hub.example/c/alpes/g/sig/inbox", Outbox: "https://hub.example/c/alpes/g/sig/outbox",
		Followers: "https://hub.example/c/alpes/g/sig/followers", Following: "https://hub.example/c/alpes/g/sig/following",
		Endpoints: ap.Endpoints{SharedInbox: "https://hub.example/inbox"}, Discoverable: true, Published: "2026-01-05T09:00:00Z",
		PublicKey: ap.PublicKey{ID: "https://hub.example/c/alpes/g/sig#main-key", Owner: "https://hub.example/c/alpes/g/sig",
			PublicKeyPem: "-----BEGIN PUBLIC KEY-----\n" + string(make([]byte, 392)) + "\n-----END PUBLIC KEY-----\n"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoteJSON measures building and serializing a reply's Note in
// its Create activity, as Publish does.
func BenchmarkNoteJSON(b *testing.B) {
	base, _ := url.Parse("https://hub.example")
	s := &Service{base: base.String()}
	pl := &place{Group: "https://hub.example/c/alpes/g/sig", Collective: "https://hub.example/c/alpes"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		iri := pl.Group + "/t/01J000/r/01J001"
		d := s.postDoc("Note", iri, pl.Group+"/t/01J000#r-01J001", "<p>Chez nous, <strong>le syndicat</strong> l'héberge.</p>",
			"Chez nous, **le syndicat** l'héberge.", pl, "", now, time.Time{})
		d["inReplyTo"] = pl.Group + "/t/01J000"
		act := map[string]any{"@context": objectContext(), "id": pl.Group + "#create-1", "type": "Create", "actor": pl.Group, "object": d,
			"to": []string{ap.PublicAddress}, "cc": []string{pl.Group + "/followers"}, "audience": pl.Group}
		if _, err := json.Marshal(act); err != nil {
			b.Fatal(err)
		}
	}
}
