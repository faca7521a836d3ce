package event

import (
	"fmt"
	"time"

	"collectif/mail"
	"collectif/model"
)

// The languages of registrations: a registration's mails, and an
// organizer's export, are written in one of them (those of package mail).
// French is the hub's.
const (
	French  = mail.French
	English = mail.English
)

// Lang returns l when it is one of the languages above, French otherwise.
func Lang(l string) string { return mail.Lang(l) }

// words are the fixed labels written into mails, their .ics and the CSV
// export, by language. The pages have their own, in the message files of
// the frontend; these say the same.
type words struct {
	categories map[string]string
	statuses   map[model.RegistrationStatus]string
	kinds      map[model.SessionKind]string
	online     string // the location of an event without a venue
	stream     string // "…: " before a live stream's address in an .ics
	cancelled  string // "…: " before the organizers' message in an .ics
	waiting    string // after a workshop's title, for a place in line
	csvHeader  []string
	ics, qr    string // attachment names
}

var wordsOf = map[string]*words{
	French: {
		categories: map[string]string{"collectivity": "Collectivité territoriale", "state": "Administration de l'État", "association": "Association",
			"company": "Entreprise", "citizen": "Citoyenne ou citoyen"},
		statuses:  map[model.RegistrationStatus]string{model.RegConfirmed: "confirmée", model.RegWaitlisted: "en liste d'attente", model.RegCancelled: "annulée"},
		kinds:     map[model.SessionKind]string{model.SessionTalk: "Conférence", model.SessionWorkshop: "Atelier", model.SessionRoundTable: "Table ronde"},
		online:    "En ligne",
		stream:    "Diffusion en direct : ",
		cancelled: "Annulé : ",
		waiting:   " (attente)",
		csvHeader: []string{"nom", "e-mail", "organisation", "catégorie", "statut", "ateliers", "inscription", "arrivée"},
		ics:       "evenement.ics",
		qr:        "accueil.png",
	},
	English: {
		categories: map[string]string{"collectivity": "Local government", "state": "State administration", "association": "Association",
			"company": "Company", "citizen": "Citizen"},
		statuses:  map[model.RegistrationStatus]string{model.RegConfirmed: "confirmed", model.RegWaitlisted: "on the waiting list", model.RegCancelled: "cancelled"},
		kinds:     map[model.SessionKind]string{model.SessionTalk: "Talk", model.SessionWorkshop: "Workshop", model.SessionRoundTable: "Round table"},
		online:    "Online",
		stream:    "Live stream: ",
		cancelled: "Cancelled: ",
		waiting:   " (waiting)",
		csvHeader: []string{"name", "email", "organization", "category", "status", "workshops", "registered", "arrived"},
		ics:       "event.ics",
		qr:        "check-in.png",
	},
}

func wordsIn(lang string) *words { return wordsOf[Lang(lang)] }

// CategoryLabelIn names a category in lang (the ID itself when unknown).
func CategoryLabelIn(lang, id string) string {
	if l, ok := wordsIn(lang).categories[id]; ok {
		return l
	}
	return id
}

// StatusLabelIn names a registration status in lang.
func StatusLabelIn(lang string, s model.RegistrationStatus) string {
	if l, ok := wordsIn(lang).statuses[s]; ok {
		return l
	}
	return string(s)
}

// KindLabelIn names a session's kind in lang.
func KindLabelIn(lang string, k model.SessionKind) string {
	if l, ok := wordsIn(lang).kinds[k]; ok {
		return l
	}
	return string(k)
}

// WhenIn says an event's dates in lang, in Paris time: "le vendredi 12
// mars 2027, de 09h00 à 17h30" in French, as the mails always said it;
// "Friday 12 March 2027, 9:00 am to 5:30 pm" in English, as the English
// pages say it. Over several days: "du …, 09h00, au …, 17h00", "from …,
// 9:00 am, to …, 5:00 pm".
func WhenIn(lang string, start, end time.Time) string {
	loc := Paris()
	a, b := start.In(loc), end.In(loc)
	same := a.Year() == b.Year() && a.YearDay() == b.YearDay()
	if Lang(lang) == English {
		day := func(t time.Time) string {
			return fmt.Sprintf("%s %d %s %d", t.Weekday(), t.Day(), t.Month(), t.Year())
		}
		hm := func(t time.Time) string { return t.Format("3:04 pm") }
		if same {
			return fmt.Sprintf("%s, %s to %s", day(a), hm(a), hm(b))
		}
		return fmt.Sprintf("from %s, %s, to %s, %s", day(a), hm(a), day(b), hm(b))
	}
	day := func(t time.Time) string {
		return fmt.Sprintf("%s %d %s %d", weekdays[t.Weekday()], t.Day(), months[t.Month()-1], t.Year())
	}
	hm := func(t time.Time) string { return t.Format("15h04") }
	if same {
		return fmt.Sprintf("le %s, de %s à %s", day(a), hm(a), hm(b))
	}
	return fmt.Sprintf("du %s, %s, au %s, %s", day(a), hm(a), day(b), hm(b))
}

var (
	weekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	months   = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)
