package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/federation/ap"
	"collectif/model"
)

// Following is a follow by a local collective of a remote actor.
type Following struct {
	bun.BaseModel `bun:"table:federation_following"`

	ID          string    `bun:"id,pk" json:"id"`
	LocalActor  string    `bun:"local_actor" json:"local_actor"`
	RemoteActor string    `bun:"remote_actor" json:"remote_actor"`
	FollowID    string    `bun:"follow_id" json:"follow_id"`
	State       string    `bun:"state" json:"state"` // pending, accepted, rejected
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at" json:"updated_at"`
}

var errBadTarget = &fault.Error{Kind: fault.Invalid, Field: "target",
	Message: "indiquez un acteur par son adresse (@collectif@hub.example.org) ou son URL (https://…)"}

// insecureHost reports whether a remote host may be reached over plain
// http: only an IP literal inside COLLECTIF_FEDERATION_ALLOWED_NETS (tests,
// private networks).
func (s *Service) insecureHost(host string) bool {
	h := host
	if hh, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(host, "]") {
		h = hh
	}
	a, err := netip.ParseAddr(strings.Trim(h, "[]"))
	if err != nil {
		return false
	}
	for _, p := range s.d.AllowedNets {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// Resolve finds the actor IRI of a handle (@user@host or user@host,
// through WebFinger over https) or checks an actor URL.
func (s *Service) Resolve(ctx context.Context, target string) (string, error) {
	target = strings.TrimSpace(target)
	if strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://") {
		if !ap.ValidIRI(target) {
			return "", errBadTarget
		}
		return target, nil
	}
	user, host, ok := strings.Cut(strings.TrimPrefix(target, "@"), "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(user+host, "/?#@ ") {
		return "", errBadTarget
	}
	if s.d.Get == nil {
		return "", errors.New("federation: no getter")
	}
	scheme := "https"
	if s.insecureHost(host) {
		scheme = "http"
	}
	u := scheme + "://" + host + WebFingerPath + "?resource=" + url.QueryEscape("acct:"+user+"@"+host)
	b, err := s.d.Get.Get(ctx, s.InstanceActor(), u)
	if err != nil {
		f := fault.Field("target", "adresse introuvable : %s", target)
		f.Err = err
		return "", f
	}
	var jrd struct {
		Links []struct {
			Rel  string `json:"rel"`
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(b, &jrd); err != nil {
		return "", fault.Field("target", "réponse WebFinger illisible pour %s", target)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (l.Type == ap.ActivityJSON || strings.HasPrefix(l.Type, "application/ld+json")) && ap.ValidIRI(l.Href) {
			return l.Href, nil
		}
	}
	return "", fault.Field("target", "aucun acteur ActivityPub pour %s", target)
}

// FollowRemote makes a local collective follow a remote actor (instance
// administrators): the actor is fetched, the follow recorded as pending
// and a Follow sent; its Accept or Reject sets the state. Following again
// an actor already followed sends the Follow again.
func (s *Service) FollowRemote(ctx context.Context, p access.Principal, collectiveSlug, target string) (*Following, error) {
	const op = "federation.FollowRemote"
	if err := mustAdmin(p); err != nil {
		return nil, err
	}
	local, err := s.collectiveActor(ctx, collectiveSlug)
	if errors.Is(err, ErrNoActor) {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
	} else if err != nil {
		return nil, err
	}
	iri, err := s.Resolve(ctx, target)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if strings.HasPrefix(iri, s.base+"/") {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "target", Message: "cet acteur est sur ce hub"}
	}
	if s.Blocked(ctx, ap.Host(iri)) {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "target", Message: "cette instance est bloquée"}
	}
	ra, err := s.remote(ctx, iri)
	if err != nil {
		f := fault.Field("target", "acteur injoignable : %s", iri)
		f.Op, f.Err = op, err
		return nil, f
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	f := &Following{ID: model.NewID(), LocalActor: local.IRI, RemoteActor: ra.IRI, State: "pending", CreatedAt: now, UpdatedAt: now}
	f.FollowID = local.IRI + "#follows/" + f.ID
	err = s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(f).On("CONFLICT (local_actor, remote_actor) DO UPDATE").
			Set("follow_id = EXCLUDED.follow_id, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(f).Where("local_actor = ? AND remote_actor = ?", local.IRI, ra.IRI).Scan(ctx); err != nil {
			return err
		}
		return s.sendTo(ctx, tx, local.IRI, ra, map[string]any{"@context": ap.ContextAS, "id": f.FollowID, "type": "Follow",
			"actor": local.IRI, "object": ra.IRI, "to": []string{ra.IRI}})
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return f, nil
}

func (s *Service) sendTo(ctx context.Context, tx bun.Tx, local string, ra *remoteActor, doc map[string]any) error {
	if s.d.Outbox == nil {
		return nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return s.d.Outbox.Send(ctx, tx, local, b, []string{ra.Inbox})
}

// Followings lists what a collective follows, newest first (instance
// administrators).
func (s *Service) Followings(ctx context.Context, p access.Principal, collectiveSlug string) ([]Following, error) {
	if err := mustAdmin(p); err != nil {
		return nil, err
	}
	local, err := s.collectiveActor(ctx, collectiveSlug)
	if errors.Is(err, ErrNoActor) {
		return nil, &fault.Error{Kind: fault.NotFound, Message: "collectif introuvable"}
	} else if err != nil {
		return nil, err
	}
	out := []Following{}
	err = s.d.DB.R.NewSelect().Model(&out).Where("local_actor = ?", local.IRI).OrderExpr("created_at DESC, id").Scan(ctx)
	return out, err
}

// Unfollow ends a follow of a collective (instance administrators): an
// Undo of the Follow is sent and the follow forgotten.
func (s *Service) Unfollow(ctx context.Context, p access.Principal, collectiveSlug, id string) error {
	const op = "federation.Unfollow"
	if err := mustAdmin(p); err != nil {
		return err
	}
	local, err := s.collectiveActor(ctx, collectiveSlug)
	if errors.Is(err, ErrNoActor) {
		return &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
	} else if err != nil {
		return err
	}
	var f Following
	if err := s.d.DB.R.NewSelect().Model(&f).Where("id = ? AND local_actor = ?", id, local.IRI).Scan(ctx); isNoRows(err) {
		return &fault.Error{Kind: fault.NotFound, Op: op, Message: "abonnement introuvable"}
	} else if err != nil {
		return err
	}
	var ra remoteActor
	hasActor := s.d.DB.R.NewSelect().Model(&ra).Where("iri = ?", f.RemoteActor).Scan(ctx) == nil
	return s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Following)(nil)).Where("id = ?", f.ID).Exec(ctx); err != nil {
			return err
		}
		// Declarations received from that hub are forgotten once no
		// collective follows it any more (the catalog extension).
		if err := s.forgetUsagesOf(ctx, tx, ap.Host(f.RemoteActor)); err != nil {
			return err
		}
		if !hasActor {
			return nil
		}
		return s.sendTo(ctx, tx, local.IRI, &ra, map[string]any{"@context": ap.ContextAS, "id": local.IRI + "#undo/" + model.NewID(),
			"type": "Undo", "actor": local.IRI, "to": []string{ra.IRI},
			"object": map[string]any{"id": f.FollowID, "type": "Follow", "actor": local.IRI, "object": f.RemoteActor}})
	})
}
