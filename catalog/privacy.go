package catalog

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"collectif/model"
)

// ForgetAccount removes a deleted member from the declarations, in the
// deletion's transaction: they are no longer the contact, the declarer or
// the moderator of any. The declarations stay whatever keep says: they
// belong to the organization, not to the person.
func (s *Service) ForgetAccount(ctx context.Context, tx bun.Tx, accountID string, _ bool) error {
	var ids []string
	if err := tx.NewSelect().Model((*model.Usage)(nil)).Column("id").Where("contact_id = ?", accountID).Scan(ctx, &ids); err != nil {
		return err
	}
	for _, col := range []string{"contact_id", "declared_by", "hidden_by"} {
		if _, err := tx.NewUpdate().Model((*model.Usage)(nil)).Set(col+" = NULL").Where(col+" = ?", accountID).Exec(ctx); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := s.index(ctx, tx, DocUsage, id); err != nil {
			return err
		}
	}
	return nil
}

// ExportedUsage is a declaration in a member's data export: one they made
// or for which they are the contact.
type ExportedUsage struct {
	ID           string    `json:"id" bun:"id"`
	Software     string    `json:"software" bun:"software"`
	Organization string    `json:"organization" bun:"organization"`
	Declared     bool      `json:"declared_by_you" bun:"declared"`
	Contact      bool      `json:"you_are_the_contact" bun:"contact"`
	UpdatedAt    time.Time `json:"updated_at" bun:"updated_at"`
}

// ExportAccount returns the declarations the member made or answers for.
func ExportAccount(ctx context.Context, db bun.IDB, accountID string) ([]ExportedUsage, error) {
	out := []ExportedUsage{}
	err := db.NewSelect().TableExpr("software_usages AS u").
		Join("JOIN software AS sw ON sw.id = u.software_id").Join("JOIN organizations AS o ON o.id = u.organization_id").
		ColumnExpr("u.id, sw.name AS software, o.name AS organization, u.updated_at").
		ColumnExpr("(u.declared_by IS NOT NULL AND u.declared_by = ?) AS declared, (u.contact_id IS NOT NULL AND u.contact_id = ?) AS contact", accountID, accountID).
		Where("u.declared_by = ? OR u.contact_id = ?", accountID, accountID).OrderExpr("u.created_at").Scan(ctx, &out)
	return out, err
}
