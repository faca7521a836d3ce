package searchtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"collectif/search"
)

// Generator makes French documents that read like the hub's — titles,
// summaries and bodies assembled from word lists of local-government IT —
// for benchmarks. The same seed always gives the same documents.
type Generator struct {
	rng *rand.Rand
	w   words
	n   int
}

// NewGenerator returns a generator whose output depends only on seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), w: newWords()}
}

// words holds the lists the generator draws from. They live in each
// Generator rather than in package variables, which would be shared state.
type words struct {
	places     []string
	kinds      []string
	software   []string
	actions    []string
	topics     []string
	subjects   []string
	verbs      []string
	tails      []string
	extras     []string
	tags       []string
	categories []string
	licences   []string
	regions    []string
	collective []string
	first      []string
	last       []string
}

func newWords() words {
	return words{
		places: []string{
			"Grenoble", "Échirolles", "Lorient", "Rennes", "Toulouse", "Montpellier", "Nantes", "Lyon", "Strasbourg",
			"Lille", "Besançon", "Poitiers", "Limoges", "Brest", "Quimper", "Vannes", "Saint-Brieuc", "Annecy",
			"Chambéry", "Valence", "Voiron", "Villeurbanne", "Vénissieux", "Arles", "Nîmes", "Albi", "Rodez", "Pau",
			"Bayonne", "Angers", "Tours", "Orléans", "Bourges", "Dijon", "Mâcon", "Metz", "Nancy", "Épinal", "Colmar",
			"Mulhouse", "Amiens", "Rouen", "Caen", "Cherbourg", "Le Mans", "Laval", "Périgueux", "Agen", "Cahors", "Millau",
		},
		kinds: []string{
			"la mairie de", "la ville de", "la communauté de communes de", "la métropole de", "le département de",
			"le syndicat mixte de", "le centre de gestion de", "l'agglomération de", "le CCAS de", "la région autour de",
		},
		software: []string{
			"Nextcloud", "BigBlueButton", "Jitsi", "LibreOffice", "Collabora", "Thunderbird", "SOGo", "QGIS", "Maarch Courrier",
			"Polotno", "Matrix", "Element", "GLPI", "Mattermost", "Moodle", "PeerTube", "Decidim", "Lutece", "Pastell",
			"iParapheur", "Zimbra", "Linux", "Ubuntu", "Debian", "Firefox", "Framadate", "LimeSurvey", "Wekan", "Kanboard",
			"OpenStreetMap", "uMap", "Grist", "Metabase", "Keycloak", "Proxmox", "WordPress", "Drupal", "Rudder",
		},
		actions: []string{
			"Migration vers", "Déploiement de", "Retour d'expérience sur", "Modèle de marché pour", "Formation à",
			"Atelier sur", "Hébergement de", "Mutualisation de", "Sécurisation de", "Accessibilité de", "Bilan de",
			"Cahier des charges pour", "Guide d'installation de", "Comparatif autour de", "Webinaire sur",
		},
		topics: []string{
			"l'hébergement", "la messagerie", "les postes de travail", "la visioconférence", "la gestion électronique de documents",
			"le cloud souverain", "l'open data", "la cybersécurité", "le système d'information géographique",
			"l'espace numérique de travail des écoles", "la signature électronique", "la dématérialisation des actes",
			"la sauvegarde des serveurs", "le site internet", "la participation citoyenne", "la téléphonie",
			"l'accessibilité numérique", "la protection des données personnelles", "le parc d'imprimantes", "l'annuaire des agents",
		},
		subjects: []string{
			"Les agents", "Le service informatique", "La direction des systèmes d'information", "Les élus", "Le prestataire",
			"L'équipe projet", "Le groupe de travail", "La collectivité", "Le syndicat", "Les utilisateurs",
		},
		verbs: []string{
			"a choisi", "a déployé", "a comparé", "a mutualisé", "a documenté", "a migré", "a sécurisé", "a hébergé",
			"a testé", "a abandonné", "a formé les agents à", "a rédigé un cahier des charges pour",
		},
		tails: []string{
			"en moins de six mois", "avec l'appui d'un prestataire local", "dans le cadre d'un marché public",
			"pour réduire les coûts de licence", "après un audit de sécurité", "grâce à la mutualisation entre communes",
			"en s'appuyant sur le socle interministériel de logiciels libres", "avec un hébergement en France",
			"pour respecter le RGPD", "sans interruption de service", "en lien avec la politique de sécurité",
			"au profit des écoles du territoire", "pour les séances du conseil municipal",
		},
		extras: []string{
			"Le budget prévisionnel comprend la maintenance et le support.",
			"Une documentation détaillée est disponible pour les autres collectivités.",
			"Les difficultés rencontrées concernent surtout la conduite du changement.",
			"La réversibilité des données a été prévue dès le départ.",
			"Les retours des utilisateurs sont globalement positifs.",
			"Un comité de pilotage se réunit chaque trimestre.",
			"Le code source des développements est publié sous licence libre.",
			"Une formation d'une demi-journée a été proposée aux agents.",
			"La bande passante nécessaire a été mesurée avant le déploiement.",
			"Les sauvegardes sont chiffrées et testées chaque mois.",
		},
		tags: []string{
			"logiciel libre", "marché public", "mutualisation", "sécurité", "RGPD", "accessibilité", "hébergement",
			"formation", "écoles", "open data", "cartographie", "messagerie", "visioconférence", "bureautique",
		},
		categories: []string{"Collaboration", "Bureautique", "Visioconférence", "Messagerie", "Cartographie", "Gestion documentaire", "Sécurité", "Communication"},
		licences:   []string{"AGPL-3.0", "GPL-3.0", "LGPL-3.0", "MIT", "Apache-2.0", "MPL-2.0", "CC-BY-SA-4.0", "EUPL-1.2"},
		regions:    []string{"84", "11", "53", "76", "44", "75", "52", "28", "32", "27", "24", "93", "94"},
		collective: []string{"alpes", "bretagne-libre", "occitanie", "ile-de-france", "grand-est", "nouvelle-aquitaine", "normandie", "hauts-de-france"},
		first:      []string{"Claire", "Yann", "Sophie", "Karim", "Nadia", "Julien", "Marie", "Thomas", "Léa", "Hugo", "Inès", "Paul"},
		last:       []string{"Martin", "Le Goff", "Bernard", "Dubois", "Moreau", "Lefebvre", "Garcia", "Roux", "Fournier", "Morel"},
	}
}

