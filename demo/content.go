package demo

import (
	"context"
	"fmt"
	"strings"

	"collectif/access"
	"collectif/discussion"
	"collectif/model"
	"collectif/resource"
)

// ContentDeps are the services that hold the demo's discussions and
// resources.
type ContentDeps struct {
	Discussions *discussion.Service
	Resources   *resource.Service
}

type topicSpec struct {
	collective, group, author string // author: e-mail local part
	title, body               string
	replies                   []replySpec
}

type replySpec struct{ author, body string }

var topics = []topicSpec{
	{"alpes", "poste-linux", "alix.fictif", "Retour d'expérience : 600 postes sous Linux en trois ans",
		"Nous avons migré nos postes administratifs par vagues de 50, en commençant par les services volontaires.\n\n" +
			"- image Debian commune, mise à jour par le service informatique ;\n- LibreOffice et Thunderbird par défaut ;\n- une demi-journée de formation par agent, et un référent par service.\n\n" +
			"Les points durs : quelques logiciels métier sous Windows, que nous servons désormais en bureau distant. Qui a des retours sur les imprimantes multifonctions ?",
		[]replySpec{{"chloe.demo", "Même chose chez nous pour les multifonctions : les pilotes génériques suffisent pour l'impression, le scan vers dossier réseau demande un peu de configuration côté copieur."},
			{"basile.exemple", "Nous publions notre recette de déploiement (preseed et scripts) dans les ressources du collectif."}}},
	{"alpes", "visio", "ines.fictive", "BigBlueButton pour les conseils municipaux hybrides ?",
		"Nous cherchons à retransmettre les conseils municipaux avec une partie des élus à distance. Quelqu'un a-t-il une configuration BigBlueButton éprouvée pour 40 participants et une diffusion vers PeerTube ?",
		[]replySpec{{"alix.fictif", "Oui : un serveur à 8 cœurs et 16 Go tient sans peine 40 webcams ; la diffusion passe par un module de streaming vers notre instance PeerTube. Je peux partager la documentation."}}},
	{"alpes", "messagerie", "jules.exemple", "Migration de la messagerie vers SOGo : calendrier partagé des salles",
		"Comment avez-vous repris les calendriers de réservation des salles lors du passage à SOGo ? Nous avons environ 30 ressources à migrer.",
		nil},
	{"alpes", "cybersecurite", "alix.fictif", "Alerte : campagne d'hameçonnage visant les mairies de l'Isère",
		"Plusieurs communes ont reçu des courriels imitant un faux portail de paiement des factures. Les indicateurs (domaines, adresses d'expédition) sont dans le fil ; pensez à prévenir vos agents.",
		[]replySpec{{"basile.exemple", "Reçu aussi ce matin, bloqué par le filtrage. Merci pour les indicateurs."}}},
	{"national", "commande-publique", "romain.exemple", "Modèle de CCTP pour l'hébergement de Nextcloud",
		"Plusieurs collectivités préparent un marché d'hébergement et d'infogérance de Nextcloud. Mettons en commun un modèle de cahier des clauses techniques : niveaux de service, réversibilité, localisation des données.",
		[]replySpec{{"quitterie.fictive", "Pensez à exiger la réversibilité complète (export des données et des partages) et un hébergement sous la loi européenne."},
			{"adrien.exemple", "L'association peut relire le modèle et le publier sur le Comptoir du Libre."}}},
}

type resourceSpec struct {
	collective, group, author string
	fields                    resource.Fields
}

