package account

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/territory"
)

// DirectoryProfile is what a member shows fellow members in the member
// directories of their collectives, and what they keep to themselves.
type DirectoryProfile struct {
	Bio       string
	Skills    []string
	Tools     []string
	ShowInDir bool
	ShowEmail bool
	ShowPhone bool
}

// Tags returns the member's skills and tools.
func (s *Service) Tags(ctx context.Context, accountID string) (skills, tools []string, err error) {
	var rows []struct {
		Kind  string `bun:"kind"`
		Value string `bun:"value"`
	}
	if err := s.db.R.NewSelect().Table("account_tags").Column("kind", "value").Where("account_id = ?", accountID).OrderExpr("value").Scan(ctx, &rows); err != nil {
		return nil, nil, fault.Wrap("account.Tags", err)
	}
	for _, r := range rows {
		if r.Kind == "skill" {
			skills = append(skills, r.Value)
		} else {
			tools = append(tools, r.Value)
		}
	}
	return skills, tools, nil
}

func cleanTags(field string, in []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, t := range in {
		t = strings.Join(strings.Fields(t), " ")
		if t == "" || seen[territory.Normalize(t)] {
			continue
		}
		if len([]rune(t)) > 60 {
			return nil, fault.Field(field, "chaque entrée compte 60 caractères au plus")
		}
		seen[territory.Normalize(t)] = true
		out = append(out, t)
	}
	if len(out) > 20 {
		return nil, fault.Field(field, "20 entrées au plus")
	}
	return out, nil
}

// UpdateDirectoryProfile saves what the member shows in directories.
func (s *Service) UpdateDirectoryProfile(ctx context.Context, p access.Principal, accountID string, d DirectoryProfile) error {
	const op = "account.UpdateDirectoryProfile"
	if p.AccountID != accountID && !p.IsAdmin() {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "accès refusé"}
	}
	if len([]rune(d.Bio)) > 2000 {
		return fault.Wrap(op, fault.Field("bio", "la présentation ne peut dépasser 2000 caractères"))
	}
	skills, err := cleanTags("skills", d.Skills)
	if err != nil {
		return fault.Wrap(op, err)
	}
	tools, err := cleanTags("tools", d.Tools)
	if err != nil {
		return fault.Wrap(op, err)
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("accounts").Set("bio = ?", strings.TrimSpace(d.Bio)).
			Set("show_in_directory = ?", d.ShowInDir).Set("show_email = ?", d.ShowEmail).Set("show_phone = ?", d.ShowPhone).
			Set("updated_at = ?", time.Now().UTC()).Where("id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Table("account_tags").Where("account_id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		for kind, list := range map[string][]string{"skill": skills, "tool": tools} {
			for _, v := range list {
				if _, err := tx.ExecContext(ctx, "INSERT INTO account_tags (account_id, kind, value, norm) VALUES (?, ?, ?, ?)",
					accountID, kind, v, territory.Normalize(v)); err != nil {
					return err
				}
			}
		}
		return s.reindex(ctx, tx, accountID)
	})
	return fault.Wrap(op, err)
}

// SetFederated says whether the account appears to the fediverse as an
// ActivityPub Person (name, title and key only). Off by default.
func (s *Service) SetFederated(ctx context.Context, p access.Principal, accountID string, on bool) error {
	const op = "account.SetFederated"
	if p.AccountID != accountID && !p.IsAdmin() {
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "vous ne pouvez modifier que votre propre compte"}
	}
	_, err := s.db.W.NewUpdate().Table("accounts").Set("federated = ?", on).Set("updated_at = ?", time.Now().UTC()).
		Where("id = ? AND deleted_at IS NULL", accountID).Exec(ctx)
	return err
}
