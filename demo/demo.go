// Package demo loads demonstration data built from real public facts: a
// regional collective of the Alps around Grenoble and Échirolles, and a
// national collective with its State partners and host association. The
// collectivities and their codes are real (from the embedded reference
// data); the people are fictitious, with addresses under .example.
//
// Loading is idempotent: what exists (by slug, e-mail, SIREN) is kept.
//
// It imports the domain packages; cmd/collectif calls it.
package demo

import (
	"context"
	"fmt"
	"strings"

	"collectif/access"
	"collectif/account"
	"collectif/catalog"
	"collectif/collective"
	"collectif/directory"
	"collectif/event"
	"collectif/fault"
	"collectif/model"
)

// Deps are the services the demo fills.
type Deps struct {
	Accounts    *account.Service
	Collectives *collective.Service
	Directory   *directory.Service
	// Content, when set, adds discussions and resources.
	Content *ContentDeps
	// Catalog, when set, imports the embedded catalog and adds the
	// organizations' usage declarations.
	Catalog *catalog.Service
	// Events, when set, adds the yearly conference and a webinar.
	Events *event.Service
}

// Report counts what a load created or found.
type Report struct {
	Collectives, Groups, Organizations, People, Memberships int
	Topics, Replies, Resources                              int // added by this run
	Software, Usages                                        int // catalog entries, declarations written
	Events                                                  int
}

func (r Report) String() string {
	return fmt.Sprintf("%d collectives, %d working groups, %d organizations, %d people, %d memberships; added %d topics, %d replies, %d resources; %d catalog entries, %d usage declarations; %d events",
		r.Collectives, r.Groups, r.Organizations, r.People, r.Memberships, r.Topics, r.Replies, r.Resources, r.Software, r.Usages, r.Events)
}

type person struct {
	first, last, title, org string // org: a SIREN, or a key of agencies
	skills, tools           []string
	alpes, national         model.Role
}

// The State agencies and the association (their SIRENs are left for an
// administrator to fill: the demo states only what it is sure of).
var agencies = map[string]directory.NewOrganization{
	"dinum":     {Kind: model.OrgState, Name: "Direction interministérielle du numérique (DINUM)", Website: "https://www.numerique.gouv.fr"},
	"anct":      {Kind: model.OrgState, Name: "Agence nationale de la cohésion des territoires (ANCT)", Website: "https://agence-cohesion-territoires.gouv.fr"},
	"education": {Kind: model.OrgState, Name: "Ministère de l'Éducation nationale", Website: "https://www.education.gouv.fr"},
	"adullact":  {Kind: model.OrgAssociation, Name: "ADULLACT", Website: "https://adullact.org"},
}

// Collectivities of the Alps, by SIREN (real codes from the reference data).
const (
	echirolles   = "213801517"
	grenoble     = "213801855"
	fontaine     = "213801699"
	smh          = "213804214"
	meylan       = "213802291"
	seyssinet    = "213804859"
	eybens       = "213801582"
	saintEgreve  = "213803828"
	metropole    = "200040715"
	gresivaudan  = "200018166"
	voironnais   = "243800984"
	chambery     = "217300656"
	annecy       = "200063402"
	pontDeClaix  = "213803174"
	sassenage    = "213804743"
	montpellier  = "213401722"
	rennes       = "213502388"
	brest        = "212900195"
	saintDenis   = "219740115"
	fortDeFrance = "219722097"
	strasbourg   = "216704825"
	seyssins     = "213804867"
	varces       = "213805245"
	fontanil     = "213801707"
	bernin       = "213800394"
	montbonnot   = "213802499"
	saintIsmier  = "213803976"
	aixLesBains  = "217300086"
	albertville  = "217300110"
	annemasse    = "217400126"
	thonon       = "217402817"
	vif          = "213805450"
	crolles      = "213801400"
	laTronche    = "213805161"
)

