package search

// IndexJob asks the indexer to bring one document of the index in line
// with the database: upsert it when it exists and may be indexed, delete it
// otherwise. Domain code enqueues it in the same transaction as the change
// (jobs.Queue.Enqueue), so the index catches up after an outage of the
// search engine without losing an update: the job is retried until the
// engine answers.
type IndexJob struct {
	Type string `json:"type"` // collective, group, member, organization, topic, reply, resource…
	ID   string `json:"id"`   // the row's ID
}

// Kind names the job; stored in the queue, never renamed.
func (IndexJob) Kind() string { return "search.index" }

// DocID is the document ID of a row: "type:id".
func DocID(typ, id string) string { return typ + ":" + id }
