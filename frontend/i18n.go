package frontend

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"path"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// French is the hub's language, and the one used when nothing else is
// asked for. English is the other one offered.
const (
	French  = "fr"
	English = "en"
)

// Languages are the page languages, the default first.
var Languages = []string{French, English}

var languageTags = []language.Tag{language.French, language.English}

// Localized is implemented by the data given to Render, so that the page
// is rendered in the visitor's language.
type Localized interface {
	Locale() string
}

// loadBundle reads every locales/*.toml file. A file is named
// area.lang.toml (or lang.toml): each area of the site owns its file, and
// go-i18n merges the files of one language.
func loadBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.French)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(files, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, p := range names {
		buf, err := files.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(buf, path.Base(p)); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return b, nil
}

// Match chooses the page language: the one chosen (a member's account
// preference, or the lang cookie) if it names one of Languages, then the
// browser's Accept-Language, else French.
func Match(chosen, acceptLanguage string) string {
	for _, l := range Languages {
		if chosen == l {
			return l
		}
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return French
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return French
	}
	return Languages[i]
}

var matcher = language.NewMatcher(languageTags)

// Label is the text of the message prefix.value in lang, or value when
// there is none (see the template function label).
func (f *Frontend) Label(lang, prefix, value string) string {
	tr, ok := f.translators[lang]
	if !ok {
		tr = f.translators[French]
	}
	return tr.label(prefix, value)
}

// translator turns message IDs into text in one language.
type translator struct {
	lang string
	loc  *i18n.Localizer
}

// T returns the message id in lang, with args as translate reads them.
// A message missing in lang falls back to French; a message missing
// everywhere is returned as its ID (the tests keep this from happening).
func (f *Frontend) T(lang, id string, args ...any) string {
	tr, ok := f.translators[lang]
	if !ok {
		tr = f.translators[French]
	}
	s, _ := tr.localize(id, false, args...)
	return s
}

// translate is the template function t. A message is trusted HTML (it
// comes from the message files, so a sentence may keep its link or its
// <code> in the order its language needs); the values given to it are
// escaped. Server messages (T) are plain text and their values are not.
//
//	{{t "home.title"}}
//
//	{{t "home.title"}}
//	{{t "home.members" .Members}}            one number: chooses the plural form, {{.Count}}
//	{{t "group.by" "Name" .Author.Name}}    pairs of name and value
//	{{t "topics.count" "Count" 3 "Name" .X}} a Count among pairs also chooses the plural form
//
// Count is given to the message formatted for the language (1 234).
func (tr translator) translate(id string, args ...any) (template.HTML, error) {
	s, err := tr.localize(id, true, args...)
	return template.HTML(s), err //nolint:gosec // messages are ours; their values are escaped
}

func (tr translator) localize(id string, escape bool, args ...any) (string, error) {
	lc := &i18n.LocalizeConfig{MessageID: id}
	data := map[string]any{}
	switch {
	case len(args) == 1:
		if m, ok := args[0].(map[string]any); ok {
			for k, v := range m {
				data[k] = v
			}
		} else {
			data["Count"] = args[0]
		}
	case len(args)%2 == 0:
		for i := 0; i < len(args); i += 2 {
			k, ok := args[i].(string)
			if !ok {
				return id, fmt.Errorf("t %q: argument %d is not a name", id, i+1)
			}
			data[k] = args[i+1]
		}
	default:
		return id, fmt.Errorf("t %q: odd number of arguments", id)
	}
	if n, ok := data["Count"]; ok {
		if !isInteger(n) {
			return id, fmt.Errorf("t %q: Count is %T, not an integer", id, n)
		}
		lc.PluralCount = n
		data["Count"] = formatNumber(tr.lang, n)
	}
	if escape {
		for k, v := range data {
			data[k] = html.EscapeString(fmt.Sprint(v))
		}
	}
	if len(data) > 0 {
		lc.TemplateData = data
	}
	s, err := tr.loc.Localize(lc)
	if s == "" && err != nil {
		return id, err
	}
	var nf *i18n.MessageNotFoundErr
	if err != nil && !errors.As(err, &nf) {
		return s, fmt.Errorf("t %q: %w", id, err)
	}
	return s, nil
}

// label is the template function for values that come from data, such as
// a resource kind or a licence: {{label "licence" .ID}} is the message
// licence.<ID>, or the value itself when no message names it (a licence
// met in a remote catalog, say), so that data never breaks a page.
func (tr translator) label(prefix string, v any) string {
	s := fmt.Sprint(v)
	out, err := tr.localize(prefix+"."+s, false)
	if err != nil {
		return s
	}
	return out
}

func isInteger(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// ogLocale is the Open Graph name of a language.
func ogLocale(lang string) string {
	if lang == English {
		return "en_GB"
	}
	return "fr_FR"
}

// langOf reads the language of the data given to Render.
func langOf(data any) string {
	if l, ok := data.(Localized); ok {
		for _, x := range Languages {
			if strings.EqualFold(l.Locale(), x) {
				return x
			}
		}
	}
	return French
}
