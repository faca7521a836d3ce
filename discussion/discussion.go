package discussion

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/collective"
	"collectif/fault"
	"collectif/jobs"
	"collectif/markdown"
	"collectif/model"
	"collectif/store"
)

// Limits of what members write.
const (
	MaxTitle = 200 // characters of a topic's title
	// MaxDepth is the deepest a reply may sit (0 is a reply to the topic):
	// deeper threads are unreadable on a phone, so an answer to a reply at
	// this depth becomes its sibling instead.
	MaxDepth = 3
)

// Service runs discussion actions.
type Service struct {
	db    *store.DB
	queue *jobs.Queue
	md    *markdown.Renderer
	log   *slog.Logger
	now   func() time.Time
}

// Deps are what the service needs.
type Deps struct {
	DB *store.DB
	// Queue, when set, receives the search index jobs of every change,
	// in the change's transaction; nil indexes nothing.
	Queue    *jobs.Queue
	Markdown *markdown.Renderer // default markdown.New()
	Logger   *slog.Logger
	// Now is the clock; default time.Now. Tests move it.
	Now func() time.Time
}

// New returns the discussion service.
func New(d Deps) *Service {
	if d.Markdown == nil {
		d.Markdown = markdown.New()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{db: d.DB, queue: d.Queue, md: d.Markdown, log: d.Logger, now: d.Now}
}

// stamp is the time written in rows: UTC, to the microsecond, the
// precision PostgreSQL keeps, so that a cursor read back compares equal.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Person is an author or an actor as pages show them. Deleted accounts
// keep their row under the name "Compte supprimé".
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Place is where discussions happen: a working group and its collective.
type Place struct {
	Collective model.Collective
	Group      model.WorkingGroup
}

// URL is the group's page.
func (pl Place) URL() string { return "/c/" + pl.Collective.Slug + "/g/" + pl.Group.Slug }

// TopicURL is the page of a topic of the group.
func (pl Place) TopicURL(id string) string { return pl.URL() + "/t/" + id }

var (
	errGroupNotFound = fault.New(fault.NotFound, "groupe de travail introuvable")
	errTopicNotFound = fault.New(fault.NotFound, "sujet introuvable")
	errReplyNotFound = fault.New(fault.NotFound, "message introuvable")
)

// deny refuses an action: a visitor is asked to log in (anonymous), a
// member is told no (member).
func deny(p access.Principal, op string, anonymous, member *fault.Error) error {
	f := member
	if p.IsAnonymous() {
		f = anonymous
	}
	f.Op = op
	return f
}

// person refuses actions that must be signed by an account: the operator
// at the command line is nobody's author.
func person(p access.Principal, op string) error {
	if p.AccountID == "" {
		if p.IsAnonymous() {
			return &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "connectez-vous d'abord"}
		}
		return &fault.Error{Kind: fault.Forbidden, Op: op, Message: "cette action doit être faite par un compte"}
	}
	return nil
}

// place loads a group by the slugs of its collective and itself.
func place(ctx context.Context, db bun.IDB, collectiveSlug, groupSlug string) (*Place, error) {
	if !collective.ValidSlug(collectiveSlug) || !collective.ValidSlug(groupSlug) {
		return nil, errGroupNotFound
	}
	pl := new(Place)
	if err := db.NewSelect().Model(&pl.Collective).Where("slug = ?", collectiveSlug).Scan(ctx); err != nil {
		return nil, notFound(err, errGroupNotFound)
	}
	if err := db.NewSelect().Model(&pl.Group).Where("collective_id = ? AND slug = ?", pl.Collective.ID, groupSlug).Scan(ctx); err != nil {
		return nil, notFound(err, errGroupNotFound)
	}
	return pl, nil
}

// placeOf loads the group with the id.
func placeOf(ctx context.Context, db bun.IDB, groupID string) (*Place, error) {
	pl := new(Place)
	if err := db.NewSelect().Model(&pl.Group).Where("id = ?", groupID).Scan(ctx); err != nil {
		return nil, notFound(err, errGroupNotFound)
	}
	if err := db.NewSelect().Model(&pl.Collective).Where("id = ?", pl.Group.CollectiveID).Scan(ctx); err != nil {
		return nil, notFound(err, errGroupNotFound)
	}
	return pl, nil
}

// notFound turns a missing row into nf and leaves other errors.
func notFound(err, nf error) error {
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nf
	}
	return err
}

// standing is p's subject in the place.
func standing(ctx context.Context, db bun.IDB, p access.Principal, pl *Place) (access.Subject, error) {
	return collective.Standing(ctx, db, p, pl.Collective.ID, pl.Group.ID)
}

// visible loads p's standing and hides the place from who may not see
// its content.
func visible(ctx context.Context, db bun.IDB, p access.Principal, pl *Place, nf error) (access.Subject, error) {
	st, err := standing(ctx, db, p, pl)
	if err != nil {
		return st, err
	}
	if !access.Can(p, access.ViewGroup, st) {
		return st, nf
	}
	return st, nil
}

// checkBody validates a Markdown body and renders it. The size is checked
// first, so that a huge body costs nothing to refuse.
func (s *Service) checkBody(body string) (string, template.HTML, error) {
	if len(body) > markdown.MaxSource {
		return "", "", fault.Field("body", "le message dépasse la taille autorisée (%d Kio au plus)", markdown.MaxSource>>10)
	}
	if !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return "", "", fault.Field("body", "le message contient des caractères invalides")
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if strings.TrimSpace(body) == "" {
		return "", "", fault.Field("body", "le message est vide")
	}
	h, err := s.md.HTML(body)
	if err != nil {
		return "", "", err
	}
	return body, h, nil
}

// checkTitle validates a topic's title and returns it trimmed.
func checkTitle(title string) (string, error) {
	if !utf8.ValidString(title) || strings.ContainsRune(title, 0) {
		return "", fault.Field("title", "le titre contient des caractères invalides")
	}
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		return "", fault.Field("title", "le titre est obligatoire")
	}
	if utf8.RuneCountInString(title) > MaxTitle {
		return "", fault.Field("title", "le titre ne peut dépasser %d caractères", MaxTitle)
	}
	return title, nil
}

// names returns the display names of accounts, by ID.
func names(ctx context.Context, db bun.IDB, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   string `bun:"id"`
		Name string `bun:"name"`
	}
	if err := db.NewSelect().Table("accounts").Column("id", "name").Where("id IN (?)", bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func who(n map[string]string, id string) Person {
	if id == "" {
		return Person{}
	}
	name, ok := n[id]
	if !ok {
		name = "Compte supprimé"
	}
	return Person{ID: id, Name: name}
}
