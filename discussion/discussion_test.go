package discussion_test

import (
	"strings"
	"testing"

	"collectif/access"
	"collectif/collective"
	"collectif/discussion"
	"collectif/fault"
	"collectif/model"
	"collectif/store"
	"collectif/store/storetest"
)

// outcome names what a person gets: done, or the kind of refusal.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	switch fault.KindOf(err) {
	case fault.NotFound:
		return "404"
	case fault.Forbidden:
		return "403"
	case fault.Unauthorized:
		return "401"
	}
	return err.Error()
}

func TestWhoMaySeePostEditDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// see, list, post, reply, edit the author's topic, delete it.
		type want struct{ see, post, edit, del string }
		cases := []struct {
			who      string
			pub, sec want
		}{
			// A visitor is asked to log in before anything is looked up,
			// which tells nothing of the group.
			{visitor, want{"ok", "401", "401", "401"}, want{"404", "401", "404", "404"}},
			{outsider, want{"ok", "403", "403", "403"}, want{"404", "404", "404", "404"}},
			{member, want{"ok", "403", "403", "403"}, want{"404", "404", "404", "404"}},
			{author, want{"ok", "ok", "ok", "ok"}, want{"ok", "ok", "ok", "ok"}},
			{colleague, want{"ok", "ok", "403", "403"}, want{"ok", "ok", "403", "403"}},
			{groupMod, want{"ok", "ok", "ok", "ok"}, want{"ok", "ok", "ok", "ok"}},
			{colMod, want{"ok", "ok", "ok", "ok"}, want{"ok", "ok", "ok", "ok"}},
			{banned, want{"ok", "403", "403", "403"}, want{"404", "404", "404", "404"}},
			{admin, want{"ok", "ok", "ok", "ok"}, want{"ok", "ok", "ok", "ok"}},
		}
		for _, c := range cases {
			for _, g := range []*model.WorkingGroup{w.pub, w.sec} {
				wt := c.pub
				if g == w.sec {
					wt = c.sec
				}
				t.Run(c.who+"/"+g.Slug, func(t *testing.T) {
					p := w.who[c.who]
					tp := w.topic(g, "Sujet pour "+c.who)
					_, err := w.s.Topic(w.ctx, p, tp.TopicID)
					if got := outcome(err); got != wt.see {
						t.Errorf("see = %s, want %s", got, wt.see)
					}
					list, err := w.s.Topics(w.ctx, p, "alpes", g.Slug, "", 100)
					if got := outcome(err); got != wt.see {
						t.Errorf("list = %s, want %s", got, wt.see)
					} else if err == nil && !listed(list.Items, tp.TopicID) {
						t.Errorf("the topic is not in the list")
					}
					latest, err := w.s.Latest(w.ctx, p, w.c.ID, 100)
					if err != nil {
						t.Fatal(err)
					}
					if listed(latest, tp.TopicID) != (wt.see == "ok") {
						t.Errorf("in the latest topics: %v, want %v", listed(latest, tp.TopicID), wt.see == "ok")
					}
					_, err = w.s.CreateTopic(w.ctx, p, "alpes", g.Slug, discussion.NewTopic{Title: "Question", Body: "Bonjour"})
					if got := outcome(err); got != wt.post {
						t.Errorf("post = %s, want %s", got, wt.post)
					}
					_, err = w.s.Reply(w.ctx, p, tp.TopicID, discussion.NewReply{Body: "Réponse"})
					if got := outcome(err); got != wt.post {
						t.Errorf("reply = %s, want %s", got, wt.post)
					}
					body := "Corrigé par " + c.who
					_, err = w.s.EditTopic(w.ctx, p, tp.TopicID, discussion.TopicEdit{Body: &body})
					if got := outcome(err); got != wt.edit {
						t.Errorf("edit = %s, want %s", got, wt.edit)
					}
					r := w.reply(author, tp.TopicID, "", "Une réponse de l'auteur")
					_, err = w.s.EditReply(w.ctx, p, r.Post.ID, body)
					if got := outcome(err); got != wt.edit {
						t.Errorf("edit a reply = %s, want %s", got, wt.edit)
					}
					_, err = w.s.DeleteReply(w.ctx, p, r.Post.ID)
					if got := outcome(err); got != wt.del {
						t.Errorf("delete a reply = %s, want %s", got, wt.del)
					}
					_, err = w.s.DeleteTopic(w.ctx, p, tp.TopicID)
					if got := outcome(err); got != wt.del {
						t.Errorf("delete = %s, want %s", got, wt.del)
					}
					// What the person is shown matches what they may do.
					if v, err := w.s.Topic(w.ctx, p, tp.TopicID); err == nil && wt.del != "ok" {
						if v.Topic.CanDelete || v.Topic.CanEdit != (wt.edit == "ok") {
							t.Errorf("page offers edit=%v delete=%v", v.Topic.CanEdit, v.Topic.CanDelete)
						}
						if v.CanReply != (wt.post == "ok") {
							t.Errorf("page offers reply=%v", v.CanReply)
						}
					}
				})
			}
		}
	})
}

