package event_test

import (
	"errors"
	"testing"
	"time"

	"collectif/access"
	"collectif/event"
	"collectif/indexer"
	"collectif/model"
	"collectif/search"
	"collectif/store"
	"collectif/store/storetest"
)

func TestIndexSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start, end := inAWeek()
		draft, err := f.s.Create(f.ctx, access.System(), "alpes", event.Input{Title: "Brouillon", StartsAt: start, EndsAt: end})
		if err != nil {
			t.Fatal(err)
		}
		v := f.published(0, start, end)
		ses, err := f.s.AddSession(f.ctx, access.System(), v.ID, event.SessionInput{Kind: model.SessionRoundTable, Title: "Table ronde souveraineté",
			StartsAt: start, EndsAt: start.Add(time.Hour), Speakers: []event.Speaker{{Name: "Jo Libre"}}})
		if err != nil {
			t.Fatal(err)
		}
		src := map[string]indexer.Source{}
		for _, s := range f.s.IndexSources() {
			src[s.Type] = s
		}
		if _, err := src["event"].Load(f.ctx, draft.ID); !errors.Is(err, indexer.ErrGone) {
			t.Errorf("a draft is indexed: %v", err)
		}
		d, err := src["event"].Load(f.ctx, v.ID)
		if err != nil || d.Type != "event" || !d.Date.Equal(start.UTC().Truncate(time.Second)) || d.URL != "/evenements/"+v.ID || d.Collective != "alpes" || d.Audience[0] != search.AudiencePublic {
			t.Errorf("event document %+v %v", d, err)
		}
		sd, err := src["session"].Load(f.ctx, ses.ID)
		if err != nil || sd.Type != "session" || sd.Summary != "Table ronde — Jo Libre" || !sd.Date.Equal(ses.StartsAt) {
			t.Errorf("session document %+v %v", sd, err)
		}
		var all []search.Document
		for _, typ := range []string{"event", "session"} {
			if err := src[typ].All(f.ctx, func(d search.Document) error { all = append(all, d); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if len(all) != 2 {
			t.Errorf("rebuild emits %d documents, want the published event and its session", len(all))
		}
		// Index jobs went with the changes.
		if n := f.count("SELECT count(*) FROM river_job WHERE kind = 'search.index'"); n < 3 {
			t.Errorf("%d index jobs", n)
		}
	})
}
