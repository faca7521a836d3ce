package search

import (
	"slices"
	"strings"
)

// The French vocabulary of local-government IT, in one place so both
// engines expand a query the same way: the embedded engine at query time,
// Meilisearch through its synonyms and stopWords settings. The tables live
// inside functions that build fresh values, so no caller can alter what
// another one sees.

// Document types: the values of Document.Type and IndexJob.Type. A domain
// package may keep its own constant (resource.DocType) as long as it holds
// the same string.
const (
	TypeCollective   = "collective"
	TypeGroup        = "group"
	TypeMember       = "member"
	TypeOrganization = "organization"
	TypeTopic        = "topic"
	TypeReply        = "reply"
	TypeResource     = "resource"
	// TypeSoftware is a catalog entry: Title the software's name, Summary
	// its description, Tags the proprietary products it replaces (so that
	// they are searchable), Categories its categories (FieldCategories),
	// Licence its SPDX identifier (FieldLicence), Date its last update.
	TypeSoftware = "software"
	// TypeUsage is an organization's declaration of use of a software:
	// Title "<software> à <organization>", Body the testimonial, Tags the
	// software's name and the hosting ("interne", "mutualisé",
	// "prestataire"), Categories and Licence copied from the software,
	// Region the organization's région, Date the declaration's update.
	TypeUsage = "usage"
	// TypeEvent is an event page: Date its start, EndDate its end
	// (FieldWhen ranges are on Date), Region and Collective where it is
	// held and who holds it, Tags its themes.
	TypeEvent = "event"
	// TypeSession is one session of an event's programme (talk, workshop):
	// Title the session's title, Summary its abstract, Body the speakers'
	// names, Tags the track and room, Date and EndDate its slot, URL the
	// programme anchor; Collective and Region those of its event.
	TypeSession = "session"
)

// Types lists the document types, in the order pages show them.
func Types() []string {
	return []string{TypeResource, TypeTopic, TypeReply, TypeEvent, TypeSession, TypeSoftware, TypeUsage,
		TypeMember, TypeOrganization, TypeCollective, TypeGroup}
}

// Replacement is a one-way synonym: searching any of From also finds To,
// but searching To does not bring back From. It maps what people type —
// often a proprietary product — to the free software the hub documents.
type Replacement struct {
	From []string
	To   []string
}

// Equivalences returns groups of terms that mean the same thing: searching
// any term of a group finds documents using any other term of it.
func Equivalences() [][]string {
	return [][]string{
		{"visio", "visioconférence", "visio-conférence", "vidéoconférence", "webconférence"},
		{"webinaire", "webinar"},
		{"atelier", "workshop"},
		{"replay", "rediffusion"},
		{"GRC", "gestion de la relation citoyen", "gestion de la relation usager"},
		{"ENT", "espace numérique de travail"},
		{"GED", "gestion électronique de documents", "gestion électronique des documents"},
		{"marché", "marché public", "commande publique"},
		{"mairie", "commune", "municipalité"},
		{"cyber", "cybersécurité", "sécurité informatique"},
		{"RGPD", "GDPR", "données personnelles"},
		{"DSI", "direction des systèmes d'information"},
		{"SIG", "système d'information géographique"},
		{"EPCI", "intercommunalité", "interco"},
		{"SSO", "authentification unique"},
		{"RGAA", "accessibilité numérique"},
		{"open data", "opendata", "données ouvertes"},
		{"logiciel libre", "open source", "code source ouvert"},
		{"SILL", "socle interministériel de logiciels libres"},
		{"PSSI", "politique de sécurité des systèmes d'information"},
		{"courriel", "e-mail", "mél"},
		{"démat", "dématérialisation"},
		{"parapheur électronique", "signature électronique"},
		{"tableur", "feuille de calcul"},
		{"cloud", "informatique en nuage"},
		{"poste de travail", "ordinateur"},
	}
}

