package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"collectif/federation/ap"
	"collectif/model"
	"collectif/store"
)

// ActorKind says what a local actor stands for.
type ActorKind string

const (
	KindInstance   ActorKind = "instance"
	KindCollective ActorKind = "collective"
	KindGroup      ActorKind = "group"
	KindPerson     ActorKind = "person"
)

// LocalActor is an actor of this hub, as federation sees it.
type LocalActor struct {
	IRI          string
	Kind         ActorKind
	Username     string // preferredUsername, the handle's user part
	Name         string
	Summary      string
	CollectiveID string // for collectives and groups
	GroupID      string // for groups
	AccountID    string // for persons
	// Manual: follows wait for a moderator's decision.
	Manual    bool
	CreatedAt time.Time
}

// ErrNoActor is returned for an IRI or handle that names no local actor
// (or one that is not public).
var ErrNoActor = errors.New("federation: no such actor")

// HandleOf returns the actor's WebFinger handle, user@host.
func (s *Service) HandleOf(a *LocalActor) string { return a.Username + "@" + s.handleHost() }

func (s *Service) handleHost() string { return s.d.BaseURL.Host }

// groupUsername is a working group's preferredUsername: the collective's
// and the group's slugs joined by "_", which no slug contains.
func groupUsername(collective, group string) string { return collective + "_" + group }

// ActorByIRI finds the local actor an IRI names.
func (s *Service) ActorByIRI(ctx context.Context, iri string) (*LocalActor, error) {
	if iri == s.InstanceActor() {
		return s.instance(), nil
	}
	if !strings.HasPrefix(iri, s.base+"/") {
		return nil, ErrNoActor
	}
	parts := strings.Split(strings.TrimPrefix(iri, s.base+"/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "c":
		return s.collectiveActor(ctx, parts[1])
	case len(parts) == 4 && parts[0] == "c" && parts[2] == "g":
		return s.groupActor(ctx, parts[1], parts[3])
	case len(parts) == 2 && parts[0] == "u":
		return s.personActor(ctx, parts[1])
	}
	return nil, ErrNoActor
}

// ActorByUsername finds the local actor of a handle's user part.
func (s *Service) ActorByUsername(ctx context.Context, user string) (*LocalActor, error) {
	if user == s.instance().Username {
		return s.instance(), nil
	}
	if c, g, ok := strings.Cut(user, "_"); ok {
		return s.groupActor(ctx, c, g)
	}
	if strings.HasPrefix(user, "u.") {
		return s.personActor(ctx, strings.TrimPrefix(user, "u."))
	}
	return s.collectiveActor(ctx, user)
}

func (s *Service) instance() *LocalActor {
	return &LocalActor{IRI: s.InstanceActor(), Kind: KindInstance, Username: s.d.BaseURL.Hostname(), Name: s.d.BaseURL.Host,
		Summary: "L'acteur de l'instance : il signe les requêtes du hub."}
}

func (s *Service) collectiveActor(ctx context.Context, slug string) (*LocalActor, error) {
	var c model.Collective
	if err := s.d.DB.R.NewSelect().Model(&c).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	// A collective's posts are public reading: following it is accepted at
	// once. Joining it as a member is another matter, decided on the hub.
	return &LocalActor{IRI: s.base + "/c/" + c.Slug, Kind: KindCollective, Username: c.Slug, Name: c.Name, Summary: c.Summary,
		CollectiveID: c.ID, CreatedAt: c.CreatedAt}, nil
}

func (s *Service) groupActor(ctx context.Context, cslug, gslug string) (*LocalActor, error) {
	var g model.WorkingGroup
	err := s.d.DB.R.NewSelect().Model(&g).
		Join("JOIN collectives AS c ON c.id = working_group.collective_id").
		Where("c.slug = ? AND working_group.slug = ?", cslug, gslug).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	if g.Visibility != model.VisibilityPublic {
		// A members-only group is not visible outside the hub.
		return nil, ErrNoActor
	}
	return &LocalActor{IRI: s.base + "/c/" + cslug + "/g/" + g.Slug, Kind: KindGroup, Username: groupUsername(cslug, g.Slug),
		Name: g.Name, Summary: g.Summary, CollectiveID: g.CollectiveID, GroupID: g.ID,
		Manual: g.JoinPolicy != model.JoinOpen, CreatedAt: g.CreatedAt}, nil
}

func (s *Service) personActor(ctx context.Context, id string) (*LocalActor, error) {
	id = strings.ToUpper(id) // handles are lower-cased
	if !model.ValidID(id) {
		return nil, ErrNoActor
	}
	var a model.Account
	err := s.d.DB.R.NewSelect().Model(&a).Column("id", "name", "title", "created_at").
		Where("id = ? AND deleted_at IS NULL AND federated", id).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return &LocalActor{IRI: s.base + "/u/" + a.ID, Kind: KindPerson, Username: "u." + strings.ToLower(a.ID), Name: a.Name,
		Summary: a.Title, AccountID: a.ID, CreatedAt: a.CreatedAt}, nil
}

func notFound(err error) error {
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return ErrNoActor
	}
	return err
}

