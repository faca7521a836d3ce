// Package frontend holds what people's browsers get: the html/template
// pages, the stylesheet and the few static files, embedded in the binary.
// Static files are served under names that carry a hash of their content,
// so they can be cached for a year and still change with each release.
//
// It imports only the standard library.
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
)

//go:embed templates static
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
	pages  map[string]*template.Template
	assets map[string]*Asset // by hashed name
	hashed map[string]string // plain name → hashed name
}

// New parses the templates and hashes the assets.
func New() (*Frontend, error) {
	// The hub's people live in Europe/Paris; dates of events across the
	// daylight-saving change depend on it. The binary embeds time/tzdata.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("frontend: %w", err)
	}
	f := &Frontend{pages: map[string]*template.Template{}, assets: map[string]*Asset{}, hashed: map[string]string{}}
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
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			h, ok := f.hashed[name]
			if !ok {
				return "", fmt.Errorf("no asset %q", name)
			}
			return "/static/" + h, nil
		},
		"date": func(t time.Time) string { return frenchDate(t, paris) },
		// safeSnippet marks as safe the snippets of the search engines,
		// which escape the text and add only <mark> tags.
		"safeSnippet": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // escaped by search/
		"orgKind":     orgKindLabel,
		"plural": func(n int, one, many string) string {
			// French: 0 and 1 take the singular.
			if n <= 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
	}
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
		f.pages[name] = t
	}
	return f, nil
}

// Render writes the page name with data. It renders into a buffer first,
// so a template error never sends half a page.
func (f *Frontend) Render(w io.Writer, name string, data any) error {
	t, ok := f.pages[name]
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

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

func frenchDate(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// orgKindLabel names an organization kind (or a territory kind) in French.
func orgKindLabel(kind any) string {
	k := fmt.Sprint(kind)
	switch k {
	case "commune":
		return "commune"
	case "departement":
		return "département"
	case "region":
		return "région"
	case "epci":
		return "intercommunalité"
	case "overseas":
		return "collectivité d'outre-mer"
	case "state":
		return "administration de l'État"
	case "association":
		return "association"
	case "company":
		return "entreprise"
	}
	return k
}
