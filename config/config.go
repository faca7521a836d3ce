// Package config reads the hub's configuration from the environment once,
// at start, and checks it: a bad value stops the process with one line that
// names the variable and the cause.
//
// It imports only the standard library; what each setting drives is built
// by the hub package.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one `collectif` process.
type Config struct {
	Addr        string   // COLLECTIF_ADDR
	BaseURL     *url.URL // COLLECTIF_BASE_URL, without a trailing slash
	DataDir     string   // COLLECTIF_DATA_DIR, absolute
	DatabaseURL string   // COLLECTIF_DATABASE_URL; empty = embedded SQLite
	RedisURL    string   // COLLECTIF_REDIS_URL; empty = in process
	MeiliURL    string   // COLLECTIF_MEILI_URL; empty = embedded index
	MeiliKey    string   // COLLECTIF_MEILI_KEY
	SMTPURL     string   // COLLECTIF_SMTP_URL; empty = mails written to DataDir/mail
	MailFrom    string   // COLLECTIF_MAIL_FROM; default collectif@<base host>
	LogLevel    slog.Level
	LogFormat   string        // COLLECTIF_LOG_FORMAT: "json", "text" or "" (json unless on a terminal)
	Workers     int           // COLLECTIF_WORKERS: background jobs run at once
	ShutdownIn  time.Duration // COLLECTIF_SHUTDOWN_TIMEOUT: grace for in-flight work
	ConfigFile  string        // COLLECTIF_CONFIG: optional file for what env vars say badly
	// EventRetention (COLLECTIF_EVENT_RETENTION): how long after an event
	// its attendees' personal data are kept before being anonymized.
	EventRetention time.Duration
	// TrustedProxies (COLLECTIF_TRUSTED_PROXIES, comma-separated IPs or
	// CIDRs): the reverse proxies whose X-Forwarded-For is believed. Empty:
	// nobody's, the client is the TCP peer.
	TrustedProxies []string
	// PprofAddr (COLLECTIF_PPROF_ADDR): a loopback host:port serving
	// net/http/pprof, apart from the public listener; empty: none.
	PprofAddr string
	// FederationAllowedNets (COLLECTIF_FEDERATION_ALLOWED_NETS,
	// comma-separated CIDRs): loopback, private or other special networks
	// that federation requests may reach anyway. Empty: none.
	FederationAllowedNets []netip.Prefix
	// AuthorizedFetch (COLLECTIF_FEDERATION_AUTHORIZED_FETCH=true): GETs of
	// our ActivityPub actors must be signed by a remote server.
	AuthorizedFetch bool
	// FederationCAFile (COLLECTIF_FEDERATION_CA_FILE): a PEM file of
	// certificate authorities trusted by federation requests besides the
	// system's, for hubs federating under a private CA. Empty: the system's
	// only.
	FederationCAFile string
}

// Error is a configuration error: which variable, and why.
type Error struct {
	Var   string
	Cause string
}

func (e *Error) Error() string { return e.Var + ": " + e.Cause }

func bad(v, format string, args ...any) error {
	return &Error{Var: v, Cause: fmt.Sprintf(format, args...)}
}

// Defaults of the product contract.
const (
	DefaultAddr    = "127.0.0.1:8080"
	DefaultBaseURL = "http://localhost:8080"
	DefaultDataDir = "./data"
)

