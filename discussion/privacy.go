package discussion

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"collectif/model"
)

// ForgetAccount applies an account's deletion to discussions, inside the
// deleting transaction (account.Delete): its notifications and settings
// go; unless keepContent, its topics and replies become tombstones, like
// any deleted post, and their history and search documents go with them.
func (s *Service) ForgetAccount(ctx context.Context, tx bun.Tx, accountID string, keepContent bool) error {
	for _, m := range []any{(*model.Notification)(nil), (*model.DiscussionSettings)(nil)} {
		if _, err := tx.NewDelete().Model(m).Where("account_id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
	}
	if keepContent {
		return nil
	}
	now := s.stamp()
	for _, post := range []struct{ typ, table string }{{"topic", "topics"}, {"reply", "replies"}} {
		var ids []string
		if err := tx.NewSelect().Table(post.table).Column("id").Where("author_id = ? AND deleted_at IS NULL", accountID).Scan(ctx, &ids); err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.index(ctx, tx, post.typ, id); err != nil {
				return err
			}
		}
	}
	if _, err := tx.NewDelete().Model((*model.Revision)(nil)).
		Where("topic_id IN (SELECT id FROM topics WHERE author_id = ?) OR reply_id IN (SELECT id FROM replies WHERE author_id = ?)", accountID, accountID).
		Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*model.Topic)(nil)).Set("title = ''").Set("body = ''").Set("body_html = ''").
		Set("deleted_at = ?", now).Set("deleted_by = ?", accountID).Where("author_id = ? AND deleted_at IS NULL", accountID).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewUpdate().Model((*model.Reply)(nil)).Set("body = ''").Set("body_html = ''").
		Set("deleted_at = ?", now).Set("deleted_by = ?", accountID).Where("author_id = ? AND deleted_at IS NULL", accountID).Exec(ctx)
	return err
}

// ExportedPost is a post in a member's data export.
type ExportedPost struct {
	TopicID   string    `json:"topic_id"`
	ID        string    `json:"id"`
	Title     string    `json:"title,omitempty"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	EditedAt  time.Time `json:"edited_at,omitzero"`
}

// ExportAccount returns what the account wrote in discussions, for its
// data export (account.Export): topics first, then replies, oldest first.
func ExportAccount(ctx context.Context, db bun.IDB, accountID string) ([]ExportedPost, error) {
	out := []ExportedPost{}
	var topics []model.Topic
	if err := db.NewSelect().Model(&topics).Where("author_id = ? AND deleted_at IS NULL", accountID).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, err
	}
	for _, t := range topics {
		out = append(out, ExportedPost{TopicID: t.ID, ID: t.ID, Title: t.Title, Body: t.Body, CreatedAt: t.CreatedAt, EditedAt: t.EditedAt})
	}
	var replies []model.Reply
	if err := db.NewSelect().Model(&replies).Where("author_id = ? AND deleted_at IS NULL", accountID).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range replies {
		out = append(out, ExportedPost{TopicID: r.TopicID, ID: r.ID, Body: r.Body, CreatedAt: r.CreatedAt, EditedAt: r.EditedAt})
	}
	return out, nil
}
