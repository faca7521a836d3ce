package catalog

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/territory"
)

//go:embed data/sill.json data/collectif-catalog.json
var data embed.FS

// Embedded returns the catalog files shipped with the binary, in the order
// they are imported: the SILL first, then the file that completes it.
func Embedded() []NamedFile {
	var out []NamedFile
	for _, n := range []string{"data/sill.json", "data/collectif-catalog.json"} {
		b, err := data.ReadFile(n)
		if err != nil {
			panic(err) // embedded at build time
		}
		out = append(out, NamedFile{Name: n, Data: b})
	}
	return out
}

// NamedFile is a file to import.
type NamedFile struct {
	Name string
	Data []byte
}

// Formats names the file formats Import accepts.
const Formats = "sill.json (the SILL export: an array of objects with id, i, f, l…) or a collectif-catalog JSON file ({\"format\": \"collectif-catalog\", \"software\": […], \"providers\": […], \"instances\": […]})"

// ImportReport counts what an import did.
type ImportReport struct {
	Format                      string
	Created, Updated, Unchanged int
	Providers, Instances        int // created or updated
}

func (r ImportReport) String() string {
	s := fmt.Sprintf("%s: %d created, %d updated, %d unchanged", r.Format, r.Created, r.Updated, r.Unchanged)
	if r.Providers+r.Instances > 0 {
		s += fmt.Sprintf("; %d providers, %d pooled instances written", r.Providers, r.Instances)
	}
	return s
}

// sillEntry is one object of the SILL export (short keys, see data/README.md).
type sillEntry struct {
	ID       string  `json:"id"`
	Name     string  `json:"i"`
	Function string  `json:"f"`
	Licence  string  `json:"l"`
	Status   string  `json:"st"`
	Comptoir string  `json:"co"`
	FrDesc   *string `json:"fr-desc"`
	Website  *string `json:"website"`
	Sources  *string `json:"sources"`
	Logo     *string `json:"logo"`
	Context  string  `json:"u"`
}

// ourFile is our own format.
type ourFile struct {
	Format    string        `json:"format"`
	Version   int           `json:"version"`
	Software  []ourSoftware `json:"software"`
	Providers []ourProvider `json:"providers"`
	Instances []ourInstance `json:"instances"`
}

type ourSoftware struct {
	SILLID      string   `json:"sill_id"`
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Website     string   `json:"website"`
	Repository  string   `json:"repository"`
	Licence     string   `json:"licence"`
	Logo        string   `json:"logo"`
	Wikidata    string   `json:"wikidata"`
	Comptoir    string   `json:"comptoir_id"`
	Categories  []string `json:"categories"`
	Replaces    []string `json:"replaces"`
}

type ourProvider struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Website  string   `json:"website"`
	Software []string `json:"software"`
}

type ourInstance struct {
	Software string `json:"software"`
	Operator string `json:"operator"`
	SIREN    string `json:"siren"`
	Audience string `json:"audience"`
	URL      string `json:"url"`
}

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	digitsRE   = regexp.MustCompile(`^[0-9]+$`)
	wikidataRE = regexp.MustCompile(`^Q[0-9]+$`)
)

// Slugify makes a URL slug of a software name: "LibreOffice (Collabora)
// online" → "libreoffice-collabora-online".
func Slugify(name string) string {
	n := territory.Normalize(name)
	var b strings.Builder
	dash := false
	for _, r := range n {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimSuffix(s[:60], "-")
	}
	return s
}

// recordError names the record at fault in a file.
func recordError(file string, n int, key string, why *fault.Error) error {
	return fault.Field("file", "%s, enregistrement n° %d (%s) : %s", file, n, key, why)
}

// offsetLine turns a byte offset of data into a line number.
func offsetLine(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fault.Field("file", "%s, ligne %d : JSON invalide (%v)", name, offsetLine(data, se.Offset), se)
	case errors.As(err, &te):
		return fault.Field("file", "%s, ligne %d : le champ « %s » doit être de type %s", name, offsetLine(data, te.Offset), te.Field, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Field("file", "%s : JSON tronqué", name)
	}
	return fault.Field("file", "%s : %v", name, err)
}

