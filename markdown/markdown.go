// Package markdown turns what members write (CommonMark with GitHub's
// tables, strikethrough, autolinks and task lists) into HTML that is safe
// to show: goldmark renders, bluemonday keeps only a small list of tags
// and attributes, links get rel="nofollow noopener ugc", and raw HTML in
// the source is dropped, never passed through.
//
// It imports only goldmark and bluemonday.
package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// MaxSource is the largest Markdown source accepted (256 KiB): enough for a
// long guide, small enough that rendering stays cheap.
const MaxSource = 256 << 10

// Renderer renders Markdown. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	text   *bluemonday.Policy
}

// New returns a renderer.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		// No goldmark html.WithUnsafe: raw HTML in the source is omitted.
	)
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowURLSchemes("http", "https", "mailto")
	// Images would load from anywhere: a third-party request the hub
	// promises never to make. imagesAsLinks shows them as links instead.
	return &Renderer{md: md, policy: p, text: bluemonday.StrictPolicy()}
}

// HTML renders src to safe HTML.
func (r *Renderer) HTML(src string) (template.HTML, error) {
	if len(src) > MaxSource {
		return "", fmt.Errorf("markdown: source of %d bytes is over %d", len(src), MaxSource)
	}
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("markdown: %w", err)
	}
	out := r.policy.SanitizeBytes(imagesAsLinks(buf.Bytes()))
	return template.HTML(out), nil //nolint:gosec // sanitized just above
}

// Text returns the plain text of src, for search indexing and summaries.
func (r *Renderer) Text(src string) string {
	h, err := r.HTML(src)
	if err != nil {
		return ""
	}
	t := r.text.Sanitize(strings.NewReplacer("</p>", "</p>\n", "<br>", "\n", "</li>", "</li>\n", "</h1>", "</h1>\n", "</h2>", "</h2>\n", "</h3>", "</h3>\n").Replace(string(h)))
	var lines []string
	for _, l := range strings.Split(htmlUnescape(t), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// imagesAsLinks rewrites <img src="u" alt="a"> as <a href="u">a</a>.
func imagesAsLinks(b []byte) []byte {
	s := string(b)
	var out strings.Builder
	for {
		i := strings.Index(s, "<img ")
		if i < 0 {
			out.WriteString(s)
			return []byte(out.String())
		}
		out.WriteString(s[:i])
		j := strings.Index(s[i:], ">")
		if j < 0 {
			return []byte(out.String())
		}
		tag := s[i : i+j+1]
		src, alt := attr(tag, "src"), attr(tag, "alt")
		if alt == "" {
			alt = "image"
		}
		fmt.Fprintf(&out, `<a href="%s">%s</a>`, src, alt)
		s = s[i+j+1:]
	}
}

func attr(tag, name string) string {
	k := name + `="`
	i := strings.Index(tag, k)
	if i < 0 {
		return ""
	}
	rest := tag[i+len(k):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}
