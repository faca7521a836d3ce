package searchtest

import (
	"time"

	"collectif/search"
)

// IDs of the corpus documents the behaviour suite asserts on.
const (
	IDMarcheNextcloud = "resource:01J8Z6K4Q2N3P5R7T9V1W3X5Y7"
	IDBigBlueButton   = "resource:01J90A2B4C6D8E0F2G4H6J8K0M"
	IDMigrationLinux  = "resource:01HF3Q5S7T9V1W3X5Y7Z9A1B3C"
	IDRGPD            = "resource:01J5B7C9D1E3F5G7H9J1K3M5N7"
	IDENT             = "resource:01J7C9D1E3F5G7H9J1K3M5N7P9"
	IDBareme          = "resource:01J9M1N3P5Q7R9S1T3V5W7X9Y1" // members of the "marches" group only
	IDWebinaire       = "event:01JK2M4N6P8Q0R2S4T6V8W0X2Y"
	IDJourneeLibre    = "event:01J9R3S5T7V9W1X3Y5Z7A9B1C3"
	IDAtelierQGIS     = "event:01JQ5R7S9T1V3W5X7Y9Z1A3B5C"
	IDClaire          = "member:01HX1Y3Z5A7B9C1D3E5F7G9H1J"
	IDYann            = "member:01HY2Z4A6B8C0D2E4F6G8H0J2K"
	IDVilleEchirolles = "organization:01H81B3C5D7E9F1G3H5J7K9M1N"
	IDMegalis         = "organization:01H82C4D6E8F0G2H4J6K8M0N2P"
	IDPolotno         = "software:01H91D3E5F7G9H1J3K5M7N9P1Q"
	IDNextcloud       = "software:01H92E4F6G8H0J2K4M6N8P0Q2R"
	IDBBBSoftware     = "software:01H93F5G7H9J1K3M5N7P9Q1R3S"
	IDMaarch          = "software:01H94G6H8J0K2M4N6P8Q0R2S4T"
	IDUsageGrenoble   = "usage:01J3H5J7K9M1N3P5Q7R9S1T3V5"
	IDUsageIsere      = "usage:01J2G4H6J8K0M2N4P6Q8R0S2T4"
	IDTopicJitsi      = "topic:01JH0J2K4M6N8P0Q2R4S6T8V0W"
	IDReplyJitsi      = "reply:01JH1K3M5N7P9Q1R3S5T7V9W1X"
	IDTopicScript     = "topic:01JJ2M4N6P8Q0R2S4T6V8W0X2Y"
	IDSessionMatrix   = "session:01JB4N6P8Q0R2S4T6V8W0X2Y4Z"
)

// GroupMarches is the audience key of the "marches" working group, the only
// viewers of IDBareme.
const GroupMarches = "group:01J8GT0MARCHES000000000000"

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err) // a typo in the literal below, caught by any test run
	}
	return t
}

// pub returns a fresh audience slice per document, so that no test can
// change another document by editing one.
func pub() []string { return []string{search.AudiencePublic} }

