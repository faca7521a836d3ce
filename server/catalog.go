package server

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"collectif/catalog"
	"collectif/fault"
)

// catalogRoutes registers the catalog's pages, forms, open data and API.
func (s *Server) catalogRoutes() {
	a := s.app
	k := s.needCatalog
	a.Get("/logiciels", k, s.catalogPage)
	a.Get("/logiciels/:slug", k, s.softwarePage)
	a.Get("/logiciels/:slug/declarer", k, s.requireLogin, s.declarePage)
	a.Post("/logiciels/:slug/declarer", k, s.requireLogin, s.declare)
	a.Get("/declarations/:id/modifier", k, s.requireLogin, s.usageEditPage)
	a.Post("/declarations/:id/modifier", k, s.requireLogin, s.usageUpdate)
	a.Get("/declarations/:id/retirer", k, s.requireLogin, s.usageWithdrawPage)
	a.Post("/declarations/:id/retirer", k, s.requireLogin, s.usageWithdraw)
	a.Get("/declarations/:id/moderer", k, s.requireLogin, s.usageModeratePage)
	a.Post("/declarations/:id/moderer", k, s.requireLogin, s.usageModerate)
	a.Get("/c/:slug/logiciels", k, s.collectiveCatalogPage)
	a.Get("/organisations/:id", k, s.organizationPage)

	a.Get("/api/v1/software", k, s.apiSoftwareList)
	a.Get("/api/v1/software.csv", k, s.apiSoftwareCSV)
	a.Get("/api/v1/usages.csv", k, s.apiUsagesCSV)
	a.Get("/api/v1/catalog.json", k, s.apiCatalogJSON)
	a.Get("/api/v1/software/:id", k, s.apiSoftwareGet)
	a.Get("/api/v1/software/:id/usages", k, s.apiSoftwareUsages)
	a.Post("/api/v1/software/:id/usages", k, s.requireLogin, s.apiDeclare)
}

// needCatalog answers 503 when the hub was built without the catalog.
func (s *Server) needCatalog(c *fiber.Ctx) error {
	if s.d.Catalog == nil {
		return &fault.Error{Kind: fault.Unavailable, Message: "le catalogue n'est pas disponible sur ce hub"}
	}
	return c.Next()
}

// softwareCard is a software entry of a list; its categories and
// savings are written by the page (label, money) in its language.
type softwareCard = catalog.Item

func cardOf(it catalog.Item) softwareCard { return it }

type catalogPageData struct {
	Page        *catalog.ListPage
	Items       []softwareCard
	Categories  []catalog.Category
	Sizes       []catalog.SizeBand
	Q, Category string
	Region      string // INSEE code of the région chosen
	MySize      bool
	HasContact  bool
	Sort        string
	Filtered    bool
	PrevURL     string
	NextURL     string
	Attribution string
	Error       string
	Field       string
}

func (s *Server) catalogPage(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	d := catalogPageData{Categories: catalog.Categories(), Sizes: catalog.SizeBands(), Q: c.Query("q"), Category: c.Query("category"),
		Region: c.Query("region"), MySize: c.Query("size") == "mine", HasContact: c.Query("contact") == "1",
		Sort: c.Query("sort"), Attribution: catalog.Attribution}
	page, _ := strconv.Atoi(c.Query("page", "1"))
	f := catalog.Filter{Q: d.Q, Category: d.Category, HasContact: d.HasContact, Sort: d.Sort, Page: page}
	if d.Region == "mine" || d.MySize {
		v, err := s.d.Catalog.Viewer(ctx, p)
		if err != nil {
			return err
		}
		if d.Region == "mine" {
			d.Region = v.Region
		}
		if d.MySize {
			f.Size = v.Size
		}
	}
	f.Region = d.Region
	d.Filtered = d.Q != "" || d.Category != "" || d.Region != "" || d.MySize || d.HasContact
	pg, err := s.d.Catalog.List(ctx, p, f)
	if err != nil {
		if !formError(c, err) {
			return err
		}
		d.Error, d.Field = s.faultText(c, err), fault.FieldOf(err)
		f = catalog.Filter{}
		if pg, err = s.d.Catalog.List(ctx, p, f); err != nil {
			return err
		}
	}
	d.Page = pg
	for _, it := range pg.Items {
		d.Items = append(d.Items, cardOf(it))
	}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range map[string]string{"q": d.Q, "category": d.Category, "sort": d.Sort, "region": d.Region} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if d.MySize {
			q.Set("size", "mine")
		}
		if d.HasContact {
			q.Set("contact", "1")
		}
		q.Set("page", strconv.Itoa(n))
		return "/logiciels?" + q.Encode()
	}
	if pg.Page > 1 {
		d.PrevURL = link(pg.Page - 1)
	}
	if pg.Page < pg.Pages {
		d.NextURL = link(pg.Page + 1)
	}
	return s.render(c, "catalog", "catalog", d)
}

