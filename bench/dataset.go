package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/uptrace/bun"

	"collectif/markdown"
	"collectif/model"
	"collectif/password"
	"collectif/resource"
	"collectif/search"
	"collectif/search/searchtest"
	"collectif/store"
	"collectif/territory"
)

// Size says how much data the benchmark generates.
type Size struct {
	Collectives   int
	Organizations int
	Members       int
	Groups        int
	Posts         int // topics and replies: one post in five opens a topic
	Resources     int
	Software      int // catalog entries
	Usages        int // usage declarations, over the organizations
	Events        int // the first one is the registration burst's
	Registrations int // over the other events
	Followers     int // remote followers of one group, over the sink hosts
}

// DefaultSize is the dataset of the performance issue.
var DefaultSize = Size{Collectives: 3, Organizations: 300, Members: 3000, Groups: 100, Posts: 20000, Resources: 100000,
	Software: 200, Usages: 5000, Events: 50, Registrations: 10000, Followers: 1000}

func (s Size) String() string {
	return fmt.Sprintf("%d collectives, %d organizations, %d members, %d working groups, %d posts, %d resources, "+
		"%d software entries with %d usage declarations, %d events with %d registrations, %d remote followers",
		s.Collectives, s.Organizations, s.Members, s.Groups, s.Posts, s.Resources, s.Software, s.Usages, s.Events, s.Registrations, s.Followers)
}

func (s Size) check() error {
	switch {
	case s.Collectives < 1 || s.Collectives > 50:
		return fmt.Errorf("collectives: %d, want 1 to 50", s.Collectives)
	case s.Organizations < 1:
		return fmt.Errorf("organizations: %d, want at least 1", s.Organizations)
	case s.Members < 1:
		return fmt.Errorf("members: %d, want at least 1", s.Members)
	case s.Groups < 1:
		return fmt.Errorf("groups: %d, want at least 1", s.Groups)
	case s.Posts < 0 || s.Resources < 1:
		return fmt.Errorf("posts %d, resources %d: want posts ≥ 0 and resources ≥ 1", s.Posts, s.Resources)
	case s.Software < 0 || s.Usages < 0 || s.Events < 0 || s.Registrations < 0 || s.Followers < 0:
		return fmt.Errorf("software, usages, events, registrations and followers must not be negative")
	case s.Usages > 0 && s.Usages > s.Software*s.Organizations/2:
		return fmt.Errorf("usages: %d, want at most half of software × organizations (%d)", s.Usages, s.Software*s.Organizations/2)
	case s.Registrations > 0 && s.Events < 2:
		return fmt.Errorf("registrations need at least 2 events (the first is the burst's)")
	}
	return nil
}

// Login is the local account the scenarios that need a member log in
// with; it is an active member of every collective.
const (
	LoginEmail    = "banc@bench.example"
	LoginPassword = "banc d'essai : une phrase de passe assez longue"
)

// Dataset is what the scenarios need to know of the generated data.
type Dataset struct {
	Size        Size
	Collectives []string // slugs, the first one the largest
	Resources   []ResourceRef
	Topics      []string // paths of topic pages
	// Software and Events are IDs of catalog entries and events; empty
	// until the dataset generates them.
	Software []string
	Events   []string
	// BurstEvent is the event of the registration burst: published, 500
	// places, registration open, nobody registered.
	BurstEvent string
	// FanGroup is the path of the group the remote followers follow;
	// Followers how many, on FanHosts sink hosts.
	FanGroup  string
	Followers int
	FanHosts  int
}

// ResourceRef names one resource.
type ResourceRef struct{ Collective, ID string }

// base is the clock of the generated data: everything happened in the
// three years before it, so two runs with one seed write the same rows.
var base = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// gen draws every value from one seeded source, IDs included.
type gen struct {
	rng  *rand.Rand
	ids  io.Reader
	text *searchtest.Generator
	md   *markdown.Renderer
}

func newGen(seed uint64) *gen {
	return &gen{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		ids:  rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), 'b', 'e', 'n', 'c', 'h'}),
		text: searchtest.NewGenerator(seed),
		md:   markdown.New(),
	}
}

