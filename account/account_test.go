package account_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/access"
	"collectif/account"
	"collectif/fault"
	"collectif/jobs"
	"collectif/mail"
	"collectif/model"
	"collectif/password"
	"collectif/store"
	"collectif/store/storetest"
)

func TestCreateLocal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Cheap parameters: these tests check rules, not hashing cost.
		s := account.New(account.Deps{DB: db, Queue: q, Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})

		cases := []struct {
			name  string
			who   access.Principal
			in    account.NewLocal
			kind  fault.Kind
			field string
		}{
			{"bad e-mail", access.System(), account.NewLocal{Email: "camille@", Name: "C", Password: "un mot de passe long"}, fault.Invalid, "email"},
			{"no name", access.System(), account.NewLocal{Email: "c@ville.example", Name: " ", Password: "un mot de passe long"}, fault.Invalid, "name"},
			{"short password", access.System(), account.NewLocal{Email: "c@ville.example", Name: "C", Password: "court"}, fault.Invalid, "password"},
			{"member making an admin", access.Account(model.NewID(), false), account.NewLocal{Email: "c@ville.example", Name: "C", Password: "un mot de passe long", Admin: true}, fault.Forbidden, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.CreateLocal(ctx, c.who, c.in)
				if fault.KindOf(err) != c.kind || fault.FieldOf(err) != c.field {
					t.Fatalf("err = %v; want kind %v field %q", err, c.kind, c.field)
				}
			})
		}
		a, err := s.CreateLocal(ctx, access.System(), account.NewLocal{Email: " Camille.Martin@Ville.Example ", Name: "Camille Martin", Password: "un mot de passe long", Admin: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ByID(ctx, a.ID)
		if err != nil || got.Email != "camille.martin@ville.example" || !got.IsAdmin {
			t.Fatalf("stored account = %+v, %v", got, err)
		}
		if ok, _, err := password.Verify("un mot de passe long", got.PasswordHash, password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}); !ok || err != nil {
			t.Fatalf("the stored hash does not verify: %v", err)
		}
		if _, err := s.CreateLocal(ctx, access.System(), account.NewLocal{Email: "CAMILLE.martin@ville.example", Name: "Autre", Password: "un mot de passe long"}); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("same e-mail in other case: %v", err)
		}
		st, err := q.Stats(ctx)
		if err != nil || st.Pending != 1 {
			t.Fatalf("welcome mails queued = %+v, %v; want exactly 1 (failed creations enqueue nothing)", st, err)
		}
	})
}

func TestEmailChangeNeedsTheNewMailbox(t *testing.T) {
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
		a, err := s.CreateLocal(ctx, access.System(), account.NewLocal{Email: "old@ville.example", Name: "Camille", Password: "un mot de passe long"})
		if err != nil {
			t.Fatal(err)
		}
		me := access.Account(a.ID, false)
		if err := s.RequestEmailChange(ctx, me, a.ID, "new@ville.example", "mauvais mot de passe"); fault.FieldOf(err) != "current_password" {
			t.Fatalf("wrong password: %v", err)
		}
		if err := s.RequestEmailChange(ctx, access.Account(model.NewID(), false), a.ID, "new@ville.example", "un mot de passe long"); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("someone else: %v", err)
		}
		if err := s.RequestEmailChange(ctx, me, a.ID, "new@ville.example", "un mot de passe long"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ByID(ctx, a.ID); got.Email != "old@ville.example" {
			t.Fatalf("the address changed before confirmation: %s", got.Email)
		}
		q.Start(ctx)
		defer q.Stop(ctx)
		var link string
		deadline := time.Now().Add(20 * time.Second)
		notices := func() []string { f, _ := filepath.Glob(filepath.Join(dir, "email-change-notice-*.eml")); return f }
		for (link == "" || len(notices()) == 0) && time.Now().Before(deadline) {
			time.Sleep(30 * time.Millisecond)
			files, _ := filepath.Glob(filepath.Join(dir, "email-change-01*.eml"))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				raw := strings.ReplaceAll(strings.ReplaceAll(string(b), "=\r\n", ""), "=3D", "=")
				if i := strings.Index(raw, "token="); i >= 0 && strings.Contains(raw, "To: <new@ville.example>") {
					link = raw[i+len("token="):]
					link = link[:strings.IndexAny(link, "\r\n")]
				}
			}
		}
		if link == "" {
			t.Fatal("no confirmation mail to the new address")
		}
		if files := notices(); len(files) != 1 {
			t.Fatalf("notices to the old address: %v", files)
		}
		if _, err := s.ConfirmEmailChange(ctx, link+"x"); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("tampered link: %v", err)
		}
		got, err := s.ConfirmEmailChange(ctx, link)
		if err != nil || got.Email != "new@ville.example" {
			t.Fatalf("confirm: %+v %v", got, err)
		}
		if _, err := s.ConfirmEmailChange(ctx, link); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("the link worked twice: %v", err)
		}
	})
}
