// Package bench is the load benchmark behind `collectif bench`: it
// generates a reproducible dataset (seeded) straight into the database,
// starts the hub and a minimal Fiber reference as child processes of the
// same binary on loopback, drives each scenario of Scenarios with a
// keep-alive HTTP/1.1 load generator at fixed concurrency for a fixed time
// after a warm-up, and prints one Markdown table: requests per second,
// latency percentiles, errors, the ratio to the reference measured in the
// same run, the hub's CPU seconds per 1,000 requests and its RSS peak
// (both read from /proc, apart from the load generator's), medians over
// several runs. Scenarios the running build cannot serve yet (a 404 on
// their first request) get a row that says so.
//
// It imports the model, store and the domain helpers the dataset needs
// (markdown, resource tags, territory names, password hashing, the
// catalog's and events' category lists), federation/signature to sign
// requests, federation/delivery and jobs to hand the fan-out's activity to
// the delivery queue, and search/searchtest for French text and the
// benchmark queries; never hub/ nor server/: the hub it measures is a
// separate process.
package bench
