package event

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
)

// Speaker is a speaker as forms give it.
type Speaker struct {
	Name        string `json:"name"`
	Affiliation string `json:"affiliation,omitempty"`
	AccountID   string `json:"account_id,omitempty"` // when the speaker is a member
}

// SessionInput is what an organizer writes about a session.
type SessionInput struct {
	Kind             model.SessionKind
	Title, Abstract  string
	StartsAt, EndsAt time.Time
	Track, Room      string // names; created on first use
	Speakers         []Speaker
	Capacity         int // workshops only; 0: no limit
}

// SessionView is a session of the programme.
type SessionView struct {
	model.EventSession
	Track      string
	Room       string
	Speakers   []model.EventSpeaker
	Confirmed  int
	Waitlisted int
	Remaining  int // -1: no limit
}

// KindLabel names a session's kind in French.
func KindLabel(k model.SessionKind) string { return KindLabelIn(French, k) }

// KindLabel names the session's kind in French.
func (v SessionView) KindLabel() string { return KindLabel(v.Kind) }

// Day is one day of a programme, in Paris time.
type Day struct {
	Date     time.Time // midnight in Paris
	Sessions []SessionView
}

// Programme is an event's programme.
type Programme struct {
	Event    *View
	Days     []Day
	Sessions []SessionView // all, in order
}

// Workshops are the sessions one registers for.
func (p *Programme) Workshops() []SessionView {
	var out []SessionView
	for _, s := range p.Sessions {
		if s.Kind == model.SessionWorkshop {
			out = append(out, s)
		}
	}
	return out
}

func (s *Service) checkSession(in *SessionInput, e *model.Event) error {
	var err error
	switch in.Kind {
	case model.SessionTalk, model.SessionWorkshop, model.SessionRoundTable:
	default:
		return fault.Field("kind", "type de séance inconnu : talk, workshop ou round_table")
	}
	if in.Title, err = cleanLine("title", in.Title, MaxTitle, true); err != nil {
		return err
	}
	if in.Abstract, err = cleanText("abstract", in.Abstract, 5000, false); err != nil {
		return err
	}
	if in.Track, err = cleanLine("track", in.Track, 100, false); err != nil {
		return err
	}
	if in.Room, err = cleanLine("room", in.Room, 100, false); err != nil {
		return err
	}
	if in.StartsAt.IsZero() || in.EndsAt.IsZero() || in.EndsAt.Before(in.StartsAt) {
		return fault.Field("ends_at", "la séance doit avoir un début et une fin qui le suit")
	}
	in.StartsAt, in.EndsAt = in.StartsAt.UTC().Truncate(time.Second), in.EndsAt.UTC().Truncate(time.Second)
	if in.StartsAt.Before(e.StartsAt) || in.EndsAt.After(e.EndsAt) {
		return fault.Field("starts_at", "la séance doit se tenir pendant l'événement")
	}
	if in.Capacity < 0 || in.Capacity > MaxCapacity || in.Kind != model.SessionWorkshop && in.Capacity != 0 {
		return fault.Field("capacity", "seuls les ateliers ont une jauge (0 : sans limite)")
	}
	if len(in.Speakers) > 20 {
		return fault.Field("speakers", "20 intervenants au plus")
	}
	for i := range in.Speakers {
		sp := &in.Speakers[i]
		if sp.Name, err = cleanLine("speakers", sp.Name, 200, true); err != nil {
			return err
		}
		if sp.Affiliation, err = cleanLine("speakers", sp.Affiliation, 200, false); err != nil {
			return err
		}
	}
	return nil
}

// named returns the ID of the track or room of that name, creating it.
func named(ctx context.Context, tx bun.Tx, table, eventID, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	var id string
	err := tx.NewSelect().Table(table).Column("id").Where("event_id = ? AND name = ?", eventID, name).Scan(ctx, &id)
	if err == nil {
		return id, nil
	}
	if notFound(err, nil) != nil {
		return "", err
	}
	id = model.NewID()
	var row any = &model.EventTrack{ID: id, EventID: eventID, Name: name}
	if table == "event_rooms" {
		row = &model.EventRoom{ID: id, EventID: eventID, Name: name}
	}
	_, err = tx.NewInsert().Model(row).Exec(ctx)
	return id, err
}

// AddSession adds a session to an event's programme.
func (s *Service) AddSession(ctx context.Context, p access.Principal, eventID string, in SessionInput) (*model.EventSession, error) {
	const op = "event.AddSession"
	var out *model.EventSession
	err := s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if err := manager(ctx, tx, p, e.CollectiveID, op); err != nil {
			return err
		}
		if err := s.checkSession(&in, e); err != nil {
			return err
		}
		ses := &model.EventSession{ID: model.NewID(), EventID: e.ID, Kind: in.Kind, Title: in.Title, Abstract: in.Abstract,
			StartsAt: in.StartsAt, EndsAt: in.EndsAt, Capacity: in.Capacity, CreatedAt: s.stamp()}
		var err error
		if ses.TrackID, err = named(ctx, tx, "event_tracks", e.ID, in.Track); err != nil {
			return err
		}
		if ses.RoomID, err = named(ctx, tx, "event_rooms", e.ID, in.Room); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(ses).Exec(ctx); err != nil {
			return err
		}
		for i, sp := range in.Speakers {
			row := new(model.EventSpeaker)
			err := tx.NewSelect().Model(row).Where("event_id = ? AND name = ?", e.ID, sp.Name).Scan(ctx)
			if notFound(err, nil) != nil {
				return err
			}
			if err != nil {
				row = &model.EventSpeaker{ID: model.NewID(), EventID: e.ID, Name: sp.Name, Affiliation: sp.Affiliation}
				if sp.AccountID != "" && model.ValidID(sp.AccountID) {
					if ok, err := tx.NewSelect().Table("accounts").Where("id = ? AND deleted_at IS NULL", sp.AccountID).Exists(ctx); err != nil {
						return err
					} else if ok {
						row.AccountID = sp.AccountID
					}
				}
				if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
					return err
				}
			}
			if _, err := tx.NewRaw("INSERT INTO event_session_speakers (session_id, speaker_id, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
				ses.ID, row.ID, i).Exec(ctx); err != nil {
				return err
			}
		}
		out = ses
		return s.index(ctx, tx, "session", ses.ID)
	})
	return out, fault.Wrap(op, err)
}

