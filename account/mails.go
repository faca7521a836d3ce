package account

import (
	"embed"
	"strings"
	"text/template"
)

// mailFiles are the texts of the account's mails, one file per language
// of Languages, each mail a pair of templates (see mails/fr.tmpl).
//
//go:embed mails/*.tmpl
var mailFiles embed.FS

// mailTemplates are the parsed texts, by language.
var mailTemplates = parseMails()

func parseMails() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, lang := range Languages {
		out[lang] = template.Must(template.New(lang).ParseFS(mailFiles, "mails/"+lang+".tmpl"))
	}
	return out
}

// mailLang is the language of an account's mails: the one it chose,
// French (the hub's) when it chose none.
func mailLang(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "fr"
}

// mailData is what the texts of the account's mails read.
type mailData struct {
	Name  string // the account's
	Email string // the account's address
	New   string // e-mail change: the new address
	Link  string // e-mail change: the confirmation link
	Base  string // the hub's address
	Host  string // the hub's host name, for the signature
}

// write makes the subject and text of mail name in the account's
// language lang.
func write(lang, name string, d *mailData) (subject, text string, err error) {
	t := mailTemplates[mailLang(lang)]
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name+".subject", d); err != nil {
		return "", "", err
	}
	subject = b.String()
	b.Reset()
	if err := t.ExecuteTemplate(&b, name, d); err != nil {
		return "", "", err
	}
	return subject, b.String(), nil
}