var resources = []resourceSpec{
	{"alpes", "poste-linux", "basile.exemple", resource.Fields{Title: "Recette de déploiement des postes Debian",
		Summary: "Fichier de préconfiguration, scripts de post-installation et liste des logiciels installés sur les postes administratifs.",
		Body:    "# Déploiement des postes\n\n1. Démarrage réseau (PXE) sur l'image Debian stable ;\n2. préconfiguration automatique ;\n3. scripts de post-installation : LibreOffice, Thunderbird, Firefox, imprimantes.\n\nLes scripts sont publiés sous Licence Ouverte 2.0.",
		Type:    string(model.KindGuide), Licence: "etalab-2.0", Tags: []string{"linux", "debian", "déploiement"}}},
	{"alpes", "visio", "alix.fictif", resource.Fields{Title: "Dimensionner un serveur BigBlueButton",
		Summary: "Capacités observées en production et réglages pour les réunions et les conseils municipaux.",
		Body:    "## Capacités observées\n\n| Réunion | Participants | Webcams |\n|---|---|---|\n| Conseil municipal | 45 | 40 |\n| Formation | 25 | 5 |\n\nServeur : 8 cœurs, 16 Go de mémoire, 1 Gbit/s.",
		Type:    string(model.KindGuide), Licence: "CC-BY-4.0", Tags: []string{"bigbluebutton", "visioconférence"}}},
	{"national", "commande-publique", "romain.exemple", resource.Fields{Title: "Modèle de CCTP : hébergement et infogérance de Nextcloud",
		Summary: "Cahier des clauses techniques particulières à adapter : niveaux de service, sécurité, réversibilité, localisation des données.",
		Body:    "# Objet du marché\n\nHébergement, exploitation et maintien en condition opérationnelle d'une instance Nextcloud.\n\n## Réversibilité\n\nLe titulaire restitue, à la fin du marché, l'ensemble des données et des partages dans des formats ouverts.",
		Type:    string(model.KindProcurement), Licence: "etalab-2.0", Tags: []string{"nextcloud", "marché public", "hébergement"}}},
	{"national", "", "yasmine.essai", resource.Fields{Title: "Le socle interministériel de logiciels libres (SILL)",
		Summary: "Le catalogue des logiciels libres recommandés pour les administrations, avec leurs référents.",
		Type:    string(model.KindLink), Link: "https://code.gouv.fr/sill/", Licence: "etalab-2.0", Tags: []string{"sill", "catalogue"}}},
}

// LoadContent adds the demo's discussions and resources, once: when the
// regional collective already has topics, it adds nothing.
func LoadContent(ctx context.Context, d Deps, c ContentDeps, r *Report) error {
	col, err := d.Collectives.BySlug(ctx, "alpes")
	if err != nil {
		return err
	}
	if latest, err := c.Discussions.Latest(ctx, access.System(), col.ID, 1); err != nil || len(latest) > 0 {
		return err
	}
	who := func(local string) (access.Principal, error) {
		a, err := d.Accounts.ByEmail(ctx, local+"@demo.example")
		if err != nil {
			return access.Principal{}, fmt.Errorf("demo person %s: %w", local, err)
		}
		return access.Account(a.ID, false), nil
	}
	join := func(p access.Principal, collective, group string) error {
		if group == "" {
			return nil
		}
		_, err := c.Discussions.Join(ctx, p, collective, group)
		if err != nil && !strings.Contains(err.Error(), "déjà") {
			return fmt.Errorf("join %s/%s: %w", collective, group, err)
		}
		return nil
	}
	for _, t := range topics {
		p, err := who(t.author)
		if err != nil {
			return err
		}
		if err := join(p, t.collective, t.group); err != nil {
			return err
		}
		posted, err := c.Discussions.CreateTopic(ctx, p, t.collective, t.group, discussion.NewTopic{Title: t.title, Body: t.body})
		if err != nil {
			return fmt.Errorf("topic %q: %w", t.title, err)
		}
		r.Topics++
		for _, rp := range t.replies {
			q, err := who(rp.author)
			if err != nil {
				return err
			}
			if err := join(q, t.collective, t.group); err != nil {
				return err
			}
			if _, err := c.Discussions.Reply(ctx, q, posted.TopicID, discussion.NewReply{Body: rp.body}); err != nil {
				return fmt.Errorf("reply to %q: %w", t.title, err)
			}
			r.Replies++
		}
	}
	for _, rs := range resources {
		p, err := who(rs.author)
		if err != nil {
			return err
		}
		if err := join(p, rs.collective, rs.group); err != nil {
			return err
		}
		if _, err := c.Resources.Create(ctx, p, resource.NewResource{Collective: rs.collective, Group: rs.group, Fields: rs.fields}); err != nil {
			return fmt.Errorf("resource %q: %w", rs.fields.Title, err)
		}
		r.Resources++
	}
	return nil
}