// FromEnv reads the configuration through getenv (os.Getenv in the binary,
// a map in tests) and checks the shape of every value. Whether the data
// directory is writable and the services reachable is checked when they are
// opened.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	var c Config
	c.Addr = get("COLLECTIF_ADDR", DefaultAddr)
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		return c, bad("COLLECTIF_ADDR", "%q is not host:port (%v)", c.Addr, trimErr(err))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return c, bad("COLLECTIF_ADDR", "%q has no valid port", c.Addr)
	}

	raw := get("COLLECTIF_BASE_URL", DefaultBaseURL)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return c, bad("COLLECTIF_BASE_URL", "%q is not an http(s) URL such as https://hub.example.org", raw)
	}
	if u.Path != "" && u.Path != "/" {
		// ActivityPub IDs and WebFinger live at the root of a host.
		return c, bad("COLLECTIF_BASE_URL", "%q has a path; the hub must be served at the root of its host", raw)
	}
	u.Path = ""
	c.BaseURL = u

	dir := get("COLLECTIF_DATA_DIR", DefaultDataDir)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return c, bad("COLLECTIF_DATA_DIR", "%q: %v", dir, err)
	}
	c.DataDir = abs

	if v := get("COLLECTIF_DATABASE_URL", ""); v != "" {
		if err := checkURL(v, "postgres", "postgresql"); err != nil {
			return c, bad("COLLECTIF_DATABASE_URL", "%v; expected postgres://user:password@host:5432/database, or unset for the embedded database", err)
		}
		c.DatabaseURL = v
	}
	if v := get("COLLECTIF_REDIS_URL", ""); v != "" {
		if err := checkURL(v, "redis", "rediss"); err != nil {
			return c, bad("COLLECTIF_REDIS_URL", "%v; expected redis://host:6379/0", err)
		}
		c.RedisURL = v
	}
	if v := get("COLLECTIF_MEILI_URL", ""); v != "" {
		if err := checkURL(v, "http", "https"); err != nil {
			return c, bad("COLLECTIF_MEILI_URL", "%v; expected http://host:7700", err)
		}
		c.MeiliURL = strings.TrimRight(v, "/")
	}
	c.MeiliKey = get("COLLECTIF_MEILI_KEY", "")
	if v := get("COLLECTIF_SMTP_URL", ""); v != "" {
		if err := checkURL(v, "smtp", "smtps"); err != nil {
			return c, bad("COLLECTIF_SMTP_URL", "%v; expected smtp://user:password@host:587 (STARTTLS) or smtps://host:465", err)
		}
		c.SMTPURL = v
	}
	c.MailFrom = get("COLLECTIF_MAIL_FROM", "collectif@"+u.Hostname())
	if !strings.Contains(c.MailFrom, "@") {
		return c, bad("COLLECTIF_MAIL_FROM", "%q is not an e-mail address", c.MailFrom)
	}

	switch lv := strings.ToLower(get("COLLECTIF_LOG_LEVEL", "info")); lv {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, bad("COLLECTIF_LOG_LEVEL", "%q is not one of debug, info, warn, error", lv)
	}
	c.LogFormat = strings.ToLower(get("COLLECTIF_LOG_FORMAT", ""))
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "text" {
		return c, bad("COLLECTIF_LOG_FORMAT", "%q is not json or text", c.LogFormat)
	}
	c.Workers, err = strconv.Atoi(get("COLLECTIF_WORKERS", "8"))
	if err != nil || c.Workers < 1 || c.Workers > 1000 {
		return c, bad("COLLECTIF_WORKERS", "%q is not a number between 1 and 1000", getenv("COLLECTIF_WORKERS"))
	}
	c.ShutdownIn, err = time.ParseDuration(get("COLLECTIF_SHUTDOWN_TIMEOUT", "20s"))
	if err != nil || c.ShutdownIn <= 0 {
		return c, bad("COLLECTIF_SHUTDOWN_TIMEOUT", "%q is not a positive duration such as 20s", getenv("COLLECTIF_SHUTDOWN_TIMEOUT"))
	}
	if c.EventRetention, err = ParseRetention(get("COLLECTIF_EVENT_RETENTION", "183d")); err != nil {
		return c, bad("COLLECTIF_EVENT_RETENTION", "%q is not a duration such as 183d or 4392h (at least a day)", getenv("COLLECTIF_EVENT_RETENTION"))
	}
	if v := get("COLLECTIF_TRUSTED_PROXIES", ""); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
				return c, bad("COLLECTIF_TRUSTED_PROXIES", "%q is neither an IP address nor a CIDR such as 10.0.0.0/24", p)
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if v := get("COLLECTIF_PPROF_ADDR", ""); v != "" {
		host, _, err := net.SplitHostPort(v)
		if err != nil {
			return c, bad("COLLECTIF_PPROF_ADDR", "%q is not host:port (%v)", v, trimErr(err))
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return c, bad("COLLECTIF_PPROF_ADDR", "%q is not a loopback address such as 127.0.0.1:6060: profiles are for the machine's administrators only", v)
		}
		c.PprofAddr = v
	}
	if v := get("COLLECTIF_FEDERATION_ALLOWED_NETS", ""); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				return c, bad("COLLECTIF_FEDERATION_ALLOWED_NETS", "%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", p)
			}
			c.FederationAllowedNets = append(c.FederationAllowedNets, pfx.Masked())
		}
	}
	if v := get("COLLECTIF_FEDERATION_AUTHORIZED_FETCH", "false"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, bad("COLLECTIF_FEDERATION_AUTHORIZED_FETCH", "%q is neither true nor false", v)
		}
		c.AuthorizedFetch = b
	}
	if v := get("COLLECTIF_FEDERATION_CA_FILE", ""); v != "" {
		b, err := os.ReadFile(v)
		if err != nil {
			return c, bad("COLLECTIF_FEDERATION_CA_FILE", "%v", trimErr(err))
		}
		if !strings.Contains(string(b), "-----BEGIN CERTIFICATE-----") {
			return c, bad("COLLECTIF_FEDERATION_CA_FILE", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", v)
		}
		c.FederationCAFile = v
	}
	if v := get("COLLECTIF_CONFIG", ""); v != "" {
		if _, err := os.Stat(v); err != nil {
			return c, bad("COLLECTIF_CONFIG", "%v", trimErr(err))
		}
		c.ConfigFile = v
	}
	return c, nil
}

func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("malformed URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" {
				return errors.New("the URL has no host")
			}
			return nil
		}
	}
	return fmt.Errorf("scheme %q is not %s", u.Scheme, strings.Join(schemes, " or "))
}

// trimErr drops the "op path:" prefix that os and net put on errors, which
// repeats what the message already says.
func trimErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	return err.Error()
}

// Secure reports whether the hub is served over TLS (cookies get Secure).
func (c Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// Base returns the base URL as text, without a trailing slash.
func (c Config) Base() string { return c.BaseURL.String() }

// ParseRetention reads a duration written in days ("183d") or as Go
// writes durations ("4392h"); it must be at least a day.
func ParseRetention(v string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100*366 {
			return 0, fmt.Errorf("bad number of days %q", n)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, err
		}
	}
	if d < 24*time.Hour {
		return 0, fmt.Errorf("%s is less than a day", d)
	}
	return d, nil
}
