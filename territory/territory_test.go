package territory_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"collectif/territory"
)

// load decodes the embedded data once per test; Load is cheap enough that
// sharing an Index through a package variable is not worth the global.
func load(t testing.TB) *territory.Index {
	t.Helper()
	x, err := territory.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return x
}

func codes(ts []territory.Territory) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Kind.String() + ":" + t.Code
	}
	return out
}

func TestSource(t *testing.T) {
	x := load(t)
	s := x.Source()
	if s.Package != "@etalab/decoupage-administratif" || s.Version != "6.0.0" {
		t.Errorf("source = %s@%s, want @etalab/decoupage-administratif@6.0.0", s.Package, s.Version)
	}
	if len(s.Date) != len("2026-03-09") || !strings.HasPrefix(s.Date, "20") {
		t.Errorf("source date = %q, want YYYY-MM-DD", s.Date)
	}
}

// TestCounts checks the loaded counts against those the generator read from
// the package files (the data file's header) and against what a reader knows
// of France.
func TestCounts(t *testing.T) {
	x := load(t)
	s := x.Source()
	for _, c := range []struct {
		kind         territory.Kind
		header       int
		min, max     int // all records
		proper       int // excluding the overseas collectivities, -1 to skip
		properMargin int
	}{
		{territory.KindCommune, s.Communes, 34_500, 35_500, -1, 0},
		{territory.KindDepartement, s.Departements, 101, 120, 101, 0},
		{territory.KindRegion, s.Regions, 18, 30, 18, 0},
		{territory.KindEPCI, s.EPCIs, 1_200, 1_350, -1, 0},
	} {
		n := x.Len(c.kind)
		if n != c.header {
			t.Errorf("%s: loaded %d, header says %d", c.kind, n, c.header)
		}
		if n < c.min || n > c.max {
			t.Errorf("%s: %d, want between %d and %d", c.kind, n, c.min, c.max)
		}
		if c.proper < 0 {
			continue
		}
		proper := 0
		for tr := range x.All(c.kind) {
			if tr.Zone != territory.ZoneCOM {
				proper++
			}
		}
		if proper != c.proper {
			t.Errorf("%s outside the overseas collectivities: %d, want %d", c.kind, proper, c.proper)
		}
	}
	var fp, ept int
	for e := range x.All(territory.KindEPCI) {
		if e.EPCIType.FiscalitePropre() {
			fp++
		} else {
			ept++
		}
	}
	if fp < 1_200 || fp > 1_300 || ept != 11 {
		t.Errorf("EPCIs: %d à fiscalité propre, %d EPT; want about 1,250 and 11", fp, ept)
	}
}

func TestEchirolles(t *testing.T) {
	x := load(t)
	for _, q := range []string{"echirolles", "Échirolles", "ECHIROLLES", " échirolles "} {
		got := x.Search(q, 5)
		if len(got) == 0 {
			t.Fatalf("Search(%q) found nothing", q)
		}
		e := got[0]
		if e.Kind != territory.KindCommune || e.Code != "38151" || e.Name != "Échirolles" ||
			e.Departement != "38" || e.Region != "84" || e.Zone != territory.ZoneMetro {
			t.Errorf("Search(%q)[0] = %+v, want commune Échirolles 38151 in 38, 84", q, e)
		}
	}
	c, ok := x.Commune("38151")
	if !ok || c.Name != "Échirolles" || c.SIREN != "213801517" || c.Population < 30_000 {
		t.Errorf("Commune(38151) = %+v, %v", c, ok)
	}
	if got := x.DepartementName(c.Departement); got != "Isère" {
		t.Errorf("DepartementName(38) = %q, want Isère", got)
	}
	if got := x.RegionName(c.Region); got != "Auvergne-Rhône-Alpes" {
		t.Errorf("RegionName(84) = %q, want Auvergne-Rhône-Alpes", got)
	}
}

