package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/fault"
	"collectif/model"
	"collectif/resource"
)

// resourceRoutes registers the pages and API of resources.
func (s *Server) resourceRoutes() {
	a := s.app
	r := s.needResources
	a.Get("/c/:slug/resources", r, s.resourceList)
	a.Get("/c/:slug/resources/new", r, s.requireLogin, s.resourceNewPage)
	a.Post("/c/:slug/resources", r, s.requireLogin, s.resourceCreate)
	a.Get("/c/:slug/r/:id", r, s.resourcePage)
	a.Get("/c/:slug/r/:id/edit", r, s.requireLogin, s.resourceEditPage)
	a.Post("/c/:slug/r/:id/edit", r, s.requireLogin, s.resourceUpdate)
	a.Get("/c/:slug/r/:id/delete", r, s.requireLogin, s.resourceDeletePage)
	a.Post("/c/:slug/r/:id/delete", r, s.requireLogin, s.resourceDelete)
	a.Post("/c/:slug/r/:id/files/:file/delete", r, s.requireLogin, s.resourceFileDelete)
	a.Get("/files/:id/:name", r, s.resourceDownload)

	a.Get("/api/v1/resources", r, s.apiResourceList)
	a.Post("/api/v1/resources", r, s.requireLogin, s.apiResourceCreate)
	a.Get("/api/v1/resources/:id", r, s.apiResourceGet)
	a.Patch("/api/v1/resources/:id", r, s.requireLogin, s.apiResourceUpdate)
	a.Delete("/api/v1/resources/:id", r, s.requireLogin, s.apiResourceDelete)
	a.Post("/api/v1/resources/:id/attachments", r, s.requireLogin, s.apiAttachmentAdd)
	a.Delete("/api/v1/resources/:id/attachments/:attachment", r, s.requireLogin, s.apiAttachmentDelete)
}

// needResources answers 503 when the hub was built without the resource
// service (servers built for tests of other areas), instead of crashing.
func (s *Server) needResources(c *fiber.Ctx) error {
	if s.d.Resources == nil {
		return &fault.Error{Kind: fault.Unavailable, Message: "les ressources ne sont pas disponibles sur ce hub"}
	}
	return c.Next()
}

// --- what pages show ---

type resourceItemView struct {
	resource.Item
	KindLabel string
	Licence   resource.Choice
	URL       string
}

func itemView(it resource.Item) resourceItemView {
	return resourceItemView{Item: it, KindLabel: resource.KindLabel(it.Kind), Licence: resource.Licence(it.Licence),
		URL: resourceURL(it.CollectiveSlug, it.ID)}
}

func resourceURL(slug, id string) string { return "/c/" + slug + "/r/" + id }

type fileView struct {
	model.Attachment
	URL    string
	Format string // the media type without parameters: format.<type> in frontend/locales
}

func fileURL(a model.Attachment) string { return "/files/" + a.ID + "/" + url.PathEscape(a.Name) }

type resourcePageData struct {
	resourceItemView
	View  *resource.View
	Files []fileView
	Likes int // Likes received from the network
}

func pageOf(v *resource.View) resourcePageData {
	d := resourcePageData{resourceItemView: itemView(v.Item), View: v}
	for _, f := range v.Files {
		d.Files = append(d.Files, fileView{Attachment: f, URL: fileURL(f), Format: mediaType(f.ContentType)})
	}
	return d
}

// mediaType drops the parameters of a content type (text/plain; charset=utf-8).
func mediaType(ctype string) string {
	t, _, _ := strings.Cut(ctype, ";")
	return strings.TrimSpace(t)
}

type resourceListData struct {
	Page     *resource.Page
	Items    []resourceItemView
	Kinds    []resource.Choice
	Licences []resource.Choice
	Filter   resource.Filter
	Filtered bool
	NextURL  string
}

func (s *Server) resourceList(c *fiber.Ctx) error {
	slug := c.Params("slug")
	f := resource.Filter{Collective: slug, Group: c.Query("group"), Type: c.Query("type"), Licence: c.Query("licence"),
		Tag: c.Query("tag"), Cursor: c.Query("cursor")}
	pg, err := s.d.Resources.List(c.UserContext(), principal(c), f)
	if err != nil {
		return err
	}
	d := resourceListData{Page: pg, Kinds: resource.Kinds(), Licences: resource.Licences(), Filter: f,
		Filtered: f.Group != "" || f.Type != "" || f.Licence != "" || f.Tag != ""}
	for _, it := range pg.Items {
		d.Items = append(d.Items, itemView(it))
	}
	if pg.Next != "" {
		q := url.Values{}
		for k, v := range map[string]string{"group": f.Group, "type": f.Type, "licence": f.Licence, "tag": f.Tag, "cursor": pg.Next} {
			if v != "" {
				q.Set(k, v)
			}
		}
		d.NextURL = "/c/" + pg.Collective.Slug + "/resources?" + q.Encode()
	}
	return s.render(c, "resource_list", "collectives", d)
}

