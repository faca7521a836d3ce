package server

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/discussion"
	"collectif/fault"
	"collectif/federation"
	"collectif/model"
)

// discussionRoutes registers the pages and API of working groups and their
// discussions. Every write goes through the identify and checkCSRF
// middleware: a form carries _csrf, an API call a write token or the
// X-CSRF-Token header of the session.
func (s *Server) discussionRoutes() {
	a := s.app
	on := s.discussionsOn
	login := s.requireLogin
	const g = "/c/:slug/g/:group"
	a.Get(g, on, s.groupPage)
	a.Post(g+"/join", on, login, s.groupJoin)
	a.Post(g+"/leave", on, login, s.groupLeave)
	a.Post(g+"/invite", on, login, s.groupInvite)
	a.Post(g+"/requests/:account", on, login, s.groupDecide)
	a.Get(g+"/new", on, login, s.topicNewPage)
	a.Post(g+"/new", on, login, s.topicCreate)
	a.Get(g+"/t/:id", on, s.topicPage)
	a.Post(g+"/t/:id/reply", on, login, s.topicReply)
	a.Get(g+"/t/:id/edit", on, login, s.topicEditPage)
	a.Post(g+"/t/:id/edit", on, login, s.topicEdit)
	a.Get(g+"/t/:id/delete", on, login, s.topicDeletePage)
	a.Post(g+"/t/:id/delete", on, login, s.topicDelete)
	a.Get(g+"/t/:id/history", on, s.topicHistoryPage)
	a.Get(g+"/t/:id/r/:reply/edit", on, login, s.replyEditPage)
	a.Post(g+"/t/:id/r/:reply/edit", on, login, s.replyEdit)
	a.Get(g+"/t/:id/r/:reply/delete", on, login, s.replyDeletePage)
	a.Post(g+"/t/:id/r/:reply/delete", on, login, s.replyDelete)
	a.Get(g+"/t/:id/r/:reply/history", on, s.replyHistoryPage)
	a.Get("/notifications", on, login, s.notificationsPage)
	a.Post("/notifications/read", on, login, s.notificationsRead)
	a.Post("/notifications/settings", on, login, s.notificationsSettings)

	const ag = "/api/v1/collectives/:slug/groups/:group"
	a.Get(ag+"/topics", on, s.apiTopics)
	a.Post(ag+"/topics", on, login, s.apiTopicCreate)
	a.Post(ag+"/join", on, login, s.apiGroupJoin)
	a.Post(ag+"/leave", on, login, s.apiGroupLeave)
	a.Post(ag+"/invitations", on, login, s.apiGroupInvite)
	a.Post(ag+"/requests/:account", on, login, s.apiGroupDecide)
	a.Get("/api/v1/topics/:id", on, s.apiTopic)
	a.Patch("/api/v1/topics/:id", on, login, s.apiTopicEdit)
	a.Delete("/api/v1/topics/:id", on, login, s.apiTopicDelete)
	a.Post("/api/v1/topics/:id/replies", on, login, s.apiReplyCreate)
	a.Patch("/api/v1/replies/:id", on, login, s.apiReplyEdit)
	a.Delete("/api/v1/replies/:id", on, login, s.apiReplyDelete)
	a.Get("/api/v1/notifications", on, login, s.apiNotifications)
	a.Post("/api/v1/notifications/read", on, login, s.apiNotificationsReadAll)
	a.Post("/api/v1/notifications/:id/read", on, login, s.apiNotificationRead)
}

// discussionsOn answers 404 when the hub runs without discussions (tests
// that build a server for another area), instead of a nil dereference.
func (s *Server) discussionsOn(c *fiber.Ctx) error {
	if s.d.Discussions == nil {
		return fiber.ErrNotFound
	}
	return c.Next()
}

// formPage makes sure a logged-in person's page carries the CSRF token its
// forms need; visitors get no session just for looking.
func (s *Server) formPage(c *fiber.Ctx) error {
	if principal(c).IsAnonymous() {
		return nil
	}
	_, err := s.csrfToken(c)
	return err
}