// doc draws generated French text until it has one of the types given
// (resource, topic, …), so that titles read as their kind.
func (g *gen) doc(types ...string) search.Document {
	for {
		d := g.text.Next()
		for _, t := range types {
			if d.Type == t {
				return d
			}
		}
	}
}

// id is a ULID stamped at t, as model.NewID makes them, from the seeded source.
func (g *gen) id(t time.Time) string { return ulid.MustNew(ulid.Timestamp(t), g.ids).String() }

// ago is a moment within the three years before base.
func (g *gen) ago() time.Time {
	return base.Add(-time.Duration(g.rng.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Microsecond)
}

func pick[T any](g *gen, list []T) T { return list[g.rng.IntN(len(list))] }

var (
	regionCodes = []string{"84", "11", "53", "76", "44", "75", "52", "28", "32", "27", "24", "93", "94", "01", "02", "03", "04", "06"}
	places      = []string{"Grenoble", "Échirolles", "Lorient", "Rennes", "Toulouse", "Montpellier", "Nantes", "Lyon", "Strasbourg",
		"Lille", "Besançon", "Poitiers", "Limoges", "Brest", "Quimper", "Vannes", "Saint-Brieuc", "Annecy", "Chambéry", "Valence",
		"Voiron", "Villeurbanne", "Vénissieux", "Arles", "Nîmes", "Albi", "Rodez", "Pau", "Bayonne", "Angers", "Tours", "Orléans"}
	firstNames = []string{"Claire", "Yann", "Sophie", "Karim", "Nadia", "Julien", "Marie", "Thomas", "Léa", "Hugo", "Inès", "Paul", "Awa", "Mathis", "Chloé", "Rémi"}
	lastNames  = []string{"Martin", "Le Goff", "Bernard", "Dubois", "Moreau", "Lefebvre", "Garcia", "Roux", "Fournier", "Morel", "Diallo", "Nguyen", "Petit", "Robert"}
	titles     = []string{"DSI", "responsable informatique", "chargée de mission numérique", "administrateur systèmes", "cheffe de projet", "directeur général des services", "technicien réseau"}
	skills     = []string{"migration LibreOffice", "PostgreSQL", "marchés publics", "RGPD", "sécurité", "Linux", "accessibilité", "cartographie"}
	tools      = []string{"Nextcloud", "LibreOffice", "BigBlueButton", "QGIS", "GLPI", "Thunderbird", "SOGo", "PeerTube", "Moodle", "Jitsi"}
	groupNames = []string{"Messagerie", "Postes de travail", "Visioconférence", "Marchés publics", "Cartographie", "Sécurité", "Open data",
		"Écoles", "Accessibilité", "Téléphonie", "Sauvegardes", "Gestion documentaire", "Site internet", "Participation citoyenne"}
	orgKinds = []model.OrgKind{model.OrgCommune, model.OrgCommune, model.OrgCommune, model.OrgCommune, model.OrgEPCI, model.OrgEPCI,
		model.OrgDepartement, model.OrgRegion, model.OrgState, model.OrgAssociation, model.OrgCompany}
)

// Generate fills an empty, migrated database with a dataset drawn from
// seed: the same seed and size give the same rows. Rows go in by the
// thousand in one transaction per table, through bun and the model types,
// so they are what the domain code writes and reads; the search index is
// not touched (run reindex afterwards).
func Generate(ctx context.Context, db *store.DB, size Size, seed uint64, remote Remote, progress func(string)) (*Dataset, error) {
	if err := size.check(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(string) {}
	}
	g := newGen(seed)
	ds := &Dataset{Size: size}

	// Organizations.
	orgs := make([]model.Organization, size.Organizations)
	for i := range orgs {
		k := pick(g, orgKinds)
		t := g.ago()
		o := model.Organization{ID: g.id(t), Kind: k, Region: pick(g, regionCodes), Population: 500 + g.rng.IntN(200000), CreatedAt: t, UpdatedAt: t}
		place := fmt.Sprintf("%s %d", pick(g, places), i+1)
		switch k {
		case model.OrgCommune:
			o.Name, o.InseeCode = place, fmt.Sprintf("%05d", 10000+i)
			o.Departement = fmt.Sprintf("%02d", 1+g.rng.IntN(95))
		case model.OrgDepartement:
			o.Name, o.InseeCode = "Département "+place, fmt.Sprintf("D%04d", i)
		case model.OrgRegion:
			o.Name, o.InseeCode = "Région "+place, fmt.Sprintf("R%04d", i)
		case model.OrgEPCI:
			o.Name = "Communauté de communes de " + place
		case model.OrgState:
			o.Name = "Agence numérique " + place
		case model.OrgAssociation:
			o.Name = "Association des usagers du libre de " + place
		default:
			o.Name = "Société de services " + place
		}
		if k.IsCollectivity() {
			o.SIREN = fmt.Sprintf("2%08d", i)
		}
		o.NameNorm = territory.Normalize(o.Name)
		orgs[i] = o
	}
	progress("organizations")

	// Accounts: the members, then the login account. Members have no
	// password (they would log in with OpenID Connect); only the login
	// account has one, hashed once.
	hash, err := password.Hash(LoginPassword, password.Default)
	if err != nil {
		return nil, err
	}
	accounts := make([]model.Account, size.Members+1)
	var tags []accountTag
	for i := range accounts {
		t := g.ago()
		a := model.Account{ID: g.id(t), Email: fmt.Sprintf("membre%05d@bench.example", i), Name: pick(g, firstNames) + " " + pick(g, lastNames),
			Title: pick(g, titles), OrganizationID: orgs[g.rng.IntN(len(orgs))].ID, OrgSource: "manual", ShowInDir: true,
			ShowEmail: g.rng.IntN(3) == 0, CreatedAt: t, UpdatedAt: t}
		if i == size.Members {
			a.Email, a.Name, a.PasswordHash = LoginEmail, "Banc d'essai", hash
		}
		accounts[i] = a
		seen := map[string]bool{}
		for range g.rng.IntN(4) {
			tg := accountTag{AccountID: a.ID, Kind: "tool", Value: pick(g, tools)}
			if g.rng.IntN(3) == 0 {
				tg.Kind, tg.Value = "skill", pick(g, skills)
			}
			tg.Norm = territory.Normalize(tg.Value)
			if !seen[tg.Kind+tg.Norm] {
				seen[tg.Kind+tg.Norm] = true
				tags = append(tags, tg)
			}
		}
	}
	login := accounts[size.Members]
	progress("accounts")

	// Collectives: the first national, the others regional.
	cols := make([]model.Collective, size.Collectives)
	for i := range cols {
		t := base.Add(-3 * 365 * 24 * time.Hour).Add(time.Duration(i) * time.Hour)
		c := model.Collective{ID: g.id(t), Slug: fmt.Sprintf("collectif-%d", i+1), Scope: model.ScopeRegional, Region: pick(g, regionCodes), CreatedAt: t, UpdatedAt: t}
		c.Name = "Collectif régional du libre " + places[i%len(places)]
		c.Summary = "Les DSI des collectivités de la région partagent leurs retours d'expérience sur le logiciel libre."
		if i == 0 {
			c.Slug, c.Name, c.Scope, c.Region = "national", "Collectif national des collectivités libres", model.ScopeNational, ""
			c.Summary = "Le réseau national des responsables informatiques des collectivités engagées dans le logiciel libre."
		}
		cols[i] = c
		ds.Collectives = append(ds.Collectives, c.Slug)
	}

	// Memberships: every member in the national collective (the first),
	// one in two also in a regional one; a few requests are pending.
	var members []model.Membership
	byCol := make([][]int, len(cols)) // account indexes of active members
	roles := []model.Role{model.RoleOwner, model.RoleAdmin, model.RoleModerator}
	addMember := func(ci, ai int, st model.MembershipStatus) {
		t := accounts[ai].CreatedAt.Add(time.Hour)
		role := model.RoleMember
		if n := len(byCol[ci]); n < len(roles) && st == model.StatusActive {
			role = roles[n]
		} else if g.rng.IntN(20) == 0 && ai != size.Members {
			role = model.RolePartner
		}
		members = append(members, model.Membership{ID: g.id(t), CollectiveID: cols[ci].ID, AccountID: accounts[ai].ID, Role: role, Status: st, CreatedAt: t, UpdatedAt: t})
		if st == model.StatusActive {
			byCol[ci] = append(byCol[ci], ai)
		}
	}
	for ai := range size.Members {
		st := model.StatusActive
		if g.rng.IntN(50) == 0 {
			st = model.StatusRequested
		}
		addMember(0, ai, st)
		if len(cols) > 1 && g.rng.IntN(2) == 0 {
			addMember(1+g.rng.IntN(len(cols)-1), ai, model.StatusActive)
		}
	}
	for ci := range cols {
		addMember(ci, size.Members, model.StatusActive)
	}

	// Working groups, spread over the collectives, with members drawn from
	// their collective's.
	groups := make([]model.WorkingGroup, size.Groups)
	groupMembers := make([][]int, size.Groups)
	var gms []model.GroupMembership
	for i := range groups {
		ci := i % len(cols)
		t := cols[ci].CreatedAt.Add(time.Duration(i+1) * 24 * time.Hour)
		wg := model.WorkingGroup{ID: g.id(t), CollectiveID: cols[ci].ID, Slug: fmt.Sprintf("gt-%03d", i+1),
			Name: fmt.Sprintf("%s (%d)", groupNames[i%len(groupNames)], i+1), Summary: "Groupe de travail sur " + strings.ToLower(groupNames[i%len(groupNames)]) + ".",
			JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic, CreatedAt: t, UpdatedAt: t}
		if i%5 == 4 {
			wg.JoinPolicy, wg.Visibility = model.JoinApproval, model.VisibilityMembers
		}
		groups[i] = wg
		pool := byCol[ci]
		seen := map[int]bool{}
		for k := range min(len(pool), 10+g.rng.IntN(30)) {
			ai := pool[g.rng.IntN(len(pool))]
			if seen[ai] {
				continue
			}
			seen[ai] = true
			role := model.RoleMember
			if k == 0 {
				role = model.RoleOwner
			}
			gms = append(gms, model.GroupMembership{ID: g.id(t), GroupID: wg.ID, AccountID: accounts[ai].ID, Role: role, Status: model.StatusActive, CreatedAt: t, UpdatedAt: t})
			groupMembers[i] = append(groupMembers[i], ai)
		}
		if !seen[size.Members] {
			gms = append(gms, model.GroupMembership{ID: g.id(t), GroupID: wg.ID, AccountID: login.ID, Role: model.RoleMember, Status: model.StatusActive, CreatedAt: t, UpdatedAt: t})
		}
	}
	progress("collectives and groups")

	// Posts: one in five opens a topic in a group, the others answer a
	// topic of the same group (a quarter of them answering a reply).
	nTopics := (size.Posts + 4) / 5
	if size.Posts == 0 {
		nTopics = 0
	}
	topics := make([]model.Topic, nTopics)
	topicGroup := make([]int, nTopics)
	for i := range topics {
		gi := g.rng.IntN(len(groups))
		doc := g.doc("topic")
		t := g.ago()
		body := doc.Body
		html, err := g.md.HTML(body)
		if err != nil {
			return nil, err
		}
		topics[i] = model.Topic{ID: g.id(t), GroupID: groups[gi].ID, AuthorID: accounts[authorIn(g, groupMembers[gi], size.Members)].ID,
			Title: trimRunes(doc.Title, 200), Body: body, BodyHTML: string(html), CreatedAt: t, LastActivityAt: t}
		topicGroup[i] = gi
	}
	var replies []model.Reply
	lastOf := make([][]int, nTopics) // reply indexes per topic
	for range max(0, size.Posts-nTopics) {
		ti := g.rng.IntN(nTopics)
		tp := &topics[ti]
		doc := g.text.Next()
		html, err := g.md.HTML(doc.Summary + "\n\n" + doc.Body)
		if err != nil {
			return nil, err
		}
		t := tp.LastActivityAt.Add(time.Duration(1+g.rng.IntN(72*60)) * time.Minute)
		r := model.Reply{ID: g.id(t), TopicID: tp.ID, AuthorID: accounts[authorIn(g, groupMembers[topicGroup[ti]], size.Members)].ID,
			Body: doc.Summary + "\n\n" + doc.Body, BodyHTML: string(html), CreatedAt: t}
		if prev := lastOf[ti]; len(prev) > 0 && g.rng.IntN(4) == 0 {
			p := replies[prev[g.rng.IntN(len(prev))]]
			if p.Depth < 3 {
				r.ParentID, r.Depth = p.ID, p.Depth+1
			}
		}
		lastOf[ti] = append(lastOf[ti], len(replies))
		replies = append(replies, r)
		tp.Replies++
		tp.LastActivityAt = t
	}
	for i, tp := range topics {
		// Pages a visitor may see: topics of public groups.
		if wg := groups[topicGroup[i]]; wg.Visibility == model.VisibilityPublic && len(ds.Topics) < 1000 {
			ds.Topics = append(ds.Topics, fmt.Sprintf("/c/%s/g/%s/t/%s", slugOf(cols, wg.CollectiveID), wg.Slug, tp.ID))
		}
	}
	progress("posts")

	// Resources: most in the national collective, a third in a group.
	kinds := model.ResourceKinds
	res := make([]model.Resource, size.Resources)
	var rtags []model.ResourceTag
	for i := range res {
		ci := 0
		if len(cols) > 1 && g.rng.IntN(3) == 0 {
			ci = 1 + g.rng.IntN(len(cols)-1)
		}
		doc := g.doc("resource", "event", "usage")
		t := g.ago()
		r := model.Resource{ID: g.id(t), CollectiveID: cols[ci].ID, Title: trimRunes(doc.Title, 200), Summary: trimRunes(doc.Summary, 500),
			Body: "## " + doc.Title + "\n\n" + doc.Body, Kind: pick(g, kinds), Licence: pick(g, model.Licences), CreatedAt: t, UpdatedAt: t}
		pool := byCol[ci]
		if g.rng.IntN(3) == 0 {
			gi := ci + len(cols)*g.rng.IntN(max(1, (len(groups)-ci+len(cols)-1)/len(cols)))
			if gi < len(groups) {
				r.GroupID = groups[gi].ID
				pool = groupMembers[gi]
			}
		}
		r.AuthorID = accounts[authorIn(g, pool, size.Members)].ID
		if r.Kind == model.KindLink || r.Kind == model.KindVideo {
			r.Link = fmt.Sprintf("https://exemple.gouv.fr/ressources/%d", i)
		}
		res[i] = r
		norm, err := resource.NormalizeTags(doc.Tags)
		if err != nil {
			return nil, err
		}
		for _, tg := range norm {
			rtags = append(rtags, model.ResourceTag{ResourceID: r.ID, Tag: tg})
		}
		if i < 1000 && r.GroupID == "" {
			ds.Resources = append(ds.Resources, ResourceRef{Collective: cols[ci].Slug, ID: r.ID})
		}
	}
	progress("resources")

	sw, swCats, swRepl, usages := catalogRows(g, size, orgs, accounts)
	for _, s := range sw {
		ds.Software = append(ds.Software, s.ID)
	}
	progress("catalog")
	evs, err := eventData(g, size, cols, orgs, login.ID)
	if err != nil {
		return nil, err
	}
	for i, e := range evs.events {
		if i == 0 {
			ds.BurstEvent = e.ID
		} else {
			ds.Events = append(ds.Events, e.ID)
		}
	}
	progress("events")
	ras, fols, err := followers(g, size, remote, cols[0].Slug)
	if err != nil {
		return nil, err
	}
	if len(fols) > 0 {
		ds.FanGroup, ds.Followers, ds.FanHosts = "/c/"+cols[0].Slug+"/g/"+FanGroup, len(fols), min(len(fols), len(remote.Sinks))
	}

	// Rows in key order fill the B-trees from one end instead of
	// splitting pages all over them; on SQLite a large page cache for the
	// writer's one connection keeps the indexes in memory while loading.
	slices.SortFunc(res, func(a, b model.Resource) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(rtags, func(a, b model.ResourceTag) int { return strings.Compare(a.ResourceID+a.Tag, b.ResourceID+b.Tag) })
	if db.Engine() == store.SQLite {
		if _, err := db.W.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
			return nil, err
		}
		defer db.W.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000")
	}
	err = db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		steps := []struct {
			name string
			fn   func() error
		}{
			{"organizations", func() error { return insert(ctx, tx, orgs) }},
			{"accounts", func() error { return insert(ctx, tx, accounts) }},
			{"account tags", func() error { return insert(ctx, tx, tags) }},
			{"collectives", func() error { return insert(ctx, tx, cols) }},
			{"memberships", func() error { return insert(ctx, tx, members) }},
			{"working groups", func() error { return insert(ctx, tx, groups) }},
			{"group memberships", func() error { return insert(ctx, tx, gms) }},
			{"topics", func() error { return insert(ctx, tx, topics) }},
			{"replies", func() error { return insertReplies(ctx, tx, replies) }},
			{"resources", func() error { return insert(ctx, tx, res) }},
			{"resource tags", func() error { return insert(ctx, tx, rtags) }},
			{"software", func() error { return insert(ctx, tx, sw) }},
			{"software categories", func() error { return insert(ctx, tx, swCats) }},
			{"software replacements", func() error { return insert(ctx, tx, swRepl) }},
			{"usage declarations", func() error { return insert(ctx, tx, usages) }},
			{"events", func() error { return insert(ctx, tx, evs.events) }},
			{"event tracks", func() error { return insert(ctx, tx, evs.tracks) }},
			{"event rooms", func() error { return insert(ctx, tx, evs.rooms) }},
			{"event speakers", func() error { return insert(ctx, tx, evs.speakers) }},
			{"event sessions", func() error { return insert(ctx, tx, evs.sessions) }},
			{"session speakers", func() error { return insert(ctx, tx, evs.links) }},
			{"registrations", func() error { return insert(ctx, tx, evs.regs) }},
			{"remote actors", func() error { return insert(ctx, tx, ras) }},
			{"followers", func() error { return insert(ctx, tx, fols) }},
		}
		for _, s := range steps {
			if err := s.fn(); err != nil {
				return fmt.Errorf("insert %s: %w", s.name, err)
			}
			progress("inserted " + s.name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// accountTag is a row of account_tags, which has no model type: the
// account package writes it with plain SQL.
type accountTag struct {
	bun.BaseModel `bun:"table:account_tags"`

	AccountID string `bun:"account_id,pk"`
	Kind      string `bun:"kind,pk"`
	Value     string `bun:"value"`
	Norm      string `bun:"norm,pk"`
}

// chunk rows per INSERT: well under SQLite's and PostgreSQL's limits on
// bound parameters (32,766 and 65,535) for the widest table.
const chunk = 1000

func insert[T any](ctx context.Context, tx bun.Tx, rows []T) error {
	for i := 0; i < len(rows); i += chunk {
		part := rows[i:min(i+chunk, len(rows))]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// insertReplies writes replies parents first: the parent reference is
// checked at each insert.
func insertReplies(ctx context.Context, tx bun.Tx, rows []model.Reply) error {
	for depth := 0; depth <= 3; depth++ {
		var level []model.Reply
		for _, r := range rows {
			if r.Depth == depth {
				level = append(level, r)
			}
		}
		if err := insert(ctx, tx, level); err != nil {
			return err
		}
	}
	return nil
}

// authorIn picks an author among pool, or the login account when the pool
// is empty.
func authorIn(g *gen, pool []int, fallback int) int {
	if len(pool) == 0 {
		return fallback
	}
	return pool[g.rng.IntN(len(pool))]
}

func slugOf(cols []model.Collective, id string) string {
	for _, c := range cols {
		if c.ID == id {
			return c.Slug
		}
	}
	return ""
}

func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
