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