// Document returns the ActivityStreams document of a local actor.
func (s *Service) Document(ctx context.Context, a *LocalActor) (*ap.Actor, error) {
	k, err := s.key(ctx, a.IRI)
	if err != nil {
		return nil, err
	}
	typ := map[ActorKind]string{KindInstance: "Application", KindCollective: "Group", KindGroup: "Group", KindPerson: "Person"}[a.Kind]
	doc := &ap.Actor{
		Context:                   ap.ActorContext(),
		ID:                        a.IRI,
		Type:                      typ,
		PreferredUsername:         a.Username,
		Name:                      a.Name,
		Summary:                   a.Summary,
		URL:                       a.IRI,
		Inbox:                     a.IRI + "/inbox",
		Outbox:                    a.IRI + "/outbox",
		Followers:                 a.IRI + "/followers",
		Following:                 a.IRI + "/following",
		Endpoints:                 ap.Endpoints{SharedInbox: s.SharedInbox()},
		ManuallyApprovesFollowers: a.Manual,
		Discoverable:              a.Kind != KindInstance,
		PublicKey:                 ap.PublicKey{ID: k.keyID, Owner: a.IRI, PublicKeyPem: k.publicPEM},
	}
	if a.Kind == KindInstance {
		doc.URL = s.base + "/"
	}
	if !a.CreatedAt.IsZero() {
		doc.Published = a.CreatedAt.UTC().Format(time.RFC3339)
	}
	doc.Icon = &ap.Image{Type: "Image", MediaType: "image/png", URL: s.iconURL(a)}
	return doc, nil
}

// ActorHandler serves the ActivityStreams documents of local actors and
// their collections (outbox, followers, following) at their IRIs: the
// path of the request names the actor. The server mounts it on the pages'
// URLs for requests whose Accept asks for ActivityStreams. With
// AuthorizedFetch, a valid signature is required (but for the instance
// actor, which remote servers fetch to verify our signatures).
func (s *Service) ActorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		iri := s.base + r.URL.Path
		collection := ""
		for _, c := range []string{"/outbox", "/followers", "/following"} {
			if strings.HasSuffix(iri, c) {
				iri, collection = strings.TrimSuffix(iri, c), c[1:]
			}
		}
		a, err := s.ActorByIRI(r.Context(), iri)
		if errors.Is(err, ErrNoActor) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		} else if err != nil {
			s.log.ErrorContext(r.Context(), "actor lookup failed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if s.d.AuthorizedFetch && !(a.Kind == KindInstance && collection == "") {
			res, err := s.verifier.Verify(r.Context(), r, nil)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Signature realm="collectif",headers="(request-target) host date"`)
				http.Error(w, "signature required: "+err.Error(), http.StatusUnauthorized)
				return
			}
			if s.Blocked(r.Context(), ap.Host(res.Owner)) {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
		}
		var doc any
		switch collection {
		case "":
			doc, err = s.Document(r.Context(), a)
		case "outbox":
			doc, err = s.outbox(r.Context(), a, r.URL.Query().Get("page"))
		case "followers":
			doc, err = s.countCollection(r.Context(), a.IRI+"/followers", "federation_followers", a.IRI)
		case "following":
			doc, err = s.countCollection(r.Context(), a.IRI+"/following", "federation_following", a.IRI)
		}
		if err != nil {
			s.log.ErrorContext(r.Context(), "actor document failed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		writeJSON(w, ap.ActivityJSON+"; charset=utf-8", doc)
	})
}

// countCollection serves followers and following as a count only: who
// follows a collective is not published, as Mastodon lets accounts hide it.
func (s *Service) countCollection(ctx context.Context, id, table, actor string) (any, error) {
	n, err := s.d.DB.R.NewSelect().TableExpr(table).Where("local_actor = ? AND state = 'accepted'", actor).Count(ctx)
	if err != nil {
		return nil, err
	}
	return &ap.OrderedCollection{Context: ap.ContextAS, ID: id, Type: "OrderedCollection", TotalItems: int(n)}, nil
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(b)
}

// WantsActivity reports whether an Accept header asks for ActivityStreams
// rather than HTML: application/activity+json, or application/ld+json
// (with the ActivityStreams profile or none), preferred over text/html.
func WantsActivity(accept string) bool {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if f, err := parseQ(v); err == nil {
					q = f
				}
			}
		}
		switch mt {
		case "application/activity+json", "application/ld+json", "text/html", "application/xhtml+xml":
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = mt, q
		}
	}
	return bestQ > 0 && (best == "application/activity+json" || best == "application/ld+json")
}

func parseQ(v string) (float64, error) { return strconv.ParseFloat(strings.TrimSpace(v), 64) }
