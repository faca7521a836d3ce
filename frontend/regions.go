package frontend

import "html/template"

// Region is a French région with its INSEE code.
type Region struct{ Code, Name string }

// Regions are the eighteen régions (since 2016), in the order of their
// names. They are proper names, the same in every language. Forms offer
// them in a <select> so that nobody has to know an INSEE code.
var Regions = []Region{
	{"84", "Auvergne-Rhône-Alpes"},
	{"27", "Bourgogne-Franche-Comté"},
	{"53", "Bretagne"},
	{"24", "Centre-Val de Loire"},
	{"94", "Corse"},
	{"44", "Grand Est"},
	{"01", "Guadeloupe"},
	{"03", "Guyane"},
	{"32", "Hauts-de-France"},
	{"11", "Île-de-France"},
	{"04", "La Réunion"},
	{"02", "Martinique"},
	{"06", "Mayotte"},
	{"28", "Normandie"},
	{"75", "Nouvelle-Aquitaine"},
	{"76", "Occitanie"},
	{"52", "Pays de la Loire"},
	{"93", "Provence-Alpes-Côte d'Azur"},
}

// regionPick is what the regionselect template needs: the field's id and
// name, the code selected and the label of the empty choice.
type regionPick struct {
	ID, Selected string
	Empty        template.HTML
}

// RegionName names the région with an INSEE code, or returns the code.
func RegionName(code string) string {
	for _, r := range Regions {
		if r.Code == code {
			return r.Name
		}
	}
	return code
}
