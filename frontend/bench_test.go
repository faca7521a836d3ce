package frontend_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"collectif/collective"
	"collectif/discussion"
	"collectif/frontend"
	"collectif/model"
	"collectif/resource"
)

// BenchmarkRenderCollectivePage renders the collective page as a member
// sees it: 34 working groups, the latest five topics and resources, forms
// with their anti-forgery token. The data is built once; only the
// template runs (the page's queries are measured by `collectif bench`):
//
//	go test ./frontend -run '^$' -bench RenderCollectivePage -benchmem
func BenchmarkRenderCollectivePage(b *testing.B) {
	fe, err := frontend.New()
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2025, 11, 3, 10, 0, 0, 0, time.UTC)
	c := model.Collective{ID: "01JC0000000000000000000000", Slug: "national", Name: "Collectif national des collectivités libres",
		Summary: "Le réseau national des responsables informatiques des collectivités engagées dans le logiciel libre.", Scope: model.ScopeNational, CreatedAt: at}
	pg := &collective.Page{Collective: c, Members: 3001, CanViewDirectory: true,
		Membership: &model.Membership{Role: model.RoleMember, Status: model.StatusActive}}
	for i := range 34 {
		pg.Groups = append(pg.Groups, model.WorkingGroup{Slug: fmt.Sprintf("gt-%03d", i+1), Name: fmt.Sprintf("Messagerie (%d)", i+1),
			Summary: "Groupe de travail sur la messagerie.", JoinPolicy: model.JoinOpen, Visibility: model.VisibilityPublic})
	}
	view := struct {
		*collective.Page
		Topics    []discussion.TopicSummary
		Resources []resource.Item
	}{Page: pg}
	for i := range 5 {
		view.Topics = append(view.Topics, discussion.TopicSummary{ID: fmt.Sprintf("01JT%022d", i), Title: "Qui a l'expérience de la migration vers Nextcloud ?",
			Replies: 4, LastActivityAt: at, Place: discussion.Place{Collective: c, Group: pg.Groups[i]}})
		view.Resources = append(view.Resources, resource.Item{Resource: model.Resource{ID: fmt.Sprintf("01JR%022d", i),
			Title: "Guide d'installation de BigBlueButton : Grenoble", CreatedAt: at}, CollectiveSlug: "national", GroupName: pg.Groups[i].Name})
	}
	data := struct {
		Host, Nav       string
		LoggedIn, Admin bool
		CSRF, Flash     string
		Data            any
	}{Host: "hub.example", Nav: "collectives", LoggedIn: true, CSRF: "k1o4Jx3b6Zq9r2Vt8Wm5Yc7Ns0Ld1Fh", Data: view}
	if err := fe.Render(io.Discard, "collective", data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := fe.Render(io.Discard, "collective", data); err != nil {
			b.Fatal(err)
		}
	}
}
