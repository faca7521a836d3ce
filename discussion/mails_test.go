package discussion

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"collectif/model"
)

var update = flag.Bool("update", false, "rewrite the expected mails of testdata/mails")

// TestDigestTexts holds the digest, in each language, to its text in
// testdata/mails (go test -update rewrites them after a wanted change).
func TestDigestTexts(t *testing.T) {
	pl := Place{Collective: model.Collective{Slug: "alpes", Name: "Collectif des Alpes"}, Group: model.WorkingGroup{Slug: "cyber", Name: "Cellule cybersécurité"}}
	someone := Person{ID: "A1", Name: "Dominique Martin"}
	items := []NotificationView{
		{Kind: model.NotifyReply, Actor: someone, Place: pl, TopicID: "T1", TopicTitle: "Plan de reprise", ReplyID: "R1"},
		{Kind: model.NotifyReply, Place: pl, TopicID: "T2", ReplyID: "R2"}, // author and topic deleted
		{Kind: model.NotifyInvitation, Actor: someone, Place: pl},
		{Kind: model.NotifyJoinRequest, Actor: someone, Place: pl},
		{Kind: model.NotifyJoinApproved, Place: pl},
		{Kind: model.NotifyJoinRefused, Place: pl},
	}
	cases := map[string]*digestData{
		"digest":     {Name: "Camille Dupont", Items: items, Total: 9, More: 3, Base: "https://hub.example", Host: "hub.example"},
		"digest_one": {Name: "Camille Dupont", Items: items[:1], Total: 1, Base: "https://hub.example", Host: "hub.example"},
	}
	for _, lang := range []string{"fr", "en"} {
		for name, d := range cases {
			subject, text, err := writeDigest(lang, d)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "mails", name+"."+lang+".txt"), "Subject: "+subject+"\n\n"+text)
		}
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}
