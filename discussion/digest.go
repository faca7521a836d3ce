package discussion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/jobs"
	"collectif/mail"
	"collectif/model"
	"collectif/store"
)

// DigestTick is the periodic job that sends the day's e-mail digests.
type DigestTick struct{}

// Kind names the job; stored in the queue, never renamed.
func (DigestTick) Kind() string { return "discussion.digest_tick" }

// DigestHour is the hour (Paris time) from which the day's digests go:
// they wait for the morning rather than wake anyone at midnight.
const DigestHour = 7

// maxDigestItems bounds one digest; the rest is counted, not listed.
const maxDigestItems = 50

// Periodic lists the periodic jobs of discussions, for jobs.Options. The
// tick is hourly and each member gets at most one digest a day, so a node
// restarting (which restarts the schedule) never skips nor doubles a day.
func Periodic() []jobs.Periodic {
	return []jobs.Periodic{{Every: time.Hour, Args: func() jobs.Args { return DigestTick{} }}}
}

// JobDeps are what the discussion jobs need.
type JobDeps struct {
	DB      *store.DB
	Mail    mail.Sender
	From    string
	BaseURL *url.URL
	Logger  *slog.Logger
	// Now is the clock; default time.Now. Tests move it.
	Now func() time.Time
}

// RegisterJobs registers the discussion jobs' handlers.
func RegisterJobs(reg *jobs.Registry, d JobDeps) {
	jobs.Handle(reg, func(ctx context.Context, _ jobs.Job, _ DigestTick) error {
		_, err := SendDigests(ctx, d)
		return err
	})
}

// paris is the hub's people's time zone; the binary embeds tzdata, and
// a fixed CET offset is only a fallback for a stripped-down test host.
func paris() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}

// SendDigests sends today's digest to each member who asked for one and
// has unread notifications not yet mailed, and returns how many it sent.
// It is idempotent: a member is marked as served for the day in the same
// transaction that marks the notifications mailed, and a message sent
// again after a crash carries the same Message-ID (member and day).
func SendDigests(ctx context.Context, d JobDeps) (int, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	now := d.Now()
	local := now.In(paris())
	if local.Hour() < DigestHour {
		return 0, nil
	}
	day := local.Format("2006-01-02")
	cutoff := now.UTC().Truncate(time.Microsecond)
	var who []string
	err := d.DB.R.NewSelect().TableExpr("discussion_settings AS s").Column("s.account_id").
		Join("JOIN accounts AS a ON a.id = s.account_id").
		Where("s.email_digest = ? AND a.deleted_at IS NULL", true).
		Where("(s.last_digest_day IS NULL OR s.last_digest_day < ?)", day).
		Where("EXISTS (SELECT 1 FROM notifications AS n WHERE n.account_id = s.account_id AND n.read_at IS NULL AND n.mailed_at IS NULL AND n.created_at <= ?)", cutoff).
		OrderExpr("s.account_id").Scan(ctx, &who)
	if err != nil {
		return 0, fmt.Errorf("digest: members: %w", err)
	}
	sent := 0
	var errs []error
	for _, id := range who {
		// One member's failure (a bad address, a mail server hiccup)
		// must not hold back the others; the job is retried for the rest.
		if err := sendDigest(ctx, d, id, day, cutoff); err != nil {
			d.Logger.WarnContext(ctx, "digest not sent", "account_id", id, "err", err)
			errs = append(errs, err)
			continue
		}
		sent++
	}
	if sent > 0 {
		d.Logger.InfoContext(ctx, "digests sent", "count", sent, "day", day)
	}
	return sent, errors.Join(errs...)
}

func sendDigest(ctx context.Context, d JobDeps, accountID, day string, cutoff time.Time) error {
	acc := new(model.Account)
	if err := d.DB.R.NewSelect().Model(acc).Where("id = ?", accountID).Scan(ctx); err != nil {
		return err
	}
	var rows []notificationRow
	base := func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("n.account_id = ? AND n.read_at IS NULL AND n.mailed_at IS NULL AND n.created_at <= ?", accountID, cutoff)
	}
	total, err := base(d.DB.R.NewSelect().TableExpr("notifications AS n")).Count(ctx)
	if err != nil {
		return err
	}
	err = base(d.DB.R.NewSelect().TableExpr("notifications AS n").
		Join("JOIN working_groups AS g ON g.id = n.group_id").
		Join("JOIN collectives AS c ON c.id = g.collective_id").
		Join("LEFT JOIN topics AS t ON t.id = n.topic_id").
		Join("LEFT JOIN accounts AS a ON a.id = n.actor_id").
		ColumnExpr("n.*").
		ColumnExpr("COALESCE(a.name, '') AS actor_name, COALESCE(t.title, '') AS topic_title").
		ColumnExpr("g.slug AS group_slug, g.name AS group_name, c.slug AS collective_slug, c.name AS collective_name")).
		OrderExpr("n.created_at, n.id").Limit(maxDigestItems).Scan(ctx, &rows)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil // read in the meantime: nothing to say
	}
	dd := &digestData{Name: acc.Name, Base: strings.TrimSuffix(d.BaseURL.String(), "/"), Host: d.BaseURL.Host, Total: int(total), More: int(total) - len(rows)}
	for _, r := range rows {
		dd.Items = append(dd.Items, r.view())
	}
	subject, text, err := writeDigest(acc.Lang, dd)
	if err != nil {
		return err
	}
	if err := d.Mail.Send(ctx, &mail.Message{
		// One message per member and day: a retried job replaces it, never doubles it.
		ID:      "digest-" + acc.ID + "-" + day,
		From:    d.From,
		To:      []string{(&netmail.Address{Name: acc.Name, Address: acc.Email}).String()},
		Subject: subject,
		Date:    d.Now(),
		Text:    text,
	}); err != nil {
		return err
	}
	now := d.Now().UTC().Truncate(time.Microsecond)
	return d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*model.Notification)(nil)).Set("mailed_at = ?", now).
			Where("account_id = ? AND read_at IS NULL AND mailed_at IS NULL AND created_at <= ?", accountID, cutoff).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Table("discussion_settings").Set("last_digest_day = ?", day).Where("account_id = ?", accountID).Exec(ctx)
		return err
	})
}
