package federation

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/collective"
	"collectif/fault"
	"collectif/federation/ap"
	"collectif/model"
	"collectif/store"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Block is an instance on the block list.
type Block struct {
	bun.BaseModel `bun:"table:instance_blocks" json:"-"`

	Host      string    `bun:"host,pk" json:"host"`
	Reason    string    `bun:"reason" json:"reason"`
	CreatedBy string    `bun:"created_by,nullzero" json:"-"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
}

// NormalizeHost lower-cases a host name, with its port if it has one, and
// checks its shape.
func NormalizeHost(h string) (string, bool) {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
	h = strings.TrimSuffix(h, "/")
	if h == "" || len(h) > 253 || strings.ContainsAny(h, "/@ \t?#") {
		return "", false
	}
	return h, true
}

func mustAdmin(p access.Principal) error {
	if !access.Can(p, access.AdministerHub, access.Subject{}) {
		return &fault.Error{Kind: fault.Forbidden, Message: "réservé aux administrateurs de l'instance"}
	}
	return nil
}

// Blocks lists the blocked instances (administrators only).
func (s *Service) Blocks(ctx context.Context, p access.Principal) ([]Block, error) {
	if err := mustAdmin(p); err != nil {
		return nil, err
	}
	var out []Block
	err := s.d.DB.R.NewSelect().Model(&out).Order("host").Scan(ctx)
	return out, err
}

// BlockInstance puts a host on the block list: its activities are refused
// and its followers forgotten (nothing more is sent there). What was
// received from it stays stored but is no longer shown; with purge, it is
// deleted: its stored objects, the likes of its actors and what is kept of
// its actors.
func (s *Service) BlockInstance(ctx context.Context, p access.Principal, host, reason string, purge bool) (*Block, error) {
	const op = "federation.BlockInstance"
	if err := mustAdmin(p); err != nil {
		return nil, err
	}
	h, ok := NormalizeHost(host)
	if !ok {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "host", Message: "nom d'hôte invalide (exemple : social.example.org)"}
	}
	if h == strings.ToLower(s.d.BaseURL.Host) {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "host", Message: "impossible de bloquer sa propre instance"}
	}
	b := &Block{Host: h, Reason: trunc(strings.TrimSpace(reason), 500), CreatedBy: p.AccountID, CreatedAt: time.Now().UTC()}
	err := s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(b).On("CONFLICT (host) DO UPDATE").Set("reason = EXCLUDED.reason").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().TableExpr("federation_followers").Where("remote_host = ? OR remote_host LIKE ? OR remote_host LIKE ? OR remote_host LIKE ?", h, h+":%", "%."+h, "%."+h+":%").Exec(ctx); err != nil {
			return err
		}
		if purge {
			if err := purgeHost(ctx, tx, h); err != nil {
				return err
			}
		}
		if s.d.Catalog == nil {
			return nil
		}
		// Its usage declarations no longer count (the catalog extension).
		_, err := s.d.Catalog.ForgetOrigin(ctx, tx, h, true)
		return err
	})
	s.blocks.invalidate()
	if err != nil {
		return nil, err
	}
	return b, nil
}

// hostUnder reports whether host (host or host:port) is blocked (a host
// name, with a port or not) or one of its sub-domains.
func hostUnder(host, blocked string) bool {
	host = strings.ToLower(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	return host == blocked || name == blocked || strings.HasSuffix(name, "."+blocked)
}

// purgeHost deletes what was received from a blocked host: stored remote
// objects it published or relayed, the likes of its actors, and its
// actors as kept (name, inbox, key). Catalog usages are not received from
// other servers yet: there are none to delete.
func purgeHost(ctx context.Context, tx bun.Tx, blocked string) error {
	var objs []struct {
		IRI    string `bun:"iri"`
		Origin string `bun:"origin_actor"`
		Author string `bun:"author"`
	}
	if err := tx.NewSelect().TableExpr("remote_objects").Column("iri", "origin_actor", "author").Scan(ctx, &objs); err != nil {
		return err
	}
	var gone []string
	for _, o := range objs {
		if hostUnder(ap.Host(o.IRI), blocked) || hostUnder(ap.Host(o.Origin), blocked) || hostUnder(ap.Host(o.Author), blocked) {
			gone = append(gone, o.IRI)
		}
	}
	for len(gone) > 0 {
		n := min(len(gone), 500)
		if _, err := tx.NewDelete().TableExpr("remote_objects").Where("iri IN (?)", bun.List(gone[:n])).Exec(ctx); err != nil {
			return err
		}
		gone = gone[n:]
	}
	var actors []string
	if err := tx.NewSelect().TableExpr("remote_actors").Column("iri").Scan(ctx, &actors); err != nil {
		return err
	}
	var likers []string
	if err := tx.NewSelect().TableExpr("federation_likes").ColumnExpr("DISTINCT remote_actor").Scan(ctx, &likers); err != nil {
		return err
	}
	for _, a := range append(actors, likers...) {
		if !hostUnder(ap.Host(a), blocked) {
			continue
		}
		if _, err := tx.NewDelete().TableExpr("federation_likes").Where("remote_actor = ?", a).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().TableExpr("remote_actors").Where("iri = ?", a).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// UnblockInstance takes a host off the block list.
func (s *Service) UnblockInstance(ctx context.Context, p access.Principal, host string) error {
	if err := mustAdmin(p); err != nil {
		return err
	}
	h, _ := NormalizeHost(host)
	res, err := s.d.DB.W.NewDelete().TableExpr("instance_blocks").Where("host = ?", h).Exec(ctx)
	s.blocks.invalidate()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &fault.Error{Kind: fault.NotFound, Message: "cette instance n'est pas bloquée"}
	}
	return nil
}

// FollowRequest is a remote actor following, or asking to follow, a local
// one.
type FollowRequest struct {
	ID          string    `json:"id"`
	LocalActor  string    `json:"local_actor"`
	LocalName   string    `json:"local_name"`
	RemoteActor string    `json:"remote_actor"`
	RemoteName  string    `json:"remote_name"`
	Handle      string    `json:"handle"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
}

