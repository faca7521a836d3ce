package bench

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"collectif/catalog"
	"collectif/event"
	"collectif/model"
	"collectif/territory"
)

// Remote is what the dataset needs to know of the benchmark's network:
// the hub's base URL (local actors are named by it) and the sink hosts
// the remote followers live on.
type Remote struct {
	Base  string   // http://127.0.0.1:port
	Sinks []string // http://127.0.0.N:port, one per sink host
}

// FanGroup is the working group the remote followers follow: the first
// group of the first collective, public and open.
const FanGroup = "gt-001"

var (
	softNames = []string{"Nextcloud", "LibreOffice", "BigBlueButton", "QGIS", "GLPI", "Thunderbird", "SOGo", "PeerTube", "Moodle", "Jitsi",
		"Collabora", "Decidim", "Maarch", "OpenProject", "Zimbra", "Matrix", "Element", "Mattermost", "Firefox", "Debian", "Proxmox",
		"Grist", "LimeSurvey", "Drupal", "WordPress", "Inkscape", "GIMP", "Scribus", "OBS Studio", "Kdenlive"}
	proprietary = []string{"Microsoft Office", "Outlook", "Teams", "Zoom", "ArcGIS", "Dropbox", "Slack", "Canva", "SharePoint", "Windows"}
	licences    = []string{"AGPL-3.0-only", "GPL-3.0-or-later", "GPL-2.0-only", "MPL-2.0", "Apache-2.0", "LGPL-2.1-or-later", "EUPL-1.2"}
	rooms       = []string{"Amphithéâtre", "Salle A", "Salle B", "Salle du conseil"}
	tracks      = []string{"Retours d'expérience", "Technique", "Achats publics"}
)

// catalogRows draws the catalog: software entries with categories and the
// products they replace, and usage declarations spread over the
// organizations (one per software and organization at most).
func catalogRows(g *gen, size Size, orgs []model.Organization, accounts []model.Account) ([]model.Software, []model.SoftwareCategory, []model.SoftwareReplace, []model.Usage) {
	cats := catalog.Categories()
	sw := make([]model.Software, size.Software)
	var sc []model.SoftwareCategory
	var sr []model.SoftwareReplace
	for i := range sw {
		t := g.ago()
		name := softNames[i%len(softNames)]
		if i >= len(softNames) {
			name = fmt.Sprintf("%s %d", name, i/len(softNames)+1)
		}
		doc := g.doc("usage", "resource")
		s := model.Software{ID: g.id(t), Slug: fmt.Sprintf("logiciel-%03d", i+1), Name: name, NameNorm: territory.Normalize(name),
			Summary: trimRunes(doc.Summary, 300), Description: doc.Body, Function: trimRunes(doc.Title, 200),
			Website: fmt.Sprintf("https://logiciel-%03d.exemple.org", i+1), Licence: pick(g, licences), SILLStatus: "R",
			CreatedAt: t, UpdatedAt: t}
		sw[i] = s
		c1 := g.rng.IntN(len(cats))
		sc = append(sc, model.SoftwareCategory{SoftwareID: s.ID, Category: cats[c1].ID})
		if c2 := g.rng.IntN(len(cats)); c2 != c1 && g.rng.IntN(2) == 0 {
			sc = append(sc, model.SoftwareCategory{SoftwareID: s.ID, Category: cats[c2].ID})
		}
		if g.rng.IntN(2) == 0 {
			p := pick(g, proprietary)
			sr = append(sr, model.SoftwareReplace{SoftwareID: s.ID, Product: p, ProductNorm: territory.Normalize(p)})
		}
	}
	// Usages: distinct (software, organization) pairs, drawn with a bias
	// towards the first entries, as real catalogs are (a few tools used by
	// most). The declarer is a member of the organization when it has one.
	byOrg := map[string][]string{}
	for _, a := range accounts {
		byOrg[a.OrganizationID] = append(byOrg[a.OrganizationID], a.ID)
	}
	hostings := []model.Hosting{model.HostingInHouse, model.HostingInHouse, model.HostingPooled, model.HostingProvider}
	seen := map[[2]int]bool{}
	var us []model.Usage
	for len(us) < size.Usages {
		si := min(g.rng.IntN(len(sw)), g.rng.IntN(len(sw)))
		oi := g.rng.IntN(len(orgs))
		if seen[[2]int{si, oi}] {
			continue
		}
		seen[[2]int{si, oi}] = true
		t := g.ago()
		u := model.Usage{ID: g.id(t), SoftwareID: sw[si].ID, OrganizationID: orgs[oi].ID, SinceYear: 2010 + g.rng.IntN(16),
			Scope: 5 + g.rng.IntN(2000), Hosting: pick(g, hostings), CreatedAt: t, UpdatedAt: t}
		if g.rng.IntN(3) == 0 {
			v := int64(1000 * (1 + g.rng.IntN(200)))
			u.SavingsEUR = &v
		}
		if m := byOrg[orgs[oi].ID]; len(m) > 0 {
			u.DeclaredBy = m[g.rng.IntN(len(m))]
			if g.rng.IntN(2) == 0 {
				u.ContactID = u.DeclaredBy
			}
		}
		if g.rng.IntN(4) == 0 {
			u.Testimonial = g.text.Next().Summary
		}
		us = append(us, u)
	}
	slices.SortFunc(us, func(a, b model.Usage) int { return strings.Compare(a.ID, b.ID) })
	return sw, sc, sr, us
}