func TestGrenoble(t *testing.T) {
	x := load(t)
	got := x.Search("grenoble", 2)
	if want := []string{"commune:38185", "epci:200040715"}; !slices.Equal(codes(got), want) {
		t.Fatalf("Search(grenoble) = %v, want %v (exact name before prefix)", codes(got), want)
	}
	if p := got[0].Population; p <= 150_000 || p > 200_000 {
		t.Errorf("Grenoble population = %d, want between 150,000 and 200,000", p)
	}
	if e := got[1]; e.Name != "Grenoble-Alpes-Métropole" || e.EPCIType != territory.EPCIMetropole ||
		e.EPCIType.Label() != "métropole" || e.Population < 400_000 || e.Departement != "38" {
		t.Errorf("Grenoble-Alpes-Métropole = %+v", e)
	}
}

func TestSearch(t *testing.T) {
	x := load(t)
	for _, c := range []struct {
		query string
		kinds []territory.Kind
		first string // kind:code of the first result
	}{
		{"saint etienne", nil, "commune:42218"},
		{"Saint-Étienne", nil, "commune:42218"},
		{"SAINT ÉTIENNE", nil, "commune:42218"},
		{"l'isle d'abeau", nil, "commune:38193"},
		{"l’isle-d’abeau", nil, "commune:38193"},
		{"isle d abeau", nil, "commune:38193"},
		{"metropole grenoble", nil, "epci:200040715"},
		{"grenoble alpes", nil, "epci:200040715"},
		{"saint denis", nil, "commune:97411"}, // larger than Saint-Denis (93)
		{"paris", nil, "commune:75056"},
		{"paris", []territory.Kind{territory.KindDepartement}, "departement:75"},
		{"isere", nil, "departement:38"},
		{"auvergne", nil, "region:84"},
		{"la reunion", []territory.Kind{territory.KindRegion}, "region:04"},
		{"noumea", nil, "commune:98818"},
		{"plaine commune", nil, "epci:200057867"},
		{"38151", nil, "commune:38151"},
		{"2a004", nil, "commune:2A004"},
		{"213801517", nil, "commune:38151"},
		{"200 040 715 00012", nil, "epci:200040715"},
		{"20004071500012", nil, "epci:200040715"},
		{"84", []territory.Kind{territory.KindDepartement}, "departement:84"},
		{"", nil, ""},
		{"'-", nil, ""},
		{"zzzzzz", nil, ""},
	} {
		got := x.Search(c.query, 10, c.kinds...)
		if c.first == "" {
			if len(got) != 0 {
				t.Errorf("Search(%q) = %v, want nothing", c.query, codes(got))
			}
			continue
		}
		if len(got) == 0 || codes(got)[0] != c.first {
			t.Errorf("Search(%q, %v) = %v, want %s first", c.query, c.kinds, codes(got), c.first)
		}
		for _, tr := range got {
			if len(c.kinds) > 0 && !slices.Contains(c.kinds, tr.Kind) {
				t.Errorf("Search(%q, %v) returned a %s", c.query, c.kinds, tr.Kind)
			}
		}
	}

	// A région and a département share the code 84; without a kind, both.
	if got, want := codes(x.Search("84", 0)), []string{"region:84", "departement:84"}; !slices.Equal(got, want) {
		t.Errorf("Search(84) = %v, want %v", got, want)
	}
	// Apostrophes separate words: they are not dropped.
	if got := codes(x.Search("lisle", 0)); slices.Contains(got, "commune:38193") {
		t.Errorf("Search(lisle) found L'Isle-d'Abeau")
	}
	// A later word of the name matches too: "etienne" finds Saint-Étienne.
	if got := codes(x.Search("etienne", 20, territory.KindCommune)); !slices.Contains(got, "commune:42218") {
		t.Errorf("Search(etienne) = %v, want Saint-Étienne among them", got)
	}
}