func (g *Generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// Next returns the next document.
func (g *Generator) Next() search.Document {
	g.n++
	n := g.n
	soft := g.pick(g.w.software)
	place := g.pick(g.w.places)
	topic := g.pick(g.w.topics)
	d := search.Document{
		ID:         fmt.Sprintf("resource:%08d", n),
		Type:       "resource",
		Collective: g.pick(g.w.collective),
		Region:     g.pick(g.w.regions),
		Audience:   []string{search.AudiencePublic},
		Date:       time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.rng.IntN(6*365*24)) * time.Hour),
	}
	switch r := g.rng.IntN(100); {
	case r < 40:
		d.Title = fmt.Sprintf("%s %s : %s", g.pick(g.w.actions), soft, place)
	case r < 60:
		d.Type = "topic"
		d.Title = fmt.Sprintf("Qui utilise %s pour %s ?", soft, topic)
	case r < 75:
		d.Type = "reply"
		d.Title = fmt.Sprintf("Re: %s et %s", soft, topic)
	case r < 83:
		d.Type = "event"
		d.Title = fmt.Sprintf("%s %s à %s", g.pick([]string{"Webinaire", "Atelier", "Journée", "Rencontre"}), soft, place)
		d.EndDate = d.Date.Add(2 * time.Hour)
	case r < 90:
		d.Type = "usage"
		d.Title = fmt.Sprintf("%s utilise %s", place, soft)
	case r < 95:
		d.Type = "member"
		d.Title = g.pick(g.w.first) + " " + g.pick(g.w.last)
	case r < 98:
		d.Type = "organization"
		d.Title = capitalize(g.pick(g.w.kinds)) + " " + place
	default:
		d.Type = "software"
		d.Title = soft
		d.Categories = []string{g.pick(g.w.categories), g.pick(g.w.categories)}
		d.Licence = g.pick(g.w.licences)
	}
	d.ID = fmt.Sprintf("%s:%08d", d.Type, n)
	d.URL = fmt.Sprintf("/c/%s/%s/%08d", d.Collective, d.Type, n)
	d.Summary = fmt.Sprintf("%s %s %s %s.", capitalize(g.pick(g.w.kinds)), place, g.pick(g.w.verbs), soft)
	var body strings.Builder
	for s := 4 + g.rng.IntN(8); s > 0; s-- {
		if g.rng.IntN(3) == 0 {
			body.WriteString(g.pick(g.w.extras))
		} else {
			fmt.Fprintf(&body, "%s %s %s pour %s %s.", g.pick(g.w.subjects), g.pick(g.w.verbs), g.pick(g.w.software), g.pick(g.w.topics), g.pick(g.w.tails))
		}
		body.WriteByte(' ')
	}
	d.Body = strings.TrimSpace(body.String())
	for t := g.rng.IntN(4); t > 0; t-- {
		d.Tags = append(d.Tags, g.pick(g.w.tags))
	}
	if g.rng.IntN(10) == 0 {
		d.Audience = []string{fmt.Sprintf("group:%d", g.rng.IntN(50))}
	}
	return d
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// BenchQueries returns twenty French queries as people type them on the
// hub — with and without accents, plurals, a typo, synonyms, stop words —
// each asking for the facets a results page shows.
func BenchQueries() []search.Query {
	facets := []string{search.FieldType, search.FieldRegion, search.FieldTags}
	texts := []string{
		"hébergement nextcloud", "visioconférence conseil municipal", "migration linux postes de travail",
		"marché public messagerie", "cybersecurite", "webinaires", "logiciels libres écoles",
		"gestion électronique de documents", "GED", "visio", "Teams", "nextclud", "open data",
		"le modèle de cahier des charges", "accessibilité numérique site internet", "formation LibreOffice agents",
		"mutualisation intercommunalité", "sauvegarde des serveurs", "QGIS cartographie", "Canva",
	}
	out := make([]search.Query, len(texts))
	for i, t := range texts {
		out[i] = search.Query{Text: t, Facets: facets, Audience: []string{search.AudiencePublic, "group:7"}}
	}
	return out
}