// Corpus returns a small French corpus that reads like the hub: resources,
// events, members, organizations, software, usages, a discussion and a
// members-only resource. It is built fresh on each call.
func Corpus() []search.Document {
	return []search.Document{
		{
			ID:      IDMarcheNextcloud,
			Type:    "resource",
			Title:   "Modèle de marché pour l'hébergement Nextcloud",
			Summary: "Cahier des clauses techniques et règlement de consultation pour externaliser l'hébergement d'une instance Nextcloud mutualisée.",
			Body: "Ce dossier de consultation rassemble le CCTP, le bordereau des prix et les critères d'attribution " +
				"utilisés par le syndicat pour choisir un hébergeur qualifié. Il prévoit la réversibilité des données, " +
				"la localisation des serveurs en France et des pénalités en cas d'indisponibilité du service.",
			Tags:       []string{"marché public", "Nextcloud", "hébergement"},
			URL:        "/c/alpes/r/01J8Z6K4Q2N3P5R7T9V1W3X5Y7",
			Collective: "alpes",
			Region:     "84",
			Licence:    "CC-BY-SA-4.0",
			Audience:   pub(),
			Date:       day("2024-03-12T09:00:00Z"),
		},
		{
			ID:      IDBigBlueButton,
			Type:    "resource",
			Title:   "Déployer BigBlueButton pour les conseils municipaux",
			Summary: "Retour d'expérience sur la visioconférence des séances du conseil et des réunions d'agents.",
			Body: "Nous avons ouvert des salles virtuelles pour chaque service, avec enregistrement des séances publiques. " +
				"Le serveur est hébergé par le syndicat départemental ; la bande passante nécessaire est de 1 Mbit/s par participant.",
			Tags:       []string{"BigBlueButton", "conseil municipal"},
			URL:        "/c/bretagne-libre/r/01J90A2B4C6D8E0F2G4H6J8K0M",
			Collective: "bretagne-libre",
			Region:     "53",
			Licence:    "CC-BY-4.0",
			Audience:   pub(),
			Date:       day("2024-06-02T14:00:00Z"),
		},
		{
			ID:      IDMigrationLinux,
			Type:    "resource",
			Title:   "Migration des postes de travail sous Linux à Échirolles",
			Summary: "La ville d'Échirolles a migré six cents postes vers Ubuntu et LibreOffice en trois ans.",
			Body: "Le projet a commencé par les écoles puis les services administratifs. Le choix du logiciel libre " +
				"a permis de réduire les coûts de licence et de prolonger la durée de vie du matériel. " +
				"Les agents ont suivi une formation d'une demi-journée.",
			Tags:       []string{"Linux", "poste de travail"},
			URL:        "/c/alpes/r/01HF3Q5S7T9V1W3X5Y7Z9A1B3C",
			Collective: "alpes",
			Region:     "84",
			Licence:    "CC-BY-SA-4.0",
			Audience:   pub(),
			Date:       day("2023-11-20T08:30:00Z"),
		},
		{
			ID:         IDRGPD,
			Type:       "resource",
			Title:      "Guide RGPD pour les services d'état civil",
			Summary:    "Tenir le registre des traitements et répondre aux demandes d'accès des administrés.",
			Body:       "Ce guide propose des modèles de mentions d'information et une méthode pour les analyses d'impact.",
			Tags:       []string{"RGPD"},
			URL:        "/c/occitanie/r/01J5B7C9D1E3F5G7H9J1K3M5N7",
			Collective: "occitanie",
			Region:     "76",
			Licence:    "CC-BY-4.0",
			Audience:   pub(),
			Date:       day("2024-09-17T10:00:00Z"),
		},
		{
			ID:         IDENT,
			Type:       "resource",
			Title:      "Un espace numérique de travail pour les écoles primaires",
			Summary:    "Cahier des charges commun aux communes du territoire pour l'espace numérique de travail des écoles.",
			Body:       "Les enseignants demandaient un outil simple pour le cahier de texte et la messagerie avec les familles.",
			Tags:       []string{"éducation"},
			URL:        "/c/bretagne-libre/r/01J7C9D1E3F5G7H9J1K3M5N7P9",
			Collective: "bretagne-libre",
			Region:     "53",
			Audience:   pub(),
			Date:       day("2024-12-03T16:00:00Z"),
		},
		{
			ID:         IDBareme,
			Type:       "resource",
			Title:      "Barème confidentiel de notation des candidatures",
			Summary:    "Document de travail du groupe Marchés : pondération des critères, à ne pas diffuser.",
			Body:       "Le barème attribue quarante points au prix et soixante points à la valeur technique.",
			Tags:       []string{"marché public"},
			URL:        "/c/alpes/g/marches/r/01J9M1N3P5Q7R9S1T3V5W7X9Y1",
			Collective: "alpes",
			Group:      "marches",
			Region:     "84",
			Audience:   []string{GroupMarches},
			Date:       day("2025-03-01T09:00:00Z"),
		},
		{
			ID:      IDWebinaire,
			Type:    "event",
			Title:   "Webinaire cybersécurité : se protéger des rançongiciels",
			Summary: "Une heure pour comprendre les attaques récentes contre les collectivités et les premiers gestes.",
			Body: "Avec l'intervention du centre de réponse régional. Inscription gratuite, ouverte aux élus et aux agents. " +
				"Lien de connexion envoyé la veille.",
			Tags:       []string{"sécurité"},
			URL:        "/c/ile-de-france/e/01JK2M4N6P8Q0R2S4T6V8W0X2Y",
			Collective: "ile-de-france",
			Region:     "11",
			Audience:   pub(),
			Date:       day("2025-02-13T10:00:00Z"),
			EndDate:    day("2025-02-13T11:00:00Z"),
		},
		{
			ID:         IDJourneeLibre,
			Type:       "event",
			Title:      "Journée régionale du libre en Occitanie",
			Summary:    "Rencontres entre collectivités autour des logiciels libres et de la mutualisation.",
			Body:       "Au programme : retours d'expérience, ateliers pratiques et stands des associations.",
			URL:        "/c/occitanie/e/01J9R3S5T7V9W1X3Y5Z7A9B1C3",
			Collective: "occitanie",
			Region:     "76",
			Audience:   pub(),
			Date:       day("2024-10-08T08:00:00Z"),
			EndDate:    day("2024-10-08T17:00:00Z"),
		},
		{
			ID:         IDAtelierQGIS,
			Type:       "event",
			Title:      "Atelier QGIS pour les services urbanisme",
			Summary:    "Prise en main du système d'information géographique libre pour instruire les permis de construire.",
			Body:       "Apportez votre ordinateur portable ; les données cadastrales d'exemple sont fournies.",
			URL:        "/c/alpes/e/01JQ5R7S9T1V3W5X7Y9Z1A3B5C",
			Collective: "alpes",
			Region:     "84",
			Audience:   pub(),
			Date:       day("2025-05-20T13:30:00Z"),
			EndDate:    day("2025-05-20T17:00:00Z"),
		},
		{
			ID:       IDClaire,
			Type:     "member",
			Title:    "Claire Martin",
			Summary:  "Responsable du numérique à la mairie de Grenoble, référente Nextcloud.",
			URL:      "/m/01HX1Y3Z5A7B9C1D3E5F7G9H1J",
			Region:   "84",
			Audience: pub(),
			Date:     day("2023-05-04T12:00:00Z"),
		},
		{
			ID:       IDYann,
			Type:     "member",
			Title:    "Yann Le Goff",
			Summary:  "Chef de projet à la communauté de communes du pays de Lorient, administre Jitsi.",
			URL:      "/m/01HY2Z4A6B8C0D2E4F6G8H0J2K",
			Region:   "53",
			Audience: pub(),
			Date:     day("2023-06-10T12:00:00Z"),
		},
		{
			ID:       IDVilleEchirolles,
			Type:     "organization",
			Title:    "Ville d'Échirolles",
			Summary:  "Commune de l'Isère engagée depuis 2020 dans le logiciel libre.",
			URL:      "/o/01H81B3C5D7E9F1G3H5J7K9M1N",
			Region:   "84",
			Audience: pub(),
			Date:     day("2023-01-15T12:00:00Z"),
		},
		{
			ID:       IDMegalis,
			Type:     "organization",
			Title:    "Mégalis Bretagne",
			Summary:  "Syndicat mixte de coopération territoriale qui mutualise les services numériques des collectivités bretonnes.",
			URL:      "/o/01H82C4D6E8F0G2H4J6K8M0N2P",
			Region:   "53",
			Audience: pub(),
			Date:     day("2023-01-16T12:00:00Z"),
		},
		{
			ID:         IDPolotno,
			Type:       "software",
			Title:      "Polotno",
			Summary:    "Éditeur graphique en ligne qui remplace Canva pour les affiches et les publications.",
			Body:       "Modèles de documents, banque d'images et export en PDF, utilisable dans le navigateur.",
			URL:        "/s/polotno",
			Categories: []string{"Graphisme", "Communication"},
			Licence:    "MIT",
			Audience:   pub(),
			Date:       day("2024-02-01T12:00:00Z"),
		},
		{
			ID:         IDNextcloud,
			Type:       "software",
			Title:      "Nextcloud",
			Summary:    "Partage de fichiers, agendas et édition collaborative hébergés par la collectivité.",
			URL:        "/s/nextcloud",
			Categories: []string{"Collaboration", "Stockage"},
			Licence:    "AGPL-3.0",
			Audience:   pub(),
			Date:       day("2024-01-10T12:00:00Z"),
		},
		{
			ID:         IDBBBSoftware,
			Type:       "software",
			Title:      "BigBlueButton",
			Summary:    "Classe virtuelle et visioconférence avec tableau blanc et partage d'écran.",
			URL:        "/s/bigbluebutton",
			Categories: []string{"Visioconférence"},
			Licence:    "LGPL-3.0",
			Audience:   pub(),
			Date:       day("2024-01-11T12:00:00Z"),
		},
		{
			ID:         IDMaarch,
			Type:       "software",
			Title:      "Maarch Courrier",
			Summary:    "Gestion électronique de documents et suivi du courrier entrant pour les mairies.",
			URL:        "/s/maarch-courrier",
			Categories: []string{"Gestion documentaire"},
			Licence:    "GPL-3.0",
			Audience:   pub(),
			Date:       day("2024-01-12T12:00:00Z"),
		},
		{
			ID:         IDUsageGrenoble,
			Type:       "usage",
			Title:      "Grenoble utilise Nextcloud",
			Summary:    "Trois mille agents partagent leurs dossiers sur l'instance de la ville.",
			URL:        "/s/nextcloud/u/01J3H5J7K9M1N3P5Q7R9S1T3V5",
			Collective: "alpes",
			Region:     "84",
			Audience:   pub(),
			Date:       day("2024-09-30T12:00:00Z"),
		},
		{
			ID:         IDUsageIsere,
			Type:       "usage",
			Title:      "Le Département de l'Isère utilise BigBlueButton",
			Summary:    "Formations à distance des agents des collèges.",
			URL:        "/s/bigbluebutton/u/01J2G4H6J8K0M2N4P6Q8R0S2T4",
			Collective: "alpes",
			Region:     "84",
			Audience:   pub(),
			Date:       day("2024-04-22T12:00:00Z"),
		},
		{
			ID:         IDTopicJitsi,
			Type:       "topic",
			Title:      "Quel hébergeur pour Jitsi ?",
			Summary:    "Nous cherchons un prestataire pour une instance Jitsi de cinquante participants.",
			URL:        "/c/bretagne-libre/t/01JH0J2K4M6N8P0Q2R4S6T8V0W",
			Collective: "bretagne-libre",
			Region:     "53",
			Audience:   pub(),
			Date:       day("2025-01-10T09:15:00Z"),
		},
		{
			ID:         IDReplyJitsi,
			Type:       "reply",
			Title:      "Re: Quel hébergeur pour Jitsi ?",
			Summary:    "Nous passons par la centrale d'achat régionale, le lot comprend la maintenance.",
			URL:        "/c/bretagne-libre/t/01JH0J2K4M6N8P0Q2R4S6T8V0W#01JH1K3M5N7P9Q1R3S5T7V9W1X",
			Collective: "bretagne-libre",
			Region:     "53",
			Audience:   pub(),
			Date:       day("2025-01-11T10:40:00Z"),
		},
		{
			ID:         IDTopicScript,
			Type:       "topic",
			Title:      "Balises HTML dans les pages du wiki",
			Summary:    `Faut-il autoriser <script> & "iframe" dans les pages Nextcloud ?`,
			URL:        "/c/alpes/t/01JJ2M4N6P8Q0R2S4T6V8W0X2Y",
			Collective: "alpes",
			Region:     "84",
			Audience:   pub(),
			Date:       day("2025-01-20T17:00:00Z"),
		},
		{
			ID:         IDSessionMatrix,
			Type:       "session",
			Title:      "Retours sur le déploiement de Matrix et Element",
			Summary:    "Session des rencontres annuelles : messagerie instantanée souveraine pour les agents.",
			URL:        "/c/ile-de-france/e/rencontres-2024/s/01JB4N6P8Q0R2S4T6V8W0X2Y4Z",
			Collective: "ile-de-france",
			Region:     "11",
			Audience:   pub(),
			Date:       day("2024-11-05T14:00:00Z"),
		},
	}
}
