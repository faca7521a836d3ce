package discussion_test

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"collectif/discussion"
	"collectif/mail"
	"collectif/store"
	"collectif/store/storetest"
)

// TestDigestFollowsTheMemberLanguage checks that a member who chose
// English gets the digest in English, and one who chose nothing in French.
func TestDigestFollowsTheMemberLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		dir := t.TempDir()
		base, _ := url.Parse("https://hub.test")
		at := tomorrowAt(t, 9)
		d := discussion.JobDeps{DB: db, Mail: &mail.Files{Dir: dir, Host: "hub.test"}, From: "collectif@hub.test", BaseURL: base,
			Now: func() time.Time { return at }}
		for _, name := range []string{author, colleague} {
			if err := w.s.SetDigest(w.ctx, w.who[name], true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.W.NewUpdate().Table("accounts").Set("lang = ?", "en").Where("id = ?", w.who[author].AccountID).Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
		tp := w.topic(w.pub, "Mutualiser un Nextcloud")
		w.reply(colleague, tp.TopicID, "", "Avec le syndicat informatique ?")
		w.reply(groupMod, tp.TopicID, "", "Bonne idée.")
		// author: 2 unread (English); colleague: 1 (French).
		if n, err := discussion.SendDigests(w.ctx, d); err != nil || n != 2 {
			t.Fatalf("sent %d, %v; want 2", n, err)
		}
		day := at.Format("2006-01-02")
		got := mails(t, dir)
		check := func(who, wantSubject string, wantText ...string) {
			t.Helper()
			raw := got["digest-"+w.who[who].AccountID+"-"+day+".eml"]
			m, err := netmail.ReadMessage(strings.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			text := string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
			if subject != wantSubject {
				t.Errorf("%s: subject %q, want %q", who, subject, wantSubject)
			}
			for _, want := range wantText {
				if !strings.Contains(text, want) {
					t.Errorf("%s: the digest lacks %q:\n%s", who, want, text)
				}
			}
		}
		check(author, "2 unread notifications on hub.test", "Hello Author,", "Colleague replied in “Mutualiser un Nextcloud” (Collectif des Alpes › Poste de travail sous Linux)",
			"https://hub.test/c/alpes/g/poste-linux/t/"+tp.TopicID+"#r-", "All your notifications: https://hub.test/notifications")
		check(colleague, "1 notification non lue sur hub.test", "Bonjour Colleague,", "Groupmod a répondu dans « Mutualiser un Nextcloud »",
			"Toutes vos notifications : https://hub.test/notifications")
	})
}
