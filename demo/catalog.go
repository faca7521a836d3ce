package demo

import (
	"context"
	"fmt"

	"collectif/access"
	"collectif/catalog"
)

// usageSpec is a usage declaration of the demo, made by a demo person for
// their organization.
type usageSpec struct {
	person      string // e-mail local part
	software    string // slug
	since       int
	scope       int
	hosting     string
	savings     int64 // 0: not said
	contact     bool
	testimonial string
}

// Échirolles runs Nextcloud, SOGo, BigBlueButton, Polotno, Maarch, Odoo
// recruitment, PeerTube and Linux desktops, and saves over 350,000 € a year
// in licences (public facts); how that total splits between software, the
// years and the scopes are the demo's own, and say so.
var usages = []usageSpec{
	{"alix.fictif", "nextcloud", 2019, 1400, "in_house", 90000, true, "(Démonstration) Fichiers, agendas et partages de tous les services, hébergés par la ville. La ville déclare au total plus de 350 000 € d'économies de licences par an ; leur répartition entre logiciels est fictive."},
	{"alix.fictif", "sogo", 2020, 1400, "in_house", 60000, true, "(Démonstration) Messagerie et agendas partagés de tous les agents."},
	{"alix.fictif", "bigbluebutton", 2020, 600, "in_house", 40000, true, "(Démonstration) Réunions, formations et conseils municipaux hybrides."},
	{"alix.fictif", "polotno-studio", 2022, 40, "in_house", 12000, false, "(Démonstration) Les services créent leurs affiches et visuels sans abonnement à un outil propriétaire."},
	{"basile.exemple", "maarch-courrier", 2018, 300, "in_house", 25000, true, "(Démonstration) Courrier entrant numérisé et circuits de visa."},
	{"basile.exemple", "odoo", 2021, 25, "in_house", 15000, false, "(Démonstration) Module de recrutement : offres publiées et candidatures suivies."},
	{"basile.exemple", "peertube", 2021, 0, "in_house", 8000, false, "(Démonstration) Les conférences du festival du logiciel libre y sont diffusées et rediffusées."},
	{"basile.exemple", "debian", 2019, 600, "in_house", 110000, true, "(Démonstration) Postes administratifs sous Linux, déployés par vagues de 50."},
	{"chloe.demo", "libreoffice", 2017, 2500, "in_house", 0, true, ""},
	{"chloe.demo", "ubuntu", 2021, 300, "in_house", 0, false, ""},
	{"damien.essai", "nextcloud", 2021, 5000, "pooled", 0, true, "(Démonstration) Instance mutualisée proposée aux communes de la métropole."},
	{"damien.essai", "collabora-online", 2021, 5000, "pooled", 0, false, ""},
	{"estelle.fictive", "odoo", 2022, 15, "provider", 0, false, ""},
	{"gaelle.demo", "maarch-courrier", 2020, 120, "pooled", 6000, true, ""},
	{"ines.fictive", "bigbluebutton", 2021, 150, "in_house", 5000, true, ""},
	{"ines.fictive", "jitsi", 2020, 150, "in_house", 0, false, ""},
	{"jules.exemple", "sogo", 2022, 300, "provider", 0, true, ""},
	{"jules.exemple", "thunderbird", 2018, 300, "in_house", 0, false, ""},
	{"karima.demo", "nextcloud", 2022, 400, "provider", 0, false, ""},
	{"leo.essai", "glpi", 2016, 0, "in_house", 0, false, ""},
	{"celine.exemple", "maarch-courrier", 2021, 20, "pooled", 0, false, ""},
	{"noemie.essai", "peertube", 2023, 0, "pooled", 0, false, ""},
	{"romain.exemple", "onlyoffice", 2022, 3000, "provider", 0, true, ""},
	{"romain.exemple", "nextcloud", 2020, 3000, "in_house", 0, false, ""},
	{"quitterie.fictive", "nextcloud", 2021, 2500, "in_house", 0, true, ""},
	{"tanguy.essai", "zimbra", 2019, 800, "provider", 0, false, ""},
	{"isabelle.essai", "qgis", 2018, 10, "in_house", 0, false, ""},
	{"valentine.exemple", "decidim", 2020, 0, "provider", 0, true, ""},
}

// LoadCatalog imports the embedded catalog (idempotent: unchanged entries
// stay as they are) and writes the demo's usage declarations (a
// declaration of the same software by the same organization is updated,
// never duplicated).
func LoadCatalog(ctx context.Context, d Deps, r *Report) error {
	for _, f := range catalog.Embedded() {
		rep, err := d.Catalog.Import(ctx, access.System(), f)
		if err != nil {
			return fmt.Errorf("catalog %s: %w", f.Name, err)
		}
		r.Software += rep.Created + rep.Updated + rep.Unchanged
	}
	for _, u := range usages {
		a, err := d.Accounts.ByEmail(ctx, u.person+"@demo.example")
		if err != nil {
			return fmt.Errorf("demo person %s: %w", u.person, err)
		}
		in := catalog.UsageInput{Software: u.software, SinceYear: u.since, Scope: u.scope, Hosting: u.hosting, Testimonial: u.testimonial}
		if u.savings > 0 {
			in.SavingsEUR = &u.savings
		}
		if u.contact {
			in.ContactID = a.ID
		}
		if _, err := d.Catalog.Declare(ctx, access.Account(a.ID, false), in); err != nil {
			return fmt.Errorf("usage %s by %s: %w", u.software, u.person, err)
		}
		r.Usages++
	}
	return nil
}