// Import reads a catalog file (format detected from its content) and
// writes it in one transaction: a malformed record rejects the whole file,
// naming the record, and nothing is written. A second import of the same
// file updates what changed and creates nothing twice. Instance
// administrators (and the command line) only.
func (s *Service) Import(ctx context.Context, p access.Principal, f NamedFile) (*ImportReport, error) {
	const op = "catalog.Import"
	if !access.Can(p, access.ManageCatalog, access.Subject{}) {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seuls les administrateurs du hub importent le catalogue"}
	}
	trimmed := bytes.TrimSpace(f.Data)
	if len(trimmed) == 0 {
		return nil, fault.Wrap(op, fault.Field("file", "%s : fichier vide", f.Name))
	}
	var rep *ImportReport
	var err error
	switch trimmed[0] {
	case '[':
		rep, err = s.importSILL(ctx, f)
	case '{':
		rep, err = s.importOurs(ctx, f)
	default:
		err = fault.Field("file", "%s : format inconnu ; formats acceptés : %s", f.Name, Formats)
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "catalog imported", "file", f.Name, "format", rep.Format, "created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged)
	return rep, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func httpURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

func (s *Service) importSILL(ctx context.Context, f NamedFile) (*ImportReport, error) {
	dec := json.NewDecoder(bytes.NewReader(f.Data))
	var raw []json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(f.Name, f.Data, err)
	}
	entries := make([]model.Software, 0, len(raw))
	seen := map[string]int{}
	for i, r := range raw {
		var e sillEntry
		d := json.NewDecoder(bytes.NewReader(r))
		if err := d.Decode(&e); err != nil {
			return nil, fault.Field("file", "%s, enregistrement n° %d : %v", f.Name, i+1, err)
		}
		e.ID, e.Name = strings.TrimSpace(e.ID), strings.TrimSpace(e.Name)
		switch {
		case !digitsRE.MatchString(e.ID):
			return nil, recordError(f.Name, i+1, "id "+e.ID, fault.New(fault.Invalid, "l'identifiant SILL « id » doit être un nombre"))
		case e.Name == "" || len([]rune(e.Name)) > 120:
			return nil, recordError(f.Name, i+1, "id "+e.ID, fault.New(fault.Invalid, "le nom « i » est obligatoire (120 caractères au plus)"))
		case seen[e.ID] > 0:
			return nil, recordError(f.Name, i+1, "id "+e.ID, fault.New(fault.Invalid, "identifiant déjà vu à l'enregistrement n° %d", seen[e.ID]))
		}
		seen[e.ID] = i + 1
		summary := str(e.FrDesc)
		entries = append(entries, model.Software{SILLID: e.ID, Name: e.Name, NameNorm: territory.Normalize(e.Name), Summary: summary,
			Description: strings.TrimSpace(e.Context), Function: strings.TrimSpace(e.Function), Licence: strings.TrimSpace(e.Licence),
			Website: httpURL(str(e.Website)), Repository: httpURL(str(e.Sources)), LogoURL: httpURL(str(e.Logo)),
			SILLStatus: strings.TrimSpace(e.Status), ComptoirID: strings.TrimSpace(e.Comptoir)})
	}
	rep := &ImportReport{Format: "sill.json"}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// One read of what is there, then one insert per hundred new
		// entries: an import is a handful of round trips, not one per row.
		var cur []model.Software
		if err := tx.NewSelect().Model(&cur).Scan(ctx); err != nil {
			return err
		}
		bySILL := map[string]model.Software{}
		taken := map[string]bool{}
		for _, c := range cur {
			taken[c.Slug] = true
			if c.SILLID != "" {
				bySILL[c.SILLID] = c
			}
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		var fresh []model.Software
		for _, e := range entries {
			c, ok := bySILL[e.SILLID]
			if !ok {
				e.ID, e.CreatedAt, e.UpdatedAt = model.NewID(), now, now
				e.Slug = Slugify(e.Name)
				if e.Slug == "" {
					e.Slug = "logiciel"
				}
				if taken[e.Slug] {
					e.Slug += "-" + e.SILLID
				}
				taken[e.Slug] = true
				fresh = append(fresh, e)
				continue
			}
			if c.Name == e.Name && c.Summary == e.Summary && c.Description == e.Description && c.Function == e.Function &&
				c.Licence == e.Licence && c.Website == e.Website && c.Repository == e.Repository && c.LogoURL == e.LogoURL &&
				c.SILLStatus == e.SILLStatus && c.ComptoirID == e.ComptoirID {
				rep.Unchanged++
				continue
			}
			c.Name, c.NameNorm, c.Summary, c.Description, c.Function = e.Name, e.NameNorm, e.Summary, e.Description, e.Function
			c.Licence, c.Website, c.Repository, c.LogoURL, c.SILLStatus, c.ComptoirID = e.Licence, e.Website, e.Repository, e.LogoURL, e.SILLStatus, e.ComptoirID
			c.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(&c).WherePK().Exec(ctx); err != nil {
				return err
			}
			rep.Updated++
			if err := s.index(ctx, tx, DocSoftware, c.ID); err != nil {
				return err
			}
		}
		for i := 0; i < len(fresh); i += 100 {
			chunk := fresh[i:min(i+100, len(fresh))]
			if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				if store.IsUniqueViolation(err) {
					return fault.Field("file", "%s : un nom court de logiciel est déjà pris ; renommez l'entrée dans le catalogue", f.Name)
				}
				return err
			}
			for _, e := range chunk {
				if err := s.index(ctx, tx, DocSoftware, e.ID); err != nil {
					return err
				}
			}
		}
		rep.Created = len(fresh)
		return nil
	})
	return rep, err
}

