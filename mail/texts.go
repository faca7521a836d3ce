package mail

import (
	"io/fs"
	"strings"
	"text/template"
)

// The languages mails are written in. French is the hub's: anyone who chose
// no language (or another) gets French.
const (
	French  = "fr"
	English = "en"
)

// Languages lists the languages of mails.
var Languages = []string{French, English}

// Lang returns lang when mails are written in it, French otherwise.
func Lang(lang string) string {
	if lang == English {
		return English
	}
	return French
}

// Texts are the texts of a package's mails: one text/template file per
// language (dir/fr.tmpl, dir/en.tmpl), in which each mail NAME is a pair
// of templates, "NAME.subject" and "NAME" (the plain-text body). Keeping
// the texts in files of their own lets a translator read and change them
// without Go, and tests hold them to golden files.
type Texts struct {
	byLang map[string]*template.Template
}

// ParseTexts parses the texts of fsys under dir, for each language of
// Languages; funcs, when not nil, gives the functions a language's
// templates may call (dates and labels written in that language). It
// panics on a malformed file: the texts are embedded in the binary, so a
// mistake is the programmer's, found by the first test.
func ParseTexts(fsys fs.FS, dir string, funcs func(lang string) template.FuncMap) *Texts {
	t := &Texts{byLang: map[string]*template.Template{}}
	for _, lang := range Languages {
		tm := template.New(lang)
		if funcs != nil {
			tm = tm.Funcs(funcs(lang))
		}
		t.byLang[lang] = template.Must(tm.ParseFS(fsys, dir+"/"+lang+".tmpl"))
	}
	return t
}

// Write makes the subject and the text of mail name in lang (French for a
// language mails are not written in) from data.
func (t *Texts) Write(lang, name string, data any) (subject, text string, err error) {
	tm := t.byLang[Lang(lang)]
	var b strings.Builder
	if err := tm.ExecuteTemplate(&b, name+".subject", data); err != nil {
		return "", "", err
	}
	subject = b.String()
	b.Reset()
	if err := tm.ExecuteTemplate(&b, name, data); err != nil {
		return "", "", err
	}
	return subject, b.String(), nil
}

// Names lists the templates of lang's file, to check that every language
// has the same mails.
func (t *Texts) Names(lang string) []string {
	var out []string
	for _, tm := range t.byLang[Lang(lang)].Templates() {
		if tm.Name() != lang && tm.Name() != lang+".tmpl" {
			out = append(out, tm.Name())
		}
	}
	return out
}