// eventRows are the events of the dataset with their programmes and
// registrations.
type eventRows struct {
	events   []model.Event
	tracks   []model.EventTrack
	rooms    []model.EventRoom
	speakers []model.EventSpeaker
	sessions []model.EventSession
	links    []sessionSpeaker
	regs     []model.Registration
}

// eventData draws size.Events events of the collectives, each with a
// programme of ten sessions in two tracks and rooms; the registrations go
// to every event but the first, which is published with 500 places, its
// registration open and no one registered yet: the registration burst's.
func eventData(g *gen, size Size, cols []model.Collective, orgs []model.Organization, login string) (*eventRows, error) {
	out := &eventRows{}
	if size.Events == 0 {
		return out, nil
	}
	cats := event.Categories()
	for i := range size.Events {
		ci := i % len(cols)
		created := g.ago()
		start := created.Add(time.Duration(30+g.rng.IntN(300)) * 24 * time.Hour).Truncate(time.Hour)
		doc := g.doc("event", "resource")
		html, err := g.md.HTML(doc.Body)
		if err != nil {
			return nil, err
		}
		place := pick(g, places)
		e := model.Event{ID: g.id(created), CollectiveID: cols[ci].ID, Title: trimRunes(fmt.Sprintf("Journée du libre à %s (%d)", place, i+1), 200),
			Summary: trimRunes(doc.Summary, 480), Description: doc.Body, DescriptionHTML: string(html),
			StartsAt: start, EndsAt: start.Add(8 * time.Hour), Venue: "Hôtel de ville de " + place, Address: "1 place de la Mairie, " + place,
			Accessibility: "Salles accessibles en fauteuil roulant.", Status: model.EventPublished, CreatedBy: login, CreatedAt: created, UpdatedAt: created}
		if i == 0 {
			// The burst's event: ten years after the dataset's clock, so
			// that its registration stays open whenever the benchmark runs.
			e.Title, e.Capacity = "Rencontres nationales du libre dans les collectivités", burstPlaces
			e.StartsAt = base.AddDate(10, 0, 0)
			e.EndsAt = e.StartsAt.Add(32 * time.Hour)
			e.RegistrationOpensAt = base.AddDate(-1, 0, 0)
		} else if g.rng.IntN(2) == 0 {
			e.Capacity = 400
		}
		out.events = append(out.events, e)
		var tIDs, rIDs, spIDs []string
		for _, n := range tracks[:2] {
			tr := model.EventTrack{ID: g.id(created), EventID: e.ID, Name: n}
			out.tracks = append(out.tracks, tr)
			tIDs = append(tIDs, tr.ID)
		}
		for _, n := range rooms[:2] {
			r := model.EventRoom{ID: g.id(created), EventID: e.ID, Name: n}
			out.rooms = append(out.rooms, r)
			rIDs = append(rIDs, r.ID)
		}
		for k := range 6 {
			sp := model.EventSpeaker{ID: g.id(created), EventID: e.ID, Name: fmt.Sprintf("%s %s (%d)", pick(g, firstNames), pick(g, lastNames), k+1),
				Affiliation: orgs[g.rng.IntN(len(orgs))].Name}
			out.speakers = append(out.speakers, sp)
			spIDs = append(spIDs, sp.ID)
		}
		for k := range 10 {
			at := e.StartsAt.Add(time.Duration(k/2) * 90 * time.Minute)
			d := g.text.Next()
			s := model.EventSession{ID: g.id(created), EventID: e.ID, TrackID: tIDs[k%2], RoomID: rIDs[k%2], Kind: model.SessionTalk,
				Title: trimRunes(d.Title, 200), Abstract: d.Summary, StartsAt: at, EndsAt: at.Add(time.Hour), CreatedAt: created}
			if k%5 == 4 {
				s.Kind, s.Capacity = model.SessionWorkshop, 30
			}
			out.sessions = append(out.sessions, s)
			out.links = append(out.links, sessionSpeaker{SessionID: s.ID, SpeakerID: spIDs[k%len(spIDs)], Position: 0})
		}
	}
	// Registrations, over the events but the burst's; each event's
	// confirmed ones stay within its capacity, the rest wait.
	if size.Events > 1 {
		confirmed := make([]int, size.Events)
		for k := range size.Registrations {
			ei := 1 + k%(size.Events-1)
			e := out.events[ei]
			t := e.CreatedAt.Add(time.Duration(1+g.rng.IntN(20*24*60)) * time.Minute)
			o := orgs[g.rng.IntN(len(orgs))]
			r := model.Registration{ID: g.id(t), EventID: e.ID, Email: fmt.Sprintf("inscrit%05d@bench.example", k),
				Name: pick(g, firstNames) + " " + pick(g, lastNames), OrganizationID: o.ID, Organization: o.Name,
				Category: cats[g.rng.IntN(len(cats))].ID, Status: model.RegConfirmed, Lang: "fr", ConsentAt: t, CreatedAt: t, UpdatedAt: t}
			if e.Capacity > 0 && confirmed[ei] >= e.Capacity {
				r.Status = model.RegWaitlisted
			} else {
				confirmed[ei]++
			}
			out.regs = append(out.regs, r)
		}
		slices.SortFunc(out.regs, func(a, b model.Registration) int { return strings.Compare(a.ID, b.ID) })
	}
	return out, nil
}

