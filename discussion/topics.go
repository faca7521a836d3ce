package discussion

import (
	"context"
	"errors"
	"html/template"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/collective"
	"collectif/cursor"
	"collectif/fault"
	"collectif/model"
)

// Post is a topic or a reply as pages and the API show it. A deleted post
// keeps its place, author and dates, and loses its text.
type Post struct {
	ID        string
	TopicID   string
	ParentID  string // replies: the reply answered, "" for the topic itself
	Answers   Person // replies: the author of the reply answered (Topic only)
	Depth     int
	Title     string // topics only
	Body      string // Markdown source
	HTML      template.HTML
	Author    Person
	CreatedAt time.Time
	EditedAt  time.Time // zero if never edited
	Editor    Person    // who made the last edit
	Deleted   bool
	DeletedAt time.Time
	CanEdit   bool // p may edit it
	CanDelete bool // p may delete it
}

// Posted is a post just written, with where it lives.
type Posted struct {
	Place
	TopicID string
	Post    Post
}

// URL is the post's place on its topic's page.
func (ps *Posted) URL() string {
	if ps.Post.ID == ps.TopicID {
		return ps.TopicURL(ps.TopicID)
	}
	return ps.TopicURL(ps.TopicID) + "#r-" + ps.Post.ID
}

// TopicSummary is a topic as lists show it.
type TopicSummary struct {
	ID             string
	Title          string
	Author         Person
	Replies        int
	CreatedAt      time.Time
	LastActivityAt time.Time
	Deleted        bool
	Place
}

// URL is the topic's page.
func (t TopicSummary) URL() string { return t.TopicURL(t.ID) }

// TopicList is a page of topics, most recently active first.
type TopicList struct {
	Items []TopicSummary
	Next  string // cursor of the next page, "" on the last
	Total int
}

// TopicView is a topic with its replies in thread order: each reply is
// followed by its answers, Depth telling how far to indent it.
type TopicView struct {
	Place
	Topic    Post
	Replies  []Post
	CanReply bool
}

// NewTopic is what it takes to open a topic.
type NewTopic struct {
	Title string
	Body  string // Markdown
}

// NewReply is what it takes to reply.
type NewReply struct {
	ParentID string // the reply answered; "" answers the topic
	Body     string
}

// TopicEdit changes a topic; a nil field stays as it is.
type TopicEdit struct {
	Title *string
	Body  *string
}

// CreateTopic opens a topic in a working group. Members of the group (and
// the collective's moderators) may.
func (s *Service) CreateTopic(ctx context.Context, p access.Principal, collectiveSlug, groupSlug string, in NewTopic) (*Posted, error) {
	const op = "discussion.CreateTopic"
	if err := person(p, op); err != nil {
		return nil, err
	}
	title, err := checkTitle(in.Title)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	body, html, err := s.checkBody(in.Body)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	now := s.stamp()
	t := &model.Topic{ID: model.NewID(), AuthorID: p.AccountID, Title: title, Body: body, BodyHTML: string(html), CreatedAt: now, LastActivityAt: now}
	var out *Posted
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		pl, err := place(ctx, tx, collectiveSlug, groupSlug)
		if err != nil {
			return err
		}
		st, err := visible(ctx, tx, p, pl, errGroupNotFound)
		if err != nil {
			return err
		}
		if !access.Can(p, access.PostInGroup, st) {
			return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour publier dans ce groupe : rejoignez-le d'abord"), fault.New(fault.Forbidden, "vous ne pouvez pas publier dans ce groupe : rejoignez-le d'abord"))
		}
		t.GroupID = pl.Group.ID
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return err
		}
		if err := s.index(ctx, tx, "topic", t.ID); err != nil {
			return err
		}
		n, err := names(ctx, tx, []string{p.AccountID})
		if err != nil {
			return err
		}
		out = &Posted{Place: *pl, TopicID: t.ID, Post: topicPost(t, n, st, p)}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "topic created", "topic_id", t.ID, "group_id", t.GroupID, "account_id", p.AccountID)
	return out, nil
}

