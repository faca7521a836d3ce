package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestLocalize(t *testing.T) {
	en := map[string]string{
		"le titre compte au plus %d caractères": "the title is at most %d characters long",
		"collectif introuvable":                 "collective not found",
		"une erreur interne est survenue":       "an internal error occurred",
		"%s, enregistrement n° %d : %s":         "%s, record no. %d: %s",
		"catégorie inconnue %q":                 "unknown category %q",
	}
	translate := func(id string) (string, bool) { s, ok := en[id]; return s, ok }
	cases := []struct {
		name string
		err  error
		fr   string
		en   string
	}{
		{"format with its values", Field("title", "le titre compte au plus %d caractères", 200),
			"le titre compte au plus 200 caractères", "the title is at most 200 characters long"},
		{"wrapped", Wrap("x.Create", fmt.Errorf("saving: %w", New(Invalid, "le titre compte au plus %d caractères", 80))),
			"le titre compte au plus 80 caractères", "the title is at most 80 characters long"},
		{"literal", &Error{Kind: NotFound, Message: "collectif introuvable"}, "collectif introuvable", "collective not found"},
		{"no translation", New(Conflict, "déjà pris : %s", "alpes"), "déjà pris : alpes", "déjà pris : alpes"},
		{"a fault among the values", Field("file", "%s, enregistrement n° %d : %s", "sill.json", 3, New(Invalid, "catégorie inconnue %q", "jeux")),
			`sill.json, enregistrement n° 3 : catégorie inconnue "jeux"`, `sill.json, record no. 3: unknown category "jeux"`},
		{"internal", Wrap("x", errors.New("disk full")), "une erreur interne est survenue", "an internal error occurred"},
		{"not a fault", errors.New("boom"), "une erreur interne est survenue", "an internal error occurred"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := MessageOf(c.err); got != c.fr {
				t.Errorf("MessageOf = %q, want %q", got, c.fr)
			}
			if got := Localize(c.err, translate); got != c.en {
				t.Errorf("Localize = %q, want %q", got, c.en)
			}
		})
	}
}