// sessionSpeaker is a row of event_session_speakers, which has no model
// type: the event package writes it with plain SQL.
type sessionSpeaker struct {
	bun.BaseModel `bun:"table:event_session_speakers"`

	SessionID string `bun:"session_id,pk"`
	SpeakerID string `bun:"speaker_id,pk"`
	Position  int    `bun:"position"`
}

// remoteActorRow and followerRow are rows of remote_actors and
// federation_followers, which have no model type: the federation package
// keeps its own.
type remoteActorRow struct {
	bun.BaseModel `bun:"table:remote_actors"`

	IRI               string    `bun:"iri,pk"`
	Host              string    `bun:"host"`
	Type              string    `bun:"type"`
	PreferredUsername string    `bun:"preferred_username"`
	Inbox             string    `bun:"inbox"`
	SharedInbox       string    `bun:"shared_inbox"`
	FetchedAt         time.Time `bun:"fetched_at"`
}

type followerRow struct {
	bun.BaseModel `bun:"table:federation_followers"`

	ID          string    `bun:"id,pk"`
	LocalActor  string    `bun:"local_actor"`
	RemoteActor string    `bun:"remote_actor"`
	RemoteHost  string    `bun:"remote_host"`
	FollowID    string    `bun:"follow_id"`
	Inbox       string    `bun:"inbox"`
	SharedInbox string    `bun:"shared_inbox"`
	State       string    `bun:"state"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// followers draws size.Followers accepted remote followers of the fan-out
// group, spread evenly over the sink hosts, as federation records them
// once it has accepted their Follow: each with its inbox and its host's
// shared inbox.
func followers(g *gen, size Size, r Remote, collective string) ([]remoteActorRow, []followerRow, error) {
	if size.Followers == 0 || len(r.Sinks) == 0 {
		return nil, nil, nil
	}
	local := r.Base + "/c/" + collective + "/g/" + FanGroup
	var ras []remoteActorRow
	var fs []followerRow
	for i := range size.Followers {
		sinkBase := r.Sinks[i%len(r.Sinks)]
		u, err := url.Parse(sinkBase)
		if err != nil {
			return nil, nil, err
		}
		t := base.Add(-time.Duration(size.Followers-i) * time.Minute)
		iri := fmt.Sprintf("%s/users/f%d", sinkBase, i)
		ras = append(ras, remoteActorRow{IRI: iri, Host: strings.ToLower(u.Host), Type: "Person", PreferredUsername: fmt.Sprintf("f%d", i),
			Inbox: iri + "/inbox", SharedInbox: sinkBase + "/inbox", FetchedAt: t})
		fs = append(fs, followerRow{ID: g.id(t), LocalActor: local, RemoteActor: iri, RemoteHost: strings.ToLower(u.Host),
			FollowID: iri + "/follows/1", Inbox: iri + "/inbox", SharedInbox: sinkBase + "/inbox", State: "accepted", CreatedAt: t, UpdatedAt: t})
	}
	return ras, fs, nil
}