// Topics returns a page of the group's topics, most recently active first.
func (s *Service) Topics(ctx context.Context, p access.Principal, collectiveSlug, groupSlug, cur string, limit int) (*TopicList, error) {
	const op = "discussion.Topics"
	db := s.db.R
	pl, err := place(ctx, db, collectiveSlug, groupSlug)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if _, err := visible(ctx, db, p, pl, errGroupNotFound); err != nil {
		return nil, fault.Wrap(op, err)
	}
	tl, err := s.topics(ctx, db, pl, cur, limit)
	return tl, fault.Wrap(op, err)
}

// topics lists a group's topics. A deleted topic nobody answered is left
// out; one with replies stays, as a tombstone, for their sake.
func (s *Service) topics(ctx context.Context, db bun.IDB, pl *Place, cur string, limit int) (*TopicList, error) {
	key, err := cursor.Decode(cur)
	if err != nil {
		return nil, err
	}
	limit = cursor.Limit(limit, 20, 100)
	q := db.NewSelect().Model((*model.Topic)(nil)).Where("group_id = ? AND (deleted_at IS NULL OR replies > 0)", pl.Group.ID)
	total, err := q.Count(ctx)
	if err != nil {
		return nil, err
	}
	if key.ID != "" {
		q = q.Where("(last_activity_at < ? OR (last_activity_at = ? AND id < ?))", key.At, key.At, key.ID)
	}
	var rows []model.Topic
	if err := q.OrderExpr("last_activity_at DESC, id DESC").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := &TopicList{Items: []TopicSummary{}, Total: int(total)}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		out.Next = cursor.Encode(cursor.Key{At: last.LastActivityAt, ID: last.ID})
	}
	ids := make([]string, 0, len(rows))
	for _, t := range rows {
		ids = append(ids, t.AuthorID)
	}
	n, err := names(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		out.Items = append(out.Items, summary(&rows[i], n, pl))
	}
	return out, nil
}

func summary(t *model.Topic, n map[string]string, pl *Place) TopicSummary {
	return TopicSummary{ID: t.ID, Title: t.Title, Author: who(n, t.AuthorID), Replies: t.Replies, CreatedAt: t.CreatedAt,
		LastActivityAt: t.LastActivityAt, Deleted: !t.DeletedAt.IsZero(), Place: *pl}
}

// Latest returns the n most recently active topics of the collective's
// groups that p may see, for the collective's page.
func (s *Service) Latest(ctx context.Context, p access.Principal, collectiveID string, n int) ([]TopicSummary, error) {
	const op = "discussion.Latest"
	db := s.db.R
	var c model.Collective
	if err := db.NewSelect().Model(&c).Where("id = ?", collectiveID).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, notFound(err, fault.New(fault.NotFound, "collectif introuvable")))
	}
	var groups []model.WorkingGroup
	if err := db.NewSelect().Model(&groups).Where("collective_id = ?", c.ID).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	// One standing in the collective and one read of p's group
	// memberships, rather than collective.Standing per group: the
	// collective's page shows this list on every view.
	base, err := collective.Standing(ctx, db, p, c.ID, "")
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	var mine []model.GroupMembership
	if p.AccountID != "" {
		err := db.NewSelect().Model(&mine).Where("account_id = ? AND group_id IN (SELECT id FROM working_groups WHERE collective_id = ?)", p.AccountID, c.ID).Scan(ctx)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
	}
	gms := make(map[string]model.GroupMembership, len(mine))
	for _, m := range mine {
		gms[m.GroupID] = m
	}
	places := map[string]*Place{}
	var ids []string
	for _, g := range groups {
		st := base
		st.GroupVisibility, st.GroupJoin = g.Visibility, g.JoinPolicy
		if m, ok := gms[g.ID]; ok {
			st.GroupMember = m.Status == model.StatusActive
			st.GroupModerator = st.GroupMember && (m.Role == model.RoleOwner || m.Role == model.RoleModerator)
			st.Invited = m.Status == model.StatusInvited
		}
		if !access.Can(p, access.ViewGroup, st) {
			continue
		}
		places[g.ID] = &Place{Collective: c, Group: g}
		ids = append(ids, g.ID)
	}
	out := []TopicSummary{}
	if len(ids) == 0 || n <= 0 {
		return out, nil
	}
	var rows []model.Topic
	err = db.NewSelect().Model(&rows).Where("group_id IN (?) AND deleted_at IS NULL", bun.List(ids)).
		OrderExpr("last_activity_at DESC, id DESC").Limit(int64(min(n, 100))).Scan(ctx)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	authors := make([]string, 0, len(rows))
	for _, t := range rows {
		authors = append(authors, t.AuthorID)
	}
	nm, err := names(ctx, db, authors)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	for i := range rows {
		out = append(out, summary(&rows[i], nm, places[rows[i].GroupID]))
	}
	return out, nil
}

