// Package kv holds the hub's short-lived shared state: cache entries,
// sessions, one-time values (OIDC pending logins, idempotency keys), rate
// limits and cross-node events.
//
// There are two implementations with the same behaviour behind the Store,
// Limiter and Bus interfaces, combined as Backend:
//
//   - Redis (NewRedis), used when COLLECTIF_REDIS_URL is configured. All
//     `collectif serve` processes behind the load balancer then share keys,
//     limiter counts (exact across processes: one Lua script per decision,
//     timed by the Redis clock) and events (Redis pub/sub, which go-redis
//     reconnects and resubscribes by itself).
//   - Memory (NewMemory), in process, for a single node and for tests. It
//     keeps the same semantics (TTLs, key types, set TTL rule, sliding
//     window, bus fan-out) and sweeps expired entries so memory stays bounded.
//
// FiberStorage adapts a Store to fiber.Storage for Fiber's session and
// limiter middlewares. Every Redis key and channel is prefixed with
// Options.Namespace, so tests and several hubs can share one Redis.
//
// Nothing here is durable: Redis runs without persistence, and the memory
// backend dies with the process. Anything that must survive belongs in the
// database; this package only holds what can be rebuilt or re-asked for.
//
// # Degradation
//
// When Redis is unreachable or too slow, calls fail quickly, bounded by the
// dial, write and read timeouts (Options, 500ms each by default) and by the
// caller's context deadline, with no hidden retries, and with an error for
// which errors.Is(err, ErrUnavailable) is true. The operation may or may not
// have been applied. Callers should:
//
//   - cache reads: treat it as a miss and read from the database; cache
//     writes and invalidations: log and go on (entries have TTLs);
//   - sessions and one-time values (GetDel, SetNX): fail the request with
//     503 Service Unavailable; never treat the error as "absent" or
//     "first use", which would let a replay or a forged state through;
//   - rate limits: fail open for cheap anonymous reads (log it), fail
//     closed (503) for authentication and other abuse-sensitive endpoints;
//   - Publish: log; subscribers rely on TTLs as the backstop. Subscribe
//     fails at start-up only; once subscribed, outages are bridged by
//     reconnection and the messages published meanwhile are lost;
//   - readiness probes: report not ready on Ping errors, so the load
//     balancer drains the node while the process keeps running.
//
// ErrNotFound means "absent or expired" and is never returned for an outage.
// After Close, calls fail with ErrClosed, which also wraps ErrUnavailable.
//
// # Tests
//
// The tests run every behaviour against the in-process backend, and also
// against a real Redis when COLLECTIF_TEST_REDIS_URL is set, e.g.
//
//	COLLECTIF_TEST_REDIS_URL=redis://127.0.0.1:6379/0 go test ./kv/ -race
//
// Each test works in a random namespace and deletes its keys afterwards, so
// they can share a Redis with other users. Outage tests cut a local TCP proxy
// in front of Redis, never Redis itself.
//
// # Dependencies
//
// kv imports nothing from the collectif module, only the standard library,
// github.com/redis/go-redis/v9 and github.com/gofiber/fiber/v2, so any
// package can use it without import cycles.
package kv
