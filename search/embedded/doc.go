// Package embedded is the in-process search engine of the hub: a
// search.Index kept by bleve (v2) in a local directory, needing no server.
//
// Open(dir) opens or creates the index under dir (the hub passes
// "<data dir>/search"). The directory holds one bleve index per generation
// ("gen-<time>") and a pointer file, CURRENT, naming the live one. Rebuild
// fills a new generation while the live one answers, replays the writes
// made meanwhile, then replaces CURRENT atomically (write, sync, rename) and
// removes the old generation; Open removes generations a crash left behind.
// The Index is safe for concurrent use: searches run during writes and
// rebuilds. A generation's files are locked by the process that opened it,
// so a command-line tool uses OpenDetached: its Rebuild fills a new
// generation, switches CURRENT, and waits until the serving process — which
// checks CURRENT every few seconds with Follow — has switched and removed
// the old one (or removes it itself when no process holds it).
//
// Analysis. Text goes through analyzer "collectif_fr": ASCII folding of
// every accent (bleve's char filter, which also straightens the typographic
// apostrophe), the Unicode tokenizer, lowercasing, French elision (l', d',
// qu'…), the stop words of search.StopWords, and bleve's French light
// stemmer. bleve's own "fr" analyzer is not used because it folds only some
// accents, only inside the stemmer and only in words longer than four
// letters, so "Noël"/"noel" or "cimetière"/"cimetiere" would not meet.
// Queries are analysed the same way, with the analyzers stored in the index,
// so an index built by an older version keeps matching its own terms until
// Rebuild.
//
// Matching. Each query word matches its stem, a word within Meilisearch's
// default typo budget (fuzzy, first letter fixed), and, for the last word
// of a search-as-you-type query, any word it starts. Synonyms of
// search.Synonyms are expanded at query time. Words are matched in one
// "text" field (title, summary, tags, body) and again in the title, which
// weighs three times more; scoring is BM25. All words are required first;
// when no document has them all, any word will do. Visibility (Audience),
// types, facet filters and the date range are applied as a filter that does
// not affect scores. Facets count the 100 most frequent values of keyword
// fields over all matches.
//
// Snippets are built from the stored summary and body: the text is
// HTML-escaped and the words the query matched are wrapped in <mark>.
//
// It imports bleve and, from the collectif module, only search and
// search/internal/snippet. The differences with the Meilisearch engine are
// listed in the documentation of package search.
//
// Benchmarks (100,000 generated documents) are in bench_test.go, with the
// command to run them.
package embedded
