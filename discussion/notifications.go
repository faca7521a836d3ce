package discussion

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/cursor"
	"collectif/fault"
	"collectif/model"
)

// notify writes one notification like n for each account of to, except
// the actor's own.
func notify(ctx context.Context, tx bun.Tx, actor string, to []string, n model.Notification) error {
	rows := make([]model.Notification, 0, len(to))
	seen := map[string]bool{actor: true}
	for _, id := range to {
		if seen[id] {
			continue
		}
		seen[id] = true
		row := n
		row.ID, row.AccountID = model.NewID(), id
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// NotificationView is a notification as the list shows it.
type NotificationView struct {
	ID         string
	Kind       model.NotificationKind
	Actor      Person
	Place      Place
	TopicID    string
	TopicTitle string // "" when the topic was deleted
	ReplyID    string
	CreatedAt  time.Time
	ReadAt     time.Time
}

// Read reports whether the notification was marked read.
func (n NotificationView) Read() bool { return !n.ReadAt.IsZero() }

// URL is where the notification leads.
func (n NotificationView) URL() string {
	switch {
	case n.ReplyID != "":
		return n.Place.TopicURL(n.TopicID) + "#r-" + n.ReplyID
	case n.TopicID != "":
		return n.Place.TopicURL(n.TopicID)
	}
	return n.Place.URL()
}

// NotificationList is a page of notifications, newest first.
type NotificationList struct {
	Items  []NotificationView
	Next   string
	Total  int
	Unread int
}

type notificationRow struct {
	model.Notification `bun:",extend"`
	ActorName          string `bun:"actor_name"`
	TopicTitle         string `bun:"topic_title"`
	GroupSlug          string `bun:"group_slug"`
	GroupName          string `bun:"group_name"`
	CollectiveSlug     string `bun:"collective_slug"`
	CollectiveName     string `bun:"collective_name"`
}

// Notifications returns a page of p's notifications, newest first.
func (s *Service) Notifications(ctx context.Context, p access.Principal, cur string, limit int) (*NotificationList, error) {
	const op = "discussion.Notifications"
	if err := person(p, op); err != nil {
		return nil, err
	}
	key, err := cursor.Decode(cur)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	limit = cursor.Limit(limit, 30, 100)
	db := s.db.R
	out := &NotificationList{Items: []NotificationView{}}
	base := db.NewSelect().Model((*model.Notification)(nil)).Where("account_id = ?", p.AccountID)
	total, err := base.Count(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	unread, err := db.NewSelect().Model((*model.Notification)(nil)).Where("account_id = ? AND read_at IS NULL", p.AccountID).Count(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	out.Total, out.Unread = int(total), int(unread)
	q := db.NewSelect().TableExpr("notifications AS n").
		Join("JOIN working_groups AS g ON g.id = n.group_id").
		Join("JOIN collectives AS c ON c.id = g.collective_id").
		Join("LEFT JOIN topics AS t ON t.id = n.topic_id").
		Join("LEFT JOIN accounts AS a ON a.id = n.actor_id").
		ColumnExpr("n.*").
		ColumnExpr("COALESCE(a.name, '') AS actor_name, COALESCE(t.title, '') AS topic_title").
		ColumnExpr("g.slug AS group_slug, g.name AS group_name, c.slug AS collective_slug, c.name AS collective_name").
		Where("n.account_id = ?", p.AccountID)
	if key.ID != "" {
		q = q.Where("(n.created_at < ? OR (n.created_at = ? AND n.id < ?))", key.At, key.At, key.ID)
	}
	var rows []notificationRow
	if err := q.OrderExpr("n.created_at DESC, n.id DESC").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, fault.Wrap(op, err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		out.Next = cursor.Encode(cursor.Key{At: last.CreatedAt, ID: last.ID})
	}
	for _, r := range rows {
		out.Items = append(out.Items, r.view())
	}
	return out, nil
}

func (r notificationRow) view() NotificationView {
	v := NotificationView{ID: r.ID, Kind: r.Kind, TopicID: r.TopicID, TopicTitle: r.TopicTitle, ReplyID: r.ReplyID, CreatedAt: r.CreatedAt, ReadAt: r.ReadAt,
		Place: Place{Collective: model.Collective{Slug: r.CollectiveSlug, Name: r.CollectiveName}, Group: model.WorkingGroup{ID: r.GroupID, Slug: r.GroupSlug, Name: r.GroupName}}}
	if r.ActorID != "" {
		v.Actor = Person{ID: r.ActorID, Name: r.ActorName}
	}
	return v
}

// MarkRead marks one of p's notifications read.
func (s *Service) MarkRead(ctx context.Context, p access.Principal, id string) error {
	const op = "discussion.MarkRead"
	if err := person(p, op); err != nil {
		return err
	}
	nf := &fault.Error{Kind: fault.NotFound, Op: op, Message: "notification introuvable"}
	if !model.ValidID(id) {
		return nf
	}
	var n int64
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := tx.NewSelect().Model((*model.Notification)(nil)).Where("id = ? AND account_id = ?", id, p.AccountID).Exists(ctx)
		if err != nil || !ok {
			return err
		}
		n = 1
		_, err = tx.NewUpdate().Model((*model.Notification)(nil)).Set("read_at = ?", s.stamp()).
			Where("id = ? AND read_at IS NULL", id).Exec(ctx)
		return err
	})
	if err != nil {
		return fault.Wrap(op, err)
	}
	if n == 0 {
		return nf
	}
	return nil
}

// MarkAllRead marks all of p's notifications read and says how many were unread.
func (s *Service) MarkAllRead(ctx context.Context, p access.Principal) (int, error) {
	const op = "discussion.MarkAllRead"
	if err := person(p, op); err != nil {
		return 0, err
	}
	res, err := s.db.W.NewUpdate().Model((*model.Notification)(nil)).Set("read_at = ?", s.stamp()).
		Where("account_id = ? AND read_at IS NULL", p.AccountID).Exec(ctx)
	if err != nil {
		return 0, fault.Wrap(op, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Unread counts p's unread notifications (0 for a visitor).
func (s *Service) Unread(ctx context.Context, p access.Principal) (int, error) {
	if p.AccountID == "" {
		return 0, nil
	}
	n, err := s.db.R.NewSelect().Model((*model.Notification)(nil)).Where("account_id = ? AND read_at IS NULL", p.AccountID).Count(ctx)
	return int(n), fault.Wrap("discussion.Unread", err)
}

// Settings returns p's discussion settings (the defaults if never set).
func (s *Service) Settings(ctx context.Context, p access.Principal) (*model.DiscussionSettings, error) {
	const op = "discussion.Settings"
	if err := person(p, op); err != nil {
		return nil, err
	}
	st := &model.DiscussionSettings{AccountID: p.AccountID}
	err := s.db.R.NewSelect().Model(st).WherePK().Scan(ctx)
	if err = notFound(err, nil); err != nil {
		return nil, fault.Wrap(op, err)
	}
	return st, nil
}

// SetDigest turns p's daily e-mail digest of unread notifications on or off.
func (s *Service) SetDigest(ctx context.Context, p access.Principal, on bool) error {
	const op = "discussion.SetDigest"
	if err := person(p, op); err != nil {
		return err
	}
	st := &model.DiscussionSettings{AccountID: p.AccountID, EmailDigest: on, UpdatedAt: s.stamp()}
	_, err := s.db.W.NewInsert().Model(st).
		On("CONFLICT (account_id) DO UPDATE").Set("email_digest = EXCLUDED.email_digest").Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return fault.Wrap(op, err)
}
