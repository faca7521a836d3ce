// Package meili is the search.Index of the hub backed by a Meilisearch
// server, through its documented HTTP API and the meilisearch-go client
// (v0.37).
//
// New(url, key, Options) makes no request; Setup creates the index (primary
// key "id") if needed and applies the settings — searchableAttributes
// (title, summary, tags, body), filterableAttributes (type, collective,
// group, region, categories, licence, tags, audience, and date as a Unix
// time), sortableAttributes (date), rankingRules (sort first, so that
// "newest" is a date order), the synonyms and stop words of package search,
// localizedAttributes French for the text, typo tolerance, pagination and
// faceting limits — and waits for each task to succeed, for at most
// Options.TaskTimeout, reporting a refused task with Meilisearch's code and
// message. Upsert and Delete also wait, so a write returns once searchable.
//
// Identifiers. Hub IDs ("resource:01J…") hold ':', which Meilisearch refuses
// in document identifiers. Letters, digits and '-' are kept and every other
// byte becomes '_' and two hex digits ("resource_3a01J…"); the encoding is
// one-to-one and decoded on the way back.
//
// Filters are built from a fixed list of field names, with every value
// quoted and '"' and '\' escaped (the grammar of Meilisearch ≥ 1.4), and the
// audience clause always first. Highlighting uses random placeholders as
// pre and post tags; the text Meilisearch returns is HTML-escaped and only
// then are the placeholders turned into <mark>, so document text cannot
// inject markup.
//
// Rebuild fills "<uid>_rebuild" with the same settings, replays the writes
// made meanwhile, swaps it with the live index (one atomic task) and deletes
// the old content; the live index answers throughout.
//
// Errors. The client's retries are off: network errors, timeouts, 5xx
// answers, a refused API key and tasks not processed in time wrap
// search.ErrUnavailable, for the hub's durable queue to retry; other
// refusals (a filter on an attribute the index does not declare, say) are
// plain errors carrying Meilisearch's code. The caller's own cancellation is
// returned as such.
//
// Requirements: a recent Meilisearch v1 — localizedAttributes and search
// locales need 1.10, and the client sends fields of later releases (such as
// "rename" in index swaps).
//
// Tests. meili_standin_test.go holds a stand-in, not Meilisearch: an
// in-test HTTP server following the documented API for the endpoints used
// (tasks enqueued then succeeded, settings stored, filters parsed and
// refused on undeclared attributes, undeclared sorts refused), against which
// the adapter's requests and answer handling are checked on every run. It
// does not rank. meili_contract_test.go runs the same contract, plus the
// behaviour suite of search/searchtest, against a real server when
// COLLECTIF_MEILI_URL (and COLLECTIF_MEILI_KEY) are set.
//
// It imports meilisearch-go and, from the collectif module, only search and
// search/internal/snippet. The differences with the embedded engine are
// listed in the documentation of package search.
package meili
