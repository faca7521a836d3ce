package frontend

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

//go:embed templates static locales
var files embed.FS

// Asset is one static file.
type Asset struct {
	Name        string // hashed name: style.1a2b3c4d5e.css
	ContentType string
	Body        []byte
	ETag        string
}

// Frontend renders pages and serves assets.
type Frontend struct {
	pages       map[string]map[string]*template.Template // by language, then name
	translators map[string]translator
	assets      map[string]*Asset // by hashed name
	hashed      map[string]string // plain name → hashed name

	faults map[string]map[string]string // fault messages by language, then by French format
}

// New parses the templates and hashes the assets.
func New() (*Frontend, error) {
	// The hub's people live in Europe/Paris; dates of events across the
	// daylight-saving change depend on it. The binary embeds time/tzdata.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("frontend: %w", err)
	}
	bundle, err := loadBundle()
	if err != nil {
		return nil, fmt.Errorf("frontend: messages: %w", err)
	}
	f := &Frontend{pages: map[string]map[string]*template.Template{}, translators: map[string]translator{}, assets: map[string]*Asset{}, hashed: map[string]string{}}
	if f.faults, err = loadFaults(); err != nil {
		return nil, fmt.Errorf("frontend: fault messages: %w", err)
	}
	err = fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:5])
		base := path.Base(p)
		ext := path.Ext(base)
		name := strings.TrimSuffix(base, ext) + "." + h + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		f.assets[name] = &Asset{Name: name, ContentType: ct, Body: b, ETag: `"` + h + `"`}
		f.hashed[base] = name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("frontend: assets: %w", err)
	}
	for _, lang := range Languages {
		tr := translator{lang: lang, loc: i18n.NewLocalizer(bundle, lang)}
		f.translators[lang] = tr
		pages, err := f.parse(f.funcs(tr, paris))
		if err != nil {
			return nil, err
		}
		f.pages[lang] = pages
	}
	return f, nil
}

// funcs are the template functions for one language.
func (f *Frontend) funcs(tr translator, paris *time.Location) template.FuncMap {
	lang := tr.lang
	return template.FuncMap{
		"asset": func(name string) (string, error) {
			h, ok := f.hashed[name]
			if !ok {
				return "", fmt.Errorf("no asset %q", name)
			}
			return "/static/" + h, nil
		},
		"t":        tr.translate,
		"label":    tr.label,
		"number":   func(v any) string { return formatNumber(lang, v) },
		"money":    func(v any) string { return formatMoney(lang, v) },
		"date":     func(t time.Time) string { return formatDate(lang, t, paris) },
		"datetime": func(t time.Time) string { return formatDateTime(lang, t, paris) },
		"size":     func(n int64) string { return formatSize(lang, n) },
		"clock":    func(t time.Time) string { return formatClock(lang, t, paris) },
		"day":      func(t time.Time) string { return formatDay(lang, t, paris) },
		"span":     func(a, b time.Time) string { return formatSpan(lang, a, b, paris) },
		"ogLocale": func() string { return ogLocale(lang) },
		"regions":  func() []Region { return Regions },
		"regionPick": func(id, selected string, empty template.HTML) regionPick {
			return regionPick{ID: id, Selected: selected, Empty: empty}
		},
		"regionName": RegionName,
		// safeSnippet marks as safe the snippets of the search engines,
		// which escape the text and add only <mark> tags.
		"safeSnippet": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // escaped by search/
		"orgKind":     func(kind any) string { return tr.label("kind", kind) },
		// plural is the French-only helper of the first pages; new text
		// uses t with a message that has one/other forms.
		"plural": func(n int, one, many string) string {
			if n <= 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
	}
}

// parse builds every page of templates/ with the layout, for one language.
func (f *Frontend) parse(funcs template.FuncMap) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("frontend: layout: %w", err)
	}
	pages, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(files, p)
		if err != nil {
			return nil, fmt.Errorf("frontend: %s: %w", p, err)
		}
		out[name] = t
	}
	return out, nil
}

// Render writes the page name with data, in the language data gives
// (see Localized; French otherwise). It renders into a buffer first,
// so a template error never sends half a page.
func (f *Frontend) Render(w io.Writer, name string, data any) error {
	t, ok := f.pages[langOf(data)][name]
	if !ok {
		return fmt.Errorf("frontend: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("frontend: render %s: %w", name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Asset returns the static file with the hashed name.
func (f *Frontend) Asset(name string) (*Asset, bool) {
	a, ok := f.assets[name]
	return a, ok
}