func (s *Service) importOurs(ctx context.Context, f NamedFile) (*ImportReport, error) {
	dec := json.NewDecoder(bytes.NewReader(f.Data))
	dec.DisallowUnknownFields()
	var in ourFile
	if err := dec.Decode(&in); err != nil {
		return nil, jsonError(f.Name, f.Data, err)
	}
	if in.Format != "collectif-catalog" {
		return nil, fault.Field("file", "%s : « format » doit valoir \"collectif-catalog\" ; formats acceptés : %s", f.Name, Formats)
	}
	slugs := map[string]bool{}
	for i := range in.Software {
		e := &in.Software[i]
		key := "slug " + e.Slug
		switch {
		case !slugRE.MatchString(e.Slug) || len(e.Slug) > 80:
			return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "« slug » doit être fait de minuscules, de chiffres et de tirets"))
		case slugs[e.Slug]:
			return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "« slug » déjà utilisé par un autre logiciel du fichier"))
		case e.SILLID != "" && !digitsRE.MatchString(e.SILLID):
			return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "« sill_id » doit être un nombre"))
		case e.SILLID == "" && (strings.TrimSpace(e.Name) == "" || len([]rune(e.Name)) > 120):
			return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "« name » est obligatoire hors du SILL (120 caractères au plus)"))
		case e.Wikidata != "" && !wikidataRE.MatchString(e.Wikidata):
			return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "« wikidata » doit être un identifiant comme Q10135"))
		case e.Website != "" && httpURL(e.Website) == "", e.Repository != "" && httpURL(e.Repository) == "", e.Logo != "" && httpURL(e.Logo) == "":
			return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "les adresses doivent commencer par https://"))
		}
		for _, c := range e.Categories {
			if !validCategory(c) {
				return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "catégorie inconnue %q", c))
			}
		}
		for _, r := range e.Replaces {
			if r = strings.TrimSpace(r); r == "" || len([]rune(r)) > 80 {
				return nil, recordError(f.Name, i+1, key, fault.New(fault.Invalid, "un produit remplacé a un nom vide ou trop long"))
			}
		}
		slugs[e.Slug] = true
	}
	for i, pr := range in.Providers {
		switch {
		case strings.TrimSpace(pr.Name) == "" || len([]rune(pr.Name)) > 200:
			return nil, recordError(f.Name, i+1, "providers "+pr.Name, fault.New(fault.Invalid, "« name » est obligatoire"))
		case !slices.Contains([]string{"company", "association", "intercommunal", "public"}, pr.Kind):
			return nil, recordError(f.Name, i+1, "providers "+pr.Name, fault.New(fault.Invalid, "« kind » doit valoir company, association, intercommunal ou public"))
		}
		for _, sl := range pr.Software {
			if !slugs[sl] {
				return nil, recordError(f.Name, i+1, "providers "+pr.Name, fault.New(fault.Invalid, "logiciel %q absent du fichier", sl))
			}
		}
	}
	for i, it := range in.Instances {
		switch {
		case !slugs[it.Software]:
			return nil, recordError(f.Name, i+1, "instances "+it.Operator, fault.New(fault.Invalid, "logiciel %q absent du fichier", it.Software))
		case strings.TrimSpace(it.Operator) == "" || len([]rune(it.Operator)) > 200:
			return nil, recordError(f.Name, i+1, "instances", fault.New(fault.Invalid, "« operator » est obligatoire"))
		case it.URL != "" && httpURL(it.URL) == "":
			return nil, recordError(f.Name, i+1, "instances "+it.Operator, fault.New(fault.Invalid, "l'adresse doit commencer par https://"))
		case it.SIREN != "" && (len(it.SIREN) != 9 || !digitsRE.MatchString(it.SIREN)):
			return nil, recordError(f.Name, i+1, "instances "+it.Operator, fault.New(fault.Invalid, "un SIREN compte 9 chiffres"))
		}
	}
	rep := &ImportReport{Format: "collectif-catalog"}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ids := map[string]string{}
		for _, e := range in.Software {
			id, err := s.upsertOurs(ctx, tx, e, rep)
			if err != nil {
				return err
			}
			ids[e.Slug] = id
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		for _, pr := range in.Providers {
			pv := model.Provider{ID: model.NewID(), Name: strings.TrimSpace(pr.Name), NameNorm: territory.Normalize(pr.Name),
				Kind: model.ProviderKind(pr.Kind), Website: httpURL(pr.Website), CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&pv).On("CONFLICT (name_norm) DO UPDATE").
				Set("name = EXCLUDED.name, kind = EXCLUDED.kind, website = EXCLUDED.website").Exec(ctx); err != nil {
				return err
			}
			if err := tx.NewSelect().Model(&pv).Column("id").Where("name_norm = ?", pv.NameNorm).Scan(ctx); err != nil {
				return err
			}
			for _, sl := range pr.Software {
				if _, err := tx.NewInsert().Model(&model.ProviderSoftware{ProviderID: pv.ID, SoftwareID: ids[sl]}).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
					return err
				}
			}
			rep.Providers++
		}
		for _, it := range in.Instances {
			pi := model.PooledInstance{ID: model.NewID(), SoftwareID: ids[it.Software], Operator: strings.TrimSpace(it.Operator),
				Audience: strings.TrimSpace(it.Audience), URL: it.URL, CreatedAt: now, UpdatedAt: now}
			if it.SIREN != "" {
				var o model.Organization
				if err := tx.NewSelect().Model(&o).Column("id").Where("siren = ?", it.SIREN).Scan(ctx); err == nil {
					pi.OrganizationID = o.ID
				}
			}
			if _, err := tx.NewInsert().Model(&pi).On("CONFLICT (software_id, operator) DO UPDATE").
				Set("audience = EXCLUDED.audience, url = EXCLUDED.url, organization_id = EXCLUDED.organization_id").Exec(ctx); err != nil {
				return err
			}
			rep.Instances++
		}
		return nil
	})
	return rep, err
}

