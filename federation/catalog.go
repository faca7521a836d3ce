package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/uptrace/bun"

	"collectif/catalog"
	"collectif/fault"
	"collectif/federation/ap"
	"collectif/markdown"
	"collectif/model"
)

// The catalog extension: usage declarations of the free-software catalog
// travel between hubs as objects of type SoftwareUsage, whose terms are
// defined by a JSON-LD context of ours (docs/FEDERATION.md, "Catalog
// extension"). Other servers ignore the type.

// CatalogNamespace is the namespace of the terms of the catalog extension.
// It is the same on every hub (a vocabulary shared by all hubs cannot be
// named after one of them) and, being a UUID URN, belongs to no domain that
// could lapse: it identifies, it is not fetched. Never change it.
const CatalogNamespace = "urn:uuid:ba5f816a-8d61-424d-80dc-aedbe0bcb5b9#"

// ContextPath is where every hub serves the context document of the
// extension; messages carry the same definitions inline.
const ContextPath = "/ns/collectif"

// UsageType is the type of a usage declaration.
const UsageType = "SoftwareUsage"

// catalogTerms defines the terms of the extension.
func catalogTerms() map[string]any {
	return map[string]any{
		"clf":             CatalogNamespace,
		"xsd":             "http://www.w3.org/2001/XMLSchema#",
		"SoftwareUsage":   "clf:SoftwareUsage",
		"software":        "clf:software",
		"organization":    "clf:organization",
		"sillId":          "clf:sillId",
		"wikidataId":      "clf:wikidataId",
		"siren":           "clf:siren",
		"inseeCode":       "clf:inseeCode",
		"kind":            "clf:organizationKind",
		"regionCode":      "clf:regionCode",
		"since":           map[string]any{"@id": "clf:since", "@type": "xsd:gYear"},
		"scope":           map[string]any{"@id": "clf:scope", "@type": "xsd:nonNegativeInteger"},
		"hosting":         "clf:hosting",
		"softwareVersion": "clf:softwareVersion",
		"savingsEur":      map[string]any{"@id": "clf:savingsEur", "@type": "xsd:nonNegativeInteger"},
	}
}

// CatalogContext is the context document served at ContextPath.
func CatalogContext() map[string]any { return map[string]any{"@context": catalogTerms()} }

// usageContext is the @context of usage objects and their activities:
// ActivityStreams and the extension's terms, inline, so that reading one
// never requires fetching anything.
func usageContext() []any { return []any{ap.ContextAS, catalogTerms()} }

// ContextHandler serves the context document of the catalog extension.
func (s *Service) ContextHandler() http.Handler {
	b, _ := json.MarshalIndent(CatalogContext(), "", "  ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/ld+json; charset=utf-8")
		// JSON-LD tools in browsers fetch contexts across origins.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(b)
	})
}

// SetCatalog plugs the catalog in: declarations are then sent and received.
func (s *Service) SetCatalog(c *catalog.Service) { s.d.Catalog = c }

// usageIRI is the id of a local declaration.
func (s *Service) usageIRI(id string) string { return s.base + "/declarations/" + id }

// usageDoc is the object of a local declaration, sent by the collectives
// named.
func (s *Service) usageDoc(u *catalog.FederatedUsage, actors []string) (map[string]any, error) {
	iri := s.usageIRI(u.ID)
	page := s.base + "/logiciels/" + u.Software.Slug
	sw := map[string]any{"name": u.Software.Name, "url": page}
	if u.Software.SILLID != "" {
		sw["sillId"] = u.Software.SILLID
	}
	if u.Software.WikidataID != "" {
		sw["wikidataId"] = u.Software.WikidataID
	}
	org := map[string]any{"name": u.Organization.Name, "kind": string(u.Organization.Kind)}
	for k, v := range map[string]string{"siren": u.Organization.SIREN, "inseeCode": u.Organization.InseeCode, "regionCode": u.Organization.Region} {
		if v != "" {
			org[k] = v
		}
	}
	followers := make([]string, len(actors))
	for i, a := range actors {
		followers[i] = a + "/followers"
	}
	d := map[string]any{
		"id": iri, "type": UsageType, "url": page + "#u-" + u.ID,
		"name":         u.Organization.Name + " utilise " + u.Software.Name,
		"attributedTo": actors, "software": sw, "organization": org, "hosting": string(u.Hosting),
		"to": []string{ap.PublicAddress}, "cc": followers,
		"published": stamp(u.CreatedAt), "updated": stamp(u.UpdatedAt),
	}
	if u.SinceYear != 0 {
		d["since"] = u.SinceYear
	}
	if u.Scope != 0 {
		d["scope"] = u.Scope
	}
	if u.Version != "" {
		d["softwareVersion"] = u.Version
	}
	if u.SavingsEUR != nil {
		d["savingsEur"] = *u.SavingsEUR
	}
	if u.Testimonial != "" {
		html, err := markdown.New().HTML(u.Testimonial)
		if err != nil {
			return nil, err
		}
		d["content"], d["mediaType"] = string(html), "text/html"
		d["source"] = map[string]any{"content": u.Testimonial, "mediaType": "text/markdown"}
	}
	return d, nil
}

