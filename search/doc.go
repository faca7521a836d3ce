// Package search defines what the hub asks of a search engine, and the French
// vocabulary both engines share.
//
// It holds:
//   - the document types (TypeResource, TypeSoftware, TypeEvent…, listed
//     by Types) and the fields each one fills;
//   - Document, Query, Hit, FacetCount, Result: what is indexed, asked and
//     answered; Query.Normalize applies the defaults and checks that both
//     engines rely on (page size, "public" always in the audience, known
//     filter and facet fields, sort order, date range);
//   - Index, the interface the two engines implement: search/embedded (bleve,
//     in-process, the default) and search/meili (a Meilisearch server);
//   - ErrUnavailable (the engine cannot be reached: the caller's durable queue
//     retries writes, the page says search is unavailable) and
//     ErrInvalidQuery (a bad field, facet, sort, range or page: not retried);
//   - the vocabulary of French local-government IT: Equivalences (visio ↔
//     visioconférence, ENT ↔ espace numérique de travail, GED, marché public ↔
//     commande publique, mairie ↔ commune, RGPD ↔ données personnelles, DSI,
//     SIG, EPCI…), Replacements, one way, from proprietary products to the
//     free software that replaces them (Canva → Polotno, Teams and Zoom →
//     BigBlueButton and Jitsi, Office → LibreOffice and Collabora, SharePoint
//     → Nextcloud…), Synonyms (both in Meilisearch's shape) and StopWords.
//     The embedded engine expands synonyms at query time and drops stop
//     words at indexing; the Meilisearch adapter sends both as settings.
//
// It imports the standard library only, and nothing else from the collectif
// module: the hub depends on search, never the other way round. Callers turn
// their records into Documents (Markdown and HTML stripped, attachments'
// text appended) and pass the viewer's audience keys with every Query.
//
// # The two engines
//
// Both engines pass the same behaviour suite (search/searchtest): accents
// either way, plurals, typos, synonyms, search-as-you-type, stop words,
// facets, filters, date ranges, newest first, paging, visibility, deletion,
// rebuilding. They differ where their machinery differs:
//
//   - Which documents match. Embedded: documents holding every word of the
//     query (stop words aside); if none does, documents holding any word,
//     those holding more ranked first. Meilisearch ("last" matching
//     strategy): documents holding every word, then, to fill the page,
//     those holding the first words only, dropping words from the end —
//     and Total counts them all.
//   - Plurals and word forms. Embedded indexes French light stems
//     ("webinaires" and "webinaire", "marchés publics" and "marché public"
//     are the same terms; the stemmer also conflates a few unrelated words,
//     such as "publication" and "public"). Meilisearch does not stem: plurals
//     match through typo tolerance and the prefix on the last word, so
//     irregular plurals ("chevaux" for "cheval") do not.
//   - Typos. Both allow one typo from 5 letters and two from 9 (Meilisearch's
//     defaults, set explicitly). Embedded counts letters on the stem, needs
//     the first letter right, counts two swapped letters as two typos
//     (Levenshtein) and allows no typo in words with digits; Meilisearch
//     counts a wrong first letter as two typos, a swap as one
//     (Damerau-Levenshtein), and allows typos in numbers. Embedded
//     tolerates typos only when the words as typed find fewer than
//     DefaultPerPage documents (fuzzy expansion was most of a query's
//     time); Meilisearch always does, ranking typo-free matches first.
//   - Search-as-you-type. Embedded treats the last word as a prefix only
//     when Query.Prefix is set and the word has two letters or more.
//     Meilisearch always treats the last word as a prefix unless a space
//     follows it, so the adapter appends a space when Prefix is false.
//   - Multi-word synonyms. Meilisearch matches them as phrases; embedded
//     requires all their words anywhere in the document (no positions are
//     indexed, which keeps the index half the size).
//   - Ranking and Score. Embedded: BM25 over title, summary, tags and body
//     together, a title match weighing three times more. Meilisearch: its
//     ranking rules (words, typo, proximity, attribute, exactness, then date).
//     Scores are not comparable between engines. With SortNewest both order
//     by date first and use relevance only to break ties.
//   - Total. Embedded counts every match. Meilisearch counts up to
//     pagination.maxTotalHits, set to MaxResults (1000). Both refuse pages
//     beyond the first MaxResults hits.
//   - Filters. Values match exactly in embedded; Meilisearch normalises
//     strings (case) before comparing. Pass values as indexed and both agree.
//     Meilisearch stores dates to the second.
//   - Text only of stop words. Embedded returns every visible document, as
//     for empty text; Meilisearch does the same when the last word is
//     complete, and otherwise takes that last stop word as a prefix.
//   - Snippets. Both show about 30 words around the first match, preferring
//     the summary, HTML-escaped with <mark> tags. Meilisearch crops and marks
//     server-side; embedded re-analyses the stored text (the first 64 KiB of
//     a body) and marks the words the query matched, elided articles outside
//     the mark ("d'<mark>Échirolles</mark>").
//   - Writes. Embedded writes synchronously. Meilisearch queues tasks; the
//     adapter waits until each is processed (bounded by Options.TaskTimeout)
//     so Upsert and Delete return once the change is searchable, and a task
//     Meilisearch refuses comes back as an error.
//   - Unavailability. Embedded is unavailable only once closed. Meilisearch
//     is unavailable on network errors, timeouts, 5xx answers, a refused API
//     key and tasks not processed in time.
//   - Rebuild. Embedded builds a new generation directory and switches a
//     pointer file; Meilisearch fills "<uid>_rebuild", swaps indexes and
//     deletes the old content. Both replay the writes made during the
//     rebuild in the same process before switching, and both keep
//     answering searches meanwhile. `collectif reindex` runs in another
//     process than the servers: embedded opens the directory detached
//     (embedded.OpenDetached; the server holds the live generation's lock),
//     the server follows the pointer within two seconds (Index.Follow);
//     then, with either engine, the index jobs created since the rebuild
//     began are queued again (indexer.Requeue), so the changes the servers
//     applied to the replaced index are applied to the new one.
//   - Date ranges. FieldWhen (upcoming, this month, past, from Query.Now)
//     is a bleve date-range facet in embedded; Meilisearch has no range
//     facets, so the adapter counts each range with one more search
//     asking for no hits (three more requests when the facet is asked).
package search
