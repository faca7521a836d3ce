package discussion

import (
	"path/filepath"
	"testing"

	"collectif/mail/mailtest"
	"collectif/model"
)

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
			mailtest.Golden(t, filepath.Join("testdata", "mails", name+"."+lang+".txt"), "Subject: "+subject+"\n\n"+text)
		}
	}
}
