package resource

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/collective"
	"collectif/cursor"
	"collectif/fault"
	"collectif/jobs"
	"collectif/markdown"
	"collectif/model"
	"collectif/resource/internal/pdftext"
	"collectif/store"
)

// Default limits of attachments.
const (
	DefaultMaxFileSize = 20 << 20 // bytes per file
	DefaultMaxFiles    = 5        // files per resource
)

// Deps are what the service needs.
type Deps struct {
	DB *store.DB
	// Dir is the uploads directory (the hub's <data dir>/uploads); the
	// service keeps its files in its resources/ sub-directory.
	Dir string
	// Markdown renders bodies; nil: a renderer of its own.
	Markdown *markdown.Renderer
	// MaxFileSize bounds one attachment (default DefaultMaxFileSize).
	MaxFileSize int64
	// MaxFiles bounds the attachments of one resource (default DefaultMaxFiles).
	MaxFiles int
	// Queue receives the search index jobs, enqueued with each change;
	// nil: nothing is indexed.
	Queue  *jobs.Queue
	Logger *slog.Logger
}

// Service runs resource actions.
type Service struct {
	db       *store.DB
	root     string // <uploads>/resources
	md       *markdown.Renderer
	maxSize  int64
	maxFiles int
	queue    *jobs.Queue
	log      *slog.Logger
	now      func() time.Time
	pdf      *pdftext.Extractor
}

// New returns the resource service.
func New(d Deps) *Service {
	if d.Markdown == nil {
		d.Markdown = markdown.New()
	}
	if d.MaxFileSize <= 0 {
		d.MaxFileSize = DefaultMaxFileSize
	}
	if d.MaxFiles <= 0 {
		d.MaxFiles = DefaultMaxFiles
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d.DB, root: filepath.Join(d.Dir, "resources"), md: d.Markdown, maxSize: d.MaxFileSize,
		maxFiles: d.MaxFiles, queue: d.Queue, log: d.Logger, now: time.Now, pdf: pdftext.New(pdftext.DefaultLimits())}
}

// MaxFileSize is the largest attachment accepted, in bytes.
func (s *Service) MaxFileSize() int64 { return s.maxSize }

// MaxFiles is the largest number of attachments of one resource.
func (s *Service) MaxFiles() int { return s.maxFiles }

// UploadBodyLimit is the request body size the HTTP server must accept for
// an upload: one file at the size limit plus the form's other fields.
func (s *Service) UploadBodyLimit() int { return int(s.maxSize) + 1<<20 }

// Item is a resource as lists show it.
type Item struct {
	model.Resource
	CollectiveSlug string `bun:"collective_slug"`
	CollectiveName string `bun:"collective_name"`
	GroupSlug      string `bun:"group_slug"`
	GroupName      string `bun:"group_name"`
	AuthorName     string `bun:"author_name"`
	Attachments    int    `bun:"attachment_count"`
	Tags           []string
}

// View is a resource as its page shows it to a principal.
type View struct {
	Item
	BodyHTML  template.HTML
	Files     []model.Attachment
	CanEdit   bool // change its fields and attachments
	CanDelete bool
}

var errNotFound = &fault.Error{Kind: fault.NotFound, Message: "ressource introuvable"}

func notFound(op string) error {
	e := *errNotFound
	e.Op = op
	return &e
}

// itemQuery selects resources with what lists show of them.
func (s *Service) itemQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("resources AS r").
		ColumnExpr("r.*").
		ColumnExpr("c.slug AS collective_slug, c.name AS collective_name").
		ColumnExpr("COALESCE(g.slug, '') AS group_slug, COALESCE(g.name, '') AS group_name").
		ColumnExpr("COALESCE(a.name, '') AS author_name").
		ColumnExpr("(SELECT count(*) FROM resource_attachments x WHERE x.resource_id = r.id) AS attachment_count").
		Join("JOIN collectives AS c ON c.id = r.collective_id").
		Join("LEFT JOIN working_groups AS g ON g.id = r.group_id").
		Join("LEFT JOIN accounts AS a ON a.id = r.author_id")
}

