package event

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/skip2/go-qrcode"
	"github.com/uptrace/bun"

	"collectif/jobs"
	"collectif/mail"
	"collectif/model"
	"collectif/store"
)

// ConfirmationMail sends a registration's confirmation, with its private
// link, its check-in QR code and an .ics attachment.
type ConfirmationMail struct {
	RegistrationID string `json:"registration_id"`
}

// Kind names the job; stored in the queue, never renamed.
func (ConfirmationMail) Kind() string { return "event.confirmation_mail" }

// PromotedMail tells a waitlisted person that a place opened for them, at
// the event (SessionID empty) or in a workshop.
type PromotedMail struct {
	RegistrationID string `json:"registration_id"`
	SessionID      string `json:"session_id,omitempty"`
}

// Kind names the job.
func (PromotedMail) Kind() string { return "event.promoted_mail" }

// CancelledMail tells every registrant that the event is cancelled.
type CancelledMail struct {
	EventID string `json:"event_id"`
}

// Kind names the job.
func (CancelledMail) Kind() string { return "event.cancelled_mail" }

// ReminderTick sends the reminders of tomorrow's events.
type ReminderTick struct{}

// Kind names the job.
func (ReminderTick) Kind() string { return "event.reminder_tick" }

// RetentionTick anonymizes the attendees of events ended long enough ago.
type RetentionTick struct{}

// Kind names the job.
func (RetentionTick) Kind() string { return "event.retention_tick" }

// DefaultRetention is how long after an event its attendees' personal
// data are kept (about six months).
const DefaultRetention = 183 * 24 * time.Hour

// ReminderHour is the hour (Paris time) from which the day-before
// reminders go.
const ReminderHour = 9

// Periodic lists the periodic jobs of events: hourly ticks, each
// idempotent, so a restart never skips nor doubles a mail.
func Periodic() []jobs.Periodic {
	return []jobs.Periodic{
		{Every: time.Hour, Args: func() jobs.Args { return ReminderTick{} }},
		{Every: time.Hour, Args: func() jobs.Args { return RetentionTick{} }},
	}
}

// JobDeps are what the event jobs need.
type JobDeps struct {
	DB        *store.DB
	Mail      mail.Sender
	From      string
	BaseURL   *url.URL
	Retention time.Duration // default DefaultRetention
	Logger    *slog.Logger
	Now       func() time.Time
}

func (d *JobDeps) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Retention <= 0 {
		d.Retention = DefaultRetention
	}
}

// RegisterJobs registers the event jobs' handlers.
func RegisterJobs(reg *jobs.Registry, d JobDeps) {
	d.defaults()
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, a ConfirmationMail) error {
		return SendConfirmation(ctx, d, a.RegistrationID)
	})
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, a PromotedMail) error { return SendPromoted(ctx, d, a) })
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, a CancelledMail) error { return SendCancelled(ctx, d, a.EventID) })
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, _ ReminderTick) error {
		_, err := SendReminders(ctx, d)
		return err
	})
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, _ RetentionTick) error {
		_, err := Anonymize(ctx, d)
		return err
	})
}

func base(d JobDeps) string { return strings.TrimSuffix(d.BaseURL.String(), "/") }

// loaded is a registration with its event, for mails.
type loaded struct {
	r  model.Registration
	e  model.Event
	pr *Programme
}

func load(ctx context.Context, d JobDeps, regID string) (*loaded, error) {
	l := new(loaded)
	if err := d.DB.R.NewSelect().Model(&l.r).Where("id = ?", regID).Scan(ctx); err != nil {
		return nil, err
	}
	if err := d.DB.R.NewSelect().Model(&l.e).Where("id = ?", l.r.EventID).Scan(ctx); err != nil {
		return nil, err
	}
	s := &Service{db: d.DB, now: d.Now}
	v, err := s.view(ctx, d.DB.R, &l.e)
	if err != nil {
		return nil, err
	}
	if l.pr, err = s.programme(ctx, d.DB.R, v); err != nil {
		return nil, err
	}
	return l, nil
}

// seats are the workshops where the registration holds a seat or a place in line.
func (l *loaded) choices(ctx context.Context, db bun.IDB) ([]Choice, error) {
	var cs []model.EventChoice
	if err := db.NewSelect().Model(&cs).Where("registration_id = ?", l.r.ID).Scan(ctx); err != nil {
		return nil, err
	}
	var out []Choice
	for _, s := range l.pr.Sessions {
		for _, c := range cs {
			if c.SessionID == s.ID {
				out = append(out, Choice{Session: s, Status: c.Status})
			}
		}
	}
	return out, nil
}