func (s *Server) resourcePage(c *fiber.Ctx) error {
	v, err := s.d.Resources.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if v.CollectiveSlug != c.Params("slug") {
		return fault.New(fault.NotFound, "ressource introuvable")
	}
	if v.CanEdit || v.CanDelete {
		if _, err := s.csrfToken(c); err != nil {
			return err
		}
	}
	d := pageOf(v)
	if s.d.Federation != nil {
		iri := strings.TrimRight(s.d.BaseURL.String(), "/") + "/c/" + v.CollectiveSlug + "/r/" + v.ID
		if d.Likes, err = s.d.Federation.Likes(c.UserContext(), iri); err != nil {
			return err
		}
	}
	return s.render(c, "resource", "collectives", d)
}

// --- the forms ---

// resourceFormValues are what the form shows in its fields.
type resourceFormValues struct {
	Title, Summary, Body, Type, Licence, Tags, Link, Group string
}

type resourceFormData struct {
	Action       string
	Editing      bool
	Collective   model.Collective
	Resource     *resourcePageData // when editing
	InCollective bool
	Groups       []model.WorkingGroup
	Kinds        []resource.Choice
	Licences     []resource.Choice
	Accept       string
	MaxSize      int64 // bytes
	MaxFiles     int
	Values       resourceFormValues
	Error        string
	Field        string
}

func (s *Server) formChoices(d *resourceFormData) {
	d.Kinds, d.Licences = resource.Kinds(), resource.Licences()
	d.Accept = strings.Join(resource.AcceptedTypes(), ",")
	d.MaxSize = s.d.Resources.MaxFileSize()
	d.MaxFiles = s.d.Resources.MaxFiles()
}

func (s *Server) newFormData(c *fiber.Ctx) (*resourceFormData, error) {
	f, err := s.d.Resources.NewForm(c.UserContext(), principal(c), c.Params("slug"))
	if err != nil {
		return nil, err
	}
	d := &resourceFormData{Action: "/c/" + f.Collective.Slug + "/resources", Collective: f.Collective, InCollective: f.InCollective, Groups: f.Groups}
	s.formChoices(d)
	d.Values.Licence = model.DefaultLicenceID
	return d, nil
}

func (s *Server) resourceNewPage(c *fiber.Ctx) error {
	d, err := s.newFormData(c)
	if err != nil {
		return err
	}
	d.Values.Group = c.Query("group")
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "resource_form", "collectives", d)
}

func formValues(c *fiber.Ctx) resourceFormValues {
	return resourceFormValues{Title: c.FormValue("title"), Summary: c.FormValue("summary"), Body: c.FormValue("body"),
		Type: c.FormValue("type"), Licence: c.FormValue("licence"), Tags: c.FormValue("tags"), Link: c.FormValue("link"),
		Group: c.FormValue("group")}
}

// formUploads opens the files of a multipart form's field; close them
// with closeAll. A browser sends an empty part for an empty file input.
func formUploads(c *fiber.Ctx, field string) ([]resource.Upload, []multipart.File, error) {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return nil, nil, nil
	}
	form, err := c.MultipartForm()
	if err != nil {
		return nil, nil, fault.Field(field, "formulaire d'envoi de fichiers illisible")
	}
	var ups []resource.Upload
	var open []multipart.File
	for _, fh := range form.File[field] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			closeAll(open)
			return nil, nil, err
		}
		open = append(open, f)
		ups = append(ups, resource.Upload{Name: fh.Filename, Size: fh.Size, R: f})
	}
	return ups, open, nil
}

func closeAll(fs []multipart.File) {
	for _, f := range fs {
		f.Close()
	}
}

// formError says whether err is for the person to fix in the form, and
// sets the status to answer it with.
func formError(c *fiber.Ctx, err error) bool {
	switch fault.KindOf(err) {
	case fault.Invalid, fault.TooLarge:
		c.Status(statusOf(fault.KindOf(err)))
		return true
	}
	return false
}