// visibleTo restricts q to the rows whose working group p may see: the SQL
// form of access.Can(p, ViewGroup, …), which Get uses and the tests compare
// with it. group, coll and vis name the columns of the group's ID (NULL: no
// group, visible with the collective), its collective and its visibility.
func visibleTo(q *bun.SelectQuery, p access.Principal, group, coll, vis string) *bun.SelectQuery {
	if p.IsAdmin() {
		return q
	}
	if p.IsAnonymous() {
		return q.Where("("+group+" IS NULL OR "+vis+" = ?)", model.VisibilityPublic)
	}
	// A banned member sees what a visitor sees; a group member or a
	// moderator of the collective sees the group's content.
	return q.Where("("+group+" IS NULL OR "+vis+" = ? OR ("+
		"NOT EXISTS (SELECT 1 FROM memberships vb WHERE vb.collective_id = "+coll+" AND vb.account_id = ? AND vb.status = ?) AND ("+
		"EXISTS (SELECT 1 FROM group_memberships vg WHERE vg.group_id = "+group+" AND vg.account_id = ? AND vg.status = ?) OR "+
		"EXISTS (SELECT 1 FROM memberships vm WHERE vm.collective_id = "+coll+" AND vm.account_id = ? AND vm.status = ? AND vm.role IN (?)))))",
		model.VisibilityPublic, p.AccountID, model.StatusBanned, p.AccountID, model.StatusActive,
		p.AccountID, model.StatusActive, bun.List([]model.Role{model.RoleOwner, model.RoleAdmin, model.RoleModerator}))
}

// loadTags fills the tags of items in one query.
func (s *Service) loadTags(ctx context.Context, db bun.IDB, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	at := make(map[string]int, len(items))
	for i, it := range items {
		ids[i], at[it.ID] = it.ID, i
	}
	var tags []model.ResourceTag
	if err := db.NewSelect().Model(&tags).Where("resource_id IN (?)", bun.List(ids)).OrderExpr("tag").Scan(ctx); err != nil {
		return err
	}
	for _, t := range tags {
		items[at[t.ResourceID]].Tags = append(items[at[t.ResourceID]].Tags, t.Tag)
	}
	return nil
}

// standing returns p's subject for r, with Author set.
func standing(ctx context.Context, db bun.IDB, p access.Principal, r *model.Resource) (access.Subject, error) {
	st, err := collective.Standing(ctx, db, p, r.CollectiveID, r.GroupID)
	if err != nil {
		return st, err
	}
	st.Author = p.AccountID != "" && r.AuthorID == p.AccountID
	return st, nil
}

// canSee reports whether p may see a resource with standing st.
func canSee(p access.Principal, st access.Subject) bool {
	return access.Can(p, access.ViewCollective, st) && access.Can(p, access.ViewGroup, st)
}

// Get returns the resource with the ID as p may see it; a resource p may
// not see is not found.
func (s *Service) Get(ctx context.Context, p access.Principal, id string) (*View, error) {
	const op = "resource.Get"
	if !model.ValidID(id) {
		return nil, notFound(op)
	}
	v := &View{}
	if err := s.itemQuery(s.db.R).Where("r.id = ?", id).Scan(ctx, &v.Item); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, notFound(op)
		}
		return nil, fault.Wrap(op, err)
	}
	st, err := standing(ctx, s.db.R, p, &v.Resource)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if !canSee(p, st) {
		return nil, notFound(op)
	}
	v.CanEdit = access.Can(p, access.EditContent, st)
	v.CanDelete = v.CanEdit || access.Can(p, access.ModerateContent, st)
	items := []Item{v.Item}
	if err := s.loadTags(ctx, s.db.R, items); err != nil {
		return nil, fault.Wrap(op, err)
	}
	v.Tags = items[0].Tags
	if err := s.db.R.NewSelect().Model(&v.Files).
		ColumnExpr("a.*, f.size").
		Join("JOIN resource_files AS f ON f.sha256 = a.sha256").
		Where("a.resource_id = ?", id).OrderExpr("a.created_at, a.id").Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if v.BodyHTML, err = s.md.HTML(v.Body); err != nil {
		return nil, fault.Wrap(op, err)
	}
	return v, nil
}

// Filter selects resources in a list. Collective and Group are IDs or
// slugs (a group slug needs its collective); Tag is normalized like tags.
type Filter struct {
	Collective string
	Group      string
	Type       string
	Licence    string
	Tag        string
	Cursor     string // the Next of the previous page
	Limit      int    // 1 to 100; 0: 20
}

