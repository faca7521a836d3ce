package resource

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"collectif/model"
)

// ForgetAccount applies a deleted member's choice to their resources, in
// the deletion's transaction: keep leaves them, attributed to the deleted
// account's tombstone; otherwise they are deleted, leave the index, and a
// sweep right after the commit removes the files nobody uses any more.
func (s *Service) ForgetAccount(ctx context.Context, tx bun.Tx, accountID string, keep bool) error {
	if keep {
		return nil
	}
	var ids []string
	if err := tx.NewSelect().Model((*model.Resource)(nil)).Column("id").Where("author_id = ?", accountID).Scan(ctx, &ids); err != nil || len(ids) == 0 {
		return err
	}
	if _, err := tx.NewDelete().Model((*model.Resource)(nil)).Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
		return err
	}
	if err := s.index(ctx, tx, ids...); err != nil {
		return err
	}
	if s.queue != nil {
		return s.queue.Enqueue(ctx, tx, SweepArgs{})
	}
	return nil
}

// ExportedResource is one resource in a member's data export.
type ExportedResource struct {
	ID        string    `json:"id" bun:"id"`
	Title     string    `json:"title" bun:"title"`
	Summary   string    `json:"summary" bun:"summary"`
	Body      string    `json:"body_markdown" bun:"body"`
	Kind      string    `json:"type" bun:"kind"`
	Licence   string    `json:"licence" bun:"licence"`
	Link      string    `json:"link,omitempty" bun:"link"`
	CreatedAt time.Time `json:"created_at" bun:"created_at"`
	UpdatedAt time.Time `json:"updated_at" bun:"updated_at"`
}

// ExportAccount returns the resources the member wrote.
func ExportAccount(ctx context.Context, db bun.IDB, accountID string) ([]ExportedResource, error) {
	out := []ExportedResource{}
	err := db.NewSelect().Model((*model.Resource)(nil)).
		ColumnExpr("id, title, summary, body, kind, licence, COALESCE(link, '') AS link, created_at, updated_at").
		Where("author_id = ?", accountID).OrderExpr("created_at").Scan(ctx, &out)
	return out, err
}
