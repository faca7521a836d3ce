// Package resource holds the resources that members and partners share in
// collectives and working groups: guides, procurement templates,
// deliberations, studies, slides, videos and links, with a Markdown body, a
// licence from a closed list, tags and attached files.
//
// Every action takes the acting principal and decides with access.Can on
// the Subject that collective.Standing loads: a resource of a members-only
// working group is visible only to the group's members and the collective's
// moderators, and is reported as not found to everybody else, in lists as
// well as by ID.
//
// Attachments are stored under the uploads directory by the SHA-256 of
// their content (a file uploaded twice is stored once), written to a
// temporary file, synced and renamed into place, so a crash never leaves
// half a file where a download could find it. Their type is sniffed from
// the content against an allow-list; the client's Content-Type is never
// read and its file name is kept for display only. The text of text
// attachments is extracted and goes, with the body, into the resource's
// search document; every change enqueues its index job in its transaction.
//
// It imports access/, collective/, cursor/, fault/, indexer/, jobs/, markdown/, model/,
// search/ and store/.
package resource
