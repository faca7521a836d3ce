// Package finder is the hub's search box: it runs a query on the search
// index as the viewer, who sees only documents whose audience they belong
// to (the same rules as access.Can, computed by collective.Audience), and
// says plainly when the engine is down.
//
// It imports access/, collective/, fault/, search/ and store/.
package finder

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"collectif/access"
	"collectif/collective"
	"collectif/fault"
	"collectif/search"
	"collectif/store"
)

// Service runs searches.
type Service struct {
	db  *store.DB
	idx search.Index
}

// New returns the search service.
func New(db *store.DB, idx search.Index) *Service { return &Service{db: db, idx: idx} }

// Facets are the facet counts the search page shows.
var Facets = []string{search.FieldType, search.FieldCollective, search.FieldRegion, search.FieldLicence, search.FieldCategories}

// Search runs q for p.
func (s *Service) Search(ctx context.Context, p access.Principal, q search.Query) (*search.Result, error) {
	const op = "finder.Search"
	q.Text = strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(q.Text) > 200 {
		return nil, fault.Wrap(op, fault.Field("q", "recherche trop longue (200 caractères au plus)"))
	}
	aud, err := collective.Audience(ctx, s.db.R, p)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	q.Audience = aud
	if len(q.Facets) == 0 {
		q.Facets = Facets
	}
	res, err := s.idx.Search(ctx, q)
	switch {
	case errors.Is(err, search.ErrUnavailable):
		return nil, &fault.Error{Kind: fault.Unavailable, Op: op, Message: "la recherche est momentanément indisponible ; le reste du hub fonctionne et l'index se mettra à jour dès son retour", Err: err}
	case errors.Is(err, search.ErrInvalidQuery):
		f := fault.New(fault.Invalid, "recherche invalide : %s", err.Error())
		f.Op, f.Err = op, err
		return nil, f
	case err != nil:
		return nil, fault.Wrap(op, err)
	}
	return res, nil
}
