package searchtest

import (
	"reflect"
	"testing"
)

func TestGeneratorIsDeterministic(t *testing.T) {
	a, b := NewGenerator(42), NewGenerator(42)
	seen := map[string]bool{}
	for range 2000 {
		x, y := a.Next(), b.Next()
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("same seed, different documents:\n%+v\n%+v", x, y)
		}
		if seen[x.ID] {
			t.Fatalf("duplicate ID %s", x.ID)
		}
		seen[x.ID] = true
		if x.Title == "" || x.Summary == "" || x.Body == "" || x.URL == "" || len(x.Audience) == 0 || x.Date.IsZero() {
			t.Fatalf("incomplete document %+v", x)
		}
	}
	if reflect.DeepEqual(NewGenerator(1).Next(), NewGenerator(2).Next()) {
		t.Error("different seeds, same document")
	}
	if n := len(BenchQueries()); n != 20 {
		t.Errorf("%d bench queries, want 20", n)
	}
}
