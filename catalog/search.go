package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"collectif/indexer"
	"collectif/jobs"
	"collectif/search"
	"collectif/store"
)

// Document types of the catalog in the search index.
const (
	DocSoftware = "software"
	DocUsage    = "usage"
)

// SetQueue makes the service enqueue index jobs with its changes, for a
// hub that builds the queue after the service. Call it before serving.
func (s *Service) SetQueue(q *jobs.Queue) { s.queue = q }

func indexJob(typ, id string) search.IndexJob { return search.IndexJob{Type: typ, ID: id} }

// IndexSources are the catalog's documents, for the indexer: software
// (with the products they replace in their text and tags, so that
// "Canva" finds Polotno; facets categories and licence) and visible usage
// declarations (public, with the organization's région).
func (s *Service) IndexSources() []indexer.Source {
	return []indexer.Source{
		{Type: DocSoftware, Load: s.loadSoftwareDoc, All: s.allSoftwareDocs},
		{Type: DocUsage, Load: s.loadUsageDoc, All: s.allUsageDocs},
	}
}

func (s *Service) softwareDoc(it Item) search.Document {
	body := []string{it.Function, s.md.Text(it.Description)}
	if len(it.Replaces) > 0 {
		body = append(body, "Remplace "+strings.Join(it.Replaces, ", "))
	}
	if it.Users > 0 {
		body = append(body, fmt.Sprintf("Utilisé par %d organisations", it.Users))
	}
	tags := append([]string{}, it.Replaces...)
	return search.Document{ID: search.DocID(DocSoftware, it.ID), Type: DocSoftware, Title: it.Name, Summary: it.Summary,
		Body: strings.Join(body, "\n"), Tags: tags, URL: "/logiciels/" + it.Slug, Categories: it.Categories, Licence: it.Licence,
		Audience: []string{search.AudiencePublic}, Date: it.UpdatedAt}
}

func (s *Service) loadSoftwareDoc(ctx context.Context, id string) (search.Document, error) {
	it, err := s.find(ctx, s.db.R, id)
	if errors.Is(err, store.ErrNotFound) {
		return search.Document{}, indexer.ErrGone
	}
	if err != nil {
		return search.Document{}, err
	}
	return s.softwareDoc(*it), nil
}

func (s *Service) allSoftwareDocs(ctx context.Context, emit func(search.Document) error) error {
	last := ""
	for {
		var items []Item
		if err := s.itemQuery(s.db.R).Where("s.id > ?", last).OrderExpr("s.id").Limit(200).Scan(ctx, &items); err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		if err := s.loadFacets(ctx, s.db.R, items); err != nil {
			return err
		}
		for _, it := range items {
			if err := emit(s.softwareDoc(it)); err != nil {
				return err
			}
		}
		last = items[len(items)-1].ID
	}
}

func (s *Service) usageDoc(u UsageItem, cats []string) search.Document {
	title := u.OrganizationName + " utilise " + u.SoftwareName
	summary := HostingLabel(string(u.Hosting))
	if u.Scope > 0 {
		summary = fmt.Sprintf("%d agents ou utilisateurs, hébergement %s", u.Scope, summary)
	}
	return search.Document{ID: search.DocID(DocUsage, u.ID), Type: DocUsage, Title: title, Summary: summary,
		Body: s.md.Text(u.Testimonial), URL: "/logiciels/" + u.SoftwareSlug + "#u-" + u.ID, Region: u.Region,
		Categories: cats, Audience: []string{search.AudiencePublic}, Date: u.UpdatedAt}
}

func (s *Service) loadUsageDoc(ctx context.Context, id string) (search.Document, error) {
	var us []UsageItem
	if err := s.usageQuery(s.db.R).Where("u.id = ? AND "+visible, id).Scan(ctx, &us); err != nil {
		return search.Document{}, err
	}
	if len(us) == 0 {
		return search.Document{}, indexer.ErrGone
	}
	cats, _, err := s.facets(ctx, s.db.R, us[0].SoftwareID)
	if err != nil {
		return search.Document{}, err
	}
	return s.usageDoc(us[0], cats), nil
}

func (s *Service) allUsageDocs(ctx context.Context, emit func(search.Document) error) error {
	last := ""
	for {
		var us []UsageItem
		if err := s.usageQuery(s.db.R).Where("u.id > ? AND "+visible, last).OrderExpr("u.id").Limit(200).Scan(ctx, &us); err != nil {
			return err
		}
		if len(us) == 0 {
			return nil
		}
		for _, u := range us {
			cats, _, err := s.facets(ctx, s.db.R, u.SoftwareID)
			if err != nil {
				return err
			}
			if err := emit(s.usageDoc(u, cats)); err != nil {
				return err
			}
		}
		last = us[len(us)-1].ID
	}
}
