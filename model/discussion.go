package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Topic is a discussion opened in a working group. A deleted topic stays
// as a tombstone (DeletedAt set, title and body emptied) so that its
// replies keep their place.
type Topic struct {
	bun.BaseModel `bun:"table:topics"`

	ID             string    `bun:"id,pk"`
	GroupID        string    `bun:"group_id"`
	AuthorID       string    `bun:"author_id"`
	Title          string    `bun:"title"`
	Body           string    `bun:"body"`      // Markdown, as written
	BodyHTML       string    `bun:"body_html"` // rendered and sanitized when written
	Replies        int       `bun:"replies"`   // replies, tombstones included
	CreatedAt      time.Time `bun:"created_at"`
	LastActivityAt time.Time `bun:"last_activity_at"` // creation or latest reply: the order of lists
	EditedAt       time.Time `bun:"edited_at,nullzero"`
	EditedBy       string    `bun:"edited_by,nullzero"`
	DeletedAt      time.Time `bun:"deleted_at,nullzero"`
	DeletedBy      string    `bun:"deleted_by,nullzero"`
}

// Reply answers a topic, or another reply of the same topic (ParentID).
type Reply struct {
	bun.BaseModel `bun:"table:replies"`

	ID        string    `bun:"id,pk"`
	TopicID   string    `bun:"topic_id"`
	ParentID  string    `bun:"parent_id,nullzero"`
	Depth     int       `bun:"depth"` // 0 under the topic, parent's + 1 below a reply
	AuthorID  string    `bun:"author_id"`
	Body      string    `bun:"body"`
	BodyHTML  string    `bun:"body_html"`
	CreatedAt time.Time `bun:"created_at"`
	EditedAt  time.Time `bun:"edited_at,nullzero"`
	EditedBy  string    `bun:"edited_by,nullzero"`
	DeletedAt time.Time `bun:"deleted_at,nullzero"`
	DeletedBy string    `bun:"deleted_by,nullzero"`
}

// Revision is a version of a topic or a reply that an edit replaced: who
// wrote that version, when, and what it said.
type Revision struct {
	bun.BaseModel `bun:"table:discussion_revisions"`

	ID        string    `bun:"id,pk"`
	TopicID   string    `bun:"topic_id,nullzero"` // exactly one of TopicID and ReplyID is set
	ReplyID   string    `bun:"reply_id,nullzero"`
	Title     string    `bun:"title"` // topics only
	Body      string    `bun:"body"`
	EditorID  string    `bun:"editor_id"`  // who wrote this version
	CreatedAt time.Time `bun:"created_at"` // when this version was written
}

// NotificationKind says what a notification is about.
type NotificationKind string

const (
	NotifyReply        NotificationKind = "reply"         // someone answered a topic one took part in
	NotifyInvitation   NotificationKind = "invitation"    // one is invited into a working group
	NotifyJoinRequest  NotificationKind = "join_request"  // to a group's moderators: someone asks to join
	NotifyJoinApproved NotificationKind = "join_approved" // one's request to join was approved
	NotifyJoinRefused  NotificationKind = "join_refused"  // one's request to join was refused
)

// Notification is one entry of a member's in-app notifications, and of
// their e-mail digest when they asked for one.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        string           `bun:"id,pk"`
	AccountID string           `bun:"account_id"` // who is told
	Kind      NotificationKind `bun:"kind"`
	GroupID   string           `bun:"group_id"`
	TopicID   string           `bun:"topic_id,nullzero"`
	ReplyID   string           `bun:"reply_id,nullzero"`
	ActorID   string           `bun:"actor_id,nullzero"` // who caused it
	CreatedAt time.Time        `bun:"created_at"`
	ReadAt    time.Time        `bun:"read_at,nullzero"`
	MailedAt  time.Time        `bun:"mailed_at,nullzero"` // sent in a digest
}

// DiscussionSettings are a member's choices about discussions.
type DiscussionSettings struct {
	bun.BaseModel `bun:"table:discussion_settings"`

	AccountID     string    `bun:"account_id,pk"`
	EmailDigest   bool      `bun:"email_digest"`             // a daily e-mail of unread notifications
	LastDigestDay string    `bun:"last_digest_day,nullzero"` // YYYY-MM-DD (Paris) of the last digest
	UpdatedAt     time.Time `bun:"updated_at"`
}