// Page is one page of a list.
type Page struct {
	// Collective is the collective of Filter.Collective, nil without it.
	Collective *model.Collective
	// Group is the working group of Filter.Group, nil without it.
	Group *model.WorkingGroup
	// Groups are the collective's working groups p may see, for filters.
	Groups []model.WorkingGroup
	// CanPost: p may share a resource in the collective (or in one of
	// its groups), to offer the form.
	CanPost bool
	Items   []Item
	Next    string // empty on the last page
	Total   int    // every resource matching the filter that p may see
}

// findCollective resolves an ID or a slug.
func findCollective(ctx context.Context, db bun.IDB, ref string) (*model.Collective, error) {
	if !model.ValidID(ref) && !collective.ValidSlug(ref) {
		return nil, store.ErrNotFound
	}
	c := new(model.Collective)
	if err := db.NewSelect().Model(c).Where("id = ? OR slug = ?", ref, ref).Limit(1).Scan(ctx); err != nil {
		return nil, store.NotFound(err)
	}
	return c, nil
}

// findGroup resolves a group ID, or a slug within collectiveID.
func findGroup(ctx context.Context, db bun.IDB, collectiveID, ref string) (*model.WorkingGroup, error) {
	g := new(model.WorkingGroup)
	q := db.NewSelect().Model(g).Limit(1)
	switch {
	case collectiveID != "" && (model.ValidID(ref) || collective.ValidSlug(ref)):
		q = q.Where("collective_id = ? AND (id = ? OR slug = ?)", collectiveID, ref, ref)
	case model.ValidID(ref):
		q = q.Where("id = ?", ref)
	default:
		return nil, store.ErrNotFound
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.NotFound(err)
	}
	return g, nil
}

// List returns a page of the resources p may see, newest first, with
// their Total.
func (s *Service) List(ctx context.Context, p access.Principal, f Filter) (*Page, error) {
	return s.list(ctx, p, f, true)
}

// list is List; without count, Total stays 0 and the page costs only the
// rows it shows (the visibility filter and the keyset follow the index
// resources_collective_created, or resources_created across the hub).
func (s *Service) list(ctx context.Context, p access.Principal, f Filter, count bool) (*Page, error) {
	const op = "resource.List"
	key, err := cursor.Decode(f.Cursor)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if f.Limit < 0 || f.Limit > 100 {
		return nil, fault.Wrap(op, fault.Field("limit", "limit doit être compris entre 1 et 100"))
	}
	limit := cursor.Limit(f.Limit, 20, 100)
	pg := &Page{}
	db := s.db.R
	if f.Collective != "" {
		c, err := findCollective(ctx, db, f.Collective)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &fault.Error{Kind: fault.NotFound, Op: op, Field: "collective", Message: "collectif introuvable"}
		}
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		pg.Collective = c
		if pg.Groups, err = s.visibleGroups(ctx, p, c.ID); err != nil {
			return nil, fault.Wrap(op, err)
		}
		if pg.CanPost, err = s.canPostSomewhere(ctx, p, c.ID, pg.Groups); err != nil {
			return nil, fault.Wrap(op, err)
		}
	}
	if f.Group != "" {
		cid := ""
		if pg.Collective != nil {
			cid = pg.Collective.ID
		}
		g, err := findGroup(ctx, db, cid, f.Group)
		if err == nil {
			var st access.Subject
			if st, err = collective.Standing(ctx, db, p, g.CollectiveID, g.ID); err == nil && !access.Can(p, access.ViewGroup, st) {
				err = store.ErrNotFound // a members-only group is not known to others
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, &fault.Error{Kind: fault.NotFound, Op: op, Field: "group", Message: "groupe de travail introuvable"}
		}
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		pg.Group = g
	}
	if f.Type != "" && !model.ResourceKind(f.Type).Valid() {
		return nil, fault.Wrap(op, fault.Field("type", "type de ressource inconnu %q : choisissez parmi %s", f.Type, kindIDs()))
	}
	if f.Licence != "" && !model.ValidLicence(f.Licence) {
		return nil, fault.Wrap(op, fault.Field("licence", "licence inconnue %q : choisissez parmi %s", f.Licence, licenceIDs()))
	}
	tag := ""
	if f.Tag != "" {
		tags, err := NormalizeTags([]string{f.Tag})
		if err != nil || len(tags) != 1 {
			return nil, fault.Wrap(op, fault.Field("tag", "mot-clé invalide"))
		}
		tag = tags[0]
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		return countFilter(visibleTo(q, p, "r.group_id", "r.collective_id", "g.visibility"), pg, f.Type, f.Licence, tag)
	}
	q := filter(s.itemQuery(db))
	if key.ID != "" {
		q = q.Where("(r.created_at < ? OR (r.created_at = ? AND r.id < ?))", key.At, key.At, key.ID)
	}
	if err := q.OrderExpr("r.created_at DESC, r.id DESC").Limit(int64(limit+1)).Scan(ctx, &pg.Items); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if len(pg.Items) > limit {
		pg.Items = pg.Items[:limit]
		last := pg.Items[limit-1]
		pg.Next = cursor.Encode(cursor.Key{At: last.CreatedAt, ID: last.ID})
	}
	if count && key.ID == "" && pg.Next == "" {
		pg.Total = len(pg.Items) // a first page that is the whole list
	} else if count {
		// The count reads the groups p may see once, then only the index
		// resources_collective_group (collective_id, group_id) when no
		// other filter is set: no join per row, no table row read.
		groups := db.NewSelect().TableExpr("working_groups AS g").Column("g.id")
		if pg.Collective != nil {
			groups = groups.Where("g.collective_id = ?", pg.Collective.ID)
		}
		q := db.NewSelect().TableExpr("resources AS r")
		if !p.IsAdmin() {
			q = q.Where("(r.group_id IS NULL OR r.group_id IN (?))", visibleTo(groups, p, "g.id", "g.collective_id", "g.visibility"))
		}
		n, err := countFilter(q, pg, f.Type, f.Licence, tag).Count(ctx)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		pg.Total = int(n)
	}
	if err := s.loadTags(ctx, db, pg.Items); err != nil {
		return nil, fault.Wrap(op, err)
	}
	return pg, nil
}