// loadTopic reads a topic and its place, and checks that p may see it.
func loadTopic(ctx context.Context, db bun.IDB, p access.Principal, id string) (*model.Topic, *Place, access.Subject, error) {
	var st access.Subject
	if !model.ValidID(id) {
		return nil, nil, st, errTopicNotFound
	}
	t := new(model.Topic)
	if err := db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, nil, st, notFound(err, errTopicNotFound)
	}
	pl, err := placeOf(ctx, db, t.GroupID)
	if err != nil {
		return nil, nil, st, err
	}
	st, err = visible(ctx, db, p, pl, errTopicNotFound)
	return t, pl, st, err
}

// loadReply reads a reply, its topic and place, and checks that p may see them.
func loadReply(ctx context.Context, db bun.IDB, p access.Principal, id string) (*model.Reply, *model.Topic, *Place, access.Subject, error) {
	var st access.Subject
	if !model.ValidID(id) {
		return nil, nil, nil, st, errReplyNotFound
	}
	r := new(model.Reply)
	if err := db.NewSelect().Model(r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, nil, nil, st, notFound(err, errReplyNotFound)
	}
	t, pl, st, err := loadTopic(ctx, db, p, r.TopicID)
	if errors.Is(err, errTopicNotFound) {
		err = errReplyNotFound
	}
	return r, t, pl, st, err
}

// rights says whether p may edit and delete a post by author: authors
// edit and delete their own, moderators anyone's.
func rights(p access.Principal, st access.Subject, author string, deleted bool) (edit, del bool) {
	if deleted || p.IsAnonymous() {
		return false, false
	}
	own := st
	own.Author = p.AccountID != "" && author == p.AccountID
	edit = access.Can(p, access.EditContent, own)
	del = own.Author && edit || access.Can(p, access.ModerateContent, st)
	return edit, del
}

func topicPost(t *model.Topic, n map[string]string, st access.Subject, p access.Principal) Post {
	ps := Post{ID: t.ID, TopicID: t.ID, Title: t.Title, Body: t.Body, HTML: template.HTML(t.BodyHTML), //nolint:gosec // sanitized when written
		Author: who(n, t.AuthorID), CreatedAt: t.CreatedAt, EditedAt: t.EditedAt, Editor: who(n, t.EditedBy),
		Deleted: !t.DeletedAt.IsZero(), DeletedAt: t.DeletedAt}
	ps.CanEdit, ps.CanDelete = rights(p, st, t.AuthorID, ps.Deleted)
	return ps
}

func replyPost(r *model.Reply, n map[string]string, st access.Subject, p access.Principal) Post {
	ps := Post{ID: r.ID, TopicID: r.TopicID, ParentID: r.ParentID, Depth: r.Depth, Body: r.Body, HTML: template.HTML(r.BodyHTML), //nolint:gosec // sanitized when written
		Author: who(n, r.AuthorID), CreatedAt: r.CreatedAt, EditedAt: r.EditedAt, Editor: who(n, r.EditedBy),
		Deleted: !r.DeletedAt.IsZero(), DeletedAt: r.DeletedAt}
	ps.CanEdit, ps.CanDelete = rights(p, st, r.AuthorID, ps.Deleted)
	return ps
}