var people = []person{
	{"Alix", "Fictif", "Directrice des systèmes d'information", echirolles, []string{"migration vers le logiciel libre", "conduite du changement"}, []string{"Nextcloud", "SOGo", "BigBlueButton", "Polotno"}, model.RoleOwner, model.RoleAdmin},
	{"Basile", "Exemple", "Administrateur systèmes", echirolles, []string{"Linux", "PostgreSQL"}, []string{"Debian", "PeerTube", "Maarch Courrier"}, model.RoleAdmin, model.RoleMember},
	{"Chloé", "Démo", "Responsable des postes de travail", grenoble, []string{"déploiement de postes Linux"}, []string{"Ubuntu", "LibreOffice"}, model.RoleMember, model.RoleMember},
	{"Damien", "Essai", "DSI mutualisée", metropole, []string{"mutualisation", "hébergement"}, []string{"Nextcloud", "Collabora Online"}, model.RoleModerator, model.RoleMember},
	{"Estelle", "Fictive", "Chargée de mission numérique", fontaine, []string{"marchés publics"}, []string{"Odoo"}, model.RoleMember, ""},
	{"Félix", "Exemple", "Responsable sécurité", smh, []string{"cybersécurité", "sauvegardes"}, []string{"Wazuh"}, model.RoleMember, ""},
	{"Gaëlle", "Démo", "Chef de projet GED", meylan, []string{"gestion électronique de documents"}, []string{"Maarch Courrier"}, model.RoleMember, ""},
	{"Hugo", "Essai", "Technicien réseau", seyssinet, []string{"réseaux"}, []string{"pfSense"}, model.RoleMember, ""},
	{"Inès", "Fictive", "DSI", eybens, []string{"visioconférence"}, []string{"BigBlueButton", "Jitsi Meet"}, model.RoleMember, ""},
	{"Jules", "Exemple", "Responsable informatique", saintEgreve, []string{"messagerie"}, []string{"SOGo", "Thunderbird"}, model.RoleMember, ""},
	{"Karima", "Démo", "DSI", gresivaudan, []string{"achat public"}, []string{"Nextcloud"}, model.RoleMember, ""},
	{"Léo", "Essai", "Administrateur", voironnais, nil, []string{"GLPI"}, model.RoleMember, ""},
	{"Maëlle", "Fictive", "DSI", chambery, []string{"open data"}, []string{"uData"}, model.RoleMember, model.RoleMember},
	{"Nathan", "Exemple", "Responsable applications", annecy, nil, []string{"LibreOffice"}, model.RoleMember, ""},
	{"Océane", "Démo", "Technicienne", pontDeClaix, nil, []string{"Linux Mint"}, model.RoleMember, ""},
	{"Paul", "Essai", "Agent informatique", sassenage, nil, nil, model.RoleMember, ""},
	{"Quitterie", "Fictive", "DSI", montpellier, []string{"données personnelles (RGPD)"}, []string{"Nextcloud"}, "", model.RoleAdmin},
	{"Romain", "Exemple", "Directeur du numérique", rennes, []string{"logiciels libres"}, []string{"OnlyOffice", "Nextcloud"}, "", model.RoleMember},
	{"Sarah", "Démo", "DSI", brest, nil, []string{"Matrix"}, "", model.RoleMember},
	{"Tanguy", "Essai", "Responsable informatique", saintDenis, []string{"outre-mer"}, []string{"Zimbra"}, "", model.RoleMember},
	{"Ugo", "Fictif", "DSI", fortDeFrance, nil, []string{"LibreOffice"}, "", model.RoleMember},
	{"Valentine", "Exemple", "Cheffe de projet", strasbourg, []string{"accessibilité numérique"}, []string{"Decidim"}, "", model.RoleMember},
	{"Anaïs", "Essai", "Responsable informatique", seyssins, nil, []string{"LibreOffice"}, model.RoleMember, ""},
	{"Bruno", "Fictif", "Technicien", varces, nil, []string{"Debian"}, model.RoleMember, ""},
	{"Céline", "Exemple", "Secrétaire générale", fontanil, []string{"dématérialisation"}, []string{"Maarch Courrier"}, model.RoleMember, ""},
	{"David", "Démo", "Référent numérique", bernin, nil, []string{"Thunderbird"}, model.RoleMember, ""},
	{"Élodie", "Essai", "Responsable informatique", montbonnot, []string{"téléphonie"}, []string{"Asterisk"}, model.RoleMember, ""},
	{"Fabien", "Fictif", "Technicien", saintIsmier, nil, []string{"Ubuntu"}, model.RoleMember, ""},
	{"Géraldine", "Exemple", "DSI", aixLesBains, []string{"sauvegardes"}, []string{"Proxmox"}, model.RoleMember, model.RoleMember},
	{"Hervé", "Démo", "Responsable des systèmes", albertville, nil, []string{"GLPI"}, model.RoleMember, ""},
	{"Isabelle", "Essai", "DSI", annemasse, []string{"cartographie"}, []string{"QGIS"}, model.RoleMember, ""},
	{"Jérôme", "Fictif", "Responsable informatique", thonon, nil, []string{"Zimbra"}, model.RoleMember, ""},
	{"Laure", "Exemple", "Chargée de mission", vif, []string{"inclusion numérique"}, nil, model.RoleMember, ""},
	{"Marc", "Démo", "Technicien", crolles, nil, []string{"Linux Mint"}, model.RoleMember, ""},
	{"Noémie", "Essai", "Responsable informatique", laTronche, nil, []string{"PeerTube"}, model.RoleMember, ""},
	{"William", "Démo", "Chargé de mission logiciels libres", "dinum", []string{"socle interministériel de logiciels libres"}, nil, "", model.RolePartner},
	{"Yasmine", "Essai", "Cheffe de projet Territoires numériques", "anct", []string{"inclusion numérique"}, nil, model.RolePartner, model.RolePartner},
	{"Zoé", "Fictive", "Chargée de mission numérique éducatif", "education", []string{"ENT"}, nil, "", model.RolePartner},
	{"Adrien", "Exemple", "Délégué général", "adullact", []string{"mutualisation de logiciels"}, []string{"Comptoir du Libre"}, "", model.RoleOwner},
}