// Latest returns the n newest resources of a collective that p may see,
// for the collective's page.
func (s *Service) Latest(ctx context.Context, p access.Principal, collectiveID string, n int) ([]Item, error) {
	if collectiveID == "" {
		return nil, nil
	}
	pg, err := s.list(ctx, p, Filter{Collective: collectiveID, Limit: cursor.Limit(n, 5, 100)}, false)
	if err != nil {
		return nil, err
	}
	return pg.Items, nil
}

// countFilter adds the filters of a list other than visibility.
func countFilter(q *bun.SelectQuery, pg *Page, kind, licence, tag string) *bun.SelectQuery {
	if pg.Collective != nil {
		q = q.Where("r.collective_id = ?", pg.Collective.ID)
	}
	if pg.Group != nil {
		q = q.Where("r.group_id = ?", pg.Group.ID)
	}
	if kind != "" {
		q = q.Where("r.kind = ?", kind)
	}
	if licence != "" {
		q = q.Where("r.licence = ?", licence)
	}
	if tag != "" {
		q = q.Where("EXISTS (SELECT 1 FROM resource_tags t WHERE t.resource_id = r.id AND t.tag = ?)", tag)
	}
	return q
}

// visibleGroups returns the collective's groups p may see, by name.
func (s *Service) visibleGroups(ctx context.Context, p access.Principal, collectiveID string) ([]model.WorkingGroup, error) {
	var gs []model.WorkingGroup
	q := s.db.R.NewSelect().Model(&gs).ModelTableExpr("working_groups AS g").ColumnExpr("g.*").Where("g.collective_id = ?", collectiveID).OrderExpr("g.name")
	if err := visibleTo(q, p, "g.id", "g.collective_id", "g.visibility").Scan(ctx); err != nil {
		return nil, err
	}
	return gs, nil
}

// canPostSomewhere reports whether p may share a resource in the
// collective itself or in one of the groups. The collective is asked
// first: under today's policy whoever may share in a group may share in
// the collective, so the groups are rarely asked.
func (s *Service) canPostSomewhere(ctx context.Context, p access.Principal, collectiveID string, groups []model.WorkingGroup) (bool, error) {
	if p.IsAnonymous() {
		return false, nil
	}
	st, err := collective.Standing(ctx, s.db.R, p, collectiveID, "")
	if err != nil || access.Can(p, access.PostResource, st) {
		return err == nil, err
	}
	if st.Role == "" && !p.IsAdmin() {
		return false, nil // not a member: no group of the collective either
	}
	gs, err := s.postableGroups(ctx, p, collectiveID, groups)
	return len(gs) > 0, err
}

