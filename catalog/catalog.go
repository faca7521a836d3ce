package catalog

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/jobs"
	"collectif/markdown"
	"collectif/model"
	"collectif/store"
	"collectif/territory"
)

// Deps are what the service needs.
type Deps struct {
	DB *store.DB
	// Territory names régions; nil: codes are shown.
	Territory *territory.Index
	Markdown  *markdown.Renderer
	// Queue receives the search index jobs; nil: nothing is indexed.
	Queue  *jobs.Queue
	Logger *slog.Logger
}

// Service runs catalog actions.
type Service struct {
	db    *store.DB
	ref   *territory.Index
	md    *markdown.Renderer
	queue *jobs.Queue
	log   *slog.Logger
	now   func() time.Time
}

// New returns the catalog service.
func New(d Deps) *Service {
	if d.Markdown == nil {
		d.Markdown = markdown.New()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d.DB, ref: d.Territory, md: d.Markdown, queue: d.Queue, log: d.Logger, now: time.Now}
}

// RegionName names a région code.
func (s *Service) RegionName(code string) string {
	if s.ref != nil {
		if n := s.ref.RegionName(code); n != "" {
			return n
		}
	}
	return code
}

// Item is a software as lists show it, with its network figures.
type Item struct {
	model.Software
	Users      int      `bun:"users"`      // organizations that declare it
	Agents     int64    `bun:"agents"`     // sum of declared scopes
	Savings    int64    `bun:"savings"`    // sum of declared yearly savings, €
	LastUsedAt string   `bun:"last_usage"` // raw, for ordering only
	Categories []string `bun:"-"`
	Replaces   []string `bun:"-"`
}

// visible is the condition of a usage row u counted in figures and lists.
const visible = "u.hidden = FALSE"

func (s *Service) itemQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("software AS s").ColumnExpr("s.*").
		ColumnExpr("(SELECT count(DISTINCT u.organization_id) FROM software_usages u WHERE u.software_id = s.id AND " + visible + ") AS users").
		ColumnExpr("(SELECT COALESCE(sum(u.scope), 0) FROM software_usages u WHERE u.software_id = s.id AND " + visible + ") AS agents").
		ColumnExpr("(SELECT COALESCE(sum(u.savings_eur), 0) FROM software_usages u WHERE u.software_id = s.id AND " + visible + ") AS savings")
}

var errNotFound = &fault.Error{Kind: fault.NotFound, Message: "logiciel introuvable"}

func notFound(op string) error {
	e := *errNotFound
	e.Op = op
	return &e
}

// loadFacets fills the categories and replaced products of items.
func (s *Service) loadFacets(ctx context.Context, db bun.IDB, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	at := map[string]int{}
	for i, it := range items {
		ids[i], at[it.ID] = it.ID, i
	}
	var cats []model.SoftwareCategory
	if err := db.NewSelect().Model(&cats).Where("software_id IN (?)", bun.List(ids)).OrderExpr("category").Scan(ctx); err != nil {
		return err
	}
	for _, c := range cats {
		items[at[c.SoftwareID]].Categories = append(items[at[c.SoftwareID]].Categories, c.Category)
	}
	var reps []model.SoftwareReplace
	if err := db.NewSelect().Model(&reps).Where("software_id IN (?)", bun.List(ids)).OrderExpr("product_norm").Scan(ctx); err != nil {
		return err
	}
	for _, r := range reps {
		items[at[r.SoftwareID]].Replaces = append(items[at[r.SoftwareID]].Replaces, r.Product)
	}
	return nil
}

// Sort orders.
const (
	SortUsed   = "used"   // most used first
	SortRecent = "recent" // most recently declared or added first
	SortName   = "name"
)

// Filter selects software in the catalog.
type Filter struct {
	Q          string // name or replaced product ("Canva" finds Polotno)
	Category   string
	Region     string // INSEE code: used by an organization of this région
	Size       string // a SizeBand ID: used by an organization of this size
	HasContact bool   // some user accepts questions
	Sort       string // SortUsed (default), SortRecent, SortName
	Page       int    // 1-based
	Limit      int    // 1 to 100; 0: 24
}

// Viewer is what the catalog knows of the person looking at it, to offer
// "my région" and "my size".
type Viewer struct {
	OrganizationID   string
	OrganizationName string
	Region           string
	RegionName       string
	Size             string
}