// TestSearchRanking checks that exact names come before prefixes, prefixes
// before later words, and ties go to the larger population, whatever the
// limit.
func TestSearchRanking(t *testing.T) {
	x := load(t)
	for _, q := range []string{"saint", "s", "a", "le", "saint etienne", "mont", "val", "com", "ville"} {
		all := x.Search(q, 0)
		if len(all) < 20 {
			t.Fatalf("Search(%q) = %d results, want many", q, len(all))
		}
		rank := func(tr territory.Territory) int {
			n, qn := territory.Normalize(tr.Name), territory.Normalize(q)
			switch {
			case n == qn:
				return 0
			case strings.HasPrefix(n, qn):
				return 1
			case strings.Contains(n, " "+qn):
				return 2
			}
			return 3
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			ra, rb := rank(a), rank(b)
			if ra > rb || (ra == rb && a.Population < b.Population) {
				t.Fatalf("Search(%q): %s (%d) before %s (%d)", q, a.Name, a.Population, b.Name, b.Population)
			}
		}
		for _, limit := range []int{1, 3, 10, 100, 100_000} {
			got := x.Search(q, limit)
			if want := all[:min(limit, len(all))]; !slices.Equal(codes(got), codes(want)) {
				t.Errorf("Search(%q, %d) = %v, want the start of the full result", q, limit, codes(got))
			}
		}
	}
}

func TestLookups(t *testing.T) {
	x := load(t)
	cases := []struct {
		name string
		got  func() (territory.Territory, bool)
		want territory.Territory
	}{
		{"overseas commune", func() (territory.Territory, bool) { return x.Commune("97411") }, territory.Territory{
			Kind: territory.KindCommune, Code: "97411", SIREN: "219740115", Name: "Saint-Denis",
			Departement: "974", Region: "04", Zone: territory.ZoneDROM,
		}},
		{"Corsica", func() (territory.Territory, bool) { return x.Commune("2a004") }, territory.Territory{
			Kind: territory.KindCommune, Code: "2A004", SIREN: "212000046", Name: "Ajaccio",
			Departement: "2A", Region: "94", Zone: territory.ZoneMetro,
		}},
		{"overseas collectivity commune", func() (territory.Territory, bool) { return x.Commune("98818") }, territory.Territory{
			Kind: territory.KindCommune, Code: "98818", Name: "Nouméa", Departement: "988", Region: "988", Zone: territory.ZoneCOM,
		}},
		{"département 84", func() (territory.Territory, bool) { return x.Departement("84") }, territory.Territory{
			Kind: territory.KindDepartement, Code: "84", Name: "Vaucluse", Departement: "84", Region: "93", Zone: territory.ZoneMetro,
		}},
		{"région 84", func() (territory.Territory, bool) { return x.Region("84") }, territory.Territory{
			Kind: territory.KindRegion, Code: "84", Name: "Auvergne-Rhône-Alpes", Region: "84", Zone: territory.ZoneMetro,
		}},
		{"overseas département", func() (territory.Territory, bool) { return x.Departement("976") }, territory.Territory{
			Kind: territory.KindDepartement, Code: "976", Name: "Mayotte", Departement: "976", Region: "06", Zone: territory.ZoneDROM,
		}},
		{"ByCode", func() (territory.Territory, bool) { return x.ByCode(territory.KindRegion, "04") }, territory.Territory{
			Kind: territory.KindRegion, Code: "04", Name: "La Réunion", Region: "04", Zone: territory.ZoneDROM,
		}},
		{"EPCI", func() (territory.Territory, bool) { return x.EPCI("200040715") }, territory.Territory{
			Kind: territory.KindEPCI, Code: "200040715", SIREN: "200040715", Name: "Grenoble-Alpes-Métropole",
			Departement: "38", Region: "84", EPCIType: territory.EPCIMetropole, Zone: territory.ZoneMetro,
		}},
		{"SIRET of an EPCI", func() (territory.Territory, bool) { return x.BySIREN("200 040 715 00012") }, territory.Territory{
			Kind: territory.KindEPCI, Code: "200040715", SIREN: "200040715", Name: "Grenoble-Alpes-Métropole",
			Departement: "38", Region: "84", EPCIType: territory.EPCIMetropole, Zone: territory.ZoneMetro,
		}},
		{"SIREN of a commune", func() (territory.Territory, bool) { return x.BySIREN("213801855") }, territory.Territory{
			Kind: territory.KindCommune, Code: "38185", SIREN: "213801855", Name: "Grenoble",
			Departement: "38", Region: "84", Zone: territory.ZoneMetro,
		}},
		{"EPCI across départements", func() (territory.Territory, bool) { return x.EPCI("200054781") }, territory.Territory{
			Kind: territory.KindEPCI, Code: "200054781", SIREN: "200054781", Name: "Métropole du Grand Paris",
			Region: "11", EPCIType: territory.EPCIMetropole, Zone: territory.ZoneMetro,
		}},
	}
	for _, c := range cases {
		got, ok := c.got()
		got.Population = 0 // checked elsewhere; it changes with each vintage
		if !ok || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v", c.name, got, ok, c.want)
		}
	}

	// Parts of communes are not collectivities.
	for _, code := range []string{"75101", "69381", "13201"} {
		if tr, ok := x.Commune(code); ok {
			t.Errorf("Commune(%s) = %+v, want none (arrondissement municipal)", code, tr)
		}
	}
	for _, f := range []func() (territory.Territory, bool){
		func() (territory.Territory, bool) { return x.Commune("00000") },
		func() (territory.Territory, bool) { return x.Departement("00") },
		func() (territory.Territory, bool) { return x.Region("99") },
		func() (territory.Territory, bool) { return x.EPCI("213801855") }, // a commune's SIREN
		func() (territory.Territory, bool) { return x.BySIREN("12345") },
		func() (territory.Territory, bool) { return x.BySIREN("000000000") },
		func() (territory.Territory, bool) { return x.ByCode(0, "38") },
	} {
		if tr, ok := f(); ok || tr != (territory.Territory{}) {
			t.Errorf("lookup of an unknown code = %+v, %v", tr, ok)
		}
	}
	if x.DepartementName("00") != "" || x.RegionName("") != "" {
		t.Error("names of unknown codes are not empty")
	}
}

