package collective_test

import (
	"context"
	"testing"

	"collectif/access"
	"collectif/collective"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

func TestCreateRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := collective.New(db)
		good := collective.NewCollective{Slug: "national", Name: "Collectif national", Scope: model.ScopeNational}
		cases := []struct {
			name  string
			who   access.Principal
			in    collective.NewCollective
			kind  fault.Kind
			field string
		}{
			{"visitor", access.Anonymous(), good, fault.Forbidden, ""},
			{"member", access.Account(model.NewID(), false), good, fault.Forbidden, ""},
			{"bad slug", access.System(), collective.NewCollective{Slug: "Nat ional", Name: "x", Scope: model.ScopeNational}, fault.Invalid, "slug"},
			{"empty name", access.System(), collective.NewCollective{Slug: "nat", Name: "  ", Scope: model.ScopeNational}, fault.Invalid, "name"},
			{"unknown scope", access.System(), collective.NewCollective{Slug: "nat", Name: "Nat", Scope: "planetary"}, fault.Invalid, "scope"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Create(ctx, c.who, c.in)
				if fault.KindOf(err) != c.kind || fault.FieldOf(err) != c.field {
					t.Fatalf("err = %v; want kind %v field %q", err, c.kind, c.field)
				}
			})
		}
		if _, err := s.Create(ctx, access.System(), good); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, access.System(), good); fault.KindOf(err) != fault.Conflict || fault.FieldOf(err) != "slug" {
			t.Fatalf("duplicate slug: %v", err)
		}
		list, err := s.List(ctx, access.Anonymous())
		if err != nil || len(list) != 1 || list[0].Name != "Collectif national" {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if _, err := s.Get(ctx, access.Anonymous(), "absent"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("unknown slug: %v", err)
		}
		if _, err := s.CreateGroup(ctx, access.System(), "absent", collective.NewGroup{Slug: "g1", Name: "G", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("group in an unknown collective: %v", err)
		}
		if _, err := s.CreateGroup(ctx, access.System(), "national", collective.NewGroup{Slug: "g1", Name: "G", JoinPolicy: "whenever", Visibility: model.VisibilityPublic}); fault.FieldOf(err) != "join_policy" {
			t.Fatalf("bad join policy: %v", err)
		}
	})
}
