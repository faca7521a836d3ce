package model

import (
	"time"

	"github.com/uptrace/bun"
)

// EventStatus is where an event stands.
type EventStatus string

const (
	EventDraft     EventStatus = "draft"
	EventPublished EventStatus = "published"
	EventCancelled EventStatus = "cancelled"
)

// Event is a conference, a meet-up or a webinar of a collective. Times are
// stored in UTC and shown in Europe/Paris.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	ID                   string      `bun:"id,pk"`
	CollectiveID         string      `bun:"collective_id"`
	Title                string      `bun:"title"`
	Summary              string      `bun:"summary"`
	Description          string      `bun:"description"`      // Markdown
	DescriptionHTML      string      `bun:"description_html"` // rendered, sanitized
	StartsAt             time.Time   `bun:"starts_at"`
	EndsAt               time.Time   `bun:"ends_at"`
	Venue                string      `bun:"venue"`
	Address              string      `bun:"address"`
	Accessibility        string      `bun:"accessibility"`
	StreamURL            string      `bun:"stream_url"`
	ReplayURL            string      `bun:"replay_url"`
	Capacity             int         `bun:"capacity"` // 0: no limit
	RegistrationOpensAt  time.Time   `bun:"registration_opens_at,nullzero"`
	RegistrationClosesAt time.Time   `bun:"registration_closes_at,nullzero"`
	Status               EventStatus `bun:"status"`
	CancelMessage        string      `bun:"cancel_message"`
	CreatedBy            string      `bun:"created_by,nullzero"`
	CreatedAt            time.Time   `bun:"created_at"`
	UpdatedAt            time.Time   `bun:"updated_at"`
}

// EventPartner is a co-organizer or a partner of an event, from the
// directory or named freely.
type EventPartner struct {
	bun.BaseModel `bun:"table:event_partners"`

	ID             string `bun:"id,pk"`
	EventID        string `bun:"event_id"`
	Role           string `bun:"role"` // coorganizer, partner
	OrganizationID string `bun:"organization_id,nullzero"`
	Name           string `bun:"name"`
	URL            string `bun:"url"`
	Position       int    `bun:"position"`
}

// EventTrack is a thread of the programme.
type EventTrack struct {
	bun.BaseModel `bun:"table:event_tracks"`

	ID      string `bun:"id,pk"`
	EventID string `bun:"event_id"`
	Name    string `bun:"name"`
}

// EventRoom is where sessions take place.
type EventRoom struct {
	bun.BaseModel `bun:"table:event_rooms"`

	ID      string `bun:"id,pk"`
	EventID string `bun:"event_id"`
	Name    string `bun:"name"`
}

// EventSpeaker is a speaker's profile; AccountID is set when the speaker
// is a member of the hub.
type EventSpeaker struct {
	bun.BaseModel `bun:"table:event_speakers"`

	ID          string `bun:"id,pk"`
	EventID     string `bun:"event_id"`
	AccountID   string `bun:"account_id,nullzero"`
	Name        string `bun:"name"`
	Affiliation string `bun:"affiliation"`
}

// SessionKind is the form of a session.
type SessionKind string

const (
	SessionTalk       SessionKind = "talk"
	SessionWorkshop   SessionKind = "workshop"
	SessionRoundTable SessionKind = "round_table"
)

// EventSession is one item of the programme.
type EventSession struct {
	bun.BaseModel `bun:"table:event_sessions"`

	ID        string      `bun:"id,pk"`
	EventID   string      `bun:"event_id"`
	TrackID   string      `bun:"track_id,nullzero"`
	RoomID    string      `bun:"room_id,nullzero"`
	Kind      SessionKind `bun:"kind"`
	Title     string      `bun:"title"`
	Abstract  string      `bun:"abstract"`
	StartsAt  time.Time   `bun:"starts_at"`
	EndsAt    time.Time   `bun:"ends_at"`
	Capacity  int         `bun:"capacity"` // workshops; 0: no limit
	CreatedAt time.Time   `bun:"created_at"`
}

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

const (
	RegConfirmed  RegistrationStatus = "confirmed"
	RegWaitlisted RegistrationStatus = "waitlisted"
	RegCancelled  RegistrationStatus = "cancelled"
)

// Registration is an attendee's registration to an event; no account needed.
type Registration struct {
	bun.BaseModel `bun:"table:event_registrations"`

	ID             string             `bun:"id,pk"`
	EventID        string             `bun:"event_id"`
	Email          string             `bun:"email"` // lower-cased; "" for a remote participant
	Name           string             `bun:"name"`
	OrganizationID string             `bun:"organization_id,nullzero"`
	Organization   string             `bun:"organization"`
	Category       string             `bun:"category"`
	Status         RegistrationStatus `bun:"status"`
	Lang           string             `bun:"lang"` // "fr" or "en": the language of its mails
	TokenHash      string             `bun:"token_hash,nullzero"`
	CheckinHash    string             `bun:"checkin_hash,nullzero"`
	ConsentAt      time.Time          `bun:"consent_at"`
	CheckedInAt    time.Time          `bun:"checked_in_at,nullzero"`
	RemindedAt     time.Time          `bun:"reminded_at,nullzero"`
	AnonymizedAt   time.Time          `bun:"anonymized_at,nullzero"`
	// RemoteActor is the ActivityPub actor of a participant who joined
	// from another server (a Join); "" for a registration on the hub.
	RemoteActor string    `bun:"remote_actor"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// EventChoice is a registration's seat (or place in line) in a workshop.
type EventChoice struct {
	bun.BaseModel `bun:"table:event_choices"`

	RegistrationID string             `bun:"registration_id,pk"`
	SessionID      string             `bun:"session_id,pk"`
	Status         RegistrationStatus `bun:"status"`
	CreatedAt      time.Time          `bun:"created_at"`
}