// publishUsage brings what the followers of the collectives of a
// declaration's organization know of it in line with the database: each of
// those collectives sends Create (or Update) to its followers, each inbox
// once; a collective no longer concerned, or all of them when the
// declaration is withdrawn or hidden, sends Delete with a Tombstone.
func (s *Service) publishUsage(ctx context.Context, id string) error {
	if s.d.Catalog == nil {
		return nil
	}
	u, err := s.d.Catalog.Federated(ctx, id)
	if err != nil {
		return err
	}
	var actors []string
	if u != nil {
		for _, slug := range u.Collectives {
			actors = append(actors, s.base+"/c/"+slug)
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	tomb := map[string]any{"id": s.usageIRI(id), "type": "Tombstone", "formerType": UsageType, "deleted": now.Format(time.RFC3339)}
	var doc map[string]any
	var b []byte
	if len(actors) > 0 {
		if doc, err = s.usageDoc(u, actors); err != nil {
			return err
		}
		doc["@context"] = usageContext()
		if b, err = json.Marshal(doc); err != nil {
			return err
		}
		delete(doc, "@context")
	}
	// What was last sent is read and replaced in one transaction, its row
	// locked, as Publish does: two jobs at once send one Create.
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		created := false
		if len(actors) > 0 {
			row := publishedObject{IRI: s.usageIRI(id), Kind: "usage", RefID: id, LocalActor: actors[0], Document: string(b), PublishedAt: now, UpdatedAt: now}
			res, err := tx.NewInsert().Model(&row).On("CONFLICT (iri) DO NOTHING").Exec(ctx)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			created = n == 1
		}
		var prevActors []string
		existed := false
		if !created {
			prev, err := s.lockPublished(ctx, tx, "kind = ? AND ref_id = ?", "usage", id)
			if isNoRows(err) {
				return nil // never sent, and nothing to send
			} else if err != nil {
				return err
			}
			if existed = prev.DeletedAt.IsZero(); existed {
				var pd struct {
					AttributedTo ap.Refs `json:"attributedTo"`
				}
				_ = json.Unmarshal([]byte(prev.Document), &pd)
				prevActors = pd.AttributedTo.IDs()
				if len(actors) > 0 && prev.Document == string(b) {
					return nil // nothing a follower sees changed
				}
			}
		}
		if len(actors) == 0 {
			if !existed {
				return nil
			}
			if _, err := tx.NewUpdate().Model((*publishedObject)(nil)).Set("deleted_at = ?", now).Set("updated_at = ?", now).
				Where("iri = ?", s.usageIRI(id)).Exec(ctx); err != nil {
				return err
			}
			return s.sendUsage(ctx, tx, "Delete", prevActors, tomb, map[string]bool{})
		}
		kind := "Create"
		if existed {
			kind = "Update"
		}
		if !created {
			if _, err := tx.NewUpdate().Model((*publishedObject)(nil)).
				Set("document = ?, local_actor = ?, updated_at = ?, deleted_at = NULL", string(b), actors[0], now).
				Where("iri = ?", s.usageIRI(id)).Exec(ctx); err != nil {
				return err
			}
		}
		var dropped []string
		for _, a := range prevActors {
			if !slices.Contains(actors, a) {
				dropped = append(dropped, a)
			}
		}
		seen := map[string]bool{}
		if err := s.sendUsage(ctx, tx, kind, actors, doc, seen); err != nil {
			return err
		}
		// Followers only a dropped collective reached forget it; those
		// that got the Update above keep it.
		return s.sendUsage(ctx, tx, "Delete", dropped, tomb, seen)
	})
}