// DeleteSession removes a session from the programme; its attendees'
// choices go with it.
func (s *Service) DeleteSession(ctx context.Context, p access.Principal, eventID, sessionID string) error {
	const op = "event.DeleteSession"
	if !model.ValidID(sessionID) {
		return errSessionNotFound
	}
	return fault.Wrap(op, s.withEvent(ctx, eventID, func(ctx context.Context, tx bun.Tx, e *model.Event) error {
		if err := manager(ctx, tx, p, e.CollectiveID, op); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*model.EventSession)(nil)).Where("id = ? AND event_id = ?", sessionID, e.ID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errSessionNotFound
		}
		return s.index(ctx, tx, "session", sessionID)
	}))
}

// Programme returns an event's programme, day by day.
func (s *Service) Programme(ctx context.Context, p access.Principal, eventID string) (*Programme, error) {
	const op = "event.Programme"
	v, err := s.Get(ctx, p, eventID)
	if err != nil {
		return nil, err
	}
	pr, err := s.programme(ctx, s.db.R, v)
	return pr, fault.Wrap(op, err)
}

func (s *Service) programme(ctx context.Context, db bun.IDB, v *View) (*Programme, error) {
	pr := &Programme{Event: v, Sessions: []SessionView{}}
	var rows []model.EventSession
	if err := db.NewSelect().Model(&rows).Where("event_id = ?", v.ID).OrderExpr("starts_at, ends_at, title, id").Scan(ctx); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range []string{"event_tracks", "event_rooms"} {
		var nr []struct {
			ID   string `bun:"id"`
			Name string `bun:"name"`
		}
		if err := db.NewSelect().Table(t).Column("id", "name").Where("event_id = ?", v.ID).Scan(ctx, &nr); err != nil {
			return nil, err
		}
		for _, r := range nr {
			names[r.ID] = r.Name
		}
	}
	var sp []struct {
		model.EventSpeaker `bun:",extend"`
		SessionID          string `bun:"session_id"`
	}
	if err := db.NewSelect().TableExpr("event_session_speakers AS ss").Join("JOIN event_speakers AS sp ON sp.id = ss.speaker_id").
		ColumnExpr("sp.*, ss.session_id").Where("sp.event_id = ?", v.ID).OrderExpr("ss.position").Scan(ctx, &sp); err != nil {
		return nil, err
	}
	speakers := map[string][]model.EventSpeaker{}
	for _, r := range sp {
		speakers[r.SessionID] = append(speakers[r.SessionID], r.EventSpeaker)
	}
	var counts []struct {
		SessionID string `bun:"session_id"`
		Status    string `bun:"status"`
		N         int    `bun:"n"`
	}
	if err := db.NewSelect().TableExpr("event_choices AS c").Join("JOIN event_sessions AS s ON s.id = c.session_id").
		ColumnExpr("c.session_id, c.status, count(*) AS n").Where("s.event_id = ?", v.ID).
		Group("c.session_id", "c.status").Scan(ctx, &counts); err != nil {
		return nil, err
	}
	loc := Paris()
	for _, r := range rows {
		sv := SessionView{EventSession: r, Track: names[r.TrackID], Room: names[r.RoomID], Speakers: speakers[r.ID], Remaining: -1}
		for _, c := range counts {
			if c.SessionID != r.ID {
				continue
			}
			if c.Status == string(model.RegConfirmed) {
				sv.Confirmed = c.N
			} else {
				sv.Waitlisted = c.N
			}
		}
		if r.Kind == model.SessionWorkshop && r.Capacity > 0 {
			sv.Remaining = max(0, r.Capacity-sv.Confirmed)
		}
		pr.Sessions = append(pr.Sessions, sv)
		l := r.StartsAt.In(loc)
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		if n := len(pr.Days); n == 0 || !pr.Days[n-1].Date.Equal(day) {
			pr.Days = append(pr.Days, Day{Date: day})
		}
		pr.Days[len(pr.Days)-1].Sessions = append(pr.Days[len(pr.Days)-1].Sessions, sv)
	}
	return pr, nil
}

// Hours says a session's times in Paris: "09h30 – 10h15".
func (v SessionView) Hours() string {
	loc := Paris()
	return v.StartsAt.In(loc).Format("15h04") + " – " + v.EndsAt.In(loc).Format("15h04")
}

// When says the session's day and times in French.
func (v SessionView) When() string { return When(v.StartsAt, v.EndsAt) }

// Label names the day in French: "samedi 24 octobre 2026".
func (d Day) Label() string {
	return fmt.Sprintf("%s %d %s %d", weekdays[d.Date.Weekday()], d.Date.Day(), months[d.Date.Month()-1], d.Date.Year())
}
