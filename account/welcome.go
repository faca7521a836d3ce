package account

import (
	"context"
	netmail "net/mail"
	"net/url"

	"collectif/jobs"
	"collectif/mail"
	"collectif/model"
	"collectif/store"
)

// WelcomeMail is the job that greets a new account by e-mail.
type WelcomeMail struct {
	AccountID string `json:"account_id"`
}

// Kind names the job; stored in the queue, never renamed.
func (WelcomeMail) Kind() string { return "account.welcome_mail" }

// JobDeps are what the account jobs need.
type JobDeps struct {
	DB      *store.DB
	Mail    mail.Sender
	From    string
	BaseURL *url.URL
}

// RegisterJobs registers the account jobs' handlers.
func RegisterJobs(reg *jobs.Registry, d JobDeps) {
	registerEmailChange(reg, d)
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, a WelcomeMail) error {
		acc := new(model.Account)
		if err := d.DB.R.NewSelect().Model(acc).Where("id = ?", a.AccountID).Scan(ctx); err != nil {
			if store.NotFound(err) == store.ErrNotFound {
				return nil // deleted before the mail went: nothing to say
			}
			return err
		}
		subject, text, err := write(acc.Lang, "welcome", &mailData{Name: acc.Name, Email: acc.Email, Base: d.BaseURL.String(), Host: d.BaseURL.Host})
		if err != nil {
			return err
		}
		return d.Mail.Send(ctx, &mail.Message{
			// One ID per account: a retried job replaces, never doubles.
			ID:      "welcome-" + acc.ID,
			From:    d.From,
			To:      []string{(&netmail.Address{Name: acc.Name, Address: acc.Email}).String()},
			Subject: subject,
			Text:    text,
		})
	})
}
