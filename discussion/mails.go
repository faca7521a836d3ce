package discussion

import (
	"fmt"
	"strings"
)

// digestData is what the text of a digest reads.
type digestData struct {
	Name  string             // the member's
	Items []NotificationView // the notifications listed
	Total int                // how many are unread and not yet mailed
	More  int                // how many of them are not listed
	Base  string             // the hub's address, without a final slash
	Host  string             // the hub's host name, for the signature
}

// writeDigest makes the subject and text of a digest in lang.
func writeDigest(lang string, d *digestData) (subject, text string, err error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Bonjour %s,\n\nvoici ce qui vous attend dans vos groupes de travail sur %s :\n\n", d.Name, d.Host)
	for _, v := range d.Items {
		fmt.Fprintf(&b, "- %s\n  %s%s\n", Describe(v), d.Base, v.URL())
	}
	if more := d.More; more > 0 {
		fmt.Fprintf(&b, "\n… et %d autre(s) notification(s).\n", more)
	}
	fmt.Fprintf(&b, "\nToutes vos notifications : %s/notifications\n"+
		"Vous recevez ce résumé quotidien parce que vous l'avez demandé ; vous pouvez l'arrêter sur cette même page.\n\n-- \n%s\n", d.Base, d.Host)
	n := d.Total
	subject = fmt.Sprintf("%d notification non lue sur %s", n, d.Host)
	if n > 1 {
		subject = fmt.Sprintf("%d notifications non lues sur %s", n, d.Host)
	}
	return subject, b.String(), nil
}