func listed(items []discussion.TopicSummary, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func TestJoinPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cs := w.s
		ctx := w.ctx
		if _, err := collective.New(db).CreateGroup(ctx, access.System(), "alpes", collective.NewGroup{Slug: "libreoffice", Name: "LibreOffice",
			JoinPolicy: model.JoinApproval, Visibility: model.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		// The collective's administrator decides requests to groups that
		// have no moderator of their own.
		w.who["chef"] = w.account("chef", false)
		w.membership(w.who["chef"], model.RoleAdmin, model.StatusActive)
		cases := []struct {
			name   string
			who    string
			group  string
			status model.MembershipStatus
			kind   string
		}{
			{"visitor", visitor, "poste-linux", "", "401"},
			{"not in the collective", outsider, "poste-linux", "", "403"},
			{"banned from the collective", banned, "libreoffice", "", "403"},
			{"open group", member, "poste-linux", model.StatusActive, "ok"},
			{"already member", author, "poste-linux", "", "conflict"},
			{"approval group", member, "libreoffice", model.StatusRequested, "ok"},
			{"request already sent", member, "libreoffice", "", "conflict"},
			{"a collective moderator asks like anyone", colMod, "libreoffice", model.StatusRequested, "ok"},
			{"who decides needs no approval", "chef", "libreoffice", model.StatusActive, "ok"},
			{"members-only group is hidden", member, "cyber", "", "404"},
			{"unknown group", member, "absent", "", "404"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				st, err := cs.Join(ctx, w.who[c.who], "alpes", c.group)
				got := outcome(err)
				if fault.KindOf(err) == fault.Conflict {
					got = "conflict"
				}
				if got != c.kind || st != c.status {
					t.Fatalf("Join = %q, %v; want %q, %s", st, err, c.status, c.kind)
				}
			})
		}
		// The group has no moderator: the collective's administrator is
		// told of the requests, and decides.
		for _, who := range []string{colleague, colMod} {
			if err := cs.Decide(ctx, w.who[who], "alpes", "libreoffice", w.who[member].AccountID, true); fault.KindOf(err) != fault.Forbidden {
				t.Fatalf("%s decides: %v", who, err)
			}
		}
		ns, err := cs.Notifications(ctx, w.who["chef"], "", 10)
		if err != nil || len(ns.Items) != 2 || ns.Items[1].Kind != model.NotifyJoinRequest || ns.Items[1].Actor.ID != w.who[member].AccountID {
			t.Fatalf("the administrator's notifications: %+v, %v", ns, err)
		}
		pg, err := cs.GroupPage(ctx, w.who["chef"], "alpes", "libreoffice", "", 0)
		if err != nil || len(pg.Requests) != 2 || pg.Requests[0].Name != "Member" || !pg.CanModerate {
			t.Fatalf("requests on the group page: %+v, %v", pg, err)
		}
		if err := cs.Decide(ctx, w.who["chef"], "alpes", "libreoffice", w.who[member].AccountID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CreateTopic(ctx, w.who[member], "alpes", "libreoffice", discussion.NewTopic{Title: "Modèles de courrier", Body: "Qui partage ?"}); err != nil {
			t.Fatalf("an approved member posts: %v", err)
		}
		ns, _ = cs.Notifications(ctx, w.who[member], "", 10)
		if len(ns.Items) != 1 || ns.Items[0].Kind != model.NotifyJoinApproved {
			t.Fatalf("the approved member's notifications: %+v", ns.Items)
		}
		// A refused request is forgotten: the person may ask again.
		if st, err := cs.Join(ctx, w.who[colleague], "alpes", "libreoffice"); err != nil || st != model.StatusRequested {
			t.Fatalf("colleague asks: %v %v", st, err)
		}
		if err := cs.Decide(ctx, w.who["chef"], "alpes", "libreoffice", w.who[colleague].AccountID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CreateTopic(ctx, w.who[colleague], "alpes", "libreoffice", discussion.NewTopic{Title: "x", Body: "y"}); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("a refused member posts: %v", err)
		}
		if st, err := cs.Join(ctx, w.who[colleague], "alpes", "libreoffice"); err != nil || st != model.StatusRequested {
			t.Fatalf("asking again after a refusal: %v %v", st, err)
		}

		// Invitation only: the invitee sees the group, joins, posts.
		if _, err := cs.Invite(ctx, w.who[colleague], "alpes", "cyber", "member@ville.example"); fault.KindOf(err) != fault.Forbidden {
			t.Fatalf("a plain member invites: %v", err)
		}
		for _, bad := range []string{"outsider@ville.example", "nobody@ville.example", "n'importe quoi"} {
			if _, err := cs.Invite(ctx, w.who[groupMod], "alpes", "cyber", bad); fault.FieldOf(err) != "invitee" {
				t.Fatalf("inviting %q: %v", bad, err)
			}
		}
		if _, err := cs.GroupPage(ctx, w.who[member], "alpes", "cyber", "", 0); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("the hidden group before the invitation: %v", err)
		}
		if st, err := cs.Invite(ctx, w.who[groupMod], "alpes", "cyber", "Member@ville.example"); err != nil || st != model.StatusInvited {
			t.Fatalf("invite: %v %v", st, err)
		}
		if _, err := cs.Invite(ctx, w.who[groupMod], "alpes", "cyber", w.who[member].AccountID); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("invite twice: %v", err)
		}
		pg, err = cs.GroupPage(ctx, w.who[member], "alpes", "cyber", "", 0)
		if err != nil || pg.Status != model.StatusInvited || !pg.CanJoin || pg.CanView || len(pg.Topics.Items) != 0 {
			t.Fatalf("the invitee's group page: %+v, %v", pg, err)
		}
		if st, err := cs.Join(ctx, w.who[member], "alpes", "cyber"); err != nil || st != model.StatusActive {
			t.Fatalf("accept the invitation: %v %v", st, err)
		}
		if _, err := cs.CreateTopic(ctx, w.who[member], "alpes", "cyber", discussion.NewTopic{Title: "Alerte", Body: "Hameçonnage en cours"}); err != nil {
			t.Fatal(err)
		}
		// Leaving hides the group again, with its notifications.
		w.reply(colleague, mustLatest(w, w.who[member]), "", "Merci")
		if err := cs.Leave(ctx, w.who[member], "alpes", "cyber"); err != nil {
			t.Fatal(err)
		}
		ns, _ = cs.Notifications(ctx, w.who[member], "", 10)
		for _, n := range ns.Items {
			if n.Place.Group.ID == w.sec.ID {
				t.Fatalf("a notification of the group left stays: %+v", n)
			}
		}
		if _, err := cs.GroupPage(ctx, w.who[member], "alpes", "cyber", "", 0); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("the group after leaving: %v", err)
		}
		if err := cs.Leave(ctx, w.who[member], "alpes", "cyber"); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("leave twice a hidden group: %v", err)
		}
		if err := cs.Leave(ctx, w.who[member], "alpes", "poste-linux"); err != nil {
			t.Fatal(err)
		}
		if err := cs.Leave(ctx, w.who[member], "alpes", "poste-linux"); fault.KindOf(err) != fault.Conflict {
			t.Fatalf("leave twice a public group: %v", err)
		}
	})
}

