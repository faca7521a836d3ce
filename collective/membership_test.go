package collective_test

import (
	"context"
	"testing"
	"time"

	"collectif/access"
	"collectif/collective"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
	"collectif/territory"
)

// people creates accounts straight in the database (the account rules
// have their own tests) and returns their principals.
func person(t *testing.T, db *store.DB, email string, org *model.Organization, show bool) access.Principal {
	t.Helper()
	now := time.Now().UTC()
	a := &model.Account{ID: model.NewID(), Email: email, Name: email, Phone: "+33 4 00 00 00 00", ShowInDir: true, ShowEmail: show, CreatedAt: now, UpdatedAt: now}
	if org != nil {
		a.OrganizationID = org.ID
	}
	if _, err := db.W.NewInsert().Model(a).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return access.Account(a.ID, false)
}

func TestMembershipJourneyAndDirectoryPrivacy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := collective.New(db)
		if _, err := s.Create(ctx, access.System(), collective.NewCollective{Slug: "alpes", Name: "Alpes", Scope: model.ScopeRegional}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		echirolles := &model.Organization{ID: model.NewID(), Kind: model.OrgCommune, Name: "Échirolles", NameNorm: territory.Normalize("Échirolles"), InseeCode: "38151", SIREN: "213801517", Region: "84", CreatedAt: now, UpdatedAt: now}
		if _, err := db.W.NewInsert().Model(echirolles).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		owner := person(t, db, "owner@alpes.example", nil, false)
		camille := person(t, db, "camille@echirolles.example", echirolles, true)
		dominique := person(t, db, "dominique@ville.example", nil, false)
		if err := s.Join(ctx, access.System(), "alpes", owner.AccountID, model.RoleOwner); err != nil {
			t.Fatal(err)
		}

		// A visitor cannot ask; a member asks once.
		if _, err := s.RequestMembership(ctx, access.Anonymous(), "alpes", ""); fault.KindOf(err) != fault.Unauthorized {
			t.Fatalf("visitor request: %v", err)
		}
		if _, err := s.RequestMembership(ctx, camille, "alpes", "DSI d'Échirolles"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestMembership(ctx, camille, "alpes", "encore"); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("second request: %v", err)
		}
		// Only administrators decide, and the requester is not a member yet.
		if err := s.Decide(ctx, dominique, "alpes", camille.AccountID, collective.Decision{Approve: true}); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("decision by a non-admin: %v", err)
		}
		if _, err := s.Members(ctx, camille, "alpes", collective.MemberFilter{}); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("directory before approval: %v", err)
		}
		pend, err := s.Pending(ctx, owner, "alpes")
		if err != nil || len(pend) != 1 || pend[0].Message != "DSI d'Échirolles" {
			t.Fatalf("pending = %+v, %v", pend, err)
		}
		if err := s.Decide(ctx, owner, "alpes", camille.AccountID, collective.Decision{Approve: true, Message: "Bienvenue !"}); err != nil {
			t.Fatal(err)
		}

		// Refused, then allowed to ask again.
		s.RequestMembership(ctx, dominique, "alpes", "")
		if err := s.Decide(ctx, owner, "alpes", dominique.AccountID, collective.Decision{Approve: false, Message: "Réservé aux collectivités"}); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.RequestMembership(ctx, dominique, "alpes", "je travaille pour une commune"); m == nil || m.Status != model.StatusRequested {
			t.Fatalf("a refused person could not ask again: %+v", m)
		}

		// The directory: members only, filters, e-mail only when shown.
		pg, err := s.Members(ctx, owner, "alpes", collective.MemberFilter{})
		if err != nil || pg.Total != 2 {
			t.Fatalf("directory = %+v, %v", pg, err)
		}
		for _, m := range pg.Items {
			switch m.ID {
			case camille.AccountID:
				if m.Email == "" || m.Phone != "" || m.Organization == nil || m.Organization.Name != "Échirolles" {
					t.Fatalf("camille as seen by the owner: %+v", m)
				}
			case owner.AccountID:
			default:
				t.Fatalf("unexpected member %+v", m)
			}
		}
		pg, _ = s.Members(ctx, camille, "alpes", collective.MemberFilter{})
		for _, m := range pg.Items {
			if m.ID == owner.AccountID && (m.Email != "" || m.Phone != "") {
				t.Fatalf("the owner chose not to show e-mail and phone: %+v", m)
			}
		}
		pg, _ = s.Members(ctx, owner, "alpes", collective.MemberFilter{OrgKind: model.OrgCommune, Region: "84"})
		if pg.Total != 1 || pg.Items[0].ID != camille.AccountID {
			t.Fatalf("filter commune in 84: %+v", pg)
		}
		if _, err := s.Members(ctx, access.Anonymous(), "alpes", collective.MemberFilter{}); fault.KindOf(err) != fault.Unauthorized {
			t.Fatalf("visitor reading the directory: %v", err)
		}
		if _, err := s.Members(ctx, owner, "alpes", collective.MemberFilter{Cursor: "garbage!"}); fault.FieldOf(err) != "cursor" {
			t.Fatalf("bad cursor: %v", err)
		}

		// Ban: out of the directory, cannot ask again.
		if err := s.Ban(ctx, owner, "alpes", camille.AccountID, "spam"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestMembership(ctx, camille, "alpes", ""); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("banned member asking again: %v", err)
		}
		// The last owner cannot leave.
		if err := s.Leave(ctx, owner, "alpes"); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("last owner leaving: %v", err)
		}
	})
}

func TestDirectoryPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := collective.New(db)
		s.Create(ctx, access.System(), collective.NewCollective{Slug: "national", Name: "National", Scope: model.ScopeNational})
		var first access.Principal
		for i := 0; i < 7; i++ {
			p := person(t, db, "m"+string(rune('a'+i))+"@x.example", nil, false)
			if i == 0 {
				first = p
			}
			s.Join(ctx, access.System(), "national", p.AccountID, model.RoleMember)
		}
		seen := map[string]bool{}
		next := ""
		for pages := 0; pages < 10; pages++ {
			pg, err := s.Members(ctx, first, "national", collective.MemberFilter{Cursor: next, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Total != 7 {
				t.Fatalf("total = %d", pg.Total)
			}
			for _, m := range pg.Items {
				if seen[m.ID] {
					t.Fatalf("member %s on two pages", m.ID)
				}
				seen[m.ID] = true
			}
			if next = pg.Next; next == "" {
				break
			}
		}
		if len(seen) != 7 {
			t.Fatalf("paged through %d members, want 7", len(seen))
		}
	})
}
