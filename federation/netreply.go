package federation

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/federation/ap"
	"collectif/markdown"
	"collectif/model"
)

// NetworkReply is a reply written by a member of this hub to content a
// collective receives from the network: sent as a Note in reply to it, and
// shown under it on the collective's page.
type NetworkReply struct {
	bun.BaseModel `bun:"table:network_replies"`

	ID           string    `bun:"id,pk" json:"id"`
	IRI          string    `bun:"iri" json:"iri"`
	CollectiveID string    `bun:"collective_id" json:"-"`
	AccountID    string    `bun:"account_id" json:"-"`
	Actor        string    `bun:"actor" json:"actor"` // the member's Person actor, or the collective's
	InReplyTo    string    `bun:"in_reply_to" json:"in_reply_to"`
	Body         string    `bun:"body" json:"body"`       // Markdown
	Content      string    `bun:"content" json:"content"` // the HTML sent
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`

	AuthorName string `bun:"author_name,scanonly" json:"author_name"`
}

// MaxNetworkReply bounds the Markdown of a reply to the network.
const MaxNetworkReply = 10000

// NetworkReplyKind names network replies among published objects.
const NetworkReplyKind = "network_reply"

// ReplyToNetwork answers a remote object shown on a collective's page
// (members of the collective). The reply is a Note whose inReplyTo is the
// object, sent by the member's Person actor when they opted in, by the
// collective's actor otherwise, mentioning the object's author; it goes to
// the author's inbox and to the inbox of the actor it came from (the group
// of the thread), through the durable delivery, enqueued in the
// transaction that stores it.
func (s *Service) ReplyToNetwork(ctx context.Context, p access.Principal, collectiveSlug, object, body string) (*NetworkReply, error) {
	const op = "federation.ReplyToNetwork"
	if p.IsAnonymous() || p.AccountID == "" {
		return nil, &fault.Error{Kind: fault.Unauthorized, Op: op, Message: "connectez-vous pour répondre"}
	}
	local, err := s.collectiveActor(ctx, collectiveSlug)
	if isNoActor(err) {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Message: "collectif introuvable"}
	} else if err != nil {
		return nil, err
	}
	var m model.Membership
	sub := access.Subject{}
	err = s.d.DB.R.NewSelect().Model(&m).Where("collective_id = ? AND account_id = ?", local.CollectiveID, p.AccountID).Scan(ctx)
	switch {
	case err == nil:
		sub.Banned = m.Status == model.StatusBanned
		if m.Status == model.StatusActive {
			sub.Role = m.Role
		}
	case !isNoRows(err):
		return nil, err
	}
	if !access.Can(p, access.ReplyToNetwork, sub) {
		return nil, &fault.Error{Kind: fault.Forbidden, Op: op, Message: "seuls les membres du collectif répondent au réseau"}
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "body", Message: "la réponse est vide"}
	}
	if utf8.RuneCountInString(body) > MaxNetworkReply {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "body", Message: "la réponse dépasse 10 000 caractères"}
	}
	var o RemoteObject
	err = s.d.DB.R.NewSelect().Model(&o).Where("iri = ?", strings.TrimSpace(object)).
		Where("origin_actor IN (SELECT remote_actor FROM federation_following WHERE local_actor = ? AND state = 'accepted')", local.IRI).
		Scan(ctx)
	if isNoRows(err) {
		return nil, &fault.Error{Kind: fault.NotFound, Op: op, Field: "object", Message: "ce contenu du réseau n'est pas suivi par le collectif"}
	} else if err != nil {
		return nil, err
	}
	if s.Blocked(ctx, o.Host()) {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op, Field: "object", Message: "cette instance est bloquée"}
	}
	rendered, err := markdown.New().HTML(body)
	if err != nil {
		return nil, err
	}
	from := s.authorActor(ctx, p.AccountID)
	if from == "" {
		from = local.IRI
	}
	// The recipients: the author and the actor the object came from (the
	// group of the thread), each server's shared inbox once.
	var inboxes []string
	tags := []any{}
	mention := ""
	var unreachable error
	for _, iri := range []string{o.Author, o.OriginActor} {
		ra, err := s.remote(ctx, iri)
		if err != nil {
			unreachable = err // the other recipient may do
			continue
		}
		in := ra.SharedInbox
		if in == "" {
			in = ra.Inbox
		}
		if !slices.Contains(inboxes, in) {
			inboxes = append(inboxes, in)
		}
		if iri == o.Author && ra.PreferredUsername != "" {
			handle := "@" + ra.PreferredUsername + "@" + ra.Host
			tags = append(tags, map[string]any{"type": "Mention", "href": ra.IRI, "name": handle})
			mention = `<p><span class="h-card"><a href="` + html.EscapeString(ra.IRI) + `" class="u-url mention">@<span>` +
				html.EscapeString(ra.PreferredUsername) + `</span></a></span></p>`
		}
	}
	if len(inboxes) == 0 {
		return nil, &fault.Error{Kind: fault.Unavailable, Op: op, Message: "le serveur d'origine ne répond pas, réessayez plus tard", Err: unreachable}
	}
	content := string(rendered)
	if from == local.IRI {
		// Said by the collective, the reply names whom it answers, as a
		// Mastodon reply does.
		content = mention + content
	}
	var name string
	if err := s.d.DB.R.NewSelect().Model((*model.Account)(nil)).Column("name").Where("id = ?", p.AccountID).Scan(ctx, &name); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := &NetworkReply{AuthorName: name, ID: model.NewID(), CollectiveID: local.CollectiveID, AccountID: p.AccountID, Actor: from,
		InReplyTo: o.IRI, Body: body, Content: content, CreatedAt: now}
	r.IRI = local.IRI + "/reseau/" + r.ID
	cc := []string{local.IRI + "/followers", o.Author}
	note := map[string]any{
		"id": r.IRI, "type": "Note", "url": r.IRI, "attributedTo": from, "inReplyTo": o.IRI, "audience": o.OriginActor,
		"content": content, "mediaType": "text/html", "source": map[string]any{"content": body, "mediaType": "text/markdown"},
		"to": []string{ap.PublicAddress}, "cc": cc, "tag": tags, "published": stamp(now), "sensitive": false,
	}
	doc := map[string]any{"@context": objectContext()}
	for k, v := range note {
		doc[k] = v
	}
	stored, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	create, err := json.Marshal(map[string]any{"@context": objectContext(), "id": r.IRI + "#create", "type": "Create", "actor": from,
		"object": note, "to": []string{ap.PublicAddress}, "cc": cc, "published": stamp(now)})
	if err != nil {
		return nil, err
	}
	err = s.d.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		// Served at its IRI like our other content.
		row := publishedObject{IRI: r.IRI, Kind: NetworkReplyKind, RefID: r.ID, LocalActor: from, Document: string(stored),
			PublishedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return err
		}
		if s.d.Outbox == nil {
			return nil
		}
		return s.d.Outbox.Send(ctx, tx, from, create, inboxes)
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return r, nil
}

// NetworkReplies lists the replies of a collective's members to the remote
// objects named, oldest first, by object.
func (s *Service) NetworkReplies(ctx context.Context, collectiveSlug string, objects []string) (map[string][]NetworkReply, error) {
	out := map[string][]NetworkReply{}
	if len(objects) == 0 {
		return out, nil
	}
	var rows []NetworkReply
	err := s.d.DB.R.NewSelect().Model(&rows).ColumnExpr("network_reply.*").ColumnExpr("a.name AS author_name").
		Join("JOIN collectives AS c ON c.id = network_reply.collective_id").
		Join("JOIN accounts AS a ON a.id = network_reply.account_id").
		Where("c.slug = ? AND network_reply.in_reply_to IN (?)", collectiveSlug, bun.List(objects)).
		OrderExpr("network_reply.created_at, network_reply.id").Limit(500).Scan(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.InReplyTo] = append(out[r.InReplyTo], r)
	}
	return out, nil
}

// HTML is the reply as sent, sanitized again as it is shown.
func (r NetworkReply) HTML() template.HTML { return template.HTML(Sanitize(r.Content)) } //nolint:gosec // sanitized by bluemonday

func isNoActor(err error) bool { return errors.Is(err, ErrNoActor) }

// ForgetAccount is the account deletion's hook for its replies to the
// network. With keep they stay (the author's name goes with the account);
// otherwise each is deleted, here and on the servers it was sent to: a
// Delete of a Tombstone, sent by the actor that sent the reply, to the
// recipients as stored (no request runs inside the deletion's
// transaction).
func (s *Service) ForgetAccount(ctx context.Context, tx bun.Tx, accountID string, keep bool) error {
	if keep {
		return nil
	}
	var rows []NetworkReply
	if err := tx.NewSelect().Model(&rows).Where("account_id = ?", accountID).Scan(ctx); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, r := range rows {
		var inboxes []string
		var o RemoteObject
		if err := tx.NewSelect().Model(&o).Where("iri = ?", r.InReplyTo).Scan(ctx); err != nil && !isNoRows(err) {
			return err
		}
		var ras []remoteActor
		if err := tx.NewSelect().Model(&ras).Where("iri IN (?)", bun.List([]string{o.Author, o.OriginActor})).Scan(ctx); err != nil {
			return err
		}
		for _, ra := range ras {
			in := ra.SharedInbox
			if in == "" {
				in = ra.Inbox
			}
			if in != "" && !slices.Contains(inboxes, in) && !s.Blocked(ctx, ra.Host) {
				inboxes = append(inboxes, in)
			}
		}
		if _, err := tx.NewUpdate().Model((*publishedObject)(nil)).Set("deleted_at = ?", now).Set("updated_at = ?", now).
			Where("iri = ?", r.IRI).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*NetworkReply)(nil)).Where("id = ?", r.ID).Exec(ctx); err != nil {
			return err
		}
		if len(inboxes) == 0 || s.d.Outbox == nil {
			continue
		}
		// The Delete comes from the reply's own actor (servers such as
		// Mastodon accept a Delete only from the object's author): the
		// member's Person, whose key outlives the account, or the
		// collective.
		sender := r.Actor
		if sender == "" {
			sender, _, _ = strings.Cut(r.IRI, "/reseau/")
		}
		b, err := json.Marshal(map[string]any{"@context": ap.ContextAS, "id": r.IRI + "#delete", "type": "Delete", "actor": sender,
			"object": map[string]any{"id": r.IRI, "type": "Tombstone", "formerType": "Note", "deleted": stamp(now)},
			"to":     []string{ap.PublicAddress}})
		if err != nil {
			return err
		}
		if err := s.d.Outbox.Send(ctx, tx, sender, b, inboxes); err != nil {
			return err
		}
	}
	return nil
}

// ExportAccount lists an account's replies to the network, for its export.
func (s *Service) ExportAccount(ctx context.Context, accountID string) (any, error) {
	out := []NetworkReply{}
	err := s.d.DB.R.NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("created_at, id").Scan(ctx)
	return out, err
}
