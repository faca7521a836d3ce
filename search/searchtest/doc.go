// Package searchtest holds test helpers shared by the engines' tests: a small
// French corpus that reads like the hub (Corpus, with the IDs tests assert
// on), the behaviour suite every search.Index must pass (Run), and a
// deterministic generator of realistic documents and queries for benchmarks
// (NewGenerator, BenchQueries).
//
// Run is called with a function opening a fresh, empty index; it checks
// accents both ways, plurals, typos, synonyms, prefixes, stop words, facets,
// filters, date ranges, newest-first, paging, visibility, snippets, deletion
// and Rebuild, asserting only what both engines guarantee (found, found
// first, absent, exact counts under filters), never scores.
//
// It imports the standard library (testing included) and, from the collectif
// module, only search. It is meant for _test.go files.
package searchtest