// Replacements returns the one-way synonyms, from proprietary products to
// the free software that replaces them in local governments.
func Replacements() []Replacement {
	return []Replacement{
		{From: []string{"Canva"}, To: []string{"Polotno"}},
		{From: []string{"Teams", "Zoom", "Google Meet"}, To: []string{"BigBlueButton", "Jitsi"}},
		{From: []string{"Outlook", "Exchange"}, To: []string{"SOGo", "Thunderbird"}},
		{From: []string{"Office", "Microsoft Office", "Microsoft 365", "Office 365", "Word", "Excel", "PowerPoint"}, To: []string{"LibreOffice", "Collabora"}},
		{From: []string{"SharePoint", "OneDrive", "Google Drive", "Dropbox"}, To: []string{"Nextcloud"}},
		{From: []string{"Slack"}, To: []string{"Mattermost", "Rocket.Chat"}},
		{From: []string{"Doodle"}, To: []string{"Framadate"}},
		{From: []string{"Google Forms", "SurveyMonkey"}, To: []string{"LimeSurvey", "Framaforms"}},
		{From: []string{"Trello"}, To: []string{"Wekan", "Kanboard"}},
		{From: []string{"Photoshop"}, To: []string{"GIMP"}},
		{From: []string{"Illustrator"}, To: []string{"Inkscape"}},
		{From: []string{"ArcGIS"}, To: []string{"QGIS"}},
		{From: []string{"AutoCAD"}, To: []string{"FreeCAD", "LibreCAD"}},
		{From: []string{"Windows"}, To: []string{"Linux"}},
		{From: []string{"Skype"}, To: []string{"BigBlueButton", "Jitsi"}},
		{From: []string{"YouTube"}, To: []string{"PeerTube"}},
		{From: []string{"WhatsApp"}, To: []string{"Tchap"}},
		{From: []string{"Google Docs"}, To: []string{"Collabora", "LibreOffice"}},
		{From: []string{"Gmail"}, To: []string{"SOGo", "Thunderbird"}},
		{From: []string{"Chrome"}, To: []string{"Firefox"}},
	}
}

// Synonyms returns the vocabulary in Meilisearch's shape: a lowercased term
// → the terms it also finds. Equivalences map each term to the others of its
// group; replacements map each From term to the To terms. Values keep their
// accents and case-folding is left to the engine, which normalises both.
func Synonyms() map[string][]string {
	out := map[string][]string{}
	add := func(from string, to []string) {
		key := strings.ToLower(from)
		for _, t := range to {
			if strings.EqualFold(t, from) || slices.Contains(out[key], t) {
				continue
			}
			out[key] = append(out[key], t)
		}
	}
	for _, group := range Equivalences() {
		for _, term := range group {
			add(term, group)
		}
	}
	for _, r := range Replacements() {
		for _, from := range r.From {
			add(from, r.To)
		}
	}
	return out
}

// StopWords returns the French words too common to help ranking: the
// Snowball list that bleve's French analyzer uses, each word also given
// without accents (people type "a" for "à", and Meilisearch matches stop
// words as typed), minus "est", which is also the cardinal point of
// "Grand Est" and "Est ensemble".
func StopWords() []string {
	words := strings.Fields(`
au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma
mais me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa
se ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t
y été étée étées étés étant suis es sommes êtes sont serai seras sera serons
serez seront serais serait serions seriez seraient étais était étions étiez
étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse
fusses fût fussions fussiez fussent ayant eu eue eues eus ai as avons avez
ont aurai auras aura aurons aurez auront aurais aurait aurions auriez
auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie aies
ait ayons ayez aient eusse eusses eût eussions eussiez eussent ceci cela
celà cet cette ici ils les leurs quel quels quelle quelles sans soi`)
	out := make([]string, 0, len(words)*2)
	for _, w := range words {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
		if f := foldFrench(w); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// foldFrench removes the diacritics French uses. It is enough for the stop
// list, whose words are plain French; the engines fold documents themselves.
func foldFrench(s string) string {
	return strings.NewReplacer(
		"à", "a", "â", "a", "ä", "a",
		"ç", "c",
		"é", "e", "è", "e", "ê", "e", "ë", "e",
		"î", "i", "ï", "i",
		"ô", "o", "ö", "o",
		"ù", "u", "û", "u", "ü", "u",
		"ÿ", "y",
		"œ", "oe", "æ", "ae",
	).Replace(s)
}