// usageView is a declaration as pages show it; its hosting and savings
// are written by the page (label, money) in its language.
type usageView = catalog.UsageItem

func usageViews(us []catalog.UsageItem) []usageView { return us }

type softwarePageData struct {
	View         *catalog.View
	Card         softwareCard
	Usages       []usageView
	Mine         *usageView
	Testimonials []usageView
	Attribution  string
}

func (s *Server) softwarePage(c *fiber.Ctx) error {
	v, err := s.d.Catalog.Get(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	d := softwarePageData{View: v, Card: cardOf(v.Item), Usages: usageViews(v.Usages), Attribution: catalog.Attribution}
	for i, u := range d.Usages {
		if u.Testimonial != "" && !u.Hidden {
			d.Testimonials = append(d.Testimonials, u)
		}
		if v.Mine != nil && u.ID == v.Mine.ID {
			d.Mine = &d.Usages[i]
		}
	}
	if !principal(c).IsAnonymous() {
		if _, err := s.csrfToken(c); err != nil {
			return err
		}
	}
	return s.render(c, "software", "catalog", d)
}

// usagePage leads to a declaration on its software's page (its IRI, when
// it federates, is /declarations/<id>).
func (s *Server) usagePage(c *fiber.Ctx) error {
	u, err := s.d.Catalog.Usage(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.Redirect("/logiciels/"+u.SoftwareSlug+"#u-"+u.ID, fiber.StatusSeeOther)
}

// --- the declaration form ---

type usageFormValues struct {
	SinceYear, Scope, Hosting, Version, Savings, Testimonial, Contact string
}

type usageFormData struct {
	Action   string
	Editing  bool
	Software *catalog.Item
	Viewer   catalog.Viewer
	Contacts []catalog.Contact
	Hostings []string
	Values   usageFormValues
	Error    string
	Field    string
}

func hostings() []string { return []string{"in_house", "pooled", "provider"} }

func usageFormValuesOf(c *fiber.Ctx) usageFormValues {
	return usageFormValues{SinceYear: strings.TrimSpace(c.FormValue("since_year")), Scope: strings.TrimSpace(c.FormValue("scope")),
		Hosting: c.FormValue("hosting"), Version: c.FormValue("version"), Savings: strings.TrimSpace(c.FormValue("savings_eur")),
		Testimonial: c.FormValue("testimonial"), Contact: c.FormValue("contact")}
}

// input turns the form's values into a declaration; a number that does
// not read is an error on its field.
func (v usageFormValues) input(software string) (catalog.UsageInput, error) {
	in := catalog.UsageInput{Software: software, Hosting: v.Hosting, Version: v.Version, Testimonial: v.Testimonial, ContactID: v.Contact}
	num := func(val string, bad *fault.Error) (int64, error) {
		if val == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(val), 10, 64)
		if err != nil {
			return 0, bad
		}
		return n, nil
	}
	y, err := num(v.SinceYear, fault.Field("since_year", "l'année s'écrit en chiffres, par exemple 2019"))
	if err != nil {
		return in, err
	}
	sc, err := num(v.Scope, fault.Field("scope", "le nombre d'agents ou d'utilisateurs s'écrit en chiffres"))
	if err != nil {
		return in, err
	}
	if sc < 0 || sc > 10000000 || y < 0 || y > 9999 {
		return in, fault.Field("scope", "nombre hors limites")
	}
	in.SinceYear, in.Scope = int(y), int(sc)
	if v.Savings != "" {
		sv, err := num(v.Savings, fault.Field("savings_eur", "les économies s'écrivent en euros, en chiffres, par exemple 12000"))
		if err != nil {
			return in, err
		}
		in.SavingsEUR = &sv
	}
	return in, nil
}

func (s *Server) usageForm(c *fiber.Ctx, sw *catalog.Item) (*usageFormData, error) {
	ctx, p := c.UserContext(), principal(c)
	v, err := s.d.Catalog.Viewer(ctx, p)
	if err != nil {
		return nil, err
	}
	if v.OrganizationID == "" {
		return nil, fault.New(fault.Forbidden, "indiquez d'abord votre organisation dans votre profil (Mon compte) : une utilisation se déclare au nom de son organisation")
	}
	contacts, err := s.d.Catalog.Contacts(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := s.csrfToken(c); err != nil {
		return nil, err
	}
	return &usageFormData{Software: sw, Viewer: v, Contacts: contacts, Hostings: hostings()}, nil
}

func (s *Server) declarePage(c *fiber.Ctx) error {
	v, err := s.d.Catalog.Get(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	if v.Mine != nil {
		return c.Redirect("/declarations/"+v.Mine.ID+"/modifier", fiber.StatusSeeOther)
	}
	d, err := s.usageForm(c, &v.Item)
	if err != nil {
		return err
	}
	d.Action = "/logiciels/" + v.Slug + "/declarer"
	d.Values.Hosting = "in_house"
	return s.render(c, "usage_form", "catalog", d)
}

func (s *Server) declare(c *fiber.Ctx) error {
	vals := usageFormValuesOf(c)
	in, err := vals.input(c.Params("slug"))
	if err == nil {
		var u *catalog.UsageItem
		if u, err = s.d.Catalog.Declare(c.UserContext(), principal(c), in); err == nil {
			s.flash(c, "catalog.flash_declared", "Software", u.SoftwareName, "Organization", u.OrganizationName)
			return c.Redirect("/logiciels/"+u.SoftwareSlug+"#u-"+u.ID, fiber.StatusSeeOther)
		}
	}
	if !formError(c, err) {
		return err
	}
	status := c.Response().StatusCode()
	v, gerr := s.d.Catalog.Get(c.UserContext(), principal(c), c.Params("slug"))
	if gerr != nil {
		return gerr
	}
	d, derr := s.usageForm(c, &v.Item)
	if derr != nil {
		return derr
	}
	d.Action, d.Values, d.Error, d.Field = "/logiciels/"+v.Slug+"/declarer", vals, s.faultText(c, err), fault.FieldOf(err)
	c.Status(status)
	return s.render(c, "usage_form", "catalog", d)
}

// editableUsage loads the declaration of the URL for someone of its organization.
func (s *Server) editableUsage(c *fiber.Ctx) (*catalog.UsageItem, *catalog.View, error) {
	ctx, p := c.UserContext(), principal(c)
	u, err := s.d.Catalog.Usage(ctx, p, c.Params("id"))
	if err != nil {
		return nil, nil, err
	}
	v, err := s.d.Catalog.Get(ctx, p, u.SoftwareSlug)
	return u, v, err
}

func (s *Server) usageEditPage(c *fiber.Ctx) error {
	u, v, err := s.editableUsage(c)
	if err != nil {
		return err
	}
	if !u.CanEdit {
		return fault.New(fault.Forbidden, "seules les personnes de l'organisation modifient sa déclaration")
	}
	d, err := s.usageForm(c, &v.Item)
	if err != nil {
		return err
	}
	d.Action, d.Editing = "/declarations/"+u.ID+"/modifier", true
	d.Values = usageFormValues{Hosting: string(u.Hosting), Version: u.Version, Testimonial: u.Testimonial, Contact: u.ContactID}
	if u.SinceYear != 0 {
		d.Values.SinceYear = strconv.Itoa(u.SinceYear)
	}
	if u.Scope != 0 {
		d.Values.Scope = strconv.Itoa(u.Scope)
	}
	if u.SavingsEUR != nil {
		d.Values.Savings = strconv.FormatInt(*u.SavingsEUR, 10)
	}
	return s.render(c, "usage_form", "catalog", d)
}

func (s *Server) usageUpdate(c *fiber.Ctx) error {
	vals := usageFormValuesOf(c)
	in, err := vals.input("")
	if err == nil {
		var u *catalog.UsageItem
		if u, err = s.d.Catalog.Update(c.UserContext(), principal(c), c.Params("id"), in); err == nil {
			s.flash(c, "catalog.flash_updated")
			return c.Redirect("/logiciels/"+u.SoftwareSlug+"#u-"+u.ID, fiber.StatusSeeOther)
		}
	}
	if !formError(c, err) {
		return err
	}
	status := c.Response().StatusCode()
	u, v, gerr := s.editableUsage(c)
	if gerr != nil {
		return gerr
	}
	d, derr := s.usageForm(c, &v.Item)
	if derr != nil {
		return derr
	}
	d.Action, d.Editing, d.Values, d.Error, d.Field = "/declarations/"+u.ID+"/modifier", true, vals, s.faultText(c, err), fault.FieldOf(err)
	c.Status(status)
	return s.render(c, "usage_form", "catalog", d)
}

type usageActionData struct {
	Usage  usageView
	Action string // "retirer" or "moderer"
	Reason string
	Error  string
	Field  string
}

func (s *Server) usageWithdrawPage(c *fiber.Ctx) error {
	u, _, err := s.editableUsage(c)
	if err != nil {
		return err
	}
	if !u.CanEdit {
		return fault.New(fault.Forbidden, "seules les personnes de l'organisation retirent sa déclaration")
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "usage_action", "catalog", usageActionData{Usage: usageViews([]catalog.UsageItem{*u})[0], Action: "retirer"})
}

func (s *Server) usageWithdraw(c *fiber.Ctx) error {
	u, err := s.d.Catalog.Withdraw(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	s.flash(c, "catalog.flash_withdrawn", "Software", u.SoftwareName, "Organization", u.OrganizationName)
	return c.Redirect("/logiciels/"+u.SoftwareSlug, fiber.StatusSeeOther)
}

func (s *Server) usageModeratePage(c *fiber.Ctx) error {
	u, _, err := s.editableUsage(c)
	if err != nil {
		return err
	}
	if !u.CanModerate {
		return fault.New(fault.Forbidden, "seuls les administrateurs des collectifs de cette organisation modèrent ses déclarations")
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "usage_action", "catalog", usageActionData{Usage: usageViews([]catalog.UsageItem{*u})[0], Action: "moderer"})
}

func (s *Server) usageModerate(c *fiber.Ctx) error {
	action, reason := c.FormValue("action"), c.FormValue("reason")
	u, err := s.d.Catalog.Moderate(c.UserContext(), principal(c), c.Params("id"), action, reason)
	if err == nil {
		msg := map[string]string{catalog.ModerateHide: "catalog.flash_hidden", catalog.ModerateRestore: "catalog.flash_restored", catalog.ModerateRemove: "catalog.flash_removed"}[action]
		s.flash(c, msg, "Software", u.SoftwareName, "Organization", u.OrganizationName)
		return c.Redirect("/logiciels/"+u.SoftwareSlug, fiber.StatusSeeOther)
	}
	if !formError(c, err) {
		return err
	}
	status := c.Response().StatusCode()
	cur, _, gerr := s.editableUsage(c)
	if gerr != nil {
		return gerr
	}
	c.Status(status)
	return s.render(c, "usage_action", "catalog", usageActionData{Usage: usageViews([]catalog.UsageItem{*cur})[0], Action: "moderer",
		Reason: reason, Error: s.faultText(c, err), Field: fault.FieldOf(err)})
}

// --- collective and organization views ---

type collectiveCatalogData struct {
	View *catalog.CollectiveView
}

func (s *Server) collectiveCatalogPage(c *fiber.Ctx) error {
	v, err := s.d.Catalog.ByCollective(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return err
	}
	return s.render(c, "collective_catalog", "collectives", collectiveCatalogData{View: v})
}

type organizationPageData struct {
	View   *catalog.OrganizationView
	Usages []usageView
}

func (s *Server) organizationPage(c *fiber.Ctx) error {
	v, err := s.d.Catalog.ByOrganization(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if v.Own {
		if _, err := s.csrfToken(c); err != nil {
			return err
		}
	}
	return s.render(c, "organization", "catalog", organizationPageData{View: v, Usages: usageViews(v.Usages)})
}

// --- open data and API ---

func (s *Server) apiSoftwareList(c *fiber.Ctx) error {
	page, limit := 1, 0
	if v := c.Query("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fault.Field("page", "page doit être un nombre entier positif")
		}
		page = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fault.Field("limit", "limit doit être un nombre entier entre 1 et 100")
		}
		limit = n
	}
	pg, err := s.d.Catalog.List(c.UserContext(), principal(c), catalog.Filter{Q: c.Query("q"), Category: c.Query("category"),
		Region: c.Query("region"), Size: c.Query("size"), HasContact: c.Query("has_contact") == "true", Sort: c.Query("sort"), Page: page, Limit: limit})
	if err != nil {
		return err
	}
	items := make([]catalog.OpenSoftware, 0, len(pg.Items))
	for _, it := range pg.Items {
		items = append(items, catalog.Open(it))
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(fiber.Map{"items": items, "total": pg.Total, "page": pg.Page, "pages": pg.Pages, "network": pg.Network, "attribution": catalog.Attribution})
}

func (s *Server) apiSoftwareGet(c *fiber.Ctx) error {
	v, err := s.d.Catalog.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	regions := make([]fiber.Map, 0, len(v.ByRegion))
	for _, r := range v.ByRegion {
		regions = append(regions, fiber.Map{"region": r.Region, "name": r.Name, "organizations": r.Count})
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(fiber.Map{"software": catalog.Open(v.Item), "usage_counts": fiber.Map{"organizations": v.Users, "declared_agents": v.Agents,
		"declared_yearly_savings_eur": v.Savings, "by_region": regions}, "url": s.absolute("/logiciels/" + v.Slug)})
}

func (s *Server) apiSoftwareUsages(c *fiber.Ctx) error {
	us, err := s.d.Catalog.AllUsages(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(fiber.Map{"items": us, "total": len(us)})
}

type apiUsageIn struct {
	SinceYear   int    `json:"since_year"`
	Scope       int    `json:"scope"`
	Hosting     string `json:"hosting"`
	Version     string `json:"version"`
	SavingsEUR  *int64 `json:"yearly_savings_eur"`
	Testimonial string `json:"testimonial"`
	ContactID   string `json:"contact_id"`
}

func (s *Server) apiDeclare(c *fiber.Ctx) error {
	var in apiUsageIn
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.d.Catalog.Declare(c.UserContext(), principal(c), catalog.UsageInput{Software: c.Params("id"), SinceYear: in.SinceYear, Scope: in.Scope,
		Hosting: in.Hosting, Version: in.Version, SavingsEUR: in.SavingsEUR, Testimonial: in.Testimonial, ContactID: in.ContactID})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(catalog.OpenUsageOf(*u))
}

func (s *Server) sendCSV(c *fiber.Ctx, name string, write func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(b.Bytes())
}

func (s *Server) apiSoftwareCSV(c *fiber.Ctx) error {
	return s.sendCSV(c, "logiciels.csv", func(b *bytes.Buffer) error { return s.d.Catalog.WriteSoftwareCSV(c.UserContext(), b) })
}

func (s *Server) apiUsagesCSV(c *fiber.Ctx) error {
	return s.sendCSV(c, "utilisations.csv", func(b *bytes.Buffer) error { return s.d.Catalog.WriteUsagesCSV(c.UserContext(), b) })
}

func (s *Server) apiCatalogJSON(c *fiber.Ctx) error {
	ctx := c.UserContext()
	sw, err := s.d.Catalog.AllSoftware(ctx)
	if err != nil {
		return err
	}
	us, err := s.d.Catalog.AllUsages(ctx, "")
	if err != nil {
		return err
	}
	f, err := s.d.Catalog.NetworkFigures(ctx)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="catalogue.json"`)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.JSON(fiber.Map{"attribution": catalog.Attribution, "licence": "etalab-2.0", "network": f, "software": sw, "usages": us})
}