// samePlace refuses a page whose collective or group in the URL is not the
// content's: one address per page.
func samePlace(c *fiber.Ctx, pl discussion.Place) error {
	if pl.Collective.Slug != c.Params("slug") || pl.Group.Slug != c.Params("group") {
		return fiber.ErrNotFound
	}
	return nil
}

// ---- Pages ----

type groupData struct {
	*discussion.GroupPage
	Invitee     string
	InviteError string
}

func (s *Server) groupPage(c *fiber.Ctx) error {
	pg, err := s.d.Discussions.GroupPage(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), c.Query("cursor"), 0)
	if err != nil {
		return err
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	return s.render(c, "group", "collectives", groupData{GroupPage: pg})
}

func (s *Server) groupJoin(c *fiber.Ctx) error {
	st, err := s.d.Discussions.Join(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"))
	if err != nil {
		return err
	}
	if st == model.StatusRequested {
		s.flash(c, "flash.group_requested")
	} else {
		s.flash(c, "flash.group_joined")
	}
	return c.Redirect(groupURL(c), fiber.StatusSeeOther)
}

func (s *Server) groupLeave(c *fiber.Ctx) error {
	if err := s.d.Discussions.Leave(c.UserContext(), principal(c), c.Params("slug"), c.Params("group")); err != nil {
		return err
	}
	s.flash(c, "flash.group_left")
	// The group may now be out of sight: back to the collective.
	return c.Redirect("/c/"+url.PathEscape(c.Params("slug")), fiber.StatusSeeOther)
}

func (s *Server) groupInvite(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	invitee := c.FormValue("invitee")
	st, err := s.d.Discussions.Invite(ctx, p, c.Params("slug"), c.Params("group"), invitee)
	if fault.FieldOf(err) == "invitee" {
		pg, perr := s.d.Discussions.GroupPage(ctx, p, c.Params("slug"), c.Params("group"), "", 0)
		if perr != nil {
			return perr
		}
		c.Status(statusOf(fault.KindOf(err)))
		return s.render(c, "group", "collectives", groupData{GroupPage: pg, Invitee: invitee, InviteError: s.faultText(c, err)})
	}
	if err != nil {
		return err
	}
	if st == model.StatusActive {
		s.flash(c, "flash.group_invite_approved")
	} else {
		s.flash(c, "flash.invitation_sent")
	}
	return c.Redirect(groupURL(c), fiber.StatusSeeOther)
}

func (s *Server) groupDecide(c *fiber.Ctx) error {
	approve := c.FormValue("decision") == "approve"
	if err := s.d.Discussions.Decide(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), c.Params("account"), approve); err != nil {
		return err
	}
	if approve {
		s.flash(c, "flash.request_approved")
	} else {
		s.flash(c, "flash.request_refused")
	}
	return c.Redirect(groupURL(c), fiber.StatusSeeOther)
}

func groupURL(c *fiber.Ctx) string {
	return "/c/" + url.PathEscape(c.Params("slug")) + "/g/" + url.PathEscape(c.Params("group"))
}

// postForm is the form to write or edit a topic or a reply.
type postForm struct {
	discussion.Place
	Heading  string // a message ID of frontend/locales
	Action   string
	Cancel   string
	HasTitle bool
	Title    string
	Body     string
	Error    string
	Field    string
}

func (s *Server) topicNewPage(c *fiber.Ctx) error {
	pg, err := s.d.Discussions.GroupPage(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), "", 1)
	if err != nil {
		return err
	}
	if !pg.CanPost {
		return &fault.Error{Kind: fault.Forbidden, Message: "rejoignez le groupe pour y ouvrir un sujet"}
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	return s.render(c, "topic_form", "collectives", postForm{Place: pg.Place, Heading: "topic_form.new", Action: pg.URL() + "/new", Cancel: pg.URL(), HasTitle: true})
}

