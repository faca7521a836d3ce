package account_test

import (
	"context"
	"testing"

	"collectif/access"
	"collectif/account"
	"collectif/fault"
	"collectif/jobs"
	"collectif/model"
	"collectif/password"
	"collectif/store"
	"collectif/store/storetest"
)

func TestSetLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := account.New(account.Deps{DB: db, Queue: q, Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		a, err := s.CreateLocal(ctx, access.System(), account.NewLocal{Email: "camille@ville.example", Name: "Camille Martin", Password: "un mot de passe long"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Lang != "" {
			t.Fatalf("a new account has the language %q, want no preference", a.Lang)
		}
		me := access.Account(a.ID, false)
		stored := func() string {
			t.Helper()
			st, err := s.SessionState(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return st.Lang
		}

		cases := []struct {
			name, in, want string
			who            access.Principal
			kind           fault.Kind
			field          string
		}{
			{"English", "en", "en", me, 0, ""},
			{"French", "fr", "fr", me, 0, ""},
			{"case and spaces do not matter", " EN ", "en", me, 0, ""},
			{"no preference", "", "", me, 0, ""},
			{"an administrator for a member", "en", "en", access.Account(model.NewID(), true), 0, ""},
			{"a language the hub does not offer", "de", "", me, fault.Invalid, "lang"},
			{"a regional variant", "en-GB", "", me, fault.Invalid, "lang"},
			{"a language's name", "français", "", me, fault.Invalid, "lang"},
			{"another member", "en", "", access.Account(model.NewID(), false), fault.Forbidden, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if _, err := s.SetLanguage(ctx, me, a.ID, ""); err != nil {
					t.Fatal(err)
				}
				got, err := s.SetLanguage(ctx, c.who, a.ID, c.in)
				if fault.KindOf(err) != c.kind || fault.FieldOf(err) != c.field {
					t.Fatalf("err = %v; want kind %v field %q", err, c.kind, c.field)
				}
				if got != c.want || stored() != c.want {
					t.Fatalf("SetLanguage(%q) = %q, stored %q; want %q", c.in, got, stored(), c.want)
				}
			})
		}
		if _, err := s.SetLanguage(ctx, me, a.ID, "de"); fault.MessageOf(err) != `langue inconnue : "de" (choisissez fr, en, ou aucune préférence)` {
			t.Errorf("the refusal says %q", fault.MessageOf(err))
		}

		// The choice is part of the member's data, and goes with the account.
		if _, err := s.SetLanguage(ctx, me, a.ID, "en"); err != nil {
			t.Fatal(err)
		}
		e, err := s.Export(ctx, me, a.ID)
		if err != nil || e.Profile.Lang != "en" {
			t.Fatalf("export profile = %+v, %v; want lang en", e.Profile, err)
		}
		if err := s.Delete(ctx, me, a.ID, true); err != nil {
			t.Fatal(err)
		}
		var lang string
		if err := db.R.QueryRowContext(ctx, "SELECT lang FROM accounts WHERE id = ?", a.ID).Scan(&lang); err != nil || lang != "" {
			t.Fatalf("the deleted account keeps the language %q (%v)", lang, err)
		}
		if _, err := s.SetLanguage(ctx, me, a.ID, "en"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("setting a deleted account's language: %v, want not found", err)
		}
	})
}
