package demo

import (
	"context"
	"fmt"
	"time"

	"collectif/access"
	"collectif/event"
	"collectif/model"
)

// The network's yearly conference, past edition, hosted by Échirolles;
// the partners other than the city are generic names, and the video links
// point at an illustrative PeerTube address of the city.
const (
	conferenceTitle = "Rencontres annuelles du réseau — édition d'Échirolles"
	webinarTitle    = "Webinaire du groupe Poste de travail libre : bilan des migrations"
	peertube        = "https://peertube.ville-echirolles.example"
)

type sessionSpec struct {
	kind        model.SessionKind
	day         int // 0 or 1
	start, end  string
	title, room string
	track       string
	capacity    int
	speakers    []event.Speaker
	abstract    string
}

var conferenceSessions = []sessionSpec{
	{model.SessionTalk, 0, "09:30", "10:15", "Ouverture : dix ans de logiciel libre dans les collectivités", "Grande salle", "Plénière", 0,
		[]event.Speaker{{Name: "Alix Fictif", Affiliation: "Ville d'Échirolles"}}, "Ce que la mutualisation a changé, et ce qui reste à faire."},
	{model.SessionTalk, 0, "10:30", "11:15", "Migrer 800 postes vers Linux : retour d'expérience", "Grande salle", "Poste de travail", 0,
		[]event.Speaker{{Name: "Basile Exemple", Affiliation: "Ville d'Échirolles"}}, "Calendrier, formation, support : les étapes d'une migration progressive."},
	{model.SessionWorkshop, 0, "14:00", "16:00", "Atelier : rédiger un marché de support de logiciels libres", "Salle 2", "Commande publique", 25,
		[]event.Speaker{{Name: "Claude Modèle", Affiliation: "Réseau national"}}, "À partir des modèles partagés dans le réseau."},
	{model.SessionWorkshop, 0, "14:00", "16:00", "Atelier : déployer Nextcloud pour une intercommunalité", "Salle 3", "Infrastructure", 20,
		[]event.Speaker{{Name: "Dominique Essai"}}, "Dimensionnement, sauvegardes, authentification."},
	{model.SessionRoundTable, 1, "09:30", "11:00", "Table ronde : État, collectivités et associations, qui fait quoi ?", "Grande salle", "Plénière", 0,
		[]event.Speaker{{Name: "Eden Témoin", Affiliation: "Fondation pour les communs numériques"}, {Name: "Farah Démo", Affiliation: "Coopérative alpine de services libres"}}, ""},
	{model.SessionTalk, 1, "11:15", "12:00", "Clôture et prochaine édition", "Grande salle", "Plénière", 0, nil, ""},
}

// LoadEvents adds the conference's past edition and an upcoming webinar
// with registration open, once: it does nothing when the national
// collective already has events.
func LoadEvents(ctx context.Context, d Deps, r *Report) error {
	sys := access.System()
	l, err := d.Events.List(ctx, sys, event.Filter{Collective: "national"})
	if err != nil {
		return err
	}
	if len(l.Items) > 0 {
		r.Events = len(l.Items)
		return nil
	}
	city, err := d.Directory.Ensure(ctx, echirolles)
	if err != nil {
		return err
	}
	paris := event.Paris()
	// The past edition: last autumn, two days.
	year := time.Now().In(paris).Year() - 1
	day0 := time.Date(year, 10, 16, 0, 0, 0, 0, paris)
	at := func(day int, hm string) time.Time {
		t, _ := time.ParseInLocation("15:04", hm, paris)
		return day0.AddDate(0, 0, day).Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute)
	}
	conf, err := d.Events.Create(ctx, sys, "national", event.Input{
		Title:   conferenceTitle,
		Summary: "Deux jours de conférences, d'ateliers et de tables rondes entre collectivités, État, associations et entreprises du logiciel libre.",
		Description: "Les rencontres annuelles du réseau, accueillies cette année par la ville d'Échirolles.\n\n" +
			"- conférences et retours d'expérience\n- ateliers pratiques en petits groupes\n- une table ronde sur le rôle de chacun\n\n" +
			"Les séances ont été diffusées en direct et restent visibles en rediffusion.",
		StartsAt: at(0, "09:00"), EndsAt: at(1, "12:30"),
		Venue: "Hôtel de ville d'Échirolles", Address: "Échirolles (Isère)",
		Accessibility: "Salles de plain-pied, accessibles en fauteuil ; boucle magnétique en grande salle.",
		StreamURL:     peertube + "/c/rencontres/live", ReplayURL: peertube + "/c/rencontres/videos",
		Capacity: 350,
		Partners: []event.Partner{
			{Role: "coorganizer", Name: city.Name, OrganizationID: city.ID},
			{Role: "partner", Name: "Fondation pour les communs numériques"},
			{Role: "partner", Name: "Coopérative alpine de services libres"},
		},
	})
	if err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	for _, s := range conferenceSessions {
		if _, err := d.Events.AddSession(ctx, sys, conf.ID, event.SessionInput{Kind: s.kind, Title: s.title, Abstract: s.abstract,
			StartsAt: at(s.day, s.start), EndsAt: at(s.day, s.end), Room: s.room, Track: s.track, Capacity: s.capacity, Speakers: s.speakers}); err != nil {
			return fmt.Errorf("session %s: %w", s.title, err)
		}
	}
	if err := d.Events.Publish(ctx, sys, conf.ID); err != nil {
		return err
	}
	// The upcoming webinar, three weeks from now at 14:00, 100 places.
	w := time.Now().In(paris).AddDate(0, 0, 21)
	start := time.Date(w.Year(), w.Month(), w.Day(), 14, 0, 0, 0, paris)
	web, err := d.Events.Create(ctx, sys, "national", event.Input{
		Title:   webinarTitle,
		Summary: "Une heure et demie d'échanges en ligne entre collectivités qui migrent leurs postes de travail vers Linux.",
		Description: "Trois collectivités présentent où elles en sont, puis questions et réponses.\n\n" +
			"Le lien de la visioconférence est envoyé aux inscrits ; la rediffusion sera publiée ensuite.",
		StartsAt: start, EndsAt: start.Add(90 * time.Minute),
		StreamURL:            peertube + "/c/rencontres/live",
		Capacity:             100,
		RegistrationClosesAt: start.Add(-2 * time.Hour),
	})
	if err != nil {
		return fmt.Errorf("webinar: %w", err)
	}
	if _, err := d.Events.AddSession(ctx, sys, web.ID, event.SessionInput{Kind: model.SessionTalk, Title: "Trois migrations, trois calendriers",
		StartsAt: start, EndsAt: start.Add(time.Hour), Speakers: []event.Speaker{{Name: "Basile Exemple", Affiliation: city.Name}}}); err != nil {
		return err
	}
	if err := d.Events.Publish(ctx, sys, web.ID); err != nil {
		return err
	}
	r.Events = 2
	return nil
}
