// Package frontend holds what people's browsers get: the html/template
// pages, the stylesheet and the few static files, and the message files of
// the two languages, all embedded in the binary. Static files are served
// under names that carry a hash of their content, so they can be cached
// for a year and still change with each release.
//
// # Languages
//
// Pages exist in French (the default) and English. The server chooses the
// language of each request with Match: the language a logged-in member
// chose for their account (on the account page, or with the switch while
// logged in), else the lang cookie the footer's switch sets (GET
// /lang/en?next=/page, which works without JavaScript; a login sets it to
// the member's choice), then the browser's Accept-Language, else French. The data given to Render says
// the language through its Locale method (Localized); each language has
// its own parsed copy of the templates, whose functions are bound to it,
// so a template never passes the language around:
//
//	{{t "home.heading"}}                       a message
//	{{t "common.members" .Members}}            one integer: the plural form, {{.Count}} in the message
//	{{t "login.with" "Name" .Name}}            named values, {{.Name}} in the message
//	{{t "notifications.unread" "Count" 3 "Total" 9}}  a Count among them chooses the form
//	{{label "licence" .ID}}                    the message licence.<ID>, or the ID itself if none
//	{{number 1234.5}} {{money 12}} {{size .Bytes}}  1 234,5 · 12 € · 340 Ko (English: 1,234.5 · €12 · 340 KB)
//	{{date .At}} {{datetime .At}}              12 mars 2026 · 12 mars 2026 à 14 h 30, in Europe/Paris
//	{{template "regionselect" (regionPick "region" .Region (t "region.any"))}}  a <select> of the régions
//
// Plural forms follow each language's rules (go-i18n's CLDR tables): in
// French 0 and 1 take "one". A message is trusted HTML, so a sentence keeps
// its link where its language puts it ("<a href=\"{{.URL}}\">Connectez-vous</a>
// pour…"); the values given to it are escaped. The server translates its
// own words (flash messages, error titles) with Frontend.T, whose messages
// are plain text.
//
// # Adding the strings of an area
//
// Messages live in locales/, one pair of TOML files per area, named
// area.fr.toml and area.en.toml (fr.toml and en.toml hold what every page
// shares: layout, buttons, kinds of organization). go-i18n merges the
// files of a language. A table is the first part of the ID:
//
//	# locales/catalog.fr.toml
//	[catalog]
//	title = "Logiciels"
//	count = { one = "{{.Count}} logiciel", other = "{{.Count}} logiciels" }
//
// gives {{t "catalog.title"}} and {{t "catalog.count" .N}}. A new area
// writes its two files and uses t in its templates; nothing else is
// registered. A key named like one of go-i18n's reserved fields (id,
// description, hash, zero, one, two, few, many, other) turns its table
// into a message: avoid them as keys. The tests check that every message
// exists in both languages, that each is used (named whole, between
// quotes, in a template or in Go code; the prefixes read with label are
// listed in i18n_test.go) and that every t names an existing message;
// the server's tests render the pages in English and look for French.
//
// # Domain errors
//
// The messages of the domain packages' faults (fault.Error, such as "le
// titre est obligatoire") are written in French where the rule is. As
// with GNU gettext, the French text is their ID: locales/faults/en.toml
// maps each French format string to its English one, with the same verbs
// in the same order, and FaultMessage looks it up for fault.Localize,
// which the server calls for every fault it shows (pages, flash messages,
// the JSON API). A message without a translation is shown in French. The
// tests read every Go file of the module and fail on a fault's message
// that has no English, on a translation whose verbs differ, on a message
// that is not a literal string, and on a translation no code uses.
//
// Templates written before this, with French text and the helper plural,
// still render (in French, in both languages) until they move to t.
//
// It imports the standard library, go-i18n, its TOML parser and
// golang.org/x/text/language.
package frontend
