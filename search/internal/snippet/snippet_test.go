package snippet

import "testing"

func TestEscapeMarked(t *testing.T) {
	const pre, post = "[[m]]", "[[/m]]"
	cases := map[string]string{
		"plain":                           "plain",
		"a [[m]]Nextcloud[[/m]] <b>&</b>": "a <mark>Nextcloud</mark> &lt;b&gt;&amp;&lt;/b&gt;",
		"[[m]]<script>[[/m]]":             "<mark>&lt;script&gt;</mark>",
		"unclosed [[m]]mark":              "unclosed <mark>mark</mark>",
		"stray [[/m]]close":               "stray close",
		"[[m]]a[[m]]b[[/m]]":              "<mark>ab</mark>",
		`quote " and ' <mark>fake</mark>`: "quote &#34; and &#39; &lt;mark&gt;fake&lt;/mark&gt;",
		"":                                "",
	}
	for in, want := range cases {
		if got := EscapeMarked(in, pre, post); got != want {
			t.Errorf("EscapeMarked(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCropAndWindow(t *testing.T) {
	text := "un deux trois <quatre> cinq six"
	words := []Span{{0, 2}, {3, 7}, {8, 13}, {15, 21}, {23, 27}, {28, 31}}
	got := Crop(text, words, map[int]bool{3: true}, 0, len(words))
	if want := "un deux trois &lt;<mark>quatre</mark>&gt; cinq six"; got != want {
		t.Errorf("Crop whole = %q, want %q", got, want)
	}
	from, to := Window(len(words), 4, 3)
	if from != 3 || to != 6 {
		t.Errorf("Window = %d, %d", from, to)
	}
	got = Crop(text, words, map[int]bool{4: true}, from, to)
	if want := "…quatre&gt; <mark>cinq</mark> six"; got != want {
		t.Errorf("Crop tail = %q, want %q", got, want)
	}
	got = Crop(text, words, nil, 0, 2)
	if want := "un deux…"; got != want {
		t.Errorf("Crop head = %q, want %q", got, want)
	}
	if from, to := Window(100, -1, 30); from != 0 || to != 30 {
		t.Errorf("Window without match = %d, %d", from, to)
	}
	if from, to := Window(100, 95, 30); from != 70 || to != 100 {
		t.Errorf("Window near the end = %d, %d", from, to)
	}
	if got := Crop("  a <b>  ", nil, nil, 0, 0); got != "a &lt;b&gt;" {
		t.Errorf("Crop without words = %q", got)
	}
}