// When says an event's dates in French, in Paris time.
func When(start, end time.Time) string { return WhenIn(French, start, end) }

func to(r *model.Registration) []string {
	return []string{(&netmail.Address{Name: r.Name, Address: r.Email}).String()}
}

// mailFiles are the texts of the mails, one file per language, each mail
// a pair of templates (see mails/fr.tmpl).
//
//go:embed mails/*.tmpl
var mailFiles embed.FS

// mailTexts are the parsed texts; dates, statuses and places are written
// in each text's language.
var mailTexts = mail.ParseTexts(mailFiles, "mails", func(lang string) template.FuncMap {
	return template.FuncMap{
		"when":     func(a, b time.Time) string { return WhenIn(lang, a, b) },
		"status":   func(s model.RegistrationStatus) string { return StatusLabelIn(lang, s) },
		"location": func(e *model.Event) string { return location(e, lang) },
	}
})

// mailData is what the texts of mails read.
type mailData struct {
	Name      string // the attendee's
	Event     *model.Event
	Confirmed bool     // confirmation: a place, not the waiting list
	Workshops []Choice // confirmation
	Session   string   // promotion: the workshop's title, "" for the event
	Link      string   // confirmation: the private link
	Checkin   string   // confirmation: the check-in link of the QR code
	Host      string   // the signature
}

// write makes the subject and text of mail name in the registration's
// language.
func write(lang, name string, d *mailData) (subject, text string, err error) {
	return mailTexts.Write(lang, name, d)
}

// SendConfirmation makes the registration's private and check-in links
// (storing only their hashes), then mails them with the .ics and the QR
// code. Run again, it makes new links: the previous ones stop working.
func SendConfirmation(ctx context.Context, d JobDeps, regID string) error {
	d.defaults()
	l, err := load(ctx, d, regID)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil // deleted meanwhile: nobody to write to
	}
	if err != nil {
		return err
	}
	if l.r.Status == model.RegCancelled || !l.r.AnonymizedAt.IsZero() {
		return nil
	}
	token, hash := newToken()
	checkin, checkinHash := newToken()
	res, err := d.DB.W.NewUpdate().Model((*model.Registration)(nil)).Set("token_hash = ?", hash).Set("checkin_hash = ?", checkinHash).
		Where("id = ? AND status <> ?", regID, model.RegCancelled).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	choices, err := l.choices(ctx, d.DB.R)
	if err != nil {
		return err
	}
	link := base(d) + "/evenements/inscription/" + token
	checkinURL := base(d) + "/evenements/" + l.e.ID + "/accueil/" + checkin
	var seats []SessionView
	for _, c := range choices {
		if c.Status == model.RegConfirmed {
			seats = append(seats, c.Session)
		}
	}
	subject, text, err := write(l.r.Lang, "confirmation", &mailData{Name: l.r.Name, Event: &l.e, Confirmed: l.r.Status == model.RegConfirmed,
		Workshops: choices, Link: link, Checkin: checkinURL, Host: d.BaseURL.Host})
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(checkinURL, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	w := wordsIn(l.r.Lang)
	return d.Mail.Send(ctx, &mail.Message{
		ID:      "event-confirmation-" + l.r.ID,
		From:    d.From,
		To:      to(&l.r),
		Subject: subject,
		Date:    d.Now(),
		Text:    text,
		Attachments: []mail.Attachment{
			{Name: w.ics, ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: attendeeCalendar(&l.e, seats, d.BaseURL.Host, base(d), l.r.Lang)},
			{Name: w.qr, ContentType: "image/png", Data: png},
		},
	})
}

// SendPromoted tells a person that a place opened for them.
func SendPromoted(ctx context.Context, d JobDeps, a PromotedMail) error {
	d.defaults()
	l, err := load(ctx, d, a.RegistrationID)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if l.r.Status != model.RegConfirmed {
		return nil
	}
	data := &mailData{Name: l.r.Name, Event: &l.e, Host: d.BaseURL.Host}
	id := "event-promoted-" + l.r.ID
	if a.SessionID != "" {
		for _, s := range l.pr.Sessions {
			if s.ID == a.SessionID {
				data.Session = s.Title
			}
		}
		id += "-" + a.SessionID
	}
	subject, text, err := write(l.r.Lang, "promoted", data)
	if err != nil {
		return err
	}
	return d.Mail.Send(ctx, &mail.Message{ID: id, From: d.From, To: to(&l.r), Subject: subject, Date: d.Now(), Text: text})
}