// upsertOurs writes one entry of our file. An entry of the SILL (sill_id)
// only gets its slug, categories, replaced products and Wikidata ID, so that
// re-importing the SILL and this file in any order converges.
func (s *Service) upsertOurs(ctx context.Context, tx bun.Tx, e ourSoftware, rep *ImportReport) (string, error) {
	var cur model.Software
	q := tx.NewSelect().Model(&cur)
	if e.SILLID != "" {
		q = q.Where("sill_id = ?", e.SILLID)
	} else {
		q = q.Where("slug = ?", e.Slug)
	}
	err := q.Scan(ctx)
	exists := err == nil
	if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
		return "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	want := cur
	if !exists {
		want = model.Software{ID: model.NewID(), Slug: e.Slug, SILLID: e.SILLID, CreatedAt: now}
	}
	if e.SILLID == "" || !exists {
		name := strings.TrimSpace(e.Name)
		if name == "" {
			name = e.Slug
		}
		want.Name, want.NameNorm, want.Summary, want.Description = name, territory.Normalize(name), strings.TrimSpace(e.Summary), strings.TrimSpace(e.Description)
		want.Website, want.Repository, want.LogoURL, want.Licence, want.ComptoirID = e.Website, e.Repository, e.Logo, strings.TrimSpace(e.Licence), e.Comptoir
	}
	// The slug is ours to choose: the SILL's derives from a name that
	// may change, so this file's names the page.
	want.Slug, want.WikidataID = e.Slug, e.Wikidata
	cats, reps, err := s.facets(ctx, tx, want.ID)
	if err != nil {
		return "", err
	}
	newCats := slices.Clone(e.Categories)
	slices.Sort(newCats)
	newCats = slices.Compact(newCats)
	newReps := normalizeProducts(e.Replaces)
	same := exists && sameEntry(want, cur) && slices.Equal(cats, newCats) && slices.Equal(productNorms(reps), productNorms(newReps)) && slices.Equal(reps, newReps)
	if same {
		rep.Unchanged++
		return cur.ID, nil
	}
	want.UpdatedAt = now
	if exists {
		if _, err := tx.NewUpdate().Model(&want).WherePK().Exec(ctx); err != nil {
			return "", err
		}
		rep.Updated++
	} else {
		if _, err := tx.NewInsert().Model(&want).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return "", fault.Field("file", "le logiciel %q existe déjà sous un autre nom court", e.Slug)
			}
			return "", err
		}
		rep.Created++
	}
	if err := writeFacets(ctx, tx, want.ID, newCats, newReps); err != nil {
		return "", err
	}
	return want.ID, s.index(ctx, tx, DocSoftware, want.ID)
}