type groupSpec struct {
	collective string
	in         collective.NewGroup
}

var groups = []groupSpec{
	{"alpes", collective.NewGroup{Slug: "poste-linux", Name: "Migration du poste de travail sous Linux", Summary: "Retours d'expérience, images de déploiement et accompagnement des agents pour passer les postes sous Linux.", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}},
	{"alpes", collective.NewGroup{Slug: "messagerie", Name: "Messagerie collaborative", Summary: "SOGo, Thunderbird, agendas partagés : migrer la messagerie d'une collectivité.", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}},
	{"alpes", collective.NewGroup{Slug: "visio", Name: "Visioconférence", Summary: "BigBlueButton et Jitsi Meet hébergés par les collectivités, pour les réunions et les conseils.", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}},
	{"alpes", collective.NewGroup{Slug: "cybersecurite", Name: "Cellule cybersécurité", Summary: "Alertes, incidents et bonnes pratiques, entre responsables sécurité.", JoinPolicy: model.JoinApproval, Visibility: model.VisibilityMembers}},
	{"national", collective.NewGroup{Slug: "commande-publique", Name: "Commande publique et logiciels libres", Summary: "Modèles de cahiers des charges, marchés de support et d'hébergement de logiciels libres.", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}},
	{"national", collective.NewGroup{Slug: "poste-linux", Name: "Poste de travail libre", Summary: "Le groupe national sur les postes de travail sous Linux, avec les retours des régions.", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic}},
	{"national", collective.NewGroup{Slug: "cybersecurite", Name: "Cybersécurité", Summary: "Partage d'alertes et de pratiques avec les partenaires de l'État.", JoinPolicy: model.JoinInvitation, Visibility: model.VisibilityMembers}},
}