// Report is a report (Flag) received from another instance.
type Report struct {
	ID          string    `json:"id"`
	LocalActor  string    `json:"local_actor"`
	RemoteActor string    `json:"remote_actor"`
	Content     string    `json:"content"`
	Objects     string    `json:"objects"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
}

// Queue is what awaits the moderators of a collective: follow requests to
// the collective and its public groups that they may decide, and open
// reports.
type Queue struct {
	Follows []FollowRequest
	Reports []Report
	// Groups are the settings of the public groups p moderates.
	Groups []GroupSetting
	// Bans are the actors banned from the places p moderates, listed in
	// Places (the collective, its public groups).
	Bans   []Ban
	Places []Place
}

// moderatedActors returns the local actors of a collective whose follows
// p may decide (collective: its managers; a group: its moderators too).
func (s *Service) moderatedActors(ctx context.Context, p access.Principal, slug string) ([]*LocalActor, error) {
	c, err := s.collectiveActor(ctx, slug)
	if err != nil {
		return nil, &fault.Error{Kind: fault.NotFound, Message: "collectif introuvable"}
	}
	var out []*LocalActor
	st, err := collective.Standing(ctx, s.d.DB.R, p, c.CollectiveID, "")
	if err != nil {
		return nil, err
	}
	if access.Can(p, access.DecideMembership, st) {
		out = append(out, c)
	}
	var groups []model.WorkingGroup
	if err := s.d.DB.R.NewSelect().Model(&groups).Where("collective_id = ? AND visibility = 'public'", c.CollectiveID).Order("slug").Scan(ctx); err != nil {
		return nil, err
	}
	for _, g := range groups {
		gst, err := collective.Standing(ctx, s.d.DB.R, p, c.CollectiveID, g.ID)
		if err != nil {
			return nil, err
		}
		if access.Can(p, access.DecideGroupJoin, gst) {
			if a, err := s.groupActor(ctx, slug, g.Slug); err == nil {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		return nil, &fault.Error{Kind: fault.Forbidden, Message: "réservé aux modérateurs du collectif"}
	}
	return out, nil
}

// ModerationQueue returns the pending follow requests and open reports of
// a collective and its groups that p moderates.
func (s *Service) ModerationQueue(ctx context.Context, p access.Principal, slug string) (*Queue, error) {
	actors, err := s.moderatedActors(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	iris := make([]string, len(actors))
	names := map[string]string{}
	for i, a := range actors {
		iris[i] = a.IRI
		names[a.IRI] = a.Name
	}
	var rows []struct {
		follower
		Name              string `bun:"name"`
		PreferredUsername string `bun:"preferred_username"`
	}
	err = s.d.DB.R.NewSelect().TableExpr("federation_followers AS f").
		ColumnExpr("f.*, COALESCE(ra.name, '') AS name, COALESCE(ra.preferred_username, '') AS preferred_username").
		Join("LEFT JOIN remote_actors AS ra ON ra.iri = f.remote_actor").
		Where("f.local_actor IN (?) AND f.state = 'pending'", bun.List(iris)).Order("f.created_at").Limit(200).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	q := &Queue{}
	for _, r := range rows {
		q.Follows = append(q.Follows, FollowRequest{ID: r.ID, LocalActor: r.LocalActor, LocalName: names[r.LocalActor], RemoteActor: r.RemoteActor,
			RemoteName: r.Name, Handle: "@" + r.PreferredUsername + "@" + r.RemoteHost, State: r.State, CreatedAt: r.CreatedAt})
	}
	var reps []report
	err = s.d.DB.R.NewSelect().Model(&reps).
		Where("local_actor IN (?) AND state = 'open'", bun.List(iris)).Order("created_at").Limit(200).Scan(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range reps {
		q.Reports = append(q.Reports, Report{ID: r.ID, LocalActor: r.LocalActor, RemoteActor: r.RemoteActor, Content: r.Content, Objects: r.Objects, State: r.State, CreatedAt: r.CreatedAt})
	}
	if q.Groups, err = s.groupSettings(ctx, actors); err != nil {
		return nil, err
	}
	if q.Bans, err = s.bansOf(ctx, actors); err != nil {
		return nil, err
	}
	q.Places = places(actors)
	return q, nil
}

// Decision is a moderator's answer to a follow request.
type Decision string

const (
	DecisionAccept Decision = "accept"
	DecisionReject Decision = "reject"
	// DecisionBan rejects and refuses every later follow of that actor.
	DecisionBan Decision = "ban"
)

// DecideFollow accepts or rejects a pending follow request of a collective
// or group that p moderates; Accept or Reject is sent to the follower.
func (s *Service) DecideFollow(ctx context.Context, p access.Principal, slug, requestID string, d Decision) error {
	const op = "federation.DecideFollow"
	if d != DecisionAccept && d != DecisionReject && d != DecisionBan {
		return &fault.Error{Kind: fault.Invalid, Op: op, Field: "decision", Message: "décision inconnue"}
	}
	actors, err := s.moderatedActors(ctx, p, slug)
	if err != nil {
		return err
	}
	var f follower
	if err := s.d.DB.R.NewSelect().Model(&f).Where("id = ?", requestID).Scan(ctx); err != nil {
		return &fault.Error{Kind: fault.NotFound, Op: op, Message: "demande introuvable", Err: store.NotFound(err)}
	}
	allowed := false
	for _, a := range actors {
		allowed = allowed || a.IRI == f.LocalActor
	}
	if !allowed {
		return &fault.Error{Kind: fault.NotFound, Op: op, Message: "demande introuvable"}
	}
	if f.State != "pending" {
		return &fault.Error{Kind: fault.Conflict, Op: op, Message: "cette demande a déjà été traitée"}
	}
	ra := &remoteActor{IRI: f.RemoteActor, Inbox: f.Inbox}
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := time.Now().UTC()
		state, answer := "accepted", "Accept"
		if d != DecisionAccept {
			state, answer = "rejected", "Reject"
		}
		upd := tx.NewUpdate().TableExpr("federation_followers").Set("state = ?", state).Set("updated_at = ?", now).Where("id = ? AND state = 'pending'", f.ID)
		if p.AccountID != "" {
			upd = upd.Set("decided_by = ?", p.AccountID)
		}
		res, err := upd.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &fault.Error{Kind: fault.Conflict, Op: op, Message: "cette demande a déjà été traitée"}
		}
		if d == DecisionBan {
			ban := map[string]any{"local_actor": f.LocalActor, "remote_actor": f.RemoteActor, "reason": "", "created_at": now}
			if p.AccountID != "" {
				ban["created_by"] = p.AccountID
			}
			if _, err := tx.NewInsert().Model(&ban).TableExpr("federation_bans").On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return err
			}
		}
		return s.sendAnswer(ctx, tx, answer, f.LocalActor, ra, f.FollowID)
	})
}

// ResolveReport closes a report of a collective p moderates.
func (s *Service) ResolveReport(ctx context.Context, p access.Principal, slug, reportID string) error {
	actors, err := s.moderatedActors(ctx, p, slug)
	if err != nil {
		return err
	}
	iris := make([]string, len(actors))
	for i, a := range actors {
		iris[i] = a.IRI
	}
	upd := s.d.DB.W.NewUpdate().TableExpr("federation_reports").Set("state = 'resolved'").Set("resolved_at = ?", time.Now().UTC()).
		Where("id = ? AND local_actor IN (?) AND state = 'open'", reportID, bun.List(iris))
	if p.AccountID != "" {
		upd = upd.Set("resolved_by = ?", p.AccountID)
	}
	res, err := upd.Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &fault.Error{Kind: fault.NotFound, Message: "signalement introuvable ou déjà traité"}
	}
	return nil
}
