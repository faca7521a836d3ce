package discussion

import (
	"embed"
	"fmt"
	"text/template"

	"collectif/mail"
	"collectif/model"
)

// The languages of mails, chosen by each account (model.Account.Lang);
// French is the hub's, for those who chose none.
const (
	French  = mail.French
	English = mail.English
)

// mailFiles are the texts of the digest, one file per language (see
// mails/fr.tmpl).
//
//go:embed mails/*.tmpl
var mailFiles embed.FS

// mailTexts are the parsed texts; the digest's notifications are
// described in its language.
var mailTexts = mail.ParseTexts(mailFiles, "mails", func(lang string) template.FuncMap {
	return template.FuncMap{"describe": func(n NotificationView) string { return DescribeIn(lang, n) }}
})

// digestData is what the text of a digest reads.
type digestData struct {
	Name  string             // the member's
	Items []NotificationView // the notifications listed
	Total int                // how many are unread and not yet mailed
	More  int                // how many of them are not listed
	Base  string             // the hub's address, without a final slash
	Host  string             // the hub's host name, for the signature
}

// writeDigest makes the subject and text of a digest in the member's
// language lang.
func writeDigest(lang string, d *digestData) (subject, text string, err error) {
	return mailTexts.Write(lang, "digest", d)
}

// Describe says in one French sentence what a notification is about.
func Describe(n NotificationView) string { return DescribeIn(French, n) }

// DescribeIn says in one sentence of lang (English, or French for any
// other) what a notification is about.
func DescribeIn(lang string, n NotificationView) string {
	en := mail.Lang(lang) == English
	actor := n.Actor.Name
	if actor == "" {
		actor = "Un compte supprimé"
		if en {
			actor = "A deleted account"
		}
	}
	topic := "« " + n.TopicTitle + " »"
	switch {
	case n.TopicTitle == "" && en:
		topic = "a deleted topic"
	case n.TopicTitle == "":
		topic = "un sujet supprimé"
	case en:
		topic = "“" + n.TopicTitle + "”"
	}
	where := n.Place.Collective.Name + " › " + n.Place.Group.Name
	if en {
		switch n.Kind {
		case model.NotifyReply:
			return fmt.Sprintf("%s replied in %s (%s)", actor, topic, where)
		case model.NotifyInvitation:
			return fmt.Sprintf("%s invites you to the group %s", actor, where)
		case model.NotifyJoinRequest:
			return fmt.Sprintf("%s asks to join the group %s", actor, where)
		case model.NotifyJoinApproved:
			return fmt.Sprintf("You are a member of the group %s", where)
		case model.NotifyJoinRefused:
			return fmt.Sprintf("Your request to join the group %s was not accepted", where)
		}
		return where
	}
	switch n.Kind {
	case model.NotifyReply:
		return fmt.Sprintf("%s a répondu dans %s (%s)", actor, topic, where)
	case model.NotifyInvitation:
		return fmt.Sprintf("%s vous invite dans le groupe %s", actor, where)
	case model.NotifyJoinRequest:
		return fmt.Sprintf("%s demande à rejoindre le groupe %s", actor, where)
	case model.NotifyJoinApproved:
		return fmt.Sprintf("Vous êtes membre du groupe %s", where)
	case model.NotifyJoinRefused:
		return fmt.Sprintf("Votre demande pour rejoindre le groupe %s n'a pas été acceptée", where)
	}
	return where
}