func (s *Server) resourceCreate(c *fiber.Ctx) error {
	vals := formValues(c)
	ups, open, err := formUploads(c, "files")
	if err == nil {
		defer closeAll(open)
		var v *resource.View
		v, err = s.d.Resources.Create(c.UserContext(), principal(c), resource.NewResource{
			Collective: c.Params("slug"), Group: vals.Group,
			Fields: resource.Fields{Title: vals.Title, Summary: vals.Summary, Body: vals.Body, Type: vals.Type,
				Licence: vals.Licence, Tags: resource.SplitTags(vals.Tags), Link: vals.Link},
		}, ups...)
		if err == nil {
			s.flash(c, "flash.resource_published", "Title", v.Title)
			return c.Redirect(resourceURL(v.CollectiveSlug, v.ID), fiber.StatusSeeOther)
		}
	}
	if !formError(c, err) {
		return err
	}
	d, derr := s.newFormData(c)
	if derr != nil {
		return derr
	}
	d.Values, d.Error, d.Field = vals, s.faultText(c, err), fault.FieldOf(err)
	return s.render(c, "resource_form", "collectives", d)
}

// editable loads the resource of the URL for someone who may edit it.
func (s *Server) editable(c *fiber.Ctx) (*resource.View, error) {
	v, err := s.d.Resources.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if v.CollectiveSlug != c.Params("slug") {
		return nil, fault.New(fault.NotFound, "ressource introuvable")
	}
	return v, nil
}

func (s *Server) editFormData(v *resource.View) *resourceFormData {
	pd := pageOf(v)
	d := &resourceFormData{Action: resourceURL(v.CollectiveSlug, v.ID) + "/edit", Editing: true, Resource: &pd,
		Collective: model.Collective{ID: v.CollectiveID, Slug: v.CollectiveSlug, Name: v.CollectiveName}}
	s.formChoices(d)
	d.Values = resourceFormValues{Title: v.Title, Summary: v.Summary, Body: v.Body, Type: string(v.Kind), Licence: v.Licence,
		Tags: strings.Join(v.Tags, ", "), Link: v.Link, Group: v.GroupID}
	return d
}

func (s *Server) resourceEditPage(c *fiber.Ctx) error {
	v, err := s.editable(c)
	if err != nil {
		return err
	}
	if !v.CanEdit {
		return fault.New(fault.Forbidden, "seuls l'auteur et les modérateurs peuvent modifier cette ressource")
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "resource_form", "collectives", s.editFormData(v))
}

func (s *Server) resourceUpdate(c *fiber.Ctx) error {
	vals := formValues(c)
	ups, open, err := formUploads(c, "files")
	if err == nil {
		defer closeAll(open)
		tags := resource.SplitTags(vals.Tags)
		var v *resource.View
		v, err = s.d.Resources.Update(c.UserContext(), principal(c), c.Params("id"), resource.Patch{
			Title: &vals.Title, Summary: &vals.Summary, Body: &vals.Body, Type: &vals.Type, Licence: &vals.Licence,
			Tags: &tags, Link: &vals.Link}, ups...)
		if err == nil {
			s.flash(c, "flash.changes_saved")
			return c.Redirect(resourceURL(v.CollectiveSlug, v.ID), fiber.StatusSeeOther)
		}
	}
	if !formError(c, err) {
		return err
	}
	status := c.Response().StatusCode()
	v, gerr := s.editable(c)
	if gerr != nil {
		return gerr
	}
	d := s.editFormData(v)
	d.Values, d.Error, d.Field = vals, s.faultText(c, err), fault.FieldOf(err)
	c.Status(status)
	return s.render(c, "resource_form", "collectives", d)
}

func (s *Server) resourceDeletePage(c *fiber.Ctx) error {
	v, err := s.editable(c)
	if err != nil {
		return err
	}
	if !v.CanDelete {
		return fault.New(fault.Forbidden, "seuls l'auteur et les modérateurs peuvent supprimer cette ressource")
	}
	if _, err := s.csrfToken(c); err != nil {
		return err
	}
	return s.render(c, "resource_delete", "collectives", pageOf(v))
}

func (s *Server) resourceDelete(c *fiber.Ctx) error {
	v, err := s.editable(c)
	if err != nil {
		return err
	}
	if err := s.d.Resources.Delete(c.UserContext(), principal(c), v.ID); err != nil {
		return err
	}
	s.flash(c, "flash.resource_deleted", "Title", v.Title)
	return c.Redirect("/c/"+v.CollectiveSlug+"/resources", fiber.StatusSeeOther)
}

