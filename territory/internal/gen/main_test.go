package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakePackage builds a package tarball shaped like the real one, small
// enough to read in a test.
func fakePackage(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	mod := time.Date(2026, 3, 9, 13, 18, 0, 0, time.UTC)
	for _, name := range []string{"package.json", "README.md", "LICENSE", "data/regions.json", "data/departements.json",
		"data/communes.json", "data/epci.json", "data/ept.json", "data/arrondissements.json"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		h := &tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), ModTime: mod, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var fakeFiles = map[string]string{
	"package.json": `{"name":"@etalab/decoupage-administratif","version":"6.0.0","license":"MIT"}`,
	"README.md":    "# x\n\n## Sources\n\n* INSEE\n\n## Licence\n\nDonnées : Licence Ouverte\\\nCode : MIT\n",
	"data/regions.json": `[{"code":"84","nom":"Auvergne-Rhône-Alpes","zone":"metro"},
		{"code":"04","nom":"La Réunion","zone":"drom"}]`,
	"data/departements.json": `[{"code":"38","nom":"Isère","region":"84","zone":"metro"},
		{"code":"974","nom":"La Réunion","region":"04","zone":"drom"}]`,
	"data/communes.json": `[
		{"code":"38185","nom":"Grenoble","type":"commune-actuelle","zone":"metro","departement":"38","region":"84","siren":"213801855","population":156140},
		{"code":"38151","nom":"Échirolles","type":"commune-actuelle","zone":"metro","departement":"38","region":"84","siren":"213801517","population":37491},
		{"code":"38999","nom":"Ancienne","type":"commune-deleguee","zone":"metro","departement":"38","region":"84"},
		{"code":"97411","nom":"Saint-Denis","type":"commune-actuelle","zone":"drom","departement":"974","region":"04","siren":"219740115","population":155634}]`,
	"data/epci.json": `[{"code":"200040715","nom":"Grenoble-Alpes-Métropole","type":"METRO","populationMunicipale":449509,
		"membres":[{"code":"38185","siren":"213801855"},{"code":"38151","siren":"213801517"}]}]`,
	"data/ept.json":             `[]`,
	"data/arrondissements.json": `[{"code":"381"}]`,
}

func TestBuildAndEncode(t *testing.T) {
	raw := fakePackage(t, fakeFiles)
	p, err := readPackage(raw)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := build(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := encode(ds)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encode(ds)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("encode is not deterministic")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", zr.Name, zr.ModTime)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`#territory|1|@etalab/decoupage-administratif|6.0.0|2026-03-09
#count|region|2
#count|departement|2
#count|commune|3
#count|epci|1
R|04|La Réunion|drom|155634
R|84|Auvergne-Rhône-Alpes|metro|193631
D|38|Isère|84|metro|193631
D|974|La Réunion|04|drom|155634
C|38151|Échirolles|213801517|38|37491
C|38185|Grenoble|213801855|38|156140
C|97411|Saint-Denis|219740115|974|155634
E|200040715|Grenoble-Alpes-Métropole|METRO|38|84|metro|449509|38151,38185
`, "|", "\t")
	if string(text) != want {
		t.Errorf("data file:\n%s\nwant:\n%s", text, want)
	}
	md := string(sourceMD(ds, p, len(a)))
	for _, s := range []string{"version 6.0.0", "2026-03-09", "> Données : Licence Ouverte", "`MIT`", "commune-deleguee 1"} {
		if !strings.Contains(md, s) {
			t.Errorf("SOURCE.md lacks %q:\n%s", s, md)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	for name, change := range map[string][2]string{
		"unknown EPCI type":   {"data/epci.json", `[{"code":"200040715","nom":"X","type":"SIVU","membres":[{"code":"38185"}]}]`},
		"unknown member":      {"data/epci.json", `[{"code":"200040715","nom":"X","type":"CC","membres":[{"code":"38000"}]}]`},
		"no members":          {"data/epci.json", `[{"code":"200040715","nom":"X","type":"CC","membres":[]}]`},
		"tab in a name":       {"data/regions.json", `[{"code":"84","nom":"A\tB","zone":"metro"}]`},
		"missing file":        {"data/ept.json", ""},
		"unknown département": {"data/departements.json", `[{"code":"38","nom":"Isère","region":"99","zone":"metro"}]`},
	} {
		files := map[string]string{}
		for k, v := range fakeFiles {
			files[k] = v
		}
		if change[1] == "" {
			delete(files, change[0])
		} else {
			files[change[0]] = change[1]
		}
		p, err := readPackage(fakePackage(t, files))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := build(p); err == nil {
			t.Errorf("%s: build accepted it", name)
		}
	}
}

// TestRunChecksIntegrity: a tarball that is not the pinned one is refused
// before anything is written.
func TestRunChecksIntegrity(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "pkg.tgz")
	if err := os.WriteFile(tgz, fakePackage(t, fakeFiles), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	err := run("6.0.0", tgz, out)
	if err == nil || !strings.Contains(err.Error(), "integrity") {
		t.Errorf("run = %v, want an integrity error", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory created despite the error")
	}
	if err := run("0.0.1", tgz, out); err == nil || !strings.Contains(err.Error(), "not pinned") {
		t.Errorf("run(unpinned) = %v", err)
	}
}