// mustLatest is the newest topic p may see in the collective.
func mustLatest(w *world, p access.Principal) string {
	w.t.Helper()
	l, err := w.s.Latest(w.ctx, p, w.c.ID, 1)
	if err != nil || len(l) == 0 {
		w.t.Fatalf("latest: %v %v", l, err)
	}
	return l[0].ID
}

func TestEditKeepsHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tp := w.topic(w.pub, "Migrer la messagerie")
		title, body := "Migrer la messagerie vers SOGo", "Nous avons choisi **SOGo**."
		if _, err := w.s.EditTopic(w.ctx, w.who[author], tp.TopicID, discussion.TopicEdit{Title: &title, Body: &body}); err != nil {
			t.Fatal(err)
		}
		body2 := "Modéré : hors sujet retiré."
		if _, err := w.s.EditTopic(w.ctx, w.who[groupMod], tp.TopicID, discussion.TopicEdit{Body: &body2}); err != nil {
			t.Fatal(err)
		}
		// An edit that changes nothing keeps no version.
		if _, err := w.s.EditTopic(w.ctx, w.who[groupMod], tp.TopicID, discussion.TopicEdit{Body: &body2}); err != nil {
			t.Fatal(err)
		}
		h, err := w.s.TopicHistory(w.ctx, w.who[member], tp.TopicID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Versions) != 3 {
			t.Fatalf("%d versions, want 3: %+v", len(h.Versions), h.Versions)
		}
		got := []string{}
		for _, v := range h.Versions {
			got = append(got, v.Editor.Name+": "+v.Title+" / "+v.Body)
		}
		want := []string{
			"Groupmod: Migrer la messagerie vers SOGo / " + body2,
			"Author: Migrer la messagerie vers SOGo / " + body,
			"Author: Migrer la messagerie / Qui a migré **Thunderbird** ?",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !strings.Contains(string(h.Versions[1].HTML), "<strong>SOGo</strong>") {
			t.Fatalf("an old version is not rendered: %s", h.Versions[1].HTML)
		}
		v, _ := w.s.Topic(w.ctx, w.who[visitor], tp.TopicID)
		if v.Topic.EditedAt.IsZero() || v.Topic.Editor.Name != "Groupmod" || v.Topic.Title != title {
			t.Fatalf("the topic does not say it was edited: %+v", v.Topic)
		}
		// Replies too.
		r := w.reply(colleague, tp.TopicID, "", "Premier jet")
		if _, err := w.s.EditReply(w.ctx, w.who[colleague], r.Post.ID, "Second jet, avec un [lien](https://sogo.nu)"); err != nil {
			t.Fatal(err)
		}
		rh, err := w.s.ReplyHistory(w.ctx, w.who[visitor], r.Post.ID)
		if err != nil || len(rh.Versions) != 2 || rh.Versions[1].Body != "Premier jet" || !strings.Contains(string(rh.Versions[0].HTML), `rel="nofollow`) {
			t.Fatalf("reply history: %+v, %v", rh, err)
		}
		// History of a members-only topic is as hidden as the topic.
		sec := w.topic(w.sec, "Secret")
		if _, err := w.s.TopicHistory(w.ctx, w.who[member], sec.TopicID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("history of a hidden topic: %v", err)
		}
	})
}