func TestMembers(t *testing.T) {
	x := load(t)
	m := x.Members("200040715")
	if len(m) < 40 || len(m) > 60 {
		t.Fatalf("Grenoble-Alpes-Métropole has %d members, want about 49", len(m))
	}
	for _, c := range m {
		if c.Kind != territory.KindCommune || c.Departement != "38" {
			t.Errorf("member %+v is not a commune of Isère", c)
		}
	}
	for _, want := range []string{"38151", "38185"} {
		if !slices.ContainsFunc(m, func(c territory.Territory) bool { return c.Code == want }) {
			t.Errorf("Grenoble-Alpes-Métropole members lack %s", want)
		}
	}
	if !slices.IsSortedFunc(m, func(a, b territory.Territory) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("members are not in code order")
	}
	if e, ok := x.EPCIOf("38151"); !ok || e.Code != "200040715" {
		t.Errorf("EPCIOf(38151) = %+v, %v; want Grenoble-Alpes-Métropole", e, ok)
	}
	// In the Grand Paris a commune belongs to the Métropole and to an EPT.
	if got, want := codes(x.MemberOf("93066")), []string{"epci:200054781", "epci:200057867"}; !slices.Equal(got, want) {
		t.Errorf("MemberOf(93066) = %v, want %v", got, want)
	}
	// Island communes belong to no EPCI.
	if got := x.MemberOf("29155"); len(got) != 0 {
		t.Errorf("MemberOf(Ouessant) = %v, want none", codes(got))
	}
	if _, ok := x.EPCIOf("29155"); ok {
		t.Error("EPCIOf(Ouessant) found one")
	}
	if x.Members("38151") != nil || x.MemberOf("200040715") != nil {
		t.Error("Members/MemberOf accept codes of the wrong kind")
	}

	// Every commune of metropolitan France and the DROM but four islands
	// belongs to exactly one EPCI à fiscalité propre, and its members'
	// populations add up to about the EPCI's.
	var none []string
	for c := range x.All(territory.KindCommune) {
		if _, ok := x.EPCIOf(c.Code); !ok && c.Zone != territory.ZoneCOM {
			none = append(none, c.Code)
		}
	}
	if len(none) != 4 {
		t.Errorf("communes outside any EPCI: %v, want the 4 islands", none)
	}
}

