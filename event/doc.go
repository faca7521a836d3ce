// Package event holds the events of collectives: conferences, meet-ups and
// webinars with their co-organizers and partners, their programme (tracks,
// rooms, speakers, sessions: talks, workshops, round tables) and the
// registrations of attendees, who need no account.
//
// Times are stored in UTC and shown in Europe/Paris. Capacities (of an
// event and of each workshop) never overbook: every change to
// registrations first takes the event's row — SQLite's single writer
// (BEGIN IMMEDIATE) serializes them, PostgreSQL locks the row with SELECT …
// FOR UPDATE — and then counts. Those who come after the last place are
// waitlisted, and a cancellation promotes the first in line.
//
// An attendee's private link and the check-in link of the QR code carry
// 256-bit random tokens of which only the SHA-256 is stored; they are made
// by the confirmation mail job, which writes their hashes and then sends
// the mail (a retried job makes new links and the old ones stop working).
// Mails (confirmation with an iCalendar attachment, promotion, reminder
// the day before, cancellation) go through the job queue; a periodic job
// anonymizes attendees a configurable time after the event.
//
// A registration records the language it was made in (that of the page or
// API request, French or English: Registrant.Lang) and its mails are
// written in it: their texts are templates embedded from mails/fr.tmpl and
// mails/en.tmpl, their dates and the fixed labels of the .ics follow it,
// while the event's own texts stay as the organizers wrote them. The
// organizers' CSV export takes the organizer's language the same way.
//
// Actors of other servers join published events through ActivityPub
// (JoinRemote, LeaveRemote, called by federation/): registered under their
// actor IRI, without e-mail and without mails, confirmed while places
// remain and refused otherwise (never waitlisted).
//
// Organizers are the collective's owners and administrators
// (access.ManageEvents). The iCalendar feeds (RFC 5545) are written here,
// by hand, with a VTIMEZONE for Europe/Paris.
//
// It imports access/, account/ (for its check of e-mail addresses),
// collective/, fault/, indexer/, jobs/, mail/, markdown/, model/, outbox/,
// search/, store/ and territory/.
package event