func TestDeleteLeavesATombstone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tp := w.topic(w.pub, "Choisir un ENT libre")
		r1 := w.reply(colleague, tp.TopicID, "", "Nous utilisons Moodle.")
		r2 := w.reply(author, tp.TopicID, r1.Post.ID, "Avec quel hébergement ?")
		body := "corrigé"
		if _, err := w.s.EditReply(w.ctx, w.who[colleague], r1.Post.ID, body); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.DeleteReply(w.ctx, w.who[groupMod], r1.Post.ID); err != nil {
			t.Fatalf("a moderator deletes another's reply: %v", err)
		}
		if _, err := w.s.DeleteReply(w.ctx, w.who[groupMod], r1.Post.ID); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
		v, err := w.s.Topic(w.ctx, w.who[visitor], tp.TopicID)
		if err != nil || len(v.Replies) != 2 {
			t.Fatalf("topic after deletion: %+v, %v", v, err)
		}
		if !v.Replies[0].Deleted || v.Replies[0].Body != "" || v.Replies[0].HTML != "" || v.Replies[0].Author.Name != "Colleague" {
			t.Fatalf("tombstone: %+v", v.Replies[0])
		}
		if v.Replies[1].ID != r2.Post.ID || v.Replies[1].ParentID != r1.Post.ID || v.Replies[1].Deleted {
			t.Fatalf("the answer to the deleted reply: %+v", v.Replies[1])
		}
		if _, err := w.s.EditReply(w.ctx, w.who[colleague], r1.Post.ID, "revenir"); fault.KindOf(err) != fault.Gone {
			t.Fatalf("editing a tombstone: %v", err)
		}
		if h, err := w.s.ReplyHistory(w.ctx, w.who[visitor], r1.Post.ID); err != nil || len(h.Versions) != 0 {
			t.Fatalf("the history of a deleted reply keeps %+v, %v", h, err)
		}
		// The topic: its replies stay, and so does it, in the list.
		if _, err := w.s.DeleteTopic(w.ctx, w.who[author], tp.TopicID); err != nil {
			t.Fatal(err)
		}
		v, _ = w.s.Topic(w.ctx, w.who[visitor], tp.TopicID)
		if !v.Topic.Deleted || v.Topic.Title != "" || v.Topic.Body != "" || len(v.Replies) != 2 || v.CanReply {
			t.Fatalf("deleted topic: %+v", v)
		}
		if _, err := w.s.Reply(w.ctx, w.who[colleague], tp.TopicID, discussion.NewReply{Body: "encore"}); fault.KindOf(err) != fault.Gone {
			t.Fatalf("reply to a deleted topic: %v", err)
		}
		list, _ := w.s.Topics(w.ctx, w.who[visitor], "alpes", "poste-linux", "", 10)
		if len(list.Items) != 1 || !list.Items[0].Deleted || list.Total != 1 {
			t.Fatalf("a deleted topic with replies leaves the list: %+v", list)
		}
		// A deleted topic nobody answered leaves the lists.
		lone := w.topic(w.pub, "Erreur")
		if _, err := w.s.DeleteTopic(w.ctx, w.who[admin], lone.TopicID); err != nil {
			t.Fatal(err)
		}
		list, _ = w.s.Topics(w.ctx, w.who[visitor], "alpes", "poste-linux", "", 10)
		if len(list.Items) != 1 || list.Total != 1 {
			t.Fatalf("a lone deleted topic stays listed: %+v", list)
		}
		if l, _ := w.s.Latest(w.ctx, w.who[visitor], w.c.ID, 10); len(l) != 0 {
			t.Fatalf("deleted topics among the latest: %+v", l)
		}
	})
}

func TestThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tp := w.topic(w.pub, "Fil")
		a := w.reply(colleague, tp.TopicID, "", "a")
		b := w.reply(author, tp.TopicID, "", "b")
		a1 := w.reply(author, tp.TopicID, a.Post.ID, "a1")
		a11 := w.reply(colleague, tp.TopicID, a1.Post.ID, "a11")
		a111 := w.reply(author, tp.TopicID, a11.Post.ID, "a111")
		// Deeper than MaxDepth: becomes a sibling of its parent.
		a1111 := w.reply(colleague, tp.TopicID, a111.Post.ID, "a1111")
		if a111.Post.Depth != discussion.MaxDepth || a1111.Post.Depth != discussion.MaxDepth || a1111.Post.ParentID != a11.Post.ID {
			t.Fatalf("depth cap: %+v / %+v", a111.Post, a1111.Post)
		}
		v, err := w.s.Topic(w.ctx, w.who[visitor], tp.TopicID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range v.Replies {
			got = append(got, strings.Repeat(">", r.Depth)+r.Body)
		}
		if want := "a >a1 >>a11 >>>a111 >>>a1111 b"; strings.Join(got, " ") != want {
			t.Fatalf("thread order: %s; want %s", strings.Join(got, " "), want)
		}
		_ = b
		other := w.topic(w.pub, "Autre")
		for _, parent := range []string{other.TopicID, "pas-un-id", w.reply(author, other.TopicID, "", "ailleurs").Post.ID} {
			if _, err := w.s.Reply(w.ctx, w.who[author], tp.TopicID, discussion.NewReply{ParentID: parent, Body: "x"}); fault.FieldOf(err) != "parent_id" {
				t.Fatalf("parent %q from elsewhere: %v", parent, err)
			}
		}
	})
}

func TestBadInputWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		p := w.who[author]
		huge := strings.Repeat("# Titre\n\nDu texte *Markdown*.\n", 10<<20/30)
		cases := []struct {
			name, title, body, field string
		}{
			{"empty title", "   ", "corps", "title"},
			{"long title", strings.Repeat("é", discussion.MaxTitle+1), "corps", "title"},
			{"empty body", "Titre", " \n ", "body"},
			{"10 MB of Markdown", "Titre", huge, "body"},
			{"NUL byte", "Titre", "a\x00b", "body"},
			{"broken UTF-8", "Titre\xff", "corps", "title"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.s.CreateTopic(w.ctx, p, "alpes", "poste-linux", discussion.NewTopic{Title: c.title, Body: c.body})
				if fault.KindOf(err) != fault.Invalid || fault.FieldOf(err) != c.field {
					t.Fatalf("err = %v; want invalid %s", err, c.field)
				}
			})
		}
		if n := w.count("topics"); n != 0 {
			t.Fatalf("%d topics written", n)
		}
		tp := w.topic(w.pub, "Bon sujet")
		if _, err := w.s.Reply(w.ctx, p, tp.TopicID, discussion.NewReply{Body: huge}); fault.FieldOf(err) != "body" {
			t.Fatalf("huge reply: %v", err)
		}
		empty := ""
		if _, err := w.s.EditTopic(w.ctx, p, tp.TopicID, discussion.TopicEdit{Title: &empty}); fault.FieldOf(err) != "title" {
			t.Fatalf("emptying a title: %v", err)
		}
		if _, err := w.s.Topics(w.ctx, p, "alpes", "poste-linux", "n'importe quoi", 10); fault.FieldOf(err) != "cursor" {
			t.Fatalf("bad cursor: %v", err)
		}
		if _, err := w.s.Notifications(w.ctx, p, "%%%", 10); fault.FieldOf(err) != "cursor" {
			t.Fatalf("bad cursor: %v", err)
		}
		if w.count("replies") != 0 || w.count("discussion_revisions") != 0 || w.count("notifications") != 0 {
			t.Fatal("a refused input left rows")
		}
	})
}

func TestPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := 0; i < 7; i++ {
			w.topic(w.pub, "Sujet "+string(rune('A'+i)))
		}
		var seen []string
		cur := ""
		for pages := 0; ; pages++ {
			l, err := w.s.Topics(w.ctx, w.who[visitor], "alpes", "poste-linux", cur, 3)
			if err != nil {
				t.Fatal(err)
			}
			if l.Total != 7 || pages > 3 {
				t.Fatalf("total %d after %d pages", l.Total, pages)
			}
			for _, it := range l.Items {
				seen = append(seen, it.Title[len("Sujet "):])
			}
			if cur = l.Next; cur == "" {
				break
			}
		}
		if strings.Join(seen, "") != "GFEDCBA" {
			t.Fatalf("pages gave %v", seen)
		}
	})
}

func TestRepliesNotifyTheRightPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tp := w.topic(w.sec, "Plan de reprise")
		unread := func(name string) int {
			t.Helper()
			n, err := w.s.Unread(w.ctx, w.who[name])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		w.reply(colleague, tp.TopicID, "", "Nous avons un PRA.")
		if unread(author) != 1 || unread(colleague) != 0 || unread(groupMod) != 0 {
			t.Fatalf("first reply: author %d colleague %d mod %d", unread(author), unread(colleague), unread(groupMod))
		}
		w.reply(groupMod, tp.TopicID, "", "Testé deux fois par an ?")
		if unread(author) != 2 || unread(colleague) != 1 || unread(groupMod) != 0 {
			t.Fatalf("second reply: author %d colleague %d mod %d", unread(author), unread(colleague), unread(groupMod))
		}
		// A participant who left a members-only group hears no more.
		if err := w.s.Leave(w.ctx, w.who[colleague], "alpes", "cyber"); err != nil {
			t.Fatal(err)
		}
		w.reply(author, tp.TopicID, "", "Oui.")
		if unread(colleague) != 0 || unread(groupMod) != 1 || unread(author) != 2 {
			t.Fatalf("after leaving: colleague %d mod %d author %d", unread(colleague), unread(groupMod), unread(author))
		}
		l, err := w.s.Notifications(w.ctx, w.who[author], "", 1)
		if err != nil || len(l.Items) != 1 || l.Total != 2 || l.Unread != 2 || l.Next == "" {
			t.Fatalf("first page: %+v, %v", l, err)
		}
		n := l.Items[0]
		if n.Kind != model.NotifyReply || n.Actor.Name != "Groupmod" || n.TopicTitle != "Plan de reprise" ||
			!strings.HasPrefix(n.URL(), "/c/alpes/g/cyber/t/"+tp.TopicID+"#r-") || n.Read() {
			t.Fatalf("notification: %+v %s", n, n.URL())
		}
		if got := discussion.Describe(n); got != "Groupmod a répondu dans « Plan de reprise » (Collectif des Alpes › Cellule cybersécurité)" {
			t.Fatalf("described as %q", got)
		}
		l2, err := w.s.Notifications(w.ctx, w.who[author], l.Next, 1)
		if err != nil || len(l2.Items) != 1 || l2.Items[0].ID == n.ID || l2.Next != "" {
			t.Fatalf("second page: %+v, %v", l2, err)
		}
		if err := w.s.MarkRead(w.ctx, w.who[colleague], n.ID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("marking another's notification: %v", err)
		}
		if err := w.s.MarkRead(w.ctx, w.who[author], n.ID); err != nil || unread(author) != 1 {
			t.Fatalf("mark read: %v, %d unread", err, unread(author))
		}
		if k, err := w.s.MarkAllRead(w.ctx, w.who[author]); err != nil || k != 1 || unread(author) != 0 {
			t.Fatalf("mark all read: %d %v", k, err)
		}
		if _, err := w.s.Notifications(w.ctx, w.who[visitor], "", 10); fault.KindOf(err) != fault.Unauthorized {
			t.Fatalf("a visitor's notifications: %v", err)
		}
	})
}