// postableGroups returns those of groups where p may share a resource.
func (s *Service) postableGroups(ctx context.Context, p access.Principal, collectiveID string, groups []model.WorkingGroup) ([]model.WorkingGroup, error) {
	if p.IsAnonymous() {
		return nil, nil
	}
	var out []model.WorkingGroup
	for _, g := range groups {
		st, err := collective.Standing(ctx, s.db.R, p, collectiveID, g.ID)
		if err != nil {
			return nil, err
		}
		if access.Can(p, access.PostResource, st) {
			out = append(out, g)
		}
	}
	return out, nil
}

// Form is what the form to share a resource in a collective offers p.
type Form struct {
	Collective model.Collective
	// InCollective: p may share in the collective itself.
	InCollective bool
	// Groups are those where p may share.
	Groups   []model.WorkingGroup
	Kinds    []Choice
	Licences []Choice
	Accept   []string // file extensions accepted
	MaxSize  int64
	MaxFiles int
}

// NewForm returns what p may choose to share a resource in the collective
// (an ID or a slug); Forbidden when p may share nowhere in it.
func (s *Service) NewForm(ctx context.Context, p access.Principal, collectiveRef string) (*Form, error) {
	const op = "resource.NewForm"
	c, err := findCollective(ctx, s.db.R, collectiveRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	f := &Form{Collective: *c, Kinds: Kinds(), Licences: Licences(), Accept: AcceptedTypes(), MaxSize: s.maxSize, MaxFiles: s.maxFiles}
	st, err := collective.Standing(ctx, s.db.R, p, c.ID, "")
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	f.InCollective = access.Can(p, access.PostResource, st)
	groups, err := s.visibleGroups(ctx, p, c.ID)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if f.Groups, err = s.postableGroups(ctx, p, c.ID, groups); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if !f.InCollective && len(f.Groups) == 0 {
		return nil, denied(op, p, fault.New(fault.Forbidden, "seuls les membres et les partenaires du collectif peuvent y partager des ressources"))
	}
	return f, nil
}

// denied is Unauthorized for a visitor (who should log in first) and
// forbidden, the Forbidden fault, for a logged-in principal.
func denied(op string, p access.Principal, forbidden *fault.Error) error {
	if p.IsAnonymous() || forbidden == nil {
		return &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "connectez-vous d'abord"}
	}
	forbidden.Op = op
	return forbidden
}

// NewResource is what it takes to share a resource.
type NewResource struct {
	Collective string // ID or slug
	Group      string // ID or slug within the collective; empty: the collective itself
	Fields
}

// Create shares a resource, with its attachments: everything is checked
// before anything is written, and nothing is written when one check fails.
func (s *Service) Create(ctx context.Context, p access.Principal, in NewResource, uploads ...Upload) (*View, error) {
	const op = "resource.Create"
	if p.IsAnonymous() {
		return nil, denied(op, p, nil)
	}
	c, err := findCollective(ctx, s.db.R, strings.TrimSpace(in.Collective))
	if errors.Is(err, store.ErrNotFound) {
		if in.Collective == "" {
			return nil, fault.Wrap(op, fault.Field("collective", "le collectif est obligatoire"))
		}
		return nil, fault.Wrap(op, fault.Field("collective", "collectif inconnu : %q", in.Collective))
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	groupID := ""
	if g := strings.TrimSpace(in.Group); g != "" {
		wg, err := findGroup(ctx, s.db.R, c.ID, g)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fault.Wrap(op, fault.Field("group", "groupe de travail inconnu dans ce collectif : %q", g))
		}
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		groupID = wg.ID
	}
	st, err := collective.Standing(ctx, s.db.R, p, c.ID, groupID)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if groupID != "" && !access.Can(p, access.ViewGroup, st) {
		// Said exactly as for a group that does not exist.
		return nil, fault.Wrap(op, fault.Field("group", "groupe de travail inconnu dans ce collectif : %q", in.Group))
	}
	if !access.Can(p, access.PostResource, st) {
		f := fault.New(fault.Forbidden, "seuls les membres et les partenaires du collectif peuvent y partager des ressources")
		if groupID != "" {
			f = fault.New(fault.Forbidden, "seuls les membres du groupe de travail peuvent y partager des ressources")
		}
		return nil, denied(op, p, f)
	}
	f, err := clean(in.Fields)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if len(uploads) > s.maxFiles {
		return nil, fault.Wrap(op, fault.Field("file", "%d fichiers au plus par ressource", s.maxFiles))
	}
	staged, err := s.stageAll(ctx, uploads)
	defer discard(staged)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	r := &model.Resource{ID: model.NewID(), CollectiveID: c.ID, GroupID: groupID, AuthorID: p.AccountID,
		Title: f.Title, Summary: f.Summary, Body: f.Body, Kind: model.ResourceKind(f.Type), Licence: f.Licence, Link: f.Link,
		CreatedAt: now, UpdatedAt: now}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		if err := writeTags(ctx, tx, r.ID, f.Tags, false); err != nil {
			return err
		}
		if err := s.attach(ctx, tx, r.ID, staged, now); err != nil {
			return err
		}
		return s.index(ctx, tx, r.ID)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "resource created", "resource_id", r.ID, "collective_id", c.ID, "group_id", groupID, "files", len(staged))
	return s.Get(ctx, p, r.ID)
}