// Topic returns a topic with its replies in thread order.
func (s *Service) Topic(ctx context.Context, p access.Principal, id string) (*TopicView, error) {
	const op = "discussion.Topic"
	db := s.db.R
	t, pl, st, err := loadTopic(ctx, db, p, id)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	var rows []model.Reply
	if err := db.NewSelect().Model(&rows).Where("topic_id = ?", t.ID).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, fault.Wrap(op, err)
	}
	ids := []string{t.AuthorID, t.EditedBy}
	for _, r := range rows {
		ids = append(ids, r.AuthorID, r.EditedBy)
	}
	n, err := names(ctx, db, ids)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	v := &TopicView{Place: *pl, Topic: topicPost(t, n, st, p), Replies: make([]Post, 0, len(rows))}
	v.CanReply = p.AccountID != "" && !v.Topic.Deleted && access.Can(p, access.PostInGroup, st)
	authors := make(map[string]string, len(rows))
	for _, r := range rows {
		authors[r.ID] = r.AuthorID
	}
	for _, r := range thread(rows) {
		ps := replyPost(r, n, st, p)
		if r.ParentID != "" {
			ps.Answers = who(n, authors[r.ParentID])
		}
		v.Replies = append(v.Replies, ps)
	}
	return v, nil
}

// thread orders replies (given oldest first) depth first: each reply is
// followed by its answers, oldest first.
func thread(rows []model.Reply) []*model.Reply {
	children := map[string][]*model.Reply{}
	known := map[string]bool{}
	for i := range rows {
		known[rows[i].ID] = true
	}
	for i := range rows {
		parent := rows[i].ParentID
		if !known[parent] {
			parent = "" // cannot happen with the foreign key; keep it visible anyway
		}
		children[parent] = append(children[parent], &rows[i])
	}
	out := make([]*model.Reply, 0, len(rows))
	var walk func(id string)
	walk = func(id string) {
		for _, r := range children[id] {
			out = append(out, r)
			walk(r.ID)
		}
	}
	walk("")
	return out
}

// Reply answers a topic, or one of its replies. The topic's author and
// those who took part in it are notified.
func (s *Service) Reply(ctx context.Context, p access.Principal, topicID string, in NewReply) (*Posted, error) {
	const op = "discussion.Reply"
	if err := person(p, op); err != nil {
		return nil, err
	}
	body, html, err := s.checkBody(in.Body)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	now := s.stamp()
	r := &model.Reply{ID: model.NewID(), AuthorID: p.AccountID, Body: body, BodyHTML: string(html), CreatedAt: now}
	var out *Posted
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, pl, st, err := loadTopic(ctx, tx, p, topicID)
		if err != nil {
			return err
		}
		if !access.Can(p, access.PostInGroup, st) {
			return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour répondre dans ce groupe : rejoignez-le d'abord"), fault.New(fault.Forbidden, "vous ne pouvez pas répondre dans ce groupe : rejoignez-le d'abord"))
		}
		if !t.DeletedAt.IsZero() {
			return fault.New(fault.Gone, "ce sujet a été supprimé : on ne peut plus y répondre")
		}
		r.TopicID = t.ID
		if in.ParentID != "" {
			missing := fault.Field("parent_id", "le message auquel vous répondez n'existe pas dans ce sujet")
			if !model.ValidID(in.ParentID) {
				return missing
			}
			parent := new(model.Reply)
			if err := tx.NewSelect().Model(parent).Where("id = ? AND topic_id = ?", in.ParentID, t.ID).Scan(ctx); err != nil {
				return notFound(err, missing)
			}
			r.ParentID, r.Depth = parent.ID, parent.Depth+1
			if r.Depth > MaxDepth {
				r.ParentID, r.Depth = parent.ParentID, MaxDepth
			}
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		if err := s.index(ctx, tx, "reply", r.ID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*model.Topic)(nil)).Set("replies = replies + 1").Set("last_activity_at = ?", now).
			Where("id = ?", t.ID).Exec(ctx); err != nil {
			return err
		}
		if err := s.notifyReply(ctx, tx, p, pl, t, r); err != nil {
			return err
		}
		n, err := names(ctx, tx, []string{p.AccountID})
		if err != nil {
			return err
		}
		out = &Posted{Place: *pl, TopicID: t.ID, Post: replyPost(r, n, st, p)}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "reply posted", "reply_id", r.ID, "topic_id", r.TopicID, "account_id", p.AccountID)
	return out, nil
}