// Load loads the demonstration data.
func Load(ctx context.Context, d Deps) (Report, error) {
	var r Report
	sys := access.System()
	cols := []collective.NewCollective{
		{Slug: "alpes", Name: "Collectif des collectivités libres des Alpes", Scope: model.ScopeRegional, Region: "84",
			Summary: "Une trentaine de responsables informatiques de collectivités autour de Grenoble et d'Échirolles partagent leurs migrations vers le logiciel libre."},
		{Slug: "national", Name: "Réseau national des collectivités et du logiciel libre", Scope: model.ScopeNational,
			Summary: "Près de 300 membres de 220 collectivités, outre-mer compris, avec l'État (DINUM, ANCT, Éducation nationale) et l'association ADULLACT qui héberge le réseau."},
	}
	for _, c := range cols {
		if _, err := d.Collectives.Create(ctx, sys, c); err != nil && !fault.Is(err, fault.Conflict) {
			return r, fmt.Errorf("collective %s: %w", c.Slug, err)
		}
		r.Collectives++
	}
	orgs := map[string]string{} // SIREN or agency key → organization ID
	for key, in := range agencies {
		id, err := ensureAgency(ctx, d, in)
		if err != nil {
			return r, fmt.Errorf("organization %s: %w", in.Name, err)
		}
		orgs[key] = id
		r.Organizations++
	}
	for _, p := range people {
		if _, ok := orgs[p.org]; !ok {
			o, err := d.Directory.Ensure(ctx, p.org)
			if err != nil {
				return r, fmt.Errorf("organization %s: %w", p.org, err)
			}
			orgs[p.org] = o.ID
			r.Organizations++
		}
		email := strings.ToLower(ascii(p.first) + "." + ascii(p.last) + "@demo.example")
		a, err := d.Accounts.EnsureProfile(ctx, sys, account.Profile{Email: email, Name: p.first + " " + p.last, Title: p.title,
			OrganizationID: orgs[p.org], Skills: p.skills, Tools: p.tools})
		if err != nil {
			return r, fmt.Errorf("person %s: %w", email, err)
		}
		r.People++
		for slug, role := range map[string]model.Role{"alpes": p.alpes, "national": p.national} {
			if role == "" {
				continue
			}
			if err := d.Collectives.Join(ctx, sys, slug, a.ID, role); err != nil {
				return r, err
			}
			r.Memberships++
		}
	}
	for _, g := range groups {
		if _, err := d.Collectives.CreateGroup(ctx, sys, g.collective, g.in); err != nil && !fault.Is(err, fault.Conflict) {
			return r, fmt.Errorf("group %s: %w", g.in.Slug, err)
		}
		r.Groups++
	}
	if d.Content != nil {
		if err := LoadContent(ctx, d, *d.Content, &r); err != nil {
			return r, err
		}
	}
	if d.Catalog != nil {
		if err := LoadCatalog(ctx, d, &r); err != nil {
			return r, err
		}
	}
	if d.Events != nil {
		if err := LoadEvents(ctx, d, &r); err != nil {
			return r, fmt.Errorf("events: %w", err)
		}
	}
	return r, nil
}

func ensureAgency(ctx context.Context, d Deps, in directory.NewOrganization) (string, error) {
	hits, err := d.Directory.Search(ctx, in.Name, 5)
	if err != nil {
		return "", err
	}
	for _, h := range hits {
		if h.ID != "" && h.Name == in.Name {
			return h.ID, nil
		}
	}
	o, err := d.Directory.Create(ctx, true, in)
	if err != nil {
		return "", err
	}
	return o.ID, nil
}

// ascii turns a first name into the local part of a demo address.
func ascii(s string) string {
	r := strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ê", "e", "ï", "i", "î", "i", "ç", "c", "à", "a", "ô", "o", "É", "E", " ", "-")
	return r.Replace(s)
}