// ListPage is one page of the catalog.
type ListPage struct {
	Items   []Item
	Total   int
	Page    int
	Pages   int
	Viewer  Viewer
	Network Figures
}

// Figures are the network's figures, computed from the visible declarations.
type Figures struct {
	Organizations int   `bun:"organizations" json:"organizations"`
	Declarations  int   `bun:"declarations" json:"declarations"`
	Software      int   `bun:"software" json:"software_used"`
	Savings       int64 `bun:"savings" json:"declared_yearly_savings_eur"`
	Entries       int   `bun:"-" json:"software_entries"`
}

// NetworkFigures returns the figures of the whole hub.
func (s *Service) NetworkFigures(ctx context.Context) (Figures, error) {
	var f Figures
	err := s.db.R.NewSelect().TableExpr("software_usages AS u").
		ColumnExpr("count(DISTINCT u.organization_id) AS organizations, count(*) AS declarations, count(DISTINCT u.software_id) AS software, COALESCE(sum(u.savings_eur), 0) AS savings").
		Where(visible).Scan(ctx, &f)
	if err != nil {
		return f, fault.Wrap("catalog.NetworkFigures", err)
	}
	n, err := s.db.R.NewSelect().Model((*model.Software)(nil)).Count(ctx)
	f.Entries = int(n)
	return f, err
}

// viewer returns p's organization, if any.
func (s *Service) viewer(ctx context.Context, p access.Principal) (Viewer, error) {
	var v Viewer
	if p.AccountID == "" {
		return v, nil
	}
	var o model.Organization
	err := s.db.R.NewSelect().Model(&o).ModelTableExpr("organizations AS o").ColumnExpr("o.*").
		Join("JOIN accounts AS a ON a.organization_id = o.id").Where("a.id = ?", p.AccountID).Scan(ctx)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	return Viewer{OrganizationID: o.ID, OrganizationName: o.Name, Region: o.Region, RegionName: s.RegionName(o.Region), Size: BandOf(o.Population)}, nil
}