func (s *Server) topicCreate(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	in := discussion.NewTopic{Title: c.FormValue("title"), Body: c.FormValue("body")}
	ps, err := s.d.Discussions.CreateTopic(ctx, p, c.Params("slug"), c.Params("group"), in)
	if fault.Is(err, fault.Invalid) {
		pg, perr := s.d.Discussions.GroupPage(ctx, p, c.Params("slug"), c.Params("group"), "", 1)
		if perr != nil {
			return perr
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "topic_form", "collectives", postForm{Place: pg.Place, Heading: "topic_form.new", Action: pg.URL() + "/new", Cancel: pg.URL(), HasTitle: true,
			Title: in.Title, Body: formBody(in.Body), Error: s.faultText(c, err), Field: fault.FieldOf(err)})
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.topic_published")
	return c.Redirect(ps.URL(), fiber.StatusSeeOther)
}

// formBody is what a refused form shows back: all of it, unless it is too
// big to be worth sending again.
func formBody(b string) string {
	if len(b) > 2<<20 {
		return ""
	}
	return b
}

type topicData struct {
	*discussion.TopicView
	ReplyTo *discussion.Post // the reply being answered, from ?repondre=
	// Remote are the replies from other servers to this public topic.
	Remote []federation.RemoteObject
	// Likes counts the Likes of the topic received from the network.
	Likes int
	Body  string
	Error string
	Field string
}

func (s *Server) topicView(c *fiber.Ctx) (*discussion.TopicView, error) {
	v, err := s.d.Discussions.Topic(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if err := samePlace(c, v.Place); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) topicPage(c *fiber.Ctx) error {
	v, err := s.topicView(c)
	if err != nil {
		return err
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	d := topicData{TopicView: v}
	if id := c.Query("repondre"); id != "" {
		d.ReplyTo = findReply(v, id)
	}
	if s.d.Federation != nil {
		iri := strings.TrimRight(s.d.BaseURL.String(), "/") + "/c/" + c.Params("slug") + "/g/" + c.Params("group") + "/t/" + c.Params("id")
		if d.Remote, err = s.d.Federation.RemoteReplies(c.UserContext(), iri); err != nil {
			return err
		}
		if d.Likes, err = s.d.Federation.Likes(c.UserContext(), iri); err != nil {
			return err
		}
	}
	return s.render(c, "topic", "collectives", d)
}

func findReply(v *discussion.TopicView, id string) *discussion.Post {
	for i := range v.Replies {
		if v.Replies[i].ID == id {
			return &v.Replies[i]
		}
	}
	return nil
}

func (s *Server) topicReply(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	in := discussion.NewReply{ParentID: c.FormValue("parent_id"), Body: c.FormValue("body")}
	ps, err := s.d.Discussions.Reply(ctx, p, c.Params("id"), in)
	if fault.Is(err, fault.Invalid) {
		v, verr := s.topicView(c)
		if verr != nil {
			return verr
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "topic", "collectives", topicData{TopicView: v, ReplyTo: findReply(v, in.ParentID), Body: formBody(in.Body),
			Error: s.faultText(c, err), Field: fault.FieldOf(err)})
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.reply_published")
	return c.Redirect(ps.URL(), fiber.StatusSeeOther)
}

func (s *Server) topicEditPage(c *fiber.Ctx) error {
	v, err := s.topicView(c)
	if err != nil {
		return err
	}
	if !v.Topic.CanEdit {
		return &fault.Error{Kind: fault.Forbidden, Message: "vous ne pouvez pas modifier ce message"}
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	u := v.TopicURL(v.Topic.ID)
	return s.render(c, "topic_form", "collectives", postForm{Place: v.Place, Heading: "topic_form.edit_topic", Action: u + "/edit", Cancel: u, HasTitle: true,
		Title: v.Topic.Title, Body: v.Topic.Body})
}

func (s *Server) topicEdit(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	title, body := c.FormValue("title"), c.FormValue("body")
	ps, err := s.d.Discussions.EditTopic(ctx, p, c.Params("id"), discussion.TopicEdit{Title: &title, Body: &body})
	if fault.Is(err, fault.Invalid) {
		v, verr := s.topicView(c)
		if verr != nil {
			return verr
		}
		u := v.TopicURL(v.Topic.ID)
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "topic_form", "collectives", postForm{Place: v.Place, Heading: "topic_form.edit_topic", Action: u + "/edit", Cancel: u, HasTitle: true,
			Title: title, Body: formBody(body), Error: s.faultText(c, err), Field: fault.FieldOf(err)})
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.topic_edited")
	return c.Redirect(ps.URL(), fiber.StatusSeeOther)
}

// replyOf finds the reply of the URL in its topic's page.
func (s *Server) replyOf(c *fiber.Ctx) (*discussion.TopicView, *discussion.Post, error) {
	v, err := s.topicView(c)
	if err != nil {
		return nil, nil, err
	}
	r := findReply(v, c.Params("reply"))
	if r == nil {
		return nil, nil, fiber.ErrNotFound
	}
	return v, r, nil
}

func (s *Server) replyEditPage(c *fiber.Ctx) error {
	v, r, err := s.replyOf(c)
	if err != nil {
		return err
	}
	if !r.CanEdit {
		return &fault.Error{Kind: fault.Forbidden, Message: "vous ne pouvez pas modifier ce message"}
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	u := v.TopicURL(v.Topic.ID)
	return s.render(c, "topic_form", "collectives", postForm{Place: v.Place, Heading: "topic_form.edit_reply", Action: u + "/r/" + r.ID + "/edit", Cancel: u + "#r-" + r.ID, Body: r.Body})
}

func (s *Server) replyEdit(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	body := c.FormValue("body")
	ps, err := s.d.Discussions.EditReply(ctx, p, c.Params("reply"), body)
	if fault.Is(err, fault.Invalid) {
		v, r, verr := s.replyOf(c)
		if verr != nil {
			return verr
		}
		u := v.TopicURL(v.Topic.ID)
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "topic_form", "collectives", postForm{Place: v.Place, Heading: "topic_form.edit_reply", Action: u + "/r/" + r.ID + "/edit", Cancel: u + "#r-" + r.ID,
			Body: formBody(body), Error: s.faultText(c, err), Field: fault.FieldOf(err)})
	}
	if err != nil {
		return err
	}
	s.flash(c, "flash.reply_edited")
	return c.Redirect(ps.URL(), fiber.StatusSeeOther)
}

type deleteData struct {
	discussion.Place
	Post    *discussion.Post
	IsTopic bool
	Action  string
	Cancel  string
}

func (s *Server) topicDeletePage(c *fiber.Ctx) error {
	v, err := s.topicView(c)
	if err != nil {
		return err
	}
	if !v.Topic.CanDelete {
		return &fault.Error{Kind: fault.Forbidden, Message: "vous ne pouvez pas supprimer ce message"}
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	u := v.TopicURL(v.Topic.ID)
	return s.render(c, "topic_delete", "collectives", deleteData{Place: v.Place, Post: &v.Topic, IsTopic: true, Action: u + "/delete", Cancel: u})
}

func (s *Server) topicDelete(c *fiber.Ctx) error {
	ps, err := s.d.Discussions.DeleteTopic(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	s.flash(c, "flash.topic_deleted")
	return c.Redirect(ps.Place.URL(), fiber.StatusSeeOther)
}

func (s *Server) replyDeletePage(c *fiber.Ctx) error {
	v, r, err := s.replyOf(c)
	if err != nil {
		return err
	}
	if !r.CanDelete {
		return &fault.Error{Kind: fault.Forbidden, Message: "vous ne pouvez pas supprimer ce message"}
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	u := v.TopicURL(v.Topic.ID)
	return s.render(c, "topic_delete", "collectives", deleteData{Place: v.Place, Post: r, Action: u + "/r/" + r.ID + "/delete", Cancel: u + "#r-" + r.ID})
}

func (s *Server) replyDelete(c *fiber.Ctx) error {
	ps, err := s.d.Discussions.DeleteReply(c.UserContext(), principal(c), c.Params("reply"))
	if err != nil {
		return err
	}
	s.flash(c, "flash.reply_deleted")
	return c.Redirect(ps.URL(), fiber.StatusSeeOther)
}

func (s *Server) topicHistoryPage(c *fiber.Ctx) error {
	h, err := s.d.Discussions.TopicHistory(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if err := samePlace(c, h.Place); err != nil {
		return err
	}
	return s.render(c, "topic_history", "collectives", h)
}

func (s *Server) replyHistoryPage(c *fiber.Ctx) error {
	h, err := s.d.Discussions.ReplyHistory(c.UserContext(), principal(c), c.Params("reply"))
	if err != nil {
		return err
	}
	if err := samePlace(c, h.Place); err != nil {
		return err
	}
	if h.TopicID != c.Params("id") {
		return fiber.ErrNotFound
	}
	return s.render(c, "topic_history", "collectives", h)
}

type notificationItem struct {
	discussion.NotificationView
	Text string
}

type notificationsData struct {
	Items  []notificationItem
	Next   string
	Total  int
	Unread int
	Digest bool
}

func (s *Server) notificationsPage(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	l, err := s.d.Discussions.Notifications(ctx, p, c.Query("cursor"), 0)
	if err != nil {
		return err
	}
	st, err := s.d.Discussions.Settings(ctx, p)
	if err != nil {
		return err
	}
	if err := s.formPage(c); err != nil {
		return err
	}
	d := notificationsData{Next: l.Next, Total: l.Total, Unread: l.Unread, Digest: st.EmailDigest}
	for _, n := range l.Items {
		d.Items = append(d.Items, notificationItem{NotificationView: n, Text: discussion.DescribeIn(lang(c), n)})
	}
	return s.render(c, "notifications", "notifications", d)
}

func (s *Server) notificationsRead(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), principal(c)
	if id := c.FormValue("id"); id != "" {
		if err := s.d.Discussions.MarkRead(ctx, p, id); err != nil {
			return err
		}
		s.flash(c, "flash.notification_read")
	} else {
		if _, err := s.d.Discussions.MarkAllRead(ctx, p); err != nil {
			return err
		}
		s.flash(c, "flash.notifications_read")
	}
	return c.Redirect("/notifications", fiber.StatusSeeOther)
}

func (s *Server) notificationsSettings(c *fiber.Ctx) error {
	on := c.FormValue("digest") == "on"
	if err := s.d.Discussions.SetDigest(c.UserContext(), principal(c), on); err != nil {
		return err
	}
	if on {
		s.flash(c, "flash.digest_on")
	} else {
		s.flash(c, "flash.digest_off")
	}
	return c.Redirect("/notifications", fiber.StatusSeeOther)
}

// ---- API ----

type apiTopicSummary struct {
	ID             string            `json:"id"`
	Collective     string            `json:"collective"`
	Group          string            `json:"group"`
	Title          string            `json:"title"`
	Author         discussion.Person `json:"author"`
	ReplyCount     int               `json:"reply_count"`
	CreatedAt      time.Time         `json:"created_at"`
	LastActivityAt time.Time         `json:"last_activity_at"`
	Deleted        bool              `json:"deleted"`
	URL            string            `json:"url"`
}

type apiPost struct {
	ID         string            `json:"id"`
	TopicID    string            `json:"topic_id"`
	ParentID   *string           `json:"parent_id"`
	Depth      int               `json:"depth"`
	Collective string            `json:"collective"`
	Group      string            `json:"group"`
	Title      *string           `json:"title,omitempty"` // topics only
	Body       string            `json:"body"`
	HTML       string            `json:"html"`
	Author     discussion.Person `json:"author"`
	CreatedAt  time.Time         `json:"created_at"`
	EditedAt   *time.Time        `json:"edited_at"`
	Deleted    bool              `json:"deleted"`
	URL        string            `json:"url"`
	Replies    *[]apiPost        `json:"replies,omitempty"` // a topic's, in thread order
}

type apiList[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
	Total int     `json:"total"`
}

func nextOf(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) abs(path string) string {
	return s.d.BaseURL.ResolveReference(&url.URL{Path: path}).String()
}

func (s *Server) absFragment(path, frag string) string {
	return s.d.BaseURL.ResolveReference(&url.URL{Path: path, Fragment: frag}).String()
}

func (s *Server) apiPostOf(pl discussion.Place, p discussion.Post) apiPost {
	out := apiPost{ID: p.ID, TopicID: p.TopicID, Depth: p.Depth, Collective: pl.Collective.Slug, Group: pl.Group.Slug, Body: p.Body,
		HTML: string(p.HTML), Author: p.Author, CreatedAt: p.CreatedAt, EditedAt: timeOrNil(p.EditedAt), Deleted: p.Deleted}
	if p.ParentID != "" {
		out.ParentID = &p.ParentID
	}
	if p.ID == p.TopicID {
		out.Title = &p.Title
		out.URL = s.abs(pl.TopicURL(p.TopicID))
	} else {
		out.URL = s.absFragment(pl.TopicURL(p.TopicID), "r-"+p.ID)
	}
	return out
}

func (s *Server) apiTopicOf(v *discussion.TopicView) apiPost {
	out := s.apiPostOf(v.Place, v.Topic)
	rs := make([]apiPost, 0, len(v.Replies))
	for _, r := range v.Replies {
		rs = append(rs, s.apiPostOf(v.Place, r))
	}
	out.Replies = &rs
	return out
}

// parseBody reads a JSON (or form) request body into v.
func parseBody(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	if err := c.BodyParser(v); err != nil {
		return &fault.Error{Kind: fault.Invalid, Message: "corps de requête illisible : attendu un objet JSON", Err: err}
	}
	return nil
}

// apiLimit reads ?limit=; a malformed one is an error naming it.
func apiLimit(c *fiber.Ctx) (int, error) {
	l := c.Query("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 100 {
		return 0, fault.Field("limit", "limit doit être un entier de 1 à 100")
	}
	return n, nil
}

func (s *Server) apiTopics(c *fiber.Ctx) error {
	limit, err := apiLimit(c)
	if err != nil {
		return err
	}
	l, err := s.d.Discussions.Topics(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	out := apiList[apiTopicSummary]{Items: make([]apiTopicSummary, 0, len(l.Items)), Next: nextOf(l.Next), Total: l.Total}
	for _, t := range l.Items {
		out.Items = append(out.Items, apiTopicSummary{ID: t.ID, Collective: t.Place.Collective.Slug, Group: t.Place.Group.Slug, Title: t.Title, Author: t.Author,
			ReplyCount: t.Replies, CreatedAt: t.CreatedAt, LastActivityAt: t.LastActivityAt, Deleted: t.Deleted, URL: s.abs(t.URL())})
	}
	return c.JSON(out)
}

type apiTopicIn struct {
	Title *string `json:"title" form:"title"`
	Body  *string `json:"body" form:"body"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) apiTopicCreate(c *fiber.Ctx) error {
	var in apiTopicIn
	if err := parseBody(c, &in); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	ps, err := s.d.Discussions.CreateTopic(ctx, p, c.Params("slug"), c.Params("group"), discussion.NewTopic{Title: deref(in.Title), Body: deref(in.Body)})
	if err != nil {
		return err
	}
	out := s.apiPostOf(ps.Place, ps.Post)
	out.Replies = &[]apiPost{}
	c.Location(out.URL)
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) apiTopic(c *fiber.Ctx) error {
	v, err := s.d.Discussions.Topic(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s.apiTopicOf(v))
}

func (s *Server) apiTopicEdit(c *fiber.Ctx) error {
	var in apiTopicIn
	if err := parseBody(c, &in); err != nil {
		return err
	}
	ps, err := s.d.Discussions.EditTopic(c.UserContext(), principal(c), c.Params("id"), discussion.TopicEdit{Title: in.Title, Body: in.Body})
	if err != nil {
		return err
	}
	return c.JSON(s.apiPostOf(ps.Place, ps.Post))
}

func (s *Server) apiTopicDelete(c *fiber.Ctx) error {
	if _, err := s.d.Discussions.DeleteTopic(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type apiReplyIn struct {
	ParentID string  `json:"parent_id" form:"parent_id"`
	Body     *string `json:"body" form:"body"`
}

func (s *Server) apiReplyCreate(c *fiber.Ctx) error {
	var in apiReplyIn
	if err := parseBody(c, &in); err != nil {
		return err
	}
	ps, err := s.d.Discussions.Reply(c.UserContext(), principal(c), c.Params("id"), discussion.NewReply{ParentID: in.ParentID, Body: deref(in.Body)})
	if err != nil {
		return err
	}
	out := s.apiPostOf(ps.Place, ps.Post)
	c.Location(out.URL)
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) apiReplyEdit(c *fiber.Ctx) error {
	var in apiReplyIn
	if err := parseBody(c, &in); err != nil {
		return err
	}
	ps, err := s.d.Discussions.EditReply(c.UserContext(), principal(c), c.Params("id"), deref(in.Body))
	if err != nil {
		return err
	}
	return c.JSON(s.apiPostOf(ps.Place, ps.Post))
}

func (s *Server) apiReplyDelete(c *fiber.Ctx) error {
	if _, err := s.d.Discussions.DeleteReply(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiGroupJoin(c *fiber.Ctx) error {
	st, err := s.d.Discussions.Join(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": st})
}

func (s *Server) apiGroupLeave(c *fiber.Ctx) error {
	if err := s.d.Discussions.Leave(c.UserContext(), principal(c), c.Params("slug"), c.Params("group")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiGroupInvite(c *fiber.Ctx) error {
	var in struct {
		Invitee string `json:"invitee" form:"invitee"`
	}
	if err := parseBody(c, &in); err != nil {
		return err
	}
	st, err := s.d.Discussions.Invite(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), in.Invitee)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"status": st})
}

func (s *Server) apiGroupDecide(c *fiber.Ctx) error {
	var in struct {
		Approve *bool `json:"approve"`
	}
	if err := parseBody(c, &in); err != nil {
		return err
	}
	if in.Approve == nil {
		return fault.Field("approve", "dites si la demande est acceptée : \"approve\": true ou false")
	}
	if err := s.d.Discussions.Decide(c.UserContext(), principal(c), c.Params("slug"), c.Params("group"), c.Params("account"), *in.Approve); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type apiNotification struct {
	ID         string             `json:"id"`
	Kind       string             `json:"kind"`
	Text       string             `json:"text"`
	Collective string             `json:"collective"`
	Group      string             `json:"group"`
	TopicID    *string            `json:"topic_id"`
	ReplyID    *string            `json:"reply_id"`
	Actor      *discussion.Person `json:"actor"`
	CreatedAt  time.Time          `json:"created_at"`
	ReadAt     *time.Time         `json:"read_at"`
	URL        string             `json:"url"`
}

func (s *Server) apiNotifications(c *fiber.Ctx) error {
	limit, err := apiLimit(c)
	if err != nil {
		return err
	}
	l, err := s.d.Discussions.Notifications(c.UserContext(), principal(c), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	items := make([]apiNotification, 0, len(l.Items))
	for _, n := range l.Items {
		it := apiNotification{ID: n.ID, Kind: string(n.Kind), Text: discussion.DescribeIn(lang(c), n), Collective: n.Place.Collective.Slug, Group: n.Place.Group.Slug,
			CreatedAt: n.CreatedAt, ReadAt: timeOrNil(n.ReadAt), URL: s.abs(n.URL())}
		if n.ReplyID != "" {
			it.URL = s.absFragment(n.Place.TopicURL(n.TopicID), "r-"+n.ReplyID)
		}
		if n.TopicID != "" {
			it.TopicID = &n.TopicID
		}
		if n.ReplyID != "" {
			it.ReplyID = &n.ReplyID
		}
		if n.Actor.ID != "" {
			a := n.Actor
			it.Actor = &a
		}
		items = append(items, it)
	}
	return c.JSON(fiber.Map{"items": items, "next": nextOf(l.Next), "total": l.Total, "unread": l.Unread})
}

func (s *Server) apiNotificationRead(c *fiber.Ctx) error {
	if err := s.d.Discussions.MarkRead(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiNotificationsReadAll(c *fiber.Ctx) error {
	n, err := s.d.Discussions.MarkAllRead(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"marked": n})
}
