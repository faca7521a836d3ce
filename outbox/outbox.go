// Package outbox holds the job through which domain packages tell the
// federation that public content changed, without importing it: a domain
// enqueues a Job in the transaction of the change (as it does a
// search.IndexJob) and the federation's handler brings what the fediverse
// knows in line — Create the first time, Update after an edit, Delete with a
// Tombstone when the content is gone or no longer public.
package outbox

// Types of content named by a Job.
const (
	Topic    = "topic"
	Reply    = "reply"
	Resource = "resource"
	Event    = "event"
	// Usage is a catalog usage declaration of an organization: it federates
	// through the catalog extension (docs/FEDERATION.md).
	Usage = "usage"
)

// Job asks the federation to publish the current state of one piece of
// content. It carries no content: the handler reads the database when it
// runs, so jobs of successive edits converge on the last state.
type Job struct {
	Type string `json:"type"` // Topic, Reply, Resource, Event or Usage
	ID   string `json:"id"`   // the row's ID
}

// Kind names the job; stored in the queue, never renamed.
func (Job) Kind() string { return "federation.publish" }
