package account

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected mails of testdata/mails")

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
			golden(t, filepath.Join("testdata", "mails", name+"."+lang+".txt"), "Subject: "+subject+"\n\n"+text)
		}
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}
