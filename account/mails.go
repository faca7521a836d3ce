package account

import (
	"embed"

	"collectif/mail"
)

// mailFiles are the texts of the account's mails, one file per language
// of mail.Languages, each mail a pair of templates (see mail.Texts).
//
//go:embed mails/*.tmpl
var mailFiles embed.FS

// mailTexts are the parsed texts.
var mailTexts = mail.ParseTexts(mailFiles, "mails", nil)

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
// language lang (French when it chose none).
func write(lang, name string, d *mailData) (subject, text string, err error) {
	return mailTexts.Write(lang, name, d)
}
