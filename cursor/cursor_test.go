package cursor

import (
	"testing"
	"time"

	"collectif/fault"
)

func TestRoundTripAndBadInput(t *testing.T) {
	k := Key{At: time.Date(2026, 11, 29, 10, 0, 0, 123000, time.UTC), ID: "01J0000000000000000000000A"}
	got, err := Decode(Encode(k))
	if err != nil || !got.At.Equal(k.At) || got.ID != k.ID {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if k, err := Decode(""); err != nil || k.ID != "" {
		t.Fatalf("empty cursor = %+v, %v", k, err)
	}
	for _, bad := range []string{"%%%", "bm90IGpzb24", Encode(Key{ID: "x"})} {
		if _, err := Decode(bad); fault.FieldOf(err) != "cursor" {
			t.Errorf("Decode(%q) = %v, want an error on the cursor field", bad, err)
		}
	}
	if Limit(0, 20, 100) != 20 || Limit(500, 20, 100) != 100 || Limit(7, 20, 100) != 7 {
		t.Fatal("Limit")
	}
}
