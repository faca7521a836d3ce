// Command gen regenerates territory/data/territories.tsv.gz and
// territory/data/SOURCE.md from the npm package @etalab/decoupage-administratif.
//
// It is run by `go generate ./territory/` (the directive lives in
// territory/doc.go, so the working directory is territory/). It fetches the
// package with `npm pack` into a temporary directory — npm is needed only by
// whoever regenerates the data, never by users of the binary, which embeds the
// committed output — checks the tarball against a pinned integrity hash, reads
// the JSON files straight out of the tarball and writes a gzip'd TSV.
//
// The output is deterministic byte for byte: records are sorted, the gzip
// header carries no name and no time, and SOURCE.md holds the package's own
// date rather than the time of generation. Re-running the generator on the same
// package version therefore produces no diff.
//
// Usage (from territory/):
//
//	go run ./internal/gen                      # npm pack the pinned version
//	go run ./internal/gen -tarball pkg.tgz     # use a tarball already on disk
//
// The generator deliberately does not import the territory package: that
// package embeds the file this program writes, so it cannot be built before the
// file exists.
package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const packageName = "@etalab/decoupage-administratif"

// pinned maps the versions this generator has been checked against to the
// integrity hash the registry publishes for their tarball (`npm view
// PKG@VERSION dist.integrity`). A tarball that does not match is refused, so
// regenerating the committed data cannot silently pull in different content.
var pinned = map[string]string{
	"6.0.0": "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ==",
}

// epciTypes are the legal natures the territory package knows how to label.
// Kept in step by hand with territory.EPCIType (see the package comment on why
// this program cannot import it). A new nature in a future package version
// makes the generator fail rather than write data the loader would reject.
var epciTypes = map[string]bool{
	"CC": true, "CA": true, "CU": true, "METRO": true, "MET69": true, "EPT": true,
}

var zones = map[string]bool{"metro": true, "drom": true, "com": true}

