package federation

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"collectif/federation/ap"
)

// Discovery paths.
const (
	WebFingerPath = "/.well-known/webfinger"
	NodeInfoPath  = "/.well-known/nodeinfo"
	HostMetaPath  = "/.well-known/host-meta"
)

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

// WebFingerHandler answers /.well-known/webfinger for acct: resources
// (user@host, with our host) and for actor IRIs.
func (s *Service) WebFingerHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		res := r.URL.Query().Get("resource")
		if res == "" {
			http.Error(w, "the resource parameter is required", http.StatusBadRequest)
			return
		}
		var (
			a   *LocalActor
			err = ErrNoActor
		)
		switch {
		case strings.HasPrefix(res, "acct:") || !strings.Contains(res, "://"):
			user, host, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(res, "acct:"), "@"), "@")
			if ok && strings.EqualFold(host, s.handleHost()) {
				a, err = s.ActorByUsername(r.Context(), user)
			}
		default:
			a, err = s.ActorByIRI(r.Context(), res)
		}
		if errors.Is(err, ErrNoActor) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		} else if err != nil {
			s.log.ErrorContext(r.Context(), "webfinger lookup failed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		page := a.IRI
		if a.Kind == KindInstance {
			page = s.base + "/"
		}
		writeJSON(w, "application/jrd+json; charset=utf-8", jrd{
			Subject: "acct:" + s.HandleOf(a),
			Aliases: []string{a.IRI},
			Links: []jrdLink{
				{Rel: "self", Type: ap.ActivityJSON, Href: a.IRI},
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: page},
			},
		})
	})
}

// NodeInfoHandler serves /.well-known/nodeinfo (the links) and the NodeInfo
// 2.0 and 2.1 documents at /nodeinfo/2.0 and /nodeinfo/2.1.
func (s *Service) NodeInfoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		switch r.URL.Path {
		case NodeInfoPath:
			writeJSON(w, "application/json; charset=utf-8", map[string]any{"links": []jrdLink{
				{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", Href: s.base + "/nodeinfo/2.0"},
				{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", Href: s.base + "/nodeinfo/2.1"},
			}})
		case "/nodeinfo/2.0", "/nodeinfo/2.1":
			version := strings.TrimPrefix(r.URL.Path, "/nodeinfo/")
			users, err := s.d.DB.R.NewSelect().TableExpr("accounts").Where("deleted_at IS NULL").Count(r.Context())
			if err != nil {
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			software := map[string]any{"name": s.d.Software, "version": s.d.Version}
			if version == "2.1" {
				software["homepage"] = s.base + "/"
			}
			doc := map[string]any{
				"version":           version,
				"software":          software,
				"protocols":         []string{"activitypub"},
				"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
				"openRegistrations": false,
				"usage":             map[string]any{"users": map[string]any{"total": users}},
				"metadata":          map[string]any{"nodeName": s.d.BaseURL.Host},
			}
			writeJSON(w, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, doc)
		default:
			http.Error(w, "not found", http.StatusNotFound)
		}
	})
}

// HostMetaHandler serves /.well-known/host-meta: the XRD pointing at
// WebFinger, which some older servers read first.
func (s *Service) HostMetaHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type link struct {
			Rel      string `xml:"rel,attr"`
			Type     string `xml:"type,attr,omitempty"`
			Template string `xml:"template,attr"`
		}
		type xrd struct {
			XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
			Links   []link   `xml:"Link"`
		}
		b, _ := xml.MarshalIndent(xrd{Links: []link{{Rel: "lrdd", Type: "application/jrd+json", Template: s.base + WebFingerPath + "?resource={uri}"}}}, "", "  ")
		w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(append([]byte(xml.Header), b...))
	})
}