func writeTags(ctx context.Context, tx bun.Tx, id string, tags []string, replace bool) error {
	if replace {
		if _, err := tx.NewDelete().Model((*model.ResourceTag)(nil)).Where("resource_id = ?", id).Exec(ctx); err != nil {
			return err
		}
	}
	if len(tags) == 0 {
		return nil
	}
	rows := make([]model.ResourceTag, len(tags))
	for i, t := range tags {
		rows[i] = model.ResourceTag{ResourceID: id, Tag: t}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// Patch changes some fields of a resource; nil fields stay as they are.
// The collective and the group of a resource do not change: its visibility
// was chosen with them.
type Patch struct {
	Title   *string
	Summary *string
	Body    *string
	Type    *string
	Licence *string
	Tags    *[]string
	Link    *string
}

// loadForChange reads the resource in tx and checks that p may do a on it
// (EditContent or delete); a resource p may not see is not found.
func (s *Service) loadForChange(ctx context.Context, tx bun.IDB, op string, p access.Principal, id string, del bool) (*model.Resource, error) {
	if p.IsAnonymous() {
		return nil, denied(op, p, nil)
	}
	if !model.ValidID(id) {
		return nil, notFound(op)
	}
	r := new(model.Resource)
	q := tx.NewSelect().Model(r).Where("id = ?", id)
	if s.db.Engine() == store.Postgres {
		// Serializes changes of one resource (the count of attachments
		// must not be raced); SQLite's writer lock already does.
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, notFound(op)
		}
		return nil, err
	}
	st, err := standing(ctx, tx, p, r)
	if err != nil {
		return nil, err
	}
	if !canSee(p, st) {
		return nil, notFound(op)
	}
	ok := access.Can(p, access.EditContent, st)
	if del {
		ok = ok || access.Can(p, access.ModerateContent, st)
	}
	if !ok {
		return nil, denied(op, p, fault.New(fault.Forbidden, "seuls l'auteur et les modérateurs peuvent modifier cette ressource"))
	}
	return r, nil
}

// Update changes a resource's fields and adds attachments, all or nothing.
func (s *Service) Update(ctx context.Context, p access.Principal, id string, ch Patch, uploads ...Upload) (*View, error) {
	const op = "resource.Update"
	// A first check outside the transaction, so that a principal who may
	// not edit learns it before sending files to disk.
	if _, err := s.loadForChange(ctx, s.db.R, op, p, id, false); err != nil {
		return nil, fault.Wrap(op, err)
	}
	staged, err := s.stageAll(ctx, uploads)
	defer discard(staged)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := s.loadForChange(ctx, tx, op, p, id, false)
		if err != nil {
			return err
		}
		var tags []string
		if err := tx.NewSelect().Model((*model.ResourceTag)(nil)).Column("tag").Where("resource_id = ?", id).OrderExpr("tag").Scan(ctx, &tags); err != nil {
			return err
		}
		f := Fields{Title: r.Title, Summary: r.Summary, Body: r.Body, Type: string(r.Kind), Licence: r.Licence, Tags: tags, Link: r.Link}
		set(&f.Title, ch.Title)
		set(&f.Summary, ch.Summary)
		set(&f.Body, ch.Body)
		set(&f.Type, ch.Type)
		set(&f.Licence, ch.Licence)
		set(&f.Link, ch.Link)
		if ch.Tags != nil {
			f.Tags = *ch.Tags
		}
		if f, err = clean(f); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*model.Attachment)(nil)).Where("resource_id = ?", id).Count(ctx)
		if err != nil {
			return err
		}
		if int(n)+len(staged) > s.maxFiles {
			return fault.Field("file", "%d fichiers au plus par ressource (elle en a déjà %d)", s.maxFiles, n)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		r.Title, r.Summary, r.Body, r.Kind, r.Licence, r.Link, r.UpdatedAt = f.Title, f.Summary, f.Body, model.ResourceKind(f.Type), f.Licence, f.Link, now
		if _, err := tx.NewUpdate().Model(r).Column("title", "summary", "body", "kind", "licence", "link", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if ch.Tags != nil {
			if err := writeTags(ctx, tx, id, f.Tags, true); err != nil {
				return err
			}
		}
		if err := s.attach(ctx, tx, id, staged, now); err != nil {
			return err
		}
		return s.index(ctx, tx, id)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return s.Get(ctx, p, id)
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// Delete deletes a resource, and the stored files no other resource uses.
func (s *Service) Delete(ctx context.Context, p access.Principal, id string) error {
	const op = "resource.Delete"
	var shas []string
	var r *model.Resource
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if r, err = s.loadForChange(ctx, tx, op, p, id, true); err != nil {
			return err
		}
		if err := tx.NewSelect().Model((*model.Attachment)(nil)).Column("sha256").Where("resource_id = ?", id).Scan(ctx, &shas); err != nil {
			return err
		}
		// Tags and attachments go with it (ON DELETE CASCADE).
		if _, err := tx.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.index(ctx, tx, id)
	})
	if err != nil {
		return fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "resource deleted", "resource_id", id, "by", p.AccountID)
	s.releaseAll(ctx, shas)
	return nil
}

