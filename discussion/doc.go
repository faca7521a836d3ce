// Package discussion holds the life of working groups: who belongs to them
// (join by policy, requests and their decision, invitations, leaving), the
// threaded discussions in them (topics, replies to topics and to replies,
// edits that keep every replaced version, deletions that leave a
// tombstone), and the notifications they cause: an in-app list per member
// and an optional daily e-mail digest sent by a periodic job, in the
// member's language (English, or French when they chose no other).
//
// Every action takes a context and the acting access.Principal, loads the
// principal's standing with collective.Standing and asks access.Can.
// Content of a members-only group is reported as not found to whoever may
// not see it, so that its existence does not leak.
//
// Markdown is rendered (goldmark) and sanitized (bluemonday) once, when it
// is written; the HTML is stored beside the source. Changes enqueue their
// search index jobs in their own transaction (IndexSources gives the
// indexer the documents of topics and replies).
//
// It imports access/, collective/, cursor/, fault/, indexer/, jobs/, mail/,
// markdown/, model/, search/ and store/.
package discussion