// likeEscape escapes a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// List returns a page of the catalog.
func (s *Service) List(ctx context.Context, p access.Principal, f Filter) (*ListPage, error) {
	const op = "catalog.List"
	if f.Limit < 0 || f.Limit > 100 {
		return nil, fault.Wrap(op, fault.Field("limit", "limit doit être compris entre 1 et 100"))
	}
	if f.Limit == 0 {
		f.Limit = 24
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.Page > 10000 {
		return nil, fault.Wrap(op, fault.Field("page", "page trop lointaine"))
	}
	if f.Category != "" && !validCategory(f.Category) {
		return nil, fault.Wrap(op, fault.Field("category", "catégorie inconnue %q", f.Category))
	}
	var sb SizeBand
	if f.Size != "" {
		var ok bool
		if sb, ok = band(f.Size); !ok {
			return nil, fault.Wrap(op, fault.Field("size", "taille inconnue %q : small, medium, large ou xlarge", f.Size))
		}
	}
	if len(f.Region) > 3 {
		return nil, fault.Wrap(op, fault.Field("region", "code de région invalide"))
	}
	switch f.Sort {
	case "":
		f.Sort = SortUsed
	case SortUsed, SortRecent, SortName:
	default:
		return nil, fault.Wrap(op, fault.Field("sort", "tri inconnu %q : used, recent ou name", f.Sort))
	}
	q := strings.TrimSpace(f.Q)
	if len(q) > 200 {
		return nil, fault.Wrap(op, fault.Field("q", "recherche trop longue"))
	}
	pg := &ListPage{Page: f.Page}
	var err error
	if pg.Viewer, err = s.viewer(ctx, p); err != nil {
		return nil, fault.Wrap(op, err)
	}
	filter := func(sq *bun.SelectQuery) *bun.SelectQuery {
		if q != "" {
			like := "%" + likeEscape(territory.Normalize(q)) + "%"
			sq = sq.Where(`(s.name_norm LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM software_replaces r WHERE r.software_id = s.id AND r.product_norm LIKE ? ESCAPE '\'))`, like, like)
		}
		if f.Category != "" {
			sq = sq.Where("EXISTS (SELECT 1 FROM software_categories c WHERE c.software_id = s.id AND c.category = ?)", f.Category)
		}
		if f.Region != "" || f.Size != "" || f.HasContact {
			cond := []string{"u.software_id = s.id", visible}
			var args []any
			if f.Region != "" {
				cond, args = append(cond, "o.region = ?"), append(args, f.Region)
			}
			if f.Size != "" {
				cond, args = append(cond, "o.population >= ?"), append(args, max(sb.Min, 1))
				if sb.Max > 0 {
					cond, args = append(cond, "o.population <= ?"), append(args, sb.Max)
				}
			}
			if f.HasContact {
				cond = append(cond, "u.contact_id IS NOT NULL")
			}
			sq = sq.Where("EXISTS (SELECT 1 FROM software_usages u JOIN organizations o ON o.id = u.organization_id WHERE "+strings.Join(cond, " AND ")+")", args...)
		}
		return sq
	}
	n, err := filter(s.db.R.NewSelect().TableExpr("software AS s")).Count(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	pg.Total = int(n)
	pg.Pages = (pg.Total + f.Limit - 1) / f.Limit
	sq := filter(s.itemQuery(s.db.R))
	switch f.Sort {
	case SortUsed:
		sq = sq.OrderExpr("users DESC, s.name_norm, s.id")
	case SortRecent:
		sq = sq.ColumnExpr("COALESCE((SELECT max(u.created_at) FROM software_usages u WHERE u.software_id = s.id AND " + visible + "), s.created_at) AS last_usage").
			OrderExpr("last_usage DESC, s.name_norm, s.id")
	case SortName:
		sq = sq.OrderExpr("s.name_norm, s.id")
	}
	if err := sq.Limit(int64(f.Limit)).Offset(int64((f.Page-1)*f.Limit)).Scan(ctx, &pg.Items); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if err := s.loadFacets(ctx, s.db.R, pg.Items); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if pg.Network, err = s.NetworkFigures(ctx); err != nil {
		return nil, err
	}
	return pg, nil
}

// Replacing returns the software that replace a proprietary product,
// most used first ("Canva" → Polotno Studio).
func (s *Service) Replacing(ctx context.Context, product string) ([]Item, error) {
	const op = "catalog.Replacing"
	norm := territory.Normalize(strings.TrimSpace(product))
	if norm == "" {
		return nil, fault.Wrap(op, fault.Field("product", "indiquez un produit"))
	}
	var items []Item
	err := s.itemQuery(s.db.R).Where("EXISTS (SELECT 1 FROM software_replaces r WHERE r.software_id = s.id AND r.product_norm = ?)", norm).
		OrderExpr("users DESC, s.name_norm").Scan(ctx, &items)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return items, fault.Wrap(op, s.loadFacets(ctx, s.db.R, items))
}

// find resolves a software ID or slug.
func (s *Service) find(ctx context.Context, db bun.IDB, ref string) (*Item, error) {
	if !model.ValidID(ref) && !slugRE.MatchString(ref) {
		return nil, store.ErrNotFound
	}
	var items []Item
	if err := s.itemQuery(db).Where("s.id = ? OR s.slug = ?", ref, ref).Limit(1).Scan(ctx, &items); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, store.ErrNotFound
	}
	if err := s.loadFacets(ctx, db, items); err != nil {
		return nil, err
	}
	return &items[0], nil
}

// RegionCount is how many organizations of a région use a software.
type RegionCount struct {
	Region string `bun:"region"`
	Name   string `bun:"-"`
	Count  int    `bun:"n"`
}

// ProviderItem is a provider as the software page shows it.
type ProviderItem struct {
	model.Provider
}

// RelatedResource is a resource of the hub about a software.
type RelatedResource struct {
	ID             string `bun:"id"`
	Title          string `bun:"title"`
	CollectiveSlug string `bun:"collective_slug"`
}

// RelatedGroup is a public working group whose name or summary names the software.
type RelatedGroup struct {
	Slug           string `bun:"slug"`
	Name           string `bun:"name"`
	CollectiveSlug string `bun:"collective_slug"`
	CollectiveName string `bun:"collective_name"`
}

// View is the software page.
type View struct {
	Item
	DescriptionHTML template.HTML
	Usages          []UsageItem
	ByRegion        []RegionCount
	Providers       []model.Provider
	Instances       []model.PooledInstance
	Resources       []RelatedResource
	Groups          []RelatedGroup
	// Mine is the declaration of the viewer's organization, nil if none.
	Mine *UsageItem
	// CanDeclare: the viewer has an organization and may declare for it.
	CanDeclare bool
	Viewer     Viewer
}

// Get returns the software page for p.
func (s *Service) Get(ctx context.Context, p access.Principal, ref string) (*View, error) {
	const op = "catalog.Get"
	it, err := s.find(ctx, s.db.R, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(op)
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	v := &View{Item: *it}
	if v.DescriptionHTML, err = s.md.HTML(it.Description); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if v.Usages, err = s.usages(ctx, p, "u.software_id = ?", it.ID); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if err := s.db.R.NewSelect().TableExpr("software_usages AS u").Join("JOIN organizations AS o ON o.id = u.organization_id").
		ColumnExpr("COALESCE(o.region, '') AS region, count(DISTINCT u.organization_id) AS n").
		Where("u.software_id = ? AND "+visible, it.ID).GroupExpr("COALESCE(o.region, '')").OrderExpr("n DESC, region").Scan(ctx, &v.ByRegion); err != nil {
		return nil, fault.Wrap(op, err)
	}
	for i := range v.ByRegion {
		v.ByRegion[i].Name = s.RegionName(v.ByRegion[i].Region)
		if v.ByRegion[i].Region == "" {
			v.ByRegion[i].Name = "hors région"
		}
	}
	if err := s.db.R.NewSelect().Model(&v.Providers).ModelTableExpr("providers AS p").ColumnExpr("p.*").
		Join("JOIN provider_software AS ps ON ps.provider_id = p.id").Where("ps.software_id = ?", it.ID).OrderExpr("p.name").Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if err := s.db.R.NewSelect().Model(&v.Instances).Where("software_id = ?", it.ID).OrderExpr("operator").Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	// Related content the public may see: resources of the collectives
	// themselves or of public groups, tagged with the software's slug or
	// about it by reference; public working groups that name it.
	name := likeEscape(strings.ToLower(it.Name))
	if err := s.db.R.NewSelect().TableExpr("resources AS r").Join("JOIN collectives AS c ON c.id = r.collective_id").
		Join("LEFT JOIN working_groups AS g ON g.id = r.group_id").
		ColumnExpr("r.id, r.title, c.slug AS collective_slug").
		Where("(r.group_id IS NULL OR g.visibility = ?)", model.VisibilityPublic).
		// The few resources about the software are looked up through
		// their indexes first (resources_software, resource_tags_tag),
		// then sorted: walking every resource newest first until ten
		// match read the whole table for most entries.
		Where("r.id IN (SELECT r2.id FROM resources AS r2 WHERE r2.software_id = ? UNION SELECT t.resource_id FROM resource_tags AS t WHERE t.tag IN (?, ?))", it.ID, it.Slug, strings.ToLower(it.Name)).
		OrderExpr("r.created_at DESC").Limit(10).Scan(ctx, &v.Resources); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if err := s.db.R.NewSelect().TableExpr("working_groups AS g").Join("JOIN collectives AS c ON c.id = g.collective_id").
		ColumnExpr("g.slug, g.name, c.slug AS collective_slug, c.name AS collective_name").
		Where("g.visibility = ?", model.VisibilityPublic).
		Where(`(lower(g.name) LIKE ? ESCAPE '\' OR lower(g.summary) LIKE ? ESCAPE '\')`, "%"+name+"%", "%"+name+"%").
		OrderExpr("c.slug, g.name").Limit(10).Scan(ctx, &v.Groups); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if v.Viewer, err = s.viewer(ctx, p); err != nil {
		return nil, fault.Wrap(op, err)
	}
	v.CanDeclare = v.Viewer.OrganizationID != "" && access.Can(p, access.DeclareUsage, access.Subject{OwnOrganization: true})
	for i := range v.Usages {
		if v.Usages[i].OrganizationID == v.Viewer.OrganizationID && v.Usages[i].RemoteID == "" {
			v.Mine = &v.Usages[i]
		}
	}
	return v, nil
}