// sendUsage sends kind of obj from each actor to the inboxes of its
// followers not in seen (and adds them to it).
func (s *Service) sendUsage(ctx context.Context, tx bun.Tx, kind string, actors []string, obj map[string]any, seen map[string]bool) error {
	if s.d.Outbox == nil {
		return nil
	}
	for _, actor := range actors {
		all, err := s.followerInboxes(ctx, tx, actor)
		if err != nil {
			return err
		}
		var inboxes []string
		for _, in := range all {
			if !seen[in] {
				seen[in] = true
				inboxes = append(inboxes, in)
			}
		}
		if len(inboxes) == 0 {
			continue
		}
		act := map[string]any{
			"@context": usageContext(), "id": actor + "#" + lower(kind) + "-" + model.NewID(), "type": kind, "actor": actor, "object": obj,
			"to": []string{ap.PublicAddress}, "cc": []string{actor + "/followers"}, "audience": actor,
			"published": time.Now().UTC().Format(time.RFC3339),
		}
		b, err := json.Marshal(act)
		if err != nil {
			return err
		}
		if err := s.d.Outbox.Send(ctx, tx, actor, b, inboxes); err != nil {
			return err
		}
	}
	return nil
}

// usageObject is what is read of a received declaration.
type usageObject struct {
	ID      string          `json:"id"`
	URL     json.RawMessage `json:"url"`
	Content string          `json:"content"`
	Source  struct {
		Content   string `json:"content"`
		MediaType string `json:"mediaType"`
	} `json:"source"`
	Software struct {
		Name       string `json:"name"`
		SILLID     string `json:"sillId"`
		WikidataID string `json:"wikidataId"`
	} `json:"software"`
	Organization struct {
		Name       string `json:"name"`
		SIREN      string `json:"siren"`
		InseeCode  string `json:"inseeCode"`
		Kind       string `json:"kind"`
		RegionCode string `json:"regionCode"`
	} `json:"organization"`
	Since      int    `json:"since"`
	Scope      int    `json:"scope"`
	Hosting    string `json:"hosting"`
	Version    string `json:"softwareVersion"`
	SavingsEUR *int64 `json:"savingsEur"`
}

var textOnly = bluemonday.StrictPolicy()

// receiveUsage stores a declaration created or updated on another hub,
// when it comes from an actor a local collective follows and from the hub
// of the declaration itself. A malformed one is logged and dropped.
func (s *Service) receiveUsage(ctx context.Context, origin string, raw json.RawMessage) error {
	if s.d.Catalog == nil {
		return nil
	}
	var o usageObject
	if err := json.Unmarshal(raw, &o); err != nil {
		s.log.WarnContext(ctx, "usage declaration unreadable", "actor", origin, "err", err)
		return nil
	}
	if !ap.ValidIRI(o.ID) || ap.Host(o.ID) != ap.Host(origin) {
		return nil // a hub speaks only for its own declarations
	}
	if !s.following(ctx, origin) {
		s.log.InfoContext(ctx, "usage declaration from an actor nobody follows ignored", "actor", origin, "id", o.ID)
		return nil
	}
	testimonial := o.Source.Content
	if o.Source.MediaType != "text/markdown" {
		testimonial = textOnly.Sanitize(o.Content)
	}
	link := firstURL(o.URL)
	if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		link = ""
	}
	r := catalog.RemoteUsage{ID: o.ID, URL: link, Origin: ap.Host(origin),
		Software:     catalog.RemoteSoftware{Name: o.Software.Name, SILLID: o.Software.SILLID, WikidataID: o.Software.WikidataID},
		Organization: catalog.RemoteOrganization{Name: o.Organization.Name, SIREN: o.Organization.SIREN, InseeCode: o.Organization.InseeCode, Kind: o.Organization.Kind, Region: o.Organization.RegionCode},
		SinceYear:    o.Since, Scope: o.Scope, Hosting: o.Hosting, Version: trunc(o.Version, 40), SavingsEUR: o.SavingsEUR, Testimonial: trunc(testimonial, 10000)}
	_, err := s.d.Catalog.ReceiveUsage(ctx, r)
	if fe := (*fault.Error)(nil); errors.As(err, &fe) && fe.Kind == fault.Invalid {
		s.log.WarnContext(ctx, "usage declaration refused", "actor", origin, "id", o.ID, "err", err)
		return nil // retrying would not make it right
	}
	return err
}

