package event

import (
	"bytes"
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
)

// VEvent is one entry of an iCalendar feed.
type VEvent struct {
	UID         string
	Stamp       time.Time // DTSTAMP: when the entry last changed
	Start, End  time.Time
	Summary     string
	Description string
	Location    string
	URL         string
	Status      string // CONFIRMED, TENTATIVE or CANCELLED
}

// Calendar is an iCalendar object (RFC 5545) of events in Europe/Paris.
type Calendar struct {
	Name   string
	Events []VEvent
}

// parisTimezone describes Europe/Paris since 1996 (EU rules: last Sunday
// of March at 02:00, last Sunday of October at 03:00), so that clients
// without a time zone database place the times right.
const parisTimezone = "BEGIN:VTIMEZONE\r\n" +
	"TZID:Europe/Paris\r\n" +
	"X-LIC-LOCATION:Europe/Paris\r\n" +
	"BEGIN:DAYLIGHT\r\n" +
	"TZOFFSETFROM:+0100\r\n" +
	"TZOFFSETTO:+0200\r\n" +
	"TZNAME:CEST\r\n" +
	"DTSTART:19700329T020000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
	"END:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\n" +
	"TZOFFSETFROM:+0200\r\n" +
	"TZOFFSETTO:+0100\r\n" +
	"TZNAME:CET\r\n" +
	"DTSTART:19701025T030000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" +
	"END:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"

// Bytes writes the calendar: CRLF line ends, lines folded at 75 octets
// without cutting a UTF-8 sequence, text values escaped.
func (c Calendar) Bytes() []byte {
	var b bytes.Buffer
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//collectif//Evenements//FR")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if c.Name != "" {
		line("X-WR-CALNAME", escapeText(c.Name))
	}
	line("X-WR-TIMEZONE", "Europe/Paris")
	b.WriteString(parisTimezone)
	loc := Paris()
	for _, e := range c.Events {
		line("BEGIN", "VEVENT")
		line("UID", e.UID)
		line("DTSTAMP", e.Stamp.UTC().Format("20060102T150405Z"))
		writeFolded(&b, "DTSTART;TZID=Europe/Paris:"+e.Start.In(loc).Format("20060102T150405"))
		writeFolded(&b, "DTEND;TZID=Europe/Paris:"+e.End.In(loc).Format("20060102T150405"))
		line("SUMMARY", escapeText(e.Summary))
		if e.Description != "" {
			line("DESCRIPTION", escapeText(e.Description))
		}
		if e.Location != "" {
			line("LOCATION", escapeText(e.Location))
		}
		if e.URL != "" {
			line("URL", e.URL)
		}
		if e.Status != "" {
			line("STATUS", e.Status)
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// writeFolded writes one content line, folded so that no line exceeds 75
// octets (RFC 5545 §3.1): continuation lines begin with a space.
func writeFolded(b *bytes.Buffer, l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
}

func icalStatus(e *model.Event) string {
	switch e.Status {
	case model.EventCancelled:
		return "CANCELLED"
	case model.EventDraft:
		return "TENTATIVE"
	}
	return "CONFIRMED"
}

// location is where an event takes place, in lang when it is online.
func location(e *model.Event, lang string) string {
	parts := []string{}
	for _, p := range []string{e.Venue, strings.Join(strings.Fields(e.Address), " ")} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 && e.StreamURL != "" {
		return wordsIn(lang).online
	}
	return strings.Join(parts, ", ")
}

// eventEntry is an event in a calendar; its fixed labels are in lang, its
// texts in the organizers' words.
func eventEntry(e *model.Event, host, base, lang string) VEvent {
	w := wordsIn(lang)
	desc := e.Summary
	if e.StreamURL != "" {
		desc += "\n" + w.stream + e.StreamURL
	}
	if e.Status == model.EventCancelled && e.CancelMessage != "" {
		desc = w.cancelled + e.CancelMessage + "\n" + desc
	}
	return VEvent{UID: "event-" + e.ID + "@" + host, Stamp: e.UpdatedAt, Start: e.StartsAt, End: e.EndsAt, Summary: e.Title,
		Description: strings.TrimSpace(desc), Location: location(e, lang), URL: base + "/evenements/" + e.ID, Status: icalStatus(e)}
}

func sessionEntry(e *model.Event, s SessionView, host, base, lang string) VEvent {
	desc := KindLabelIn(lang, s.Kind)
	var names []string
	for _, sp := range s.Speakers {
		names = append(names, sp.Name)
	}
	if len(names) > 0 {
		desc += " — " + strings.Join(names, ", ")
	}
	if s.Abstract != "" {
		desc += "\n\n" + s.Abstract
	}
	loc := location(e, lang)
	if s.Room != "" {
		loc = strings.TrimPrefix(s.Room+", "+loc, ", ")
		loc = strings.TrimSuffix(loc, ", ")
	}
	return VEvent{UID: "session-" + s.ID + "@" + host, Stamp: e.UpdatedAt, Start: s.StartsAt, End: s.EndsAt,
		Summary: s.Title + " (" + e.Title + ")", Description: desc, Location: loc,
		URL: base + "/evenements/" + e.ID + "/programme#s-" + s.ID, Status: icalStatus(e)}
}

// EventCalendar is the iCalendar of an event and its programme; host and
// base (the hub's URL) make UIDs and links.
func (s *Service) EventCalendar(ctx context.Context, p access.Principal, id, host, base string) ([]byte, error) {
	pr, err := s.Programme(ctx, p, id)
	if err != nil {
		return nil, err
	}
	e := &pr.Event.Event
	cal := Calendar{Name: e.Title, Events: []VEvent{eventEntry(e, host, base, French)}}
	for _, ses := range pr.Sessions {
		cal.Events = append(cal.Events, sessionEntry(e, ses, host, base, French))
	}
	return cal.Bytes(), nil
}

// CollectiveCalendar is the iCalendar of a collective's events.
func (s *Service) CollectiveCalendar(ctx context.Context, p access.Principal, slug, host, base string) ([]byte, error) {
	l, err := s.List(ctx, access.Anonymous(), Filter{Collective: slug})
	if err != nil {
		return nil, fault.Wrap("event.CollectiveCalendar", err)
	}
	cal := Calendar{Name: "Événements — " + l.Collective.Name}
	for _, v := range l.Items {
		cal.Events = append(cal.Events, eventEntry(&v.Event, host, base, French))
	}
	return cal.Bytes(), nil
}

// attendeeCalendar is the attachment of a confirmation: the event and the
// workshops where the attendee has a seat, with fixed labels in the
// registration's language.
func attendeeCalendar(e *model.Event, workshops []SessionView, host, base, lang string) []byte {
	cal := Calendar{Name: e.Title, Events: []VEvent{eventEntry(e, host, base, lang)}}
	for _, w := range workshops {
		cal.Events = append(cal.Events, sessionEntry(e, w, host, base, lang))
	}
	return cal.Bytes()
}
