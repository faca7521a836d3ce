package catalog

// Category is one category of the catalog's closed list.
type Category struct {
	ID    string
	Label string // French, as pages show it
}

// Categories returns the catalog's categories, in display order.
func Categories() []Category {
	return []Category{
		{"mail", "Messagerie"},
		{"office-suite", "Suite bureautique"},
		{"videoconferencing", "Visioconférence"},
		{"file-sharing", "Partage de fichiers"},
		{"collaboration", "Travail collaboratif"},
		{"chat", "Messagerie instantanée"},
		{"graphic-design", "Création graphique"},
		{"video", "Vidéo"},
		{"mail-management", "Gestion du courrier"},
		{"hr", "Ressources humaines"},
		{"erp", "Gestion (progiciel)"},
		{"desktop-os", "Système du poste de travail"},
		{"browser", "Navigateur"},
		{"server", "Serveurs et virtualisation"},
		{"gis", "Cartographie (SIG)"},
		{"it-management", "Gestion du parc informatique"},
		{"forms", "Formulaires et sondages"},
		{"project-management", "Gestion de projet"},
		{"website", "Site web"},
		{"training", "Formation"},
		{"citizen-participation", "Participation citoyenne"},
	}
}

// CategoryLabel returns the French label of a category ID, the ID itself
// when unknown.
func CategoryLabel(id string) string {
	for _, c := range Categories() {
		if c.ID == id {
			return c.Label
		}
	}
	return id
}

func validCategory(id string) bool {
	for _, c := range Categories() {
		if c.ID == id {
			return true
		}
	}
	return false
}

// HostingLabel is the French label of a hosting.
func HostingLabel(h string) string {
	switch h {
	case "in_house":
		return "en interne"
	case "pooled":
		return "mutualisé avec d'autres collectivités"
	case "provider":
		return "chez un prestataire"
	}
	return h
}

// SizeBand is a band of population, for "collectivities of my size".
type SizeBand struct {
	ID       string
	Label    string
	Min, Max int // Max 0: no upper bound
}

// SizeBands returns the population bands.
func SizeBands() []SizeBand {
	return []SizeBand{
		{"small", "moins de 3 500 habitants", 0, 3499},
		{"medium", "de 3 500 à 20 000 habitants", 3500, 19999},
		{"large", "de 20 000 à 100 000 habitants", 20000, 99999},
		{"xlarge", "100 000 habitants et plus", 100000, 0},
	}
}

// BandOf returns the band of a population, "" for 0 (unknown).
func BandOf(pop int) string {
	if pop <= 0 {
		return ""
	}
	for _, b := range SizeBands() {
		if pop >= b.Min && (b.Max == 0 || pop <= b.Max) {
			return b.ID
		}
	}
	return ""
}

func band(id string) (SizeBand, bool) {
	for _, b := range SizeBands() {
		if b.ID == id {
			return b, true
		}
	}
	return SizeBand{}, false
}