// forgetUsagesOf forgets, in tx, the declarations received from a host
// when no local collective follows an actor of it any more (unfollowed,
// rejected, or the actor deleted itself).
func (s *Service) forgetUsagesOf(ctx context.Context, tx bun.Tx, host string) error {
	if s.d.Catalog == nil || host == "" {
		return nil
	}
	var actors []string
	if err := tx.NewSelect().TableExpr("federation_following").Column("remote_actor").Where("state = 'accepted'").Scan(ctx, &actors); err != nil {
		return err
	}
	for _, a := range actors {
		if ap.Host(a) == host {
			return nil
		}
	}
	_, err := s.d.Catalog.ForgetOrigin(ctx, tx, host, false)
	return err
}

// declarationsPageSize is how many declarations a page of a collective's
// declarations collection holds.
const declarationsPageSize = 50

// DeclarationsHandler serves /c/<slug>/declarations: the declarations the
// collective sends, an OrderedCollection whose pages (?page=n) hold the
// SoftwareUsage objects as last sent. A hub that starts following the
// collective reads it to learn what was declared before.
func (s *Service) DeclarationsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if s.d.AuthorizedFetch {
			res, err := s.verifier.Verify(ctx, r, nil)
			if err != nil {
				http.Error(w, "signature required: "+err.Error(), http.StatusUnauthorized)
				return
			}
			if s.Blocked(ctx, ap.Host(res.Owner)) {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
		}
		slug := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/c/"), "/declarations")
		a, err := s.collectiveActor(ctx, slug)
		if errors.Is(err, ErrNoActor) || (err == nil && s.d.Catalog == nil) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		} else if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		ids, err := s.d.Catalog.CollectiveUsageIDs(ctx, slug)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		id := a.IRI + "/declarations"
		var doc any
		if page := r.URL.Query().Get("page"); page == "" {
			doc = map[string]any{"@context": usageContext(), "id": id, "type": "OrderedCollection", "totalItems": len(ids), "first": id + "?page=1"}
		} else {
			p, _ := strconv.Atoi(page)
			p = max(p, 1)
			from := min((p-1)*declarationsPageSize, len(ids))
			to := min(from+declarationsPageSize, len(ids))
			items := []any{}
			if from < to {
				var rows []publishedObject
				if err := s.d.DB.R.NewSelect().Model(&rows).Where("kind = 'usage' AND deleted_at IS NULL AND ref_id IN (?)", bun.List(ids[from:to])).
					OrderExpr("ref_id").Scan(ctx); err != nil {
					http.Error(w, "internal error", http.StatusInternalServerError)
					return
				}
				for _, o := range rows {
					var d map[string]any
					if json.Unmarshal([]byte(o.Document), &d) == nil {
						delete(d, "@context")
						items = append(items, d)
					}
				}
			}
			pg := map[string]any{"@context": usageContext(), "id": id + "?page=" + strconv.Itoa(p), "type": "OrderedCollectionPage",
				"partOf": id, "totalItems": len(ids), "orderedItems": items}
			if to < len(ids) {
				pg["next"] = id + "?page=" + strconv.Itoa(p+1)
			}
			doc = pg
		}
		b, _ := json.Marshal(doc)
		w.Header().Set("Content-Type", ap.ActivityJSON+"; charset=utf-8")
		_, _ = w.Write(b)
	})
}

// backfillPages bounds what is read of a followed collective's
// declarations when the follow is accepted.
const backfillPages = 40

// backfillUsages reads the declarations a collective we now follow sent
// before (its /declarations collection, on hubs of this software), so that
// the figures include them without waiting for their next change. Servers
// without the collection answer 404, and nothing more is asked of them.
func (s *Service) backfillUsages(ctx context.Context, actor string) error {
	if s.d.Catalog == nil || s.d.Get == nil {
		return nil
	}
	next := actor + "/declarations?page=1"
	for range backfillPages {
		if next == "" || ap.Host(next) != ap.Host(actor) {
			return nil
		}
		b, err := s.d.Get.Get(ctx, s.InstanceActor(), next)
		if err != nil {
			s.log.InfoContext(ctx, "no declarations read from a followed actor", "actor", actor, "err", err)
			return nil // not a hub of ours, or unreachable: declarations come with their next change
		}
		var pg struct {
			Items []json.RawMessage `json:"orderedItems"`
			Next  string            `json:"next"`
		}
		if json.Unmarshal(b, &pg) != nil {
			return nil
		}
		for _, it := range pg.Items {
			var t struct {
				Type ap.Strings `json:"type"`
			}
			if json.Unmarshal(it, &t) == nil && t.Type.First() == UsageType {
				if err := s.receiveUsage(ctx, actor, it); err != nil {
					return err
				}
			}
		}
		next = pg.Next
	}
	return nil
}