func main() {
	version := flag.String("version", "6.0.0", "version of "+packageName+" to fetch")
	tarball := flag.String("tarball", "", "read this package tarball instead of running npm pack")
	out := flag.String("out", "data", "directory to write territories.tsv.gz and SOURCE.md into")
	flag.Parse()
	if err := run(*version, *tarball, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(version, tarball, out string) error {
	want, ok := pinned[version]
	if !ok {
		return fmt.Errorf("version %s is not pinned: add its dist.integrity to pinned after reviewing the package", version)
	}
	if tarball == "" {
		tmp, err := os.MkdirTemp("", "territory-gen-")
		if err != nil {
			return fmt.Errorf("temporary directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		if tarball, err = npmPack(tmp, packageName+"@"+version); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(tarball)
	if err != nil {
		return fmt.Errorf("read tarball: %w", err)
	}
	sum := sha512.Sum512(raw)
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if integrity != want {
		return fmt.Errorf("tarball integrity %s does not match the pinned %s", integrity, want)
	}
	pkg, err := readPackage(raw)
	if err != nil {
		return err
	}
	if pkg.meta.Name != packageName || pkg.meta.Version != version {
		return fmt.Errorf("tarball holds %s@%s, want %s@%s", pkg.meta.Name, pkg.meta.Version, packageName, version)
	}
	ds, err := build(pkg)
	if err != nil {
		return err
	}
	ds.integrity = integrity
	data, err := encode(ds)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	if err := writeFile(filepath.Join(out, "territories.tsv.gz"), data); err != nil {
		return err
	}
	return writeFile(filepath.Join(out, "SOURCE.md"), sourceMD(ds, pkg, len(data)))
}

// npmPack downloads the package tarball into dir with npm's default registry
// configuration and returns its path. --ignore-scripts because nothing in the
// package needs to run to read its JSON files.
func npmPack(dir, spec string) (string, error) {
	cmd := exec.Command("npm", "pack", "--ignore-scripts", "--silent", spec)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm pack %s: %w", spec, err)
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil {
		return "", fmt.Errorf("find tarball: %w", err)
	}
	if len(matches) != 1 {
		return "", fmt.Errorf("npm pack %s left %d tarballs, want 1", spec, len(matches))
	}
	return matches[0], nil
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	License string `json:"license"`
}

// pkgFiles is what the generator reads out of the tarball.
type pkgFiles struct {
	meta     packageJSON
	readme   string
	files    map[string][]byte // data/*.json by base name
	dataDate time.Time         // latest modification time among data/*.json
}

func readPackage(raw []byte) (*pkgFiles, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	p := &pkgFiles{files: map[string][]byte{}}
	var pj []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("tarball: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		// npm tarballs put everything under a single top directory, normally
		// "package/"; strip whatever it is.
		_, name, ok := strings.Cut(h.Name, "/")
		if !ok {
			continue
		}
		want := name == "package.json" || name == "README.md" ||
			(strings.HasPrefix(name, "data/") && strings.HasSuffix(name, ".json"))
		if !want {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("tarball %s: %w", h.Name, err)
		}
		switch {
		case name == "package.json":
			pj = b
		case name == "README.md":
			p.readme = string(b)
		default:
			p.files[strings.TrimPrefix(name, "data/")] = b
			if h.ModTime.After(p.dataDate) {
				p.dataDate = h.ModTime
			}
		}
	}
	if pj == nil {
		return nil, errors.New("tarball has no package.json")
	}
	if err := json.Unmarshal(pj, &p.meta); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	return p, nil
}

// Shapes of the package's JSON files; only the fields used are declared.
type (
	jsonCommune struct {
		Code        string `json:"code"`
		Nom         string `json:"nom"`
		Type        string `json:"type"`
		Zone        string `json:"zone"`
		Departement string `json:"departement"`
		Region      string `json:"region"`
		SIREN       string `json:"siren"`
		Population  int    `json:"population"`
	}
	jsonDepartement struct {
		Code   string `json:"code"`
		Nom    string `json:"nom"`
		Region string `json:"region"`
		Zone   string `json:"zone"`
	}
	jsonRegion struct {
		Code string `json:"code"`
		Nom  string `json:"nom"`
		Zone string `json:"zone"`
	}
	jsonEPCI struct {
		Code                 string `json:"code"`
		Nom                  string `json:"nom"`
		Type                 string `json:"type"`
		PopulationMunicipale int    `json:"populationMunicipale"`
		Membres              []struct {
			Code  string `json:"code"`
			SIREN string `json:"siren"`
		} `json:"membres"`
	}
)

type region struct {
	code, name, zone string
	pop              int
}

type departement struct {
	code, name, region, zone string
	pop                      int
}

type commune struct {
	code, name, siren, dep, region, zone string
	pop                                  int
}

type epci struct {
	siren, name, typ, dep, region, zone string
	pop                                 int
	members                             []string // INSEE codes, sorted
}

// fileCount records, for SOURCE.md, how many entries a package file had and
// how many were kept.
type fileCount struct {
	file       string
	read, kept int
	note       string
}

type dataset struct {
	version, integrity, date string
	regions                  []region
	departements             []departement
	communes                 []commune
	epcis                    []epci
	counts                   []fileCount
	communeTypes             map[string]int
}

func decode[T any](p *pkgFiles, name string) ([]T, error) {
	b, ok := p.files[name]
	if !ok {
		return nil, fmt.Errorf("package has no data/%s", name)
	}
	var v []T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("data/%s: %w", name, err)
	}
	return v, nil
}

// build turns the package files into sorted, cross-checked records.
func build(p *pkgFiles) (*dataset, error) {
	jr, err := decode[jsonRegion](p, "regions.json")
	if err != nil {
		return nil, err
	}
	jd, err := decode[jsonDepartement](p, "departements.json")
	if err != nil {
		return nil, err
	}
	jc, err := decode[jsonCommune](p, "communes.json")
	if err != nil {
		return nil, err
	}
	je, err := decode[jsonEPCI](p, "epci.json")
	if err != nil {
		return nil, err
	}
	jt, err := decode[jsonEPCI](p, "ept.json")
	if err != nil {
		return nil, err
	}
	// Read only to be counted in SOURCE.md.
	ja, err := decode[struct{}](p, "arrondissements.json")
	if err != nil {
		return nil, err
	}
	ds := &dataset{version: p.meta.Version, date: p.dataDate.UTC().Format(time.DateOnly), communeTypes: map[string]int{}}

	regIdx := map[string]int{}
	for _, r := range jr {
		if err := checkText(r.Code, r.Nom, r.Zone); err != nil {
			return nil, fmt.Errorf("region %q: %w", r.Code, err)
		}
		if _, dup := regIdx[r.Code]; dup || !zones[r.Zone] {
			return nil, fmt.Errorf("region %q: duplicate or unknown zone %q", r.Code, r.Zone)
		}
		regIdx[r.Code] = len(ds.regions)
		ds.regions = append(ds.regions, region{code: r.Code, name: r.Nom, zone: r.Zone})
	}
	depIdx := map[string]int{}
	for _, d := range jd {
		if err := checkText(d.Code, d.Nom, d.Region, d.Zone); err != nil {
			return nil, fmt.Errorf("departement %q: %w", d.Code, err)
		}
		if _, dup := depIdx[d.Code]; dup || !zones[d.Zone] {
			return nil, fmt.Errorf("departement %q: duplicate or unknown zone %q", d.Code, d.Zone)
		}
		if _, ok := regIdx[d.Region]; !ok {
			return nil, fmt.Errorf("departement %q: unknown region %q", d.Code, d.Region)
		}
		depIdx[d.Code] = len(ds.departements)
		ds.departements = append(ds.departements, departement{code: d.Code, name: d.Nom, region: d.Region, zone: d.Zone})
	}

	// Only current communes ("commune-actuelle", COG type COM) are
	// collectivities. Communes déléguées and associées (COMD, COMA) are parts
	// of a commune nouvelle or fusion, and the arrondissements municipaux of
	// Paris, Lyon and Marseille (ARM) are parts of those communes: none has
	// its own council, budget or SIREN in this package.
	comIdx := map[string]int{}
	for _, c := range jc {
		ds.communeTypes[c.Type]++
		if c.Type != "commune-actuelle" {
			continue
		}
		if err := checkText(c.Code, c.Nom, c.SIREN, c.Departement, c.Region, c.Zone); err != nil {
			return nil, fmt.Errorf("commune %q: %w", c.Code, err)
		}
		if !isCommuneCode(c.Code) || (c.SIREN != "" && !isDigits(c.SIREN, 9)) {
			return nil, fmt.Errorf("commune %q: malformed code or SIREN %q", c.Code, c.SIREN)
		}
		if _, dup := comIdx[c.Code]; dup {
			return nil, fmt.Errorf("commune %q: duplicate", c.Code)
		}
		di, ok := depIdx[c.Departement]
		// The file stores only the département of a commune: its région and
		// zone are the département's, which is checked here.
		if !ok || ds.departements[di].region != c.Region || ds.departements[di].zone != c.Zone {
			return nil, fmt.Errorf("commune %q: departement %q / region %q / zone %q inconsistent", c.Code, c.Departement, c.Region, c.Zone)
		}
		ds.departements[di].pop += c.Population
		ds.regions[regIdx[c.Region]].pop += c.Population
		comIdx[c.Code] = len(ds.communes)
		ds.communes = append(ds.communes, commune{
			code: c.Code, name: c.Nom, siren: c.SIREN, dep: c.Departement,
			region: c.Region, zone: c.Zone, pop: c.Population,
		})
	}

	// EPCI à fiscalité propre (epci.json) and the établissements publics
	// territoriaux of the Métropole du Grand Paris (ept.json) are both kept as
	// intercommunal bodies; EPCIType tells them apart.
	seen := map[string]bool{}
	for _, group := range [][]jsonEPCI{je, jt} {
		for _, e := range group {
			if err := checkText(e.Code, e.Nom, e.Type); err != nil {
				return nil, fmt.Errorf("epci %q: %w", e.Code, err)
			}
			if !isDigits(e.Code, 9) || seen[e.Code] || !epciTypes[e.Type] {
				return nil, fmt.Errorf("epci %q: malformed, duplicate or unknown type %q", e.Code, e.Type)
			}
			seen[e.Code] = true
			x := epci{siren: e.Code, name: e.Nom, typ: e.Type, pop: e.PopulationMunicipale}
			deps, regs, zs := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, m := range e.Membres {
				ci, ok := comIdx[m.Code]
				if !ok {
					return nil, fmt.Errorf("epci %q: member %q is not a current commune", e.Code, m.Code)
				}
				c := ds.communes[ci]
				deps[c.dep], regs[c.region], zs[c.zone] = true, true, true
				x.members = append(x.members, m.Code)
			}
			if len(x.members) == 0 {
				return nil, fmt.Errorf("epci %q: no members", e.Code)
			}
			slices.Sort(x.members)
			if len(slices.Compact(x.members)) != len(e.Membres) {
				return nil, fmt.Errorf("epci %q: duplicate member", e.Code)
			}
			// An EPCI has no département of its own in the data; it gets its
			// members' when they all share one, which is what a reader
			// expects to see next to its name.
			x.dep, x.region, x.zone = only(deps), only(regs), only(zs)
			ds.epcis = append(ds.epcis, x)
		}
	}

	slices.SortFunc(ds.regions, func(a, b region) int { return cmp.Compare(a.code, b.code) })
	slices.SortFunc(ds.departements, func(a, b departement) int { return cmp.Compare(a.code, b.code) })
	slices.SortFunc(ds.communes, func(a, b commune) int { return cmp.Compare(a.code, b.code) })
	slices.SortFunc(ds.epcis, func(a, b epci) int { return cmp.Compare(a.siren, b.siren) })

	ds.counts = []fileCount{
		{"regions.json", len(jr), len(ds.regions), "all, overseas collectivities included"},
		{"departements.json", len(jd), len(ds.departements), "all, overseas collectivities included"},
		{"communes.json", len(jc), len(ds.communes), "type commune-actuelle only"},
		{"epci.json", len(je), len(je), "all (EPCI à fiscalité propre)"},
		{"ept.json", len(jt), len(jt), "all (établissements publics territoriaux)"},
		{"arrondissements.json", len(ja), 0, "none: arrondissements départementaux are not collectivities"},
	}
	return ds, nil
}

// only returns the single key of set, or "" when it has none or several.
func only(set map[string]bool) string {
	if len(set) != 1 {
		return ""
	}
	for k := range set {
		return k
	}
	return ""
}

// checkText refuses values that would break the TSV framing.
func checkText(vals ...string) error {
	for _, v := range vals {
		if strings.ContainsAny(v, "\t\n\r") {
			return fmt.Errorf("value %q contains a tab or newline", v)
		}
	}
	return nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCommuneCode accepts the five-character INSEE code of a commune, Corsican
// ones (2A…, 2B…) included.
func isCommuneCode(s string) bool {
	if len(s) != 5 {
		return false
	}
	if s[0] == '2' && (s[1] == 'A' || s[1] == 'B') {
		return isDigits(s[2:], 3)
	}
	return isDigits(s, 5)
}

// encode writes the data file. The format is documented in
// territory/format.go, which reads it.
func encode(ds *dataset) ([]byte, error) {
	var b bytes.Buffer
	line := func(fields ...string) {
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteByte('\n')
	}
	itoa := strconv.Itoa
	line("#territory", "1", packageName, ds.version, ds.date)
	line("#count", "region", itoa(len(ds.regions)))
	line("#count", "departement", itoa(len(ds.departements)))
	line("#count", "commune", itoa(len(ds.communes)))
	line("#count", "epci", itoa(len(ds.epcis)))
	for _, r := range ds.regions {
		line("R", r.code, r.name, r.zone, itoa(r.pop))
	}
	for _, d := range ds.departements {
		line("D", d.code, d.name, d.region, d.zone, itoa(d.pop))
	}
	for _, c := range ds.communes {
		line("C", c.code, c.name, c.siren, c.dep, itoa(c.pop))
	}
	for _, e := range ds.epcis {
		line("E", e.siren, e.name, e.typ, e.dep, e.region, e.zone, itoa(e.pop), strings.Join(e.members, ","))
	}
	var z bytes.Buffer
	// No Name and a zero ModTime in the gzip header keep the output
	// identical from one run to the next.
	zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if _, err := zw.Write(b.Bytes()); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return z.Bytes(), nil
}

// section returns the body of the README section titled heading, verbatim.
func section(readme, heading string) string {
	_, rest, ok := strings.Cut(readme, "\n## "+heading+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(rest)
}

func quote(s string) string {
	if s == "" {
		return "> (section not found in the package README)\n"
	}
	return "> " + strings.ReplaceAll(s, "\n", "\n> ") + "\n"
}

func sourceMD(ds *dataset, p *pkgFiles, size int) []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Source of territories.tsv.gz\n\n")
	w("Generated by `go generate ./territory/` (program `territory/internal/gen`); do not edit\n")
	w("this file or the data file by hand. Both are committed: the binary embeds the data file,\n")
	w("so only whoever regenerates it needs npm.\n\n")
	w("- Package: `%s`, version %s (npm), fetched with `npm pack`.\n", packageName, ds.version)
	w("- Tarball integrity: `%s` (pinned in the generator).\n", ds.integrity)
	w("- Data date: %s (latest modification time of the package's `data/*.json`).\n", ds.date)
	w("- Data file: %d bytes, gzip'd TSV, format described in `territory/format.go`.\n\n", size)
	w("## Licence\n\n")
	w("The package's README states, in its \"Licence\" section:\n\n%s\n", quote(section(p.readme, "Licence")))
	w("Its `package.json` declares the licence `%s`, which covers the package's code.\n", p.meta.License)
	w("The data is therefore reused under the Licence Ouverte (Etalab), which requires\n")
	w("attribution: \"Source: INSEE and DGCL, via %s %s\".\n\n", packageName, ds.version)
	w("## Sources of the data, as listed by the package README\n\n%s\n", quote(section(p.readme, "Sources")))
	w("## What is kept\n\n")
	w("| package file | entries | kept | what |\n|---|---:|---:|---|\n")
	for _, c := range ds.counts {
		w("| `%s` | %d | %d | %s |\n", c.file, c.read, c.kept, c.note)
	}
	types := make([]string, 0, len(ds.communeTypes))
	for t := range ds.communeTypes {
		types = append(types, t)
	}
	slices.Sort(types)
	w("\n`communes.json` entries by type:")
	for _, t := range types {
		w(" %s %d;", t, ds.communeTypes[t])
	}
	w("\nonly `commune-actuelle` (INSEE type COM) is kept: communes déléguées and associées\n")
	w("(COMD, COMA) and the arrondissements municipaux of Paris, Lyon and Marseille (ARM) are\n")
	w("parts of a commune, not collectivities.\n\n")
	w("Overseas départements and régions (971–976, régions 01–06) are kept, and so are the\n")
	w("overseas collectivities (975, 977, 978, 984, 986–989), which the package lists both as a\n")
	w("département and as a région with the same code and zone `com`.\n\n")
	w("## Fields and derived values\n\n")
	w("- Communes: INSEE code, name, SIREN (absent for the overseas collectivities), département\n")
	w("  and `population` as given by `communes.json`; the région and zone, also given, are checked\n")
	w("  to be the département's and not stored twice.\n")
	w("- Départements and régions: code, name, zone, région of a département as given by the\n")
	w("  package; their population is **derived**: the sum of their communes' populations.\n")
	w("  They have no SIREN in the package.\n")
	w("- EPCIs (`epci.json`) and EPTs (`ept.json`): SIREN, name, legal nature (`type`),\n")
	w("  `populationMunicipale` and member communes, as given. Département, région and zone are\n")
	w("  **derived**: set when all members share one, empty otherwise.\n")
	return []byte(b.String())
}

// writeFile replaces path atomically so that an interrupted run never leaves
// a truncated data file behind for the package to embed.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
