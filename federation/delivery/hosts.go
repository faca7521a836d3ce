package delivery

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/cursor"
	"collectif/fault"
)

// HostStatus is what the hub knows of its deliveries to one remote host.
type HostStatus struct {
	Host                string       `json:"host"`
	LastSuccessAt       *time.Time   `json:"last_success_at"`
	LastFailureAt       *time.Time   `json:"last_failure_at"`
	ConsecutiveFailures int          `json:"consecutive_failures"`
	Delivered           int64        `json:"delivered"`
	Failed              int64        `json:"failed"`
	Pending             int          `json:"pending"`
	RecentErrors        []ErrorEntry `json:"recent_errors"`
	UpdatedAt           time.Time    `json:"updated_at"`
}

// ErrorEntry is one failed attempt.
type ErrorEntry struct {
	At       time.Time `json:"at"`
	Inbox    string    `json:"inbox"`
	Activity string    `json:"activity"`
	Status   int       `json:"status,omitempty"` // the HTTP status, 0 when none came back
	Error    string    `json:"error"`
	Final    bool      `json:"final"` // given up: not retried
}

// HostFilter selects hosts.
type HostFilter struct {
	Failing bool // only hosts whose last attempts failed
	Cursor  string
	Limit   int
}

// HostPage is a page of hosts, the most recently active first.
type HostPage struct {
	Items   []HostStatus
	Next    string
	Pending int // inboxes waiting for delivery, all hosts
}

// Hosts lists the remote hosts deliveries went to, with their recent
// errors. Instance administrators only.
func (s *Service) Hosts(ctx context.Context, p access.Principal, f HostFilter) (*HostPage, error) {
	if !access.Can(p, access.ViewDeliveries, access.Subject{}) {
		return nil, fault.New(fault.Forbidden, "réservé aux administrateurs du hub")
	}
	k, err := cursor.Decode(f.Cursor)
	if err != nil {
		return nil, err
	}
	limit := cursor.Limit(f.Limit, 50, 100)
	var rows []hostRow
	q := s.d.DB.R.NewSelect().Model(&rows).Order("updated_at DESC", "host DESC").Limit(int64(limit + 1))
	if f.Failing {
		q = q.Where("consecutive_failures > 0")
	}
	if k.ID != "" {
		q = q.Where("(updated_at < ? OR (updated_at = ? AND host < ?))", k.At, k.At, k.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	pg := &HostPage{Items: []HostStatus{}}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		pg.Next = cursor.Encode(cursor.Key{At: last.UpdatedAt, ID: last.Host})
	}
	if len(rows) == 0 {
		return pg, s.d.DB.R.NewSelect().Model((*targetRow)(nil)).ColumnExpr("count(*)").Scan(ctx, &pg.Pending)
	}
	hosts := make([]string, len(rows))
	for i, r := range rows {
		hosts[i] = r.Host
	}
	var pending []struct {
		Host string `bun:"host"`
		N    int    `bun:"n"`
	}
	if err := s.d.DB.R.NewSelect().Model((*targetRow)(nil)).Column("host").ColumnExpr("count(*) AS n").
		Where("host IN (?)", bun.List(hosts)).Group("host").Scan(ctx, &pending); err != nil {
		return nil, err
	}
	byHost := map[string]int{}
	for _, p := range pending {
		byHost[p.Host] = p.N
	}
	var errs []errorRow
	if err := s.d.DB.R.NewSelect().Model(&errs).Where("host IN (?)", bun.List(hosts)).Order("at DESC", "id DESC").Scan(ctx); err != nil {
		return nil, err
	}
	errsBy := map[string][]ErrorEntry{}
	for _, e := range errs {
		errsBy[e.Host] = append(errsBy[e.Host], ErrorEntry{At: e.At.UTC(), Inbox: e.Inbox, Activity: e.Activity, Status: e.Status, Error: e.Error, Final: e.Final})
	}
	for _, r := range rows {
		h := HostStatus{Host: r.Host, ConsecutiveFailures: r.ConsecutiveFailures, Delivered: r.Delivered, Failed: r.Failed,
			Pending: byHost[r.Host], RecentErrors: errsBy[r.Host], UpdatedAt: r.UpdatedAt.UTC()}
		if h.RecentErrors == nil {
			h.RecentErrors = []ErrorEntry{}
		}
		if !r.LastSuccessAt.IsZero() {
			t := r.LastSuccessAt.UTC()
			h.LastSuccessAt = &t
		}
		if !r.LastFailureAt.IsZero() {
			t := r.LastFailureAt.UTC()
			h.LastFailureAt = &t
		}
		pg.Items = append(pg.Items, h)
	}
	return pg, s.d.DB.R.NewSelect().Model((*targetRow)(nil)).ColumnExpr("count(*)").Scan(ctx, &pg.Pending)
}