// RemoveAttachment removes one attachment of a resource, and its stored
// file when no other resource uses it.
func (s *Service) RemoveAttachment(ctx context.Context, p access.Principal, resourceID, attachmentID string) error {
	const op = "resource.RemoveAttachment"
	var a model.Attachment
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := s.loadForChange(ctx, tx, op, p, resourceID, false); err != nil {
			return err
		}
		err := tx.NewSelect().Model(&a).Where("id = ? AND resource_id = ?", attachmentID, resourceID).Scan(ctx)
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return &fault.Error{Kind: fault.NotFound, Message: "pièce jointe introuvable"}
		}
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&a).WherePK().Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*model.Resource)(nil)).Set("updated_at = ?", s.now().UTC().Truncate(time.Microsecond)).Where("id = ?", resourceID).Exec(ctx); err != nil {
			return err
		}
		return s.index(ctx, tx, resourceID)
	})
	if err != nil {
		return fault.Wrap(op, err)
	}
	s.releaseAll(ctx, []string{a.SHA256})
	return nil
}

// DeleteAllBy deletes every resource written by the account, for a member
// who deletes their account without keeping their content. The member
// themself or an instance administrator may; it returns how many went.
func (s *Service) DeleteAllBy(ctx context.Context, p access.Principal, accountID string) (int, error) {
	const op = "resource.DeleteAllBy"
	if p.AccountID != accountID && !p.IsAdmin() {
		return 0, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	var ids, shas []string
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model((*model.Resource)(nil)).Column("id").Where("author_id = ?", accountID).Scan(ctx, &ids); err != nil || len(ids) == 0 {
			return err
		}
		if err := tx.NewSelect().Model((*model.Attachment)(nil)).Column("sha256").Where("resource_id IN (?)", bun.List(ids)).Scan(ctx, &shas); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*model.Resource)(nil)).Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return err
		}
		return s.index(ctx, tx, ids...)
	})
	if err != nil {
		return 0, fault.Wrap(op, err)
	}
	s.releaseAll(ctx, shas)
	return len(ids), nil
}
