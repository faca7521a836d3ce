// Package deploy holds what an administrator needs to run collectif for
// real, as files rather than Go code: the systemd units of the single
// server, the Compose file, Caddyfile and Dockerfile of the scaled setup,
// and the operations guide (README.md).
//
// Its tests validate those files as far as a machine without a Docker
// engine allows: systemd-analyze verify, the Compose file parsed and
// checked (and `docker compose config` when a Compose client is there),
// the Caddyfile adapted and run by Caddy in front of two real hubs when
// caddy is installed, and the Dockerfile's build command run as written.
package deploy
