package discussion_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"collectif/discussion"
	"collectif/indexer"
	"collectif/jobs"
	"collectif/search"
	"collectif/store"
	"collectif/store/storetest"
)

func TestSearchDocumentsFollowThePosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, db)
		w.s = discussion.New(discussion.Deps{DB: db, Queue: q})
		jobsQueued := func() int {
			t.Helper()
			n, err := db.R.NewSelect().Table("river_job").Where("kind = ?", search.IndexJob{}.Kind()).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		pub := w.topic(w.pub, "Nextcloud mutualisé")
		r := w.reply(colleague, pub.TopicID, "", "Chez nous, **le syndicat** l'héberge.")
		sec := w.topic(w.sec, "Incident")
		if n := jobsQueued(); n != 3 {
			t.Fatalf("%d index jobs after three posts", n)
		}
		src := map[string]indexer.Source{}
		for _, s := range w.s.IndexSources() {
			src[s.Type] = s
		}
		d, err := src["topic"].Load(ctx, pub.TopicID)
		if err != nil || d.ID != "topic:"+pub.TopicID || d.Title != "Nextcloud mutualisé" || d.Body != "Qui a migré Thunderbird ?" ||
			d.URL != "/c/alpes/g/poste-linux/t/"+pub.TopicID || d.Collective != "alpes" || d.Group != "poste-linux" || !slices.Equal(d.Audience, []string{search.AudiencePublic}) {
			t.Fatalf("topic document: %+v, %v", d, err)
		}
		d, err = src["reply"].Load(ctx, r.Post.ID)
		if err != nil || d.Title != "Re : Nextcloud mutualisé" || d.Body != "Chez nous, le syndicat l'héberge." || d.URL != "/c/alpes/g/poste-linux/t/"+pub.TopicID+"#r-"+r.Post.ID {
			t.Fatalf("reply document: %+v, %v", d, err)
		}
		d, err = src["topic"].Load(ctx, sec.TopicID)
		if err != nil || slices.Contains(d.Audience, search.AudiencePublic) || !slices.Contains(d.Audience, "group:"+w.sec.ID) {
			t.Fatalf("members-only document: %+v, %v", d, err)
		}
		var all []string
		for _, typ := range []string{"topic", "reply"} {
			if err := src[typ].All(ctx, func(d search.Document) error { all = append(all, d.ID); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if len(all) != 3 {
			t.Fatalf("rebuild emits %v", all)
		}
		// Deleting a topic removes it, and re-indexes its replies, whose
		// title named it.
		if _, err := w.s.DeleteTopic(ctx, w.who[author], pub.TopicID); err != nil {
			t.Fatal(err)
		}
		if n := jobsQueued(); n != 5 {
			t.Fatalf("%d index jobs after the deletion, want 5", n)
		}
		if _, err := src["topic"].Load(ctx, pub.TopicID); !errors.Is(err, indexer.ErrGone) {
			t.Fatalf("a deleted topic's document: %v", err)
		}
		if d, err := src["reply"].Load(ctx, r.Post.ID); err != nil || d.Title != "Réponse dans un sujet supprimé" {
			t.Fatalf("the reply of a deleted topic: %+v, %v", d, err)
		}
		if _, err := src["reply"].Load(ctx, "absent"); !errors.Is(err, indexer.ErrGone) {
			t.Fatalf("an unknown reply: %v", err)
		}
	})
}

func TestForgetAndExportAnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		tp := w.topic(w.pub, "Sujet de l'auteur")
		w.reply(colleague, tp.TopicID, "", "Réponse de la collègue")
		mine := w.reply(author, tp.TopicID, "", "Réponse de l'auteur")
		w.reply(colleague, tp.TopicID, "", "Autre réponse")
		posts, err := discussion.ExportAccount(ctx, db.R, w.who[author].AccountID)
		if err != nil || len(posts) != 2 || posts[0].Title != "Sujet de l'auteur" || posts[1].ID != mine.Post.ID {
			t.Fatalf("export: %+v, %v", posts, err)
		}
		forget := func(id string, keep bool) {
			t.Helper()
			if err := db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return w.s.ForgetAccount(ctx, tx, id, keep) }); err != nil {
				t.Fatal(err)
			}
		}
		// The colleague keeps her content: only notifications go.
		forget(w.who[colleague].AccountID, true)
		if n, _ := w.s.Unread(ctx, w.who[colleague]); n != 0 {
			t.Fatalf("the colleague's notifications stay: %d", n)
		}
		v, _ := w.s.Topic(ctx, w.who[visitor], tp.TopicID)
		if v.Replies[0].Deleted {
			t.Fatal("content kept by choice was deleted")
		}
		// The author deletes it all: tombstones, the thread stays.
		forget(w.who[author].AccountID, false)
		v, _ = w.s.Topic(ctx, w.who[visitor], tp.TopicID)
		if !v.Topic.Deleted || v.Topic.Title != "" || len(v.Replies) != 3 || !v.Replies[1].Deleted || v.Replies[0].Deleted || v.Replies[2].Deleted {
			t.Fatalf("after forgetting the author: %+v", v)
		}
		if n, _ := w.s.Unread(ctx, w.who[author]); n != 0 {
			t.Fatalf("the author's notifications stay: %d", n)
		}
		if posts, _ := discussion.ExportAccount(ctx, db.R, w.who[author].AccountID); len(posts) != 0 {
			t.Fatalf("export after deletion: %+v", posts)
		}
	})
}