// SendCancelled mails the organizers' message to every registrant of a
// cancelled event.
func SendCancelled(ctx context.Context, d JobDeps, eventID string) error {
	d.defaults()
	var e model.Event
	if err := d.DB.R.NewSelect().Model(&e).Where("id = ?", eventID).Scan(ctx); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil
		}
		return err
	}
	var regs []model.Registration
	if err := d.DB.R.NewSelect().Model(&regs).Where("event_id = ? AND status <> ? AND anonymized_at IS NULL AND remote_actor = ''", e.ID, model.RegCancelled).
		OrderExpr("id").Scan(ctx, &regs); err != nil {
		return err
	}
	var errs []error
	for _, r := range regs {
		subject, text, err := write(r.Lang, "cancelled", &mailData{Name: r.Name, Event: &e, Host: d.BaseURL.Host})
		if err != nil {
			return err
		}
		// One message per registration: a retried job replaces, never doubles.
		if err := d.Mail.Send(ctx, &mail.Message{ID: "event-cancelled-" + r.ID, From: d.From, To: to(&r),
			Subject: subject, Date: d.Now(), Text: text}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SendReminders mails, from ReminderHour the day before, a reminder to
// every confirmed attendee of the events that start tomorrow (Paris time),
// once each, and returns how many it sent.
func SendReminders(ctx context.Context, d JobDeps) (int, error) {
	d.defaults()
	now := d.Now()
	loc := Paris()
	local := now.In(loc)
	if local.Hour() < ReminderHour {
		return 0, nil
	}
	from := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, loc)
	until := from.AddDate(0, 0, 1)
	var regs []model.Registration
	err := d.DB.R.NewSelect().Model(&regs).
		Where("status = ? AND reminded_at IS NULL AND anonymized_at IS NULL AND remote_actor = ''", model.RegConfirmed).
		Where("event_id IN (SELECT id FROM events WHERE status = ? AND starts_at >= ? AND starts_at < ?)", model.EventPublished, from.UTC(), until.UTC()).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	events := map[string]*model.Event{}
	for _, r := range regs {
		e := events[r.EventID]
		if e == nil {
			e = new(model.Event)
			if err := d.DB.R.NewSelect().Model(e).Where("id = ?", r.EventID).Scan(ctx); err != nil {
				return sent, err
			}
			events[r.EventID] = e
		}
		subject, text, err := write(r.Lang, "reminder", &mailData{Name: r.Name, Event: e, Host: d.BaseURL.Host})
		if err != nil {
			return sent, err
		}
		if err := d.Mail.Send(ctx, &mail.Message{ID: "event-reminder-" + r.ID, From: d.From, To: to(&r),
			Subject: subject, Date: now, Text: text}); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := d.DB.W.NewUpdate().Model((*model.Registration)(nil)).Set("reminded_at = ?", now.UTC().Truncate(time.Microsecond)).
			Where("id = ?", r.ID).Exec(ctx); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// Anonymize removes the personal data of the attendees of events that
// ended more than the retention ago: name, e-mail, organization and links
// go; the category, status and check-in stay, for the counts. It returns
// how many registrations it anonymized.
func Anonymize(ctx context.Context, d JobDeps) (int, error) {
	d.defaults()
	now := d.Now().UTC().Truncate(time.Microsecond)
	cutoff := now.Add(-d.Retention)
	var ids []string
	if err := d.DB.R.NewSelect().Model((*model.Registration)(nil)).Column("id").
		Where("anonymized_at IS NULL AND event_id IN (SELECT id FROM events WHERE ends_at < ?)", cutoff).Scan(ctx, &ids); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := d.DB.W.NewUpdate().Model((*model.Registration)(nil)).
			Set("name = ''").Set("email = ?", "anonyme-"+strings.ToLower(id)).Set("organization = ''").Set("organization_id = NULL").
			Set("remote_actor = ''").Set("token_hash = NULL").Set("checkin_hash = NULL").Set("anonymized_at = ?", now).Set("updated_at = ?", now).
			Where("id = ? AND anonymized_at IS NULL", id).Exec(ctx); err != nil {
			return 0, err
		}
	}
	if len(ids) > 0 {
		d.Logger.InfoContext(ctx, "event attendees anonymized", "count", len(ids))
	}
	return len(ids), nil
}