func TestDerivedPopulation(t *testing.T) {
	x := load(t)
	sum := map[string]int{}
	for c := range x.All(territory.KindCommune) {
		sum[c.Departement] += c.Population
	}
	for d := range x.All(territory.KindDepartement) {
		if d.Population != sum[d.Code] {
			t.Errorf("département %s: population %d, its communes sum to %d", d.Code, d.Population, sum[d.Code])
		}
	}
	if d, _ := x.Departement("38"); d.Population < 1_000_000 {
		t.Errorf("Isère population = %d, want more than a million", d.Population)
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Échirolles", "echirolles"},
		{"L'Isle-d'Abeau", "l isle d abeau"},
		{" l’isle  d’abeau ", "l isle d abeau"},
		{"Saint-Étienne", "saint etienne"},
		{"ŒUVRE Cœur", "oeuvre coeur"},
		{"Lætitia Straße", "laetitia strasse"},
		{"Île-de-France", "ile de france"},
		{"Provence-Alpes-Côte d'Azur", "provence alpes cote d azur"},
		{"CC Faucigny - Glières", "cc faucigny glieres"},
		{"Marseille 1er", "marseille 1er"},
		{"ﬁnistère²", "finistere2"},
		{"Ærø", "aero"},
		{"a\xffb", "a b"},
		{"--", ""},
		{"", ""},
		{"déjà normal", "deja normal"},
		{"abc def", "abc def"},
		{"Москва", "москва"},
	} {
		if got := territory.Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Idempotent on every name of the data.
	x := load(t)
	for tr := range x.All() {
		n := territory.Normalize(tr.Name)
		if territory.Normalize(n) != n || n == "" {
			t.Fatalf("Normalize(%q) = %q, not a fixed point", tr.Name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { territory.Normalize("saint etienne") }); n != 0 {
		t.Errorf("Normalize of a normal string allocates %v times", n)
	}
}

func TestAll(t *testing.T) {
	x := load(t)
	n := 0
	for range x.All() {
		n++
	}
	want := x.Len(territory.KindCommune) + x.Len(territory.KindDepartement) + x.Len(territory.KindRegion) + x.Len(territory.KindEPCI)
	if n != want {
		t.Errorf("All() yielded %d, want %d", n, want)
	}
	var first []territory.Territory
	for tr := range x.All(territory.KindRegion, territory.KindCommune) {
		first = append(first, tr)
		if len(first) == 3 {
			break
		}
	}
	if got := codes(first); !slices.Equal(got, []string{"region:01", "region:02", "region:03"}) {
		t.Errorf("All(region, commune) starts %v", got)
	}
}

func TestKindText(t *testing.T) {
	for k := territory.KindCommune; k <= territory.KindEPCI; k++ {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back territory.Kind
		if err := back.UnmarshalText(b); err != nil || back != k || k.String() != string(b) {
			t.Errorf("kind %d: %q → %v, %v", k, b, back, err)
		}
	}
	if _, err := territory.Kind(0).MarshalText(); err == nil {
		t.Error("the zero Kind marshals")
	}
	var k territory.Kind
	if err := k.UnmarshalText([]byte("canton")); err == nil {
		t.Error("unknown kind name accepted")
	}
	x := load(t)
	c, _ := x.Commune("38151")
	b, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(b), `"Kind":"commune"`) {
		t.Errorf("json = %s, %v", b, err)
	}
}

func TestNoAllocLookup(t *testing.T) {
	x := load(t)
	if n := testing.AllocsPerRun(100, func() { x.Commune("38151") }); n != 0 {
		t.Errorf("Commune allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { x.BySIREN("200040715") }); n != 0 {
		t.Errorf("BySIREN allocates %v times", n)
	}
}

// TestConcurrent runs lookups from several goroutines; with -race it checks
// that an Index is safe to share.
func TestConcurrent(t *testing.T) {
	x := load(t)
	var wg sync.WaitGroup
	for _, q := range []string{"echirolles", "saint", "grenoble alpes", "84", "200040715"} {
		wg.Go(func() {
			for range 20 {
				if len(x.Search(q, 5)) == 0 {
					t.Errorf("Search(%q) found nothing", q)
				}
				x.Members("200040715")
			}
		})
	}
	wg.Wait()
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := territory.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	x := load(b)
	for _, q := range []string{"echirolles", "saint etienne", "metropole grenoble", "s", "saint", "200 040 715 00012"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(x.Search(q, 10)) == 0 {
					b.Fatal("no result")
				}
			}
		})
	}
}
