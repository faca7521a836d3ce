package account

import (
	"path/filepath"
	"testing"

	"collectif/mail/mailtest"
)

// TestMailTexts holds each mail, in each language, to its text in
// testdata/mails (go test -update rewrites them after a wanted change).
func TestMailTexts(t *testing.T) {
	d := &mailData{Name: "Camille Dupont", Email: "camille@ville.example", New: "c.dupont@metropole.example",
		Link: "https://hub.example/account/email/confirm?token=TOKEN", Base: "https://hub.example", Host: "hub.example"}
	for _, lang := range []string{"fr", "en"} {
		for _, name := range []string{"welcome", "email_confirm", "email_notice"} {
			subject, text, err := write(lang, name, d)
			if err != nil {
				t.Fatal(err)
			}
			mailtest.Golden(t, filepath.Join("testdata", "mails", name+"."+lang+".txt"), "Subject: "+subject+"\n\n"+text)
		}
	}
}