// facets returns a software's categories and replaced products, sorted.
func (s *Service) facets(ctx context.Context, db bun.IDB, id string) ([]string, []string, error) {
	var cats, reps []string
	if err := db.NewSelect().Model((*model.SoftwareCategory)(nil)).Column("category").Where("software_id = ?", id).OrderExpr("category").Scan(ctx, &cats); err != nil {
		return nil, nil, err
	}
	if err := db.NewSelect().Model((*model.SoftwareReplace)(nil)).Column("product").Where("software_id = ?", id).OrderExpr("product_norm").Scan(ctx, &reps); err != nil {
		return nil, nil, err
	}
	return cats, reps, nil
}

// normalizeProducts trims, drops duplicates (by normalized name) and sorts
// by normalized name.
func normalizeProducts(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range in {
		r = strings.TrimSpace(r)
		n := territory.Normalize(r)
		if r == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(territory.Normalize(a), territory.Normalize(b)) })
	return out
}

func productNorms(in []string) []string {
	out := make([]string, len(in))
	for i, r := range in {
		out[i] = territory.Normalize(r)
	}
	return out
}

func writeFacets(ctx context.Context, tx bun.Tx, id string, cats, reps []string) error {
	if _, err := tx.NewDelete().Model((*model.SoftwareCategory)(nil)).Where("software_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*model.SoftwareReplace)(nil)).Where("software_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	for _, c := range cats {
		if _, err := tx.NewInsert().Model(&model.SoftwareCategory{SoftwareID: id, Category: c}).Exec(ctx); err != nil {
			return err
		}
	}
	for _, r := range reps {
		if _, err := tx.NewInsert().Model(&model.SoftwareReplace{SoftwareID: id, Product: r, ProductNorm: territory.Normalize(r)}).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// sameEntry compares what an import writes of an entry (times aside: the
// engines return them in different locations).
func sameEntry(a, b model.Software) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}
