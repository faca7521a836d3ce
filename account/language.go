package account

import (
	"context"
	"slices"
	"strings"

	"collectif/access"
	"collectif/fault"
	"collectif/mail"
)

// Languages are the languages a member may choose for the hub's pages,
// French first: those the mails are written in too (package mail's), so
// that a member gets mails in the language of their pages. The server's
// tests hold them equal to package frontend's.
var Languages = mail.Languages

// SetLanguage records the language the member wants the hub's pages in,
// followed on every browser they log in from: one of Languages, or ""
// for no preference (each browser's own choice, then its Accept-Language,
// decides). The case and surrounding spaces of lang do not matter; it
// returns the language recorded.
func (s *Service) SetLanguage(ctx context.Context, p access.Principal, accountID, lang string) (string, error) {
	const op = "account.SetLanguage"
	if p.AccountID != accountID && !p.IsAdmin() {
		return "", &fault.Error{Kind: fault.Forbidden, Op: op, Message: "vous ne pouvez modifier que votre propre compte"}
	}
	lang = strings.ToLower(strings.TrimSpace(lang))
	if lang != "" && !slices.Contains(Languages, lang) {
		return "", fault.Wrap(op, fault.Field("lang", "langue inconnue : %q (choisissez fr, en, ou aucune préférence)", lang))
	}
	res, err := s.db.W.NewUpdate().Table("accounts").Set("lang = ?", lang).Set("updated_at = ?", s.now().UTC()).
		Where("id = ? AND deleted_at IS NULL", accountID).Exec(ctx)
	if err != nil {
		return "", fault.Wrap(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", &fault.Error{Kind: fault.NotFound, Op: op, Message: "compte introuvable"}
	}
	return lang, nil
}