func (s *Server) resourceFileDelete(c *fiber.Ctx) error {
	v, err := s.editable(c)
	if err != nil {
		return err
	}
	if err := s.d.Resources.RemoveAttachment(c.UserContext(), principal(c), v.ID, c.Params("file")); err != nil {
		return err
	}
	s.flash(c, "flash.attachment_removed")
	return c.Redirect(resourceURL(v.CollectiveSlug, v.ID)+"/edit", fiber.StatusSeeOther)
}

// --- downloads ---

// resourceDownload serves an attachment with the type sniffed at upload,
// X-Content-Type-Options: nosniff, and as a download (Content-Disposition:
// attachment) unless it is a PNG or JPEG image. The last path segment is
// the file's name, for the browser's "save as"; the ID alone finds it.
func (s *Server) resourceDownload(c *fiber.Ctx) error {
	d, err := s.d.Resources.Open(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	h := &c.Response().Header
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	// Nothing in a file runs with the hub's origin, even if a browser
	// ignored the disposition.
	h.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	h.Set(fiber.HeaderContentDisposition, contentDisposition(d.Inline, d.Name))
	h.Set(fiber.HeaderETag, `"`+d.SHA256+`"`)
	h.Set(fiber.HeaderLastModified, d.ModTime.UTC().Format(http.TimeFormat))
	if d.Public {
		h.Set(fiber.HeaderCacheControl, "public, max-age=300")
	} else {
		h.Set(fiber.HeaderCacheControl, "private, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == `"`+d.SHA256+`"` {
		d.File.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	h.Set(fiber.HeaderContentType, d.ContentType)
	if c.Method() == fiber.MethodHead {
		d.File.Close()
		h.SetContentLength(int(d.Size))
		return nil
	}
	// fasthttp closes the file once it is sent.
	return c.SendStream(d.File, int(d.Size))
}

// contentDisposition names the file for the browser: an ASCII fallback and
// the UTF-8 name (RFC 6266, RFC 8187).
func contentDisposition(inline bool, name string) string {
	kind := "attachment"
	if inline {
		kind = "inline"
	}
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// --- the JSON API ---

type apiRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type apiAuthor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type apiResourceSummary struct {
	ID              string     `json:"id"`
	URL             string     `json:"url"`
	Collective      apiRef     `json:"collective"`
	Group           *apiRef    `json:"group"`
	Title           string     `json:"title"`
	Summary         string     `json:"summary"`
	Type            string     `json:"type"`
	TypeLabel       string     `json:"type_label"`
	Licence         string     `json:"licence"`
	LicenceLabel    string     `json:"licence_label"`
	Tags            []string   `json:"tags"`
	Link            *string    `json:"link"`
	Author          *apiAuthor `json:"author"`
	AttachmentCount int        `json:"attachment_count"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

type apiAttachment struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
}

type apiResource struct {
	apiResourceSummary
	Body        string          `json:"body"`
	BodyHTML    string          `json:"body_html"`
	Attachments []apiAttachment `json:"attachments"`
}

func (s *Server) absolute(path string) string {
	return strings.TrimSuffix(s.d.BaseURL.String(), "/") + path
}

func (s *Server) apiSummary(it resource.Item) apiResourceSummary {
	out := apiResourceSummary{ID: it.ID, URL: s.absolute(resourceURL(it.CollectiveSlug, it.ID)),
		Collective: apiRef{ID: it.CollectiveID, Slug: it.CollectiveSlug, Name: it.CollectiveName},
		Title:      it.Title, Summary: it.Summary, Type: string(it.Kind), TypeLabel: resource.KindLabel(it.Kind),
		Licence: it.Licence, LicenceLabel: resource.Licence(it.Licence).Label, Tags: it.Tags,
		AttachmentCount: it.Attachments, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if it.GroupID != "" {
		out.Group = &apiRef{ID: it.GroupID, Slug: it.GroupSlug, Name: it.GroupName}
	}
	if it.Link != "" {
		out.Link = &it.Link
	}
	if it.AuthorID != "" {
		out.Author = &apiAuthor{ID: it.AuthorID, Name: it.AuthorName}
	}
	return out
}

func (s *Server) apiResource(v *resource.View) apiResource {
	out := apiResource{apiResourceSummary: s.apiSummary(v.Item), Body: v.Body, BodyHTML: string(v.BodyHTML), Attachments: []apiAttachment{}}
	out.AttachmentCount = len(v.Files)
	for _, f := range v.Files {
		out.Attachments = append(out.Attachments, apiAttachment{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size,
			SHA256: f.SHA256, URL: s.absolute(fileURL(f)), CreatedAt: f.CreatedAt})
	}
	return out
}

func (s *Server) apiResourceList(c *fiber.Ctx) error {
	f := resource.Filter{Collective: c.Query("collective"), Group: c.Query("group"), Type: c.Query("type"),
		Licence: c.Query("licence"), Tag: c.Query("tag"), Cursor: c.Query("cursor")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return fault.Field("limit", "limit doit être un nombre entier entre 1 et 100")
		}
		f.Limit = n
	}
	pg, err := s.d.Resources.List(c.UserContext(), principal(c), f)
	if err != nil {
		return err
	}
	items := make([]apiResourceSummary, 0, len(pg.Items))
	for _, it := range pg.Items {
		items = append(items, s.apiSummary(it))
	}
	var next *string
	if pg.Next != "" {
		next = &pg.Next
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(fiber.Map{"items": items, "next": next, "total": pg.Total})
}

func (s *Server) apiResourceGet(c *fiber.Ctx) error {
	v, err := s.d.Resources.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(s.apiResource(v))
}

// decodeJSON reads the request's JSON into dst, refusing unknown fields;
// a fault names the field at fault when it can.
func decodeJSON(c *fiber.Ctx, dst any) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return fault.New(fault.Invalid, "le corps de la requête doit être du JSON (Content-Type: application/json)")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.More() {
			return fault.New(fault.Invalid, "le corps de la requête contient plus d'un objet JSON")
		}
		return nil
	case errors.As(err, &te):
		return fault.Field(te.Field, "le champ « %s » doit être de type %s", te.Field, jsonTypeName(te.Type.String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fault.Field(name, "champ inconnu « %s »", name)
	case errors.Is(err, io.EOF):
		return fault.New(fault.Invalid, "le corps de la requête est vide : un objet JSON est attendu")
	}
	f := fault.New(fault.Invalid, "JSON invalide : %s", err.Error())
	f.Err = err
	return f
}

func jsonTypeName(t string) string {
	switch {
	case t == "string", strings.HasPrefix(t, "*string"):
		return "texte"
	case strings.Contains(t, "[]string"):
		return "liste de textes"
	}
	return t
}

type apiResourceIn struct {
	Collective string   `json:"collective"`
	Group      string   `json:"group"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Body       string   `json:"body"`
	Type       string   `json:"type"`
	Licence    string   `json:"licence"`
	Tags       []string `json:"tags"`
	Link       string   `json:"link"`
}

func (s *Server) apiResourceCreate(c *fiber.Ctx) error {
	var in apiResourceIn
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := s.d.Resources.Create(c.UserContext(), principal(c), resource.NewResource{Collective: in.Collective, Group: in.Group,
		Fields: resource.Fields{Title: in.Title, Summary: in.Summary, Body: in.Body, Type: in.Type, Licence: in.Licence, Tags: in.Tags, Link: in.Link}})
	if err != nil {
		return err
	}
	c.Location(s.absolute("/api/v1/resources/" + v.ID))
	return c.Status(fiber.StatusCreated).JSON(s.apiResource(v))
}

type apiResourcePatch struct {
	Title   *string   `json:"title"`
	Summary *string   `json:"summary"`
	Body    *string   `json:"body"`
	Type    *string   `json:"type"`
	Licence *string   `json:"licence"`
	Tags    *[]string `json:"tags"`
	Link    *string   `json:"link"`
}

func (s *Server) apiResourceUpdate(c *fiber.Ctx) error {
	var in apiResourcePatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := s.d.Resources.Update(c.UserContext(), principal(c), c.Params("id"), resource.Patch{Title: in.Title, Summary: in.Summary,
		Body: in.Body, Type: in.Type, Licence: in.Licence, Tags: in.Tags, Link: in.Link})
	if err != nil {
		return err
	}
	return c.JSON(s.apiResource(v))
}

func (s *Server) apiResourceDelete(c *fiber.Ctx) error {
	if err := s.d.Resources.Delete(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiAttachmentAdd(c *fiber.Ctx) error {
	ups, open, err := formUploads(c, "file")
	if err != nil {
		return err
	}
	defer closeAll(open)
	if len(ups) == 0 {
		return fault.Field("file", "aucun fichier : envoyez un formulaire multipart/form-data avec un ou plusieurs champs « file »")
	}
	v, err := s.d.Resources.Update(c.UserContext(), principal(c), c.Params("id"), resource.Patch{}, ups...)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.apiResource(v))
}

func (s *Server) apiAttachmentDelete(c *fiber.Ctx) error {
	if err := s.d.Resources.RemoveAttachment(c.UserContext(), principal(c), c.Params("id"), c.Params("attachment")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
