package markdown

import (
	"strings"
	"testing"
)

func TestRenderIsSafe(t *testing.T) {
	r := New()
	cases := []struct {
		name, src     string
		want, mustNot []string
	}{
		{"formatting", "# Titre\n\nDu **gras**, de l'*italique*, `du code`.\n\n- un\n- deux",
			[]string{"<h1", "<strong>gras</strong>", "<em>italique</em>", "<code>du code</code>", "<li>un</li>"}, nil},
		{"raw html dropped", "avant <script>alert(1)</script> après <b onclick=x>b</b>",
			[]string{"avant", "après"}, []string{"<script", "alert(1)</script", "onclick"}},
		{"javascript link", "[clic](javascript:alert(1))", nil, []string{"javascript:"}},
		{"links nofollow", "[DINUM](https://www.numerique.gouv.fr)", []string{`href="https://www.numerique.gouv.fr"`, "nofollow"}, nil},
		{"image becomes a link", "![logo](https://tiers.example/logo.png)", []string{`<a href="https://tiers.example/logo.png"`}, []string{"<img"}},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := r.HTML(c.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(string(h), w) {
					t.Errorf("output lacks %q:\n%s", w, h)
				}
			}
			for _, m := range c.mustNot {
				if strings.Contains(string(h), m) {
					t.Errorf("output has %q:\n%s", m, h)
				}
			}
		})
	}
}

func TestTooLargeAndText(t *testing.T) {
	r := New()
	if _, err := r.HTML(strings.Repeat("a", MaxSource+1)); err == nil {
		t.Fatal("an oversized source was rendered")
	}
	if got := r.Text("# Marché public\n\nModèle de **CCTP** pour l'hébergement Nextcloud."); got != "Marché public\nModèle de CCTP pour l'hébergement Nextcloud." {
		t.Fatalf("Text = %q", got)
	}
}
