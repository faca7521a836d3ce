package territory

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// tsv builds a data file from lines whose fields are separated by "|", which
// reads better in a test than tabs.
func tsv(lines ...string) string {
	return strings.ReplaceAll(strings.Join(lines, "\n")+"\n", "|", "\t")
}

var (
	okHeader = []string{
		"#territory|1|pkg|1.0.0|2026-01-01",
		"#count|region|1", "#count|departement|1", "#count|commune|2", "#count|epci|1",
	}
	okBody = []string{
		"R|84|Auvergne-Rhône-Alpes|metro|3",
		"D|38|Isère|84|metro|3",
		"C|38151|Échirolles|213801517|38|1",
		"C|38185|Grenoble|213801855|38|2",
		"E|200040715|Grenoble-Alpes-Métropole|METRO|38|84|metro|3|38151,38185",
	}
)

func with(body ...string) string { return tsv(append(append([]string{}, okHeader...), body...)...) }

func TestParseSmall(t *testing.T) {
	x, err := parse(gz(t, with(okBody...)))
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Search("echirolles", 1); len(got) != 1 || got[0].Code != "38151" || got[0].Region != "84" {
		t.Errorf("Search = %+v", got)
	}
	if got := x.Members("200040715"); len(got) != 2 {
		t.Errorf("Members = %+v", got)
	}
	if e, ok := x.EPCIOf("38185"); !ok || e.Code != "200040715" {
		t.Errorf("EPCIOf = %+v, %v", e, ok)
	}
}

func TestParseErrors(t *testing.T) {
	swap := func(i int, line string) []string {
		b := append([]string{}, okBody...)
		b[i] = line
		return b
	}
	for _, c := range []struct {
		name, data, want string
	}{
		{"not gzip", "plain text", "gzip"},
		{"not ours", gz(t, tsv("hello")), "not a territory data file"},
		{"version", gz(t, tsv(append([]string{"#territory|2|pkg|1.0.0|2026-01-01"}, okHeader[1:]...)...)), "format version"},
		{"counts", gz(t, with(okBody[:4]...)), "header says"},
		{"unsorted", gz(t, with(swap(3, "C|38000|Avant|213800007|38|2")...)), "not sorted"},
		{"order", gz(t, with(append(okBody, "D|39|Jura|84|metro|0")...)), "out of order"},
		{"unknown département", gz(t, with(swap(3, "C|38185|Grenoble|213801855|99|2")...)), "unknown département"},
		{"unknown member", gz(t, with(swap(4, "E|200040715|G|METRO|38|84|metro|3|38151,38999")...)), "unknown member"},
		{"unknown type", gz(t, with(swap(4, "E|200040715|G|XYZ|38|84|metro|3|38151")...)), "unknown EPCI type"},
		{"bad population", gz(t, with(swap(2, "C|38151|Échirolles|213801517|38|many")...)), "population"},
		{"bad SIREN", gz(t, with(swap(2, "C|38151|Échirolles|2138|38|1")...)), "SIREN"},
		{"same SIREN", gz(t, with(swap(3, "C|38185|Grenoble|213801517|38|2")...)), "twice"},
		{"fields", gz(t, with(swap(0, "R|84|Auvergne-Rhône-Alpes|metro")...)), "fields"},
		{"record type", gz(t, with(append([]string{"X|1"}, okBody...)...)), "unknown record type"},
		{"no newline", gz(t, strings.TrimSuffix(with(okBody...), "\n")), "no final newline"},
		{"two EPCIs", gz(t, strings.Replace(with(append(okBody, "E|200040716|Autre|CC|38|84|metro|1|38151")...), "epci\t1", "epci\t2", 1)), "member of both"},
	} {
		_, err := parse(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestSpan(t *testing.T) {
	if _, err := makeSpan(spanMaxOff+1, 1); err == nil {
		t.Error("offset beyond 24 bits accepted")
	}
	if _, err := makeSpan(0, spanMaxLen+1); err == nil {
		t.Error("length beyond 8 bits accepted")
	}
	s, err := makeSpan(3, 4)
	if err != nil || s.in("abcdefgh") != "defg" {
		t.Errorf("span = %q, %v", s.in("abcdefgh"), err)
	}
}
