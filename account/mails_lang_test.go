package account_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/jobs"
	"collectif/mail"
	"collectif/password"
	"collectif/store"
	"collectif/store/storetest"
)

// readMail returns the subject and text of the .eml file in dir whose
// name starts with prefix, waiting for the jobs to write it.
func readMail(t *testing.T, dir, prefix string) (subject, text string) {
	t.Helper()
	var files []string
	for deadline := time.Now().Add(time.Minute); len(files) == 0 && time.Now().Before(deadline); {
		time.Sleep(30 * time.Millisecond)
		files, _ = filepath.Glob(filepath.Join(dir, prefix+"*.eml"))
	}
	if len(files) != 1 {
		t.Fatalf("mails %s*: %v", prefix, files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := netmail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return subject, string(body)
}

// TestMailsFollowTheAccountLanguage checks that an account that chose
// English gets its welcome and e-mail change mails in English, at both
// addresses, and one that chose nothing gets them in French.
func TestMailsFollowTheAccountLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		reg := jobs.NewRegistry(nil)
		base, _ := url.Parse("https://hub.example")
		account.RegisterJobs(reg, account.JobDeps{DB: db, Mail: &mail.Files{Dir: dir, Host: "hub.example"}, From: "hub@hub.example", BaseURL: base})
		q, err := jobs.New(db, reg, jobs.Options{Workers: 1, PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		s := account.New(account.Deps{DB: db, Queue: q, Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		en, err := s.CreateLocal(ctx, access.System(), account.NewLocal{Email: "alex@ville.example", Name: "Alex", Password: "un mot de passe long"})
		if err != nil {
			t.Fatal(err)
		}
		fr, err := s.CreateLocal(ctx, access.System(), account.NewLocal{Email: "camille@ville.example", Name: "Camille", Password: "un mot de passe long"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetLanguage(ctx, access.Account(en.ID, false), en.ID, "en"); err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct{ id, new string }{{en.ID, "alex@metropole.example"}, {fr.ID, "camille@metropole.example"}} {
			if err := s.RequestEmailChange(ctx, access.Account(a.id, false), a.id, a.new, "un mot de passe long"); err != nil {
				t.Fatal(err)
			}
		}
		q.Start(ctx)
		defer q.Stop(ctx)
		check := func(prefix, wantSubject string, wantText ...string) {
			t.Helper()
			subject, text := readMail(t, dir, prefix)
			if subject != wantSubject {
				t.Errorf("%s: subject %q, want %q", prefix, subject, wantSubject)
			}
			for _, w := range wantText {
				if !strings.Contains(text, w) {
					t.Errorf("%s: the text lacks %q:\n%s", prefix, w, text)
				}
			}
		}
		check("welcome-"+en.ID, "Welcome to hub.example", "Hello Alex,", "your account on hub.example has been created with the address alex@ville.example.")
		check("email-change-"+en.ID, "Confirm your new address on hub.example", "open this link within 24 hours", "https://hub.example/account/email/confirm?token=")
		check("email-change-notice-"+en.ID, "Address change requested on hub.example", "to alex@metropole.example has been requested")
		check("welcome-"+fr.ID, "Bienvenue sur hub.example", "Bonjour Camille,", "votre compte sur hub.example est créé avec l'adresse camille@ville.example.")
		check("email-change-"+fr.ID, "Confirmez votre nouvelle adresse sur hub.example", "ouvrez ce lien dans les 24 heures")
		check("email-change-notice-"+fr.ID, "Changement d'adresse demandé sur hub.example", "vers camille@metropole.example a été demandé")
	})
}
