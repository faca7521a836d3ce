package discussion_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"collectif/discussion"
	"collectif/jobs"
	"collectif/mail"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// mails lists the .eml files in dir, by name.
func mails(t *testing.T, dir string) map[string]string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	sort.Strings(names)
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = string(b)
	}
	return out
}

// tomorrowAt is a time of tomorrow, Paris time: after every notification
// the test writes now.
func tomorrowAt(t *testing.T, hour int) time.Time {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata")
	}
	n := time.Now().In(loc).AddDate(0, 0, 1)
	return time.Date(n.Year(), n.Month(), n.Day(), hour, 0, 0, 0, loc)
}

func TestDigestSendsOneMailPerMemberAndDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		dir := t.TempDir()
		base, _ := url.Parse("https://hub.test")
		at := tomorrowAt(t, 6)
		d := discussion.JobDeps{DB: db, Mail: &mail.Files{Dir: dir, Host: "hub.test"}, From: "collectif@hub.test", BaseURL: base,
			Now: func() time.Time { return at }}
		for _, name := range []string{author, colleague, groupMod} {
			if err := w.s.SetDigest(w.ctx, w.who[name], true); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.s.SetDigest(w.ctx, w.who[groupMod], false); err != nil {
			t.Fatal(err)
		}
		tp := w.topic(w.pub, "Mutualiser un Nextcloud")
		w.reply(colleague, tp.TopicID, "", "Avec le syndicat informatique ?")
		w.reply(groupMod, tp.TopicID, "", "Bonne idée.")
		// author: 2 unread; colleague: 1; groupMod: 0 and no digest anyway.
		// member (no notification) asked for a digest too.
		if err := w.s.SetDigest(w.ctx, w.who[member], true); err != nil {
			t.Fatal(err)
		}

		if n, err := discussion.SendDigests(w.ctx, d); err != nil || n != 0 {
			t.Fatalf("before %dh: sent %d, %v", discussion.DigestHour, n, err)
		}
		at = tomorrowAt(t, 9)
		n, err := discussion.SendDigests(w.ctx, d)
		if err != nil || n != 2 {
			t.Fatalf("sent %d, %v; want 2", n, err)
		}
		day := at.Format("2006-01-02")
		got := mails(t, dir)
		authorMail := got["digest-"+w.who[author].AccountID+"-"+day+".eml"]
		if len(got) != 2 || authorMail == "" || got["digest-"+w.who[colleague].AccountID+"-"+day+".eml"] == "" {
			t.Fatalf("mails: %v", keys(got))
		}
		for _, want := range []string{"To: \"Author\" <author@ville.example>", "Subject: 2 notifications non lues sur hub.test",
			"Message-ID: <digest-" + w.who[author].AccountID + "-" + day + "@hub.test>", "Colleague a r=C3=A9pondu dans =C2=AB Mutualiser un Nextcloud",
			"https://hub.test/c/alpes/g/poste-linux/t/" + tp.TopicID + "#r-", "https://hub.test/notifications"} {
			if !strings.Contains(strings.ReplaceAll(authorMail, "=\r\n", ""), want) {
				t.Errorf("the author's digest lacks %q:\n%s", want, authorMail)
			}
		}
		// Later the same day: nothing more, even with new notifications.
		w.reply(colleague, tp.TopicID, "", "Encore une chose.")
		at = at.Add(3 * time.Hour)
		if n, err := discussion.SendDigests(w.ctx, d); err != nil || n != 0 || len(mails(t, dir)) != 2 {
			t.Fatalf("second run the same day: sent %d, %v, %d files", n, err, len(mails(t, dir)))
		}
		// A crash after sending and before recording it: the retry sends
		// the same message again (same Message-ID), not a second one.
		if _, err := db.W.NewUpdate().Table("discussion_settings").Set("last_digest_day = NULL").Where("1 = 1").Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := discussion.SendDigests(w.ctx, d); err != nil || n != 1 || len(mails(t, dir)) != 2 {
			t.Fatalf("retry: sent %d, %v, files %v", n, err, keys(mails(t, dir)))
		}
		// The next day, what came since.
		at = at.Add(24 * time.Hour)
		if n, err := discussion.SendDigests(w.ctx, d); err != nil || n != 0 {
			t.Fatalf("nothing new the next day: sent %d, %v", n, err)
		}
		w.reply(groupMod, tp.TopicID, "", "Et la sauvegarde ?")
		if _, err := w.s.MarkAllRead(w.ctx, w.who[colleague]); err != nil {
			t.Fatal(err)
		}
		if n, err := discussion.SendDigests(w.ctx, d); err != nil || n != 1 || len(mails(t, dir)) != 3 {
			t.Fatalf("the next day: sent %d, %v, files %v", n, err, keys(mails(t, dir)))
		}
		if m := mails(t, dir)["digest-"+w.who[author].AccountID+"-"+at.Format("2006-01-02")+".eml"]; !strings.Contains(m, "Subject: 1 notification non lue sur hub.test") {
			t.Fatalf("the author's second digest:\n%s", m)
		}
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDigestThroughTheQueue runs the periodic job as `collectif serve`
// does, faster: each member gets one mail however many ticks run.
func TestDigestThroughTheQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, db)
		for _, name := range []string{author, colleague} {
			if err := w.s.SetDigest(ctx, w.who[name], true); err != nil {
				t.Fatal(err)
			}
		}
		tp := w.topic(w.pub, "Visioconférence libre")
		w.reply(colleague, tp.TopicID, "", "BigBlueButton chez nous.")
		w.reply(author, tp.TopicID, "", "Merci !")

		dir := t.TempDir()
		base, _ := url.Parse("https://hub.test")
		at := tomorrowAt(t, 8)
		reg := jobs.NewRegistry(nil)
		discussion.RegisterJobs(reg, discussion.JobDeps{DB: db, Mail: &mail.Files{Dir: dir, Host: "hub.test"}, From: "collectif@hub.test",
			BaseURL: base, Now: func() time.Time { return at }})
		p := discussion.Periodic()
		if len(p) != 1 || p[0].Every != time.Hour || p[0].Args().Kind() != (discussion.DigestTick{}).Kind() {
			t.Fatalf("periodic jobs: %+v", p)
		}
		p[0].Every = 100 * time.Millisecond
		q, err := jobs.New(db, reg, jobs.Options{Workers: 2, PollInterval: 50 * time.Millisecond, Periodic: p})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(sctx)
		})
		deadline := time.Now().Add(20 * time.Second)
		for len(mails(t, dir)) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("digests after 20 s: %v", keys(mails(t, dir)))
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Let a few more ticks run: still one mail each.
		var settled []model.DiscussionSettings
		for i := 0; i < 40; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if got := mails(t, dir); len(got) != 2 {
			t.Fatalf("after more ticks: %v", keys(got))
		}
		if err := db.R.NewSelect().Model(&settled).Where("last_digest_day IS NOT NULL").Scan(ctx); err != nil || len(settled) != 2 {
			t.Fatalf("members served today: %+v, %v", settled, err)
		}
	})
}