// notifyReply tells the topic's author and its previous participants,
// except the one replying, deleted accounts and those who may no longer
// see the group.
func (s *Service) notifyReply(ctx context.Context, tx bun.Tx, p access.Principal, pl *Place, t *model.Topic, r *model.Reply) error {
	var ids []string
	err := tx.NewSelect().TableExpr("accounts AS a").Column("a.id").
		Where("a.deleted_at IS NULL AND a.id <> ?", p.AccountID).
		Where("(a.id = ? OR a.id IN (SELECT author_id FROM replies WHERE topic_id = ? AND id <> ? AND deleted_at IS NULL))", t.AuthorID, t.ID, r.ID).
		OrderExpr("a.id").Scan(ctx, &ids)
	if err != nil {
		return err
	}
	var to []string
	for _, id := range ids {
		st, err := standing(ctx, tx, access.Account(id, false), pl)
		if err != nil {
			return err
		}
		if access.Can(access.Account(id, false), access.ViewGroup, st) {
			to = append(to, id)
		}
	}
	return notify(ctx, tx, p.AccountID, to, model.Notification{Kind: model.NotifyReply, GroupID: pl.Group.ID, TopicID: t.ID, ReplyID: r.ID, ActorID: p.AccountID, CreatedAt: r.CreatedAt})
}

