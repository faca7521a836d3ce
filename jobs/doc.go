// Package jobs is the hub's durable background work: a queue that lives in the
// database (River, on SQLite or PostgreSQL through database/sql), so that a
// job is enqueued in the same transaction as the change that causes it — it
// exists if and only if the change committed — and survives restarts.
//
// Domain packages declare job argument types (any type with a Kind method)
// and register a handler for each with Handle; they enqueue with
// Queue.Enqueue inside their store transaction. Workers run inside
// `collectif serve`; failed jobs are retried with exponential back-off, and a
// job left running by a crashed process is rescued and run again, so handlers
// must be idempotent (write the same file, send with the same Message-ID…).
//
// It imports store/ and requestid/.
package jobs
