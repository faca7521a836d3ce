package resource

import (
	"bytes"
	"testing"
)

func TestDisplayNames(t *testing.T) {
	cases := []struct{ in, ctype, want string }{
		{"guide.pdf", "application/pdf", "guide.pdf"},
		{"Guide.PDF", "application/pdf", "Guide.PDF"},
		{"../../etc/passwd", "text/plain; charset=utf-8", "passwd.txt"},
		{`C:\Users\camille\Délibération 2024.odt`, "application/vnd.oasis.opendocument.text", "Délibération 2024.odt"},
		{"notes.exe", "application/pdf", "notes.exe.pdf"},
		{"facture\u202egpj.exe", "image/jpeg", "facturegpj.exe.jpg"},
		{"a\x00b\r\nc.txt", "text/plain", "abc.txt"},
		{`rapport: "final"?.md`, "text/markdown; charset=utf-8", "rapport_ _final__.md"},
		{"...", "application/pdf", "fichier.pdf"},
		{"", "text/csv", "fichier.csv"},
		{string(bytes.Repeat([]byte("é"), 150)) + ".pdf", "application/pdf", string(bytes.Repeat([]byte("é"), 98)) + ".pdf"},
	}
	for _, c := range cases {
		if got := displayName(c.in, c.ctype); got != c.want {
			t.Errorf("displayName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSniffPlainText(t *testing.T) {
	for _, c := range []struct{ name, content, want string }{
		{"a.txt", "Bonjour à tous", "text/plain; charset=utf-8"},
		{"a.md", "# Titre", "text/markdown; charset=utf-8"},
		{"a.csv", "a;b\n\xe9;1", "text/csv"},
		{"a.pdf", "du texte nommé .pdf", "text/plain; charset=utf-8"},
		{"a.txt", "\x89PNG\r\n\x1a\n....", "image/png"},
		{"a.txt", "\xff\xd8\xff\xe0", "image/jpeg"},
	} {
		got, err := sniff([]byte(c.content), bytes.NewReader([]byte(c.content)), int64(len(c.content)), c.name)
		if err != nil || got != c.want {
			t.Errorf("sniff(%q) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}