// EditTopic changes a topic's title or body; the version it replaces is
// kept in its history. Authors may edit their topics, moderators any.
func (s *Service) EditTopic(ctx context.Context, p access.Principal, id string, in TopicEdit) (*Posted, error) {
	const op = "discussion.EditTopic"
	var title, body string
	var html string
	if in.Title != nil {
		t, err := checkTitle(*in.Title)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		title = t
	}
	if in.Body != nil {
		b, h, err := s.checkBody(*in.Body)
		if err != nil {
			return nil, fault.Wrap(op, err)
		}
		body, html = b, string(h)
	}
	var out *Posted
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, pl, st, err := loadTopic(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := editable(p, op, st, t.AuthorID, t.DeletedAt); err != nil {
			return err
		}
		if in.Title == nil {
			title = t.Title
		}
		if in.Body == nil {
			body, html = t.Body, t.BodyHTML
		}
		if old := t.Title; title != t.Title || body != t.Body {
			now := s.stamp()
			if _, err := tx.NewInsert().Model(&model.Revision{ID: model.NewID(), TopicID: t.ID, Title: t.Title, Body: t.Body,
				EditorID: orElse(t.EditedBy, t.AuthorID), CreatedAt: orNow(t.EditedAt, t.CreatedAt)}).Exec(ctx); err != nil {
				return err
			}
			t.Title, t.Body, t.BodyHTML, t.EditedAt, t.EditedBy = title, body, html, now, p.AccountID
			if _, err := tx.NewUpdate().Model(t).Column("title", "body", "body_html", "edited_at", "edited_by").WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := s.index(ctx, tx, "topic", t.ID); err != nil {
				return err
			}
			if title != old {
				// Replies are found under their topic's title.
				if err := s.reindexReplies(ctx, tx, t.ID); err != nil {
					return err
				}
			}
		}
		n, err := names(ctx, tx, []string{t.AuthorID, t.EditedBy})
		if err != nil {
			return err
		}
		out = &Posted{Place: *pl, TopicID: t.ID, Post: topicPost(t, n, st, p)}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

// EditReply changes a reply's body; the version it replaces is kept.
func (s *Service) EditReply(ctx context.Context, p access.Principal, id, body string) (*Posted, error) {
	const op = "discussion.EditReply"
	body, html, err := s.checkBody(body)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	var out *Posted
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, t, pl, st, err := loadReply(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := editable(p, op, st, r.AuthorID, r.DeletedAt); err != nil {
			return err
		}
		if body != r.Body {
			now := s.stamp()
			if _, err := tx.NewInsert().Model(&model.Revision{ID: model.NewID(), ReplyID: r.ID, Body: r.Body,
				EditorID: orElse(r.EditedBy, r.AuthorID), CreatedAt: orNow(r.EditedAt, r.CreatedAt)}).Exec(ctx); err != nil {
				return err
			}
			r.Body, r.BodyHTML, r.EditedAt, r.EditedBy = body, string(html), now, p.AccountID
			if _, err := tx.NewUpdate().Model(r).Column("body", "body_html", "edited_at", "edited_by").WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := s.index(ctx, tx, "reply", r.ID); err != nil {
				return err
			}
		}
		n, err := names(ctx, tx, []string{r.AuthorID, r.EditedBy})
		if err != nil {
			return err
		}
		out = &Posted{Place: *pl, TopicID: t.ID, Post: replyPost(r, n, st, p)}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

func editable(p access.Principal, op string, st access.Subject, author string, deletedAt time.Time) error {
	if !deletedAt.IsZero() {
		return fault.New(fault.Gone, "ce message a été supprimé")
	}
	if edit, _ := rights(p, st, author, false); !edit {
		return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour modifier ce message"), fault.New(fault.Forbidden, "vous ne pouvez pas modifier ce message"))
	}
	return nil
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orNow(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// DeleteTopic deletes a topic, leaving a tombstone: its title, body and
// history go, its replies stay. Authors may delete their topics,
// moderators any. Deleting a deleted topic changes nothing.
func (s *Service) DeleteTopic(ctx context.Context, p access.Principal, id string) (*Posted, error) {
	const op = "discussion.DeleteTopic"
	var out *Posted
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, pl, st, err := loadTopic(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if t.DeletedAt.IsZero() {
			if _, del := rights(p, st, t.AuthorID, false); !del {
				return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour supprimer ce message"), fault.New(fault.Forbidden, "vous ne pouvez pas supprimer ce message"))
			}
			t.Title, t.Body, t.BodyHTML, t.DeletedAt, t.DeletedBy = "", "", "", s.stamp(), p.AccountID
			if _, err := tx.NewUpdate().Model(t).Column("title", "body", "body_html", "deleted_at", "deleted_by").WherePK().Exec(ctx); err != nil {
				return err
			}
			// The history would keep what the deletion removes.
			if _, err := tx.NewDelete().Model((*model.Revision)(nil)).Where("topic_id = ?", t.ID).Exec(ctx); err != nil {
				return err
			}
			if err := s.index(ctx, tx, "topic", t.ID); err != nil {
				return err
			}
			if err := s.reindexReplies(ctx, tx, t.ID); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "topic deleted", "topic_id", t.ID, "by", p.AccountID, "own", t.AuthorID == p.AccountID)
		}
		n, err := names(ctx, tx, []string{t.AuthorID})
		if err != nil {
			return err
		}
		out = &Posted{Place: *pl, TopicID: t.ID, Post: topicPost(t, n, st, p)}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

// DeleteReply deletes a reply, leaving a tombstone; answers to it stay.
func (s *Service) DeleteReply(ctx context.Context, p access.Principal, id string) (*Posted, error) {
	const op = "discussion.DeleteReply"
	var out *Posted
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, t, pl, st, err := loadReply(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if r.DeletedAt.IsZero() {
			if _, del := rights(p, st, r.AuthorID, false); !del {
				return deny(p, op, fault.New(fault.Unauthorized, "connectez-vous pour supprimer ce message"), fault.New(fault.Forbidden, "vous ne pouvez pas supprimer ce message"))
			}
			r.Body, r.BodyHTML, r.DeletedAt, r.DeletedBy = "", "", s.stamp(), p.AccountID
			if _, err := tx.NewUpdate().Model(r).Column("body", "body_html", "deleted_at", "deleted_by").WherePK().Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewDelete().Model((*model.Revision)(nil)).Where("reply_id = ?", r.ID).Exec(ctx); err != nil {
				return err
			}
			if err := s.index(ctx, tx, "reply", r.ID); err != nil {
				return err
			}
			// Nothing is left to read where these notifications point.
			if _, err := tx.NewDelete().Model((*model.Notification)(nil)).Where("reply_id = ?", r.ID).Exec(ctx); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "reply deleted", "reply_id", r.ID, "by", p.AccountID, "own", r.AuthorID == p.AccountID)
		}
		n, err := names(ctx, tx, []string{r.AuthorID})
		if err != nil {
			return err
		}
		out = &Posted{Place: *pl, TopicID: t.ID, Post: replyPost(r, n, st, p)}
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	return out, nil
}

// Version is one version of a post.
type Version struct {
	Title  string
	Body   string
	HTML   template.HTML
	Editor Person // who wrote this version
	At     time.Time
}

// History is every version of a post, the current one first.
type History struct {
	Place
	TopicID    string
	TopicTitle string
	Post       Post
	Versions   []Version // newest first; Versions[0] is the current one
}

// TopicHistory returns the versions of a topic.
func (s *Service) TopicHistory(ctx context.Context, p access.Principal, id string) (*History, error) {
	const op = "discussion.TopicHistory"
	db := s.db.R
	t, pl, st, err := loadTopic(ctx, db, p, id)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	h, err := s.history(ctx, db, "topic_id", t.ID, Version{Title: t.Title, Body: t.Body, HTML: template.HTML(t.BodyHTML), //nolint:gosec // sanitized when written
		Editor: Person{ID: orElse(t.EditedBy, t.AuthorID)}, At: orNow(t.EditedAt, t.CreatedAt)})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	n, err := names(ctx, db, []string{t.AuthorID, t.EditedBy})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	h.Place, h.TopicID, h.TopicTitle, h.Post = *pl, t.ID, t.Title, topicPost(t, n, st, p)
	return h, nil
}

// ReplyHistory returns the versions of a reply.
func (s *Service) ReplyHistory(ctx context.Context, p access.Principal, id string) (*History, error) {
	const op = "discussion.ReplyHistory"
	db := s.db.R
	r, t, pl, st, err := loadReply(ctx, db, p, id)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	h, err := s.history(ctx, db, "reply_id", r.ID, Version{Body: r.Body, HTML: template.HTML(r.BodyHTML), //nolint:gosec // sanitized when written
		Editor: Person{ID: orElse(r.EditedBy, r.AuthorID)}, At: orNow(r.EditedAt, r.CreatedAt)})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	n, err := names(ctx, db, []string{r.AuthorID, r.EditedBy})
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	h.Place, h.TopicID, h.TopicTitle, h.Post = *pl, t.ID, t.Title, replyPost(r, n, st, p)
	return h, nil
}

// history reads the replaced versions of a post (column names it: topic_id
// or reply_id, never input) after the current one.
func (s *Service) history(ctx context.Context, db bun.IDB, column, id string, current Version) (*History, error) {
	var revs []model.Revision
	if err := db.NewSelect().Model(&revs).Where("? = ?", bun.Ident(column), id).OrderExpr("created_at DESC, id DESC").Scan(ctx); err != nil {
		return nil, err
	}
	ids := []string{current.Editor.ID}
	for _, r := range revs {
		ids = append(ids, r.EditorID)
	}
	n, err := names(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	h := &History{}
	if current.Body != "" {
		current.Editor = who(n, current.Editor.ID)
		h.Versions = append(h.Versions, current)
	}
	for _, r := range revs {
		// Old versions are rendered when asked for: they are read rarely.
		html, err := s.md.HTML(r.Body)
		if err != nil {
			return nil, err
		}
		h.Versions = append(h.Versions, Version{Title: r.Title, Body: r.Body, HTML: html, Editor: who(n, r.EditorID), At: r.CreatedAt})
	}
	sort.SliceStable(h.Versions, func(i, j int) bool { return h.Versions[i].At.After(h.Versions[j].At) })
	return h, nil
}
