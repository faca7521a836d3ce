package deploy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// ---------------------------------------------------------------- systemd

func readUnit(t *testing.T, name string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not key=value: %q", name, line)
		}
		kv[k] = append(kv[k], v)
	}
	return kv
}

func TestSystemdUnitIsHardened(t *testing.T) {
	for _, name := range []string{"collectif.service", "collectif-backup.service"} {
		u := readUnit(t, name)
		want := map[string]string{
			"User": "collectif", "Group": "collectif", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
			"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
			"RestrictSUIDSGID": "yes", "MemoryDenyWriteExecute": "yes", "EnvironmentFile": "/etc/collectif/env",
			"Environment": "COLLECTIF_DATA_DIR=/var/lib/collectif",
		}
		for k, v := range want {
			if !slices.Contains(u[k], v) {
				t.Errorf("%s: %s=%s missing (has %q)", name, k, v, u[k])
			}
		}
	}
	u := readUnit(t, "collectif.service")
	if len(u["ExecStart"]) != 1 || u["ExecStart"][0] != "/usr/local/bin/collectif serve" {
		t.Errorf("ExecStart = %q", u["ExecStart"])
	}
	if !slices.Contains(u["Environment"], "COLLECTIF_ADDR=127.0.0.1:8080") {
		t.Errorf("the hub must listen on the loopback only, behind the proxy: %q", u["Environment"])
	}
	// The stop timeout covers the default shutdown grace (20s).
	if n, err := strconv.Atoi(first(u["TimeoutStopSec"])); err != nil || n <= 20 {
		t.Errorf("TimeoutStopSec = %q, want more than COLLECTIF_SHUTDOWN_TIMEOUT (20s)", u["TimeoutStopSec"])
	}
	if first(u["StateDirectory"]) != "collectif" {
		t.Errorf("StateDirectory = %q", u["StateDirectory"])
	}
	b := readUnit(t, "collectif-backup.service")
	if !strings.HasPrefix(first(b["ExecStart"]), "/usr/local/bin/collectif backup /var/backups/collectif") || first(b["Type"]) != "oneshot" {
		t.Errorf("backup unit: ExecStart %q, Type %q", b["ExecStart"], b["Type"])
	}
	if tm := readUnit(t, "collectif-backup.timer"); first(tm["OnCalendar"]) == "" || first(tm["Persistent"]) != "true" {
		t.Errorf("backup timer: %v", tm)
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// TestSystemdAnalyzeVerify runs systemd-analyze verify on every unit, with
// the binary's path pointed at an executable that exists here.
func TestSystemdAnalyzeVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	units, _ := filepath.Glob("*.service")
	timers, _ := filepath.Glob("*.timer")
	units = append(units, timers...)
	if len(units) < 3 {
		t.Fatalf("units: %v", units)
	}
	dir := t.TempDir()
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("/usr/local/bin/collectif"), []byte(exe))
		if err := os.WriteFile(filepath.Join(dir, u), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, units...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify %v: %v\n%s", units, err, out)
	}
}

// ---------------------------------------------------------------- Compose

type compose struct {
	Services map[string]map[string]any `yaml:"services"`
	Networks map[string]map[string]any `yaml:"networks"`
	Volumes  map[string]any            `yaml:"volumes"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// envOf returns a service's environment as a map (Compose allows a map or
// a list of NAME=value).
func envOf(t *testing.T, svc map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch env := svc["environment"].(type) {
	case nil:
	case map[string]any:
		for k, v := range env {
			out[k] = fmt.Sprint(v)
		}
	case []any:
		for _, e := range env {
			k, v, _ := strings.Cut(fmt.Sprint(e), "=")
			out[k] = v
		}
	default:
		t.Fatalf("environment of type %T", env)
	}
	return out
}

func listOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case map[string]any: // depends_on and networks in their long form
		var out []string
		for k := range v {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return nil
}

// readEnvFile reads NAME=value lines.
func readEnvFile(t *testing.T, name string) map[string]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not NAME=value: %q", name, line)
		}
		out[k] = v
	}
	return out
}

func replicas(c compose) []string {
	var out []string
	for name, svc := range c.Services {
		if img, _ := svc["image"].(string); strings.HasPrefix(img, "collectif") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func TestComposeServicesAndHealthChecks(t *testing.T) {
	c := loadCompose(t)
	reps := replicas(c)
	if !reflect.DeepEqual(reps, []string{"collectif-1", "collectif-2"}) {
		t.Fatalf("collectif replicas = %v, want collectif-1 and collectif-2", reps)
	}
	for _, want := range []string{"postgres", "redis", "meilisearch", "caddy"} {
		if c.Services[want] == nil {
			t.Errorf("no %s service", want)
		}
	}
	for name, svc := range c.Services {
		hc, _ := svc["healthcheck"].(map[string]any)
		test := listOf(hc["test"])
		if len(test) < 2 || hc["disable"] == true || (test[0] != "CMD" && test[0] != "CMD-SHELL") {
			t.Errorf("%s: no usable health check: %v", name, hc)
		}
		for _, k := range []string{"interval", "timeout", "retries"} {
			if hc[k] == nil {
				t.Errorf("%s: health check without %s", name, k)
			}
		}
		if svc["restart"] != "unless-stopped" && svc["restart"] != "always" {
			t.Errorf("%s: restart = %v", name, svc["restart"])
		}
	}
	// What each health check asks.
	for name, want := range map[string]string{"collectif-1": "http://127.0.0.1:8080/healthz", "collectif-2": "http://127.0.0.1:8080/healthz",
		"postgres": "pg_isready", "redis": "ping", "meilisearch": "/health", "caddy": ":2019/"} {
		hc, _ := c.Services[name]["healthcheck"].(map[string]any)
		test := strings.Join(listOf(hc["test"]), " ")
		if !strings.Contains(test, want) {
			t.Errorf("%s: health check %q does not ask %q", name, test, want)
		}
	}
	// The replicas wait for healthy dependencies.
	for _, r := range reps {
		deps, _ := c.Services[r]["depends_on"].(map[string]any)
		for _, d := range []string{"postgres", "redis", "meilisearch"} {
			dd, _ := deps[d].(map[string]any)
			if dd["condition"] != "service_healthy" {
				t.Errorf("%s: depends_on %s = %v, want condition service_healthy", r, d, deps[d])
			}
		}
	}
	// Only Caddy is reachable from outside; the data services are on an
	// internal network only.
	for name, svc := range c.Services {
		if svc["ports"] != nil && name != "caddy" {
			t.Errorf("%s publishes ports %v: only the proxy may", name, svc["ports"])
		}
	}
	if ports := strings.Join(listOf(c.Services["caddy"]["ports"]), " "); !strings.Contains(ports, "443:443") || !strings.Contains(ports, "80:80") {
		t.Errorf("caddy ports = %q, want 80 and 443", ports)
	}
	if c.Networks["backend"]["internal"] != true {
		t.Errorf("the backend network is not internal: %v", c.Networks["backend"])
	}
	for _, name := range []string{"postgres", "redis", "meilisearch"} {
		if nets := listOf(c.Services[name]["networks"]); !reflect.DeepEqual(nets, []string{"backend"}) {
			t.Errorf("%s networks = %v, want backend only", name, nets)
		}
	}
	for _, r := range reps {
		if nets := listOf(c.Services[r]["networks"]); !slices.Contains(nets, "backend") || !slices.Contains(nets, "edge") {
			t.Errorf("%s networks = %v, want edge (proxy, Internet for federation) and backend", r, nets)
		}
	}
	// Named volumes are declared; the replicas share the data volume.
	for name, svc := range c.Services {
		for _, v := range listOf(svc["volumes"]) {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("%s: volume %s is not declared", name, src)
				}
			}
		}
	}
	if !slices.Contains(listOf(c.Services["caddy"]["volumes"]), "./Caddyfile:/etc/caddy/Caddyfile:ro") {
		t.Errorf("caddy does not mount ./Caddyfile read-only: %v", c.Services["caddy"]["volumes"])
	}
}

func TestComposeReplicasShareTheirSettings(t *testing.T) {
	c := loadCompose(t)
	a, b := c.Services["collectif-1"], c.Services["collectif-2"]
	if a == nil || b == nil {
		t.Fatal("no collectif-1 or collectif-2")
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("the replicas differ:\n%v\n%v", a, b)
	}
	ea, eb := envOf(t, a), envOf(t, b)
	for _, env := range []map[string]string{ea, eb} {
		for k := range env {
			if !strings.HasPrefix(k, "COLLECTIF_") {
				t.Errorf("unexpected variable %s", k)
			}
		}
	}
	if !reflect.DeepEqual(ea, eb) || !reflect.DeepEqual(listOf(a["env_file"]), listOf(b["env_file"])) {
		t.Fatalf("COLLECTIF_* settings differ: %v / %v", ea, eb)
	}
	// Together, the environment and the env file set the scaled setup.
	all := map[string]string{}
	for _, f := range listOf(a["env_file"]) {
		for k, v := range readEnvFile(t, f+".example") {
			all[k] = v
		}
	}
	for k, v := range ea {
		if _, dup := all[k]; dup {
			t.Errorf("%s is both in compose.yaml and in the env file", k)
		}
		all[k] = v
	}
	for _, k := range []string{"COLLECTIF_BASE_URL", "COLLECTIF_DATABASE_URL", "COLLECTIF_REDIS_URL", "COLLECTIF_MEILI_URL", "COLLECTIF_MEILI_KEY", "COLLECTIF_ADDR", "COLLECTIF_DATA_DIR"} {
		if all[k] == "" {
			t.Errorf("%s is not set for the replicas", k)
		}
	}
	if u, err := url.Parse(all["COLLECTIF_BASE_URL"]); err != nil || u.Scheme != "https" || (u.Path != "" && u.Path != "/") {
		t.Errorf("COLLECTIF_BASE_URL = %q: the hub is served over HTTPS at the root of its host", all["COLLECTIF_BASE_URL"])
	}
	if !strings.HasPrefix(all["COLLECTIF_ADDR"], "0.0.0.0:8080") {
		t.Errorf("COLLECTIF_ADDR = %q, want 0.0.0.0:8080 (the proxy's upstream port)", all["COLLECTIF_ADDR"])
	}
	for k, host := range map[string]string{"COLLECTIF_DATABASE_URL": "postgres", "COLLECTIF_REDIS_URL": "redis", "COLLECTIF_MEILI_URL": "meilisearch"} {
		if u, err := url.Parse(all[k]); err != nil || u.Hostname() != host {
			t.Errorf("%s = %q does not point at the %s service", k, all[k], host)
		}
	}
	// The same data directory on a shared volume: uploads are seen by both.
	if dir := all["COLLECTIF_DATA_DIR"]; !slices.ContainsFunc(listOf(a["volumes"]), func(v string) bool { return strings.HasSuffix(v, ":"+dir) }) {
		t.Errorf("the data directory %s is not on a volume: %v", dir, a["volumes"])
	}
	// Stopping waits for the shutdown grace.
	grace, err := time.ParseDuration(all["COLLECTIF_SHUTDOWN_TIMEOUT"])
	if err != nil {
		grace = 20 * time.Second
	}
	if stop, err := time.ParseDuration(fmt.Sprint(a["stop_grace_period"])); err != nil || stop <= grace {
		t.Errorf("stop_grace_period = %v, want more than %v", a["stop_grace_period"], grace)
	}
	// Forwarded headers trusted from the proxy only.
	caddyNets, _ := c.Services["caddy"]["networks"].(map[string]any)
	edge, _ := caddyNets["edge"].(map[string]any)
	if ip := fmt.Sprint(edge["ipv4_address"]); all["COLLECTIF_TRUSTED_PROXIES"] != ip+"/32" {
		t.Errorf("COLLECTIF_TRUSTED_PROXIES = %q, want Caddy's address only (%s/32)", all["COLLECTIF_TRUSTED_PROXIES"], ip)
	}
	build, _ := a["build"].(map[string]any)
	if build["context"] != ".." || build["dockerfile"] != "deploy/Dockerfile" {
		t.Errorf("build = %v, want context .. and deploy/Dockerfile", build)
	}
}

var secretName = regexp.MustCompile(`(?i)PASSWORD|SECRET|TOKEN|_KEY$|MASTER|DATABASE_URL|SMTP_URL`)
var urlPassword = regexp.MustCompile(`://[^/@\s:]+:[^/@\s]+@`)

// TestComposeSecretsComeFromEnvFiles: no secret is written in compose.yaml;
// each env file has an example beside it and is kept out of git.
func TestComposeSecretsComeFromEnvFiles(t *testing.T) {
	c := loadCompose(t)
	raw, _ := os.ReadFile("compose.yaml")
	if m := urlPassword.Find(raw); m != nil {
		t.Errorf("compose.yaml holds a URL with a password: %s", m)
	}
	ignore, err := os.ReadFile(".gitignore")
	if err != nil || !regexp.MustCompile(`(?m)^\*\.env$`).Match(ignore) {
		t.Errorf("deploy/.gitignore does not keep *.env out of git: %v %q", err, ignore)
	}
	files := map[string]bool{}
	for name, svc := range c.Services {
		for k, v := range envOf(t, svc) {
			if secretName.MatchString(k) {
				t.Errorf("%s: %s is set in compose.yaml; secrets go in an env file", name, k)
			}
			if urlPassword.MatchString(v) {
				t.Errorf("%s: %s holds a password", name, k)
			}
		}
		for _, f := range listOf(svc["env_file"]) {
			files[f] = true
		}
		if svc["command"] != nil && urlPassword.MatchString(fmt.Sprint(svc["command"])) {
			t.Errorf("%s: a password in the command", name)
		}
	}
	for _, name := range []string{"postgres", "meilisearch", "collectif-1", "caddy"} {
		if len(listOf(c.Services[name]["env_file"])) == 0 {
			t.Errorf("%s reads no env file", name)
		}
	}
	ex := map[string]map[string]string{}
	for f := range files {
		if filepath.Dir(f) != "." || !strings.HasSuffix(f, ".env") {
			t.Errorf("env file %s: want NAME.env beside compose.yaml", f)
			continue
		}
		ex[f] = readEnvFile(t, f+".example")
		for k, v := range ex[f] {
			if secretName.MatchString(k) && !strings.Contains(v, "CHANGE-ME") {
				t.Errorf("%s.example: %s has a real-looking value; examples say CHANGE-ME", f, k)
			}
		}
	}
	// The examples agree with each other: the database password and the
	// Meilisearch key are the same on both sides, the host is the base URL's.
	pg, col, meili, caddy := ex["postgres.env"], ex["collectif.env"], ex["meilisearch.env"], ex["caddy.env"]
	db, err := url.Parse(col["COLLECTIF_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := db.User.Password()
	if db.User.Username() != pg["POSTGRES_USER"] || pw != pg["POSTGRES_PASSWORD"] || strings.Trim(db.Path, "/") != pg["POSTGRES_DB"] {
		t.Errorf("COLLECTIF_DATABASE_URL %q does not match postgres.env.example %v", col["COLLECTIF_DATABASE_URL"], pg)
	}
	if col["COLLECTIF_MEILI_KEY"] != meili["MEILI_MASTER_KEY"] {
		t.Errorf("COLLECTIF_MEILI_KEY and MEILI_MASTER_KEY differ in the examples")
	}
	base, _ := url.Parse(col["COLLECTIF_BASE_URL"])
	if base == nil || base.Host != caddy["COLLECTIF_HOST"] {
		t.Errorf("COLLECTIF_HOST %q is not the host of COLLECTIF_BASE_URL %q", caddy["COLLECTIF_HOST"], col["COLLECTIF_BASE_URL"])
	}
}

// TestComposeConfig has a Compose client parse and resolve the file, with
// the example env files in place, when one is installed.
func TestComposeConfig(t *testing.T) {
	var cmdline []string
	if p, err := exec.LookPath("docker-compose"); err == nil {
		cmdline = []string{p}
	} else if p, err := exec.LookPath("docker"); err == nil && exec.Command(p, "compose", "version").Run() == nil {
		cmdline = []string{p, "compose"}
	} else {
		t.Skip("no Compose client (docker compose or docker-compose)")
	}
	dir := filepath.Join(t.TempDir(), "deploy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "compose.yaml", filepath.Join(dir, "compose.yaml"))
	copyFile(t, "Caddyfile", filepath.Join(dir, "Caddyfile"))
	copyFile(t, "Dockerfile", filepath.Join(dir, "Dockerfile"))
	examples, _ := filepath.Glob("*.env.example")
	for _, f := range examples {
		copyFile(t, f, filepath.Join(dir, strings.TrimSuffix(f, ".example")))
	}
	cmd := exec.Command(cmdline[0], append(cmdline[1:], "-f", "compose.yaml", "config", "-q")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix:///nonexistent") // no engine is needed, nor reached
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("%v config: %v\n%s", cmdline, err, out)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------- Caddy

func TestCaddyfileProxiesToBothReplicas(t *testing.T) {
	b, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	cf := string(b)
	code := regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(cf, "") // without comments
	m := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+([^{\n]+)\{`).FindStringSubmatch(code)
	if m == nil {
		t.Fatal("no reverse_proxy block")
	}
	upstreams := strings.Fields(m[1])
	var want []string
	for _, r := range replicas(loadCompose(t)) {
		want = append(want, r+":8080")
	}
	if !reflect.DeepEqual(upstreams, want) {
		t.Errorf("reverse_proxy upstreams = %v, want the Compose replicas %v", upstreams, want)
	}
	for _, directive := range []string{"health_uri /readyz", "health_interval", "health_timeout", "health_status 200", "fail_duration", "lb_try_duration", "{$COLLECTIF_HOST} {", "email {$ACME_EMAIL}"} {
		if !strings.Contains(code, directive) {
			t.Errorf("the Caddyfile lacks %q", directive)
		}
	}
	// Forwarded headers: nothing in front of Caddy is trusted, and the
	// upstream headers are Caddy's own.
	if strings.Contains(code, "trusted_proxies") || regexp.MustCompile(`header_up\s+X-Forwarded`).MatchString(code) {
		t.Error("the Caddyfile trusts or forges forwarded headers")
	}
	if !regexp.MustCompile(`@metrics path /metrics`).MatchString(code) || !strings.Contains(code, "respond @metrics 404") {
		t.Error("/metrics is not kept from the Internet")
	}
	// The site is the host alone: served at the root, over HTTPS.
	if strings.Contains(code, "http://") || strings.Contains(code, "handle_path") {
		t.Error("the hub must be served over HTTPS at the root of its host")
	}

	caddy, err := exec.LookPath("caddy")
	if err != nil {
		t.Log("caddy is not installed: the Caddyfile was checked as text only")
		return
	}
	cmd := exec.Command(caddy, "adapt", "--config", "Caddyfile", "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "COLLECTIF_HOST=hub.example.org", "ACME_EMAIL=admin@example.org")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), `"level":"warn"`) {
		t.Errorf("caddy adapt warns:\n%s", stderr.String())
	}
	var cfg any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	var proxies []map[string]any
	walk(cfg, func(m map[string]any) {
		if m["handler"] == "reverse_proxy" {
			proxies = append(proxies, m)
		}
	})
	if len(proxies) != 1 {
		t.Fatalf("%d reverse_proxy handlers", len(proxies))
	}
	p := proxies[0]
	var dials []string
	for _, u := range p["upstreams"].([]any) {
		dials = append(dials, u.(map[string]any)["dial"].(string))
	}
	hc, _ := p["health_checks"].(map[string]any)
	active, _ := hc["active"].(map[string]any)
	if !reflect.DeepEqual(dials, want) || active["uri"] != "/readyz" || hc["passive"] == nil {
		t.Errorf("adapted reverse_proxy: upstreams %v, health checks %v", dials, hc)
	}
	if !strings.Contains(string(out), `"hub.example.org"`) {
		t.Error("the site is not COLLECTIF_HOST")
	}
}

func walk(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, e := range v {
			walk(e, fn)
		}
	case []any:
		for _, e := range v {
			walk(e, fn)
		}
	}
}

// TestCaddyInFrontOfTwoHubs runs the Caddyfile, with the loopback
// addresses of two `collectif serve` in place of the Compose service names
// and a local certificate authority in place of ACME, and checks that it
// serves the hub over TLS from both replicas, keeps /metrics in, and goes
// on answering when a replica stops.
func TestCaddyInFrontOfTwoHubs(t *testing.T) {
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy is not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	bin := buildFromDockerfile(t)
	a, b := startHub(t, bin), startHub(t, bin)

	src, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	httpsPort, httpPort := freePort(t), freePort(t)
	cf := string(src)
	for old, repl := range map[string]string{
		"collectif-1:8080 collectif-2:8080": a.addr + " " + b.addr,
		"admin localhost:2019": fmt.Sprintf("admin off\n\tdefault_bind 127.0.0.1\n\tskip_install_trust\n\thttps_port %d\n\thttp_port %d",
			httpsPort, httpPort),
	} {
		if !strings.Contains(cf, old) {
			t.Fatalf("the Caddyfile no longer has %q", old)
		}
		cf = strings.Replace(cf, old, repl, 1)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(cf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddy, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "COLLECTIF_HOST=localhost", "ACME_EMAIL=admin@example.org"}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})

	// Trust Caddy's local authority, and dial the loopback whatever
	// "localhost" resolves to.
	root := filepath.Join(dir, "data", "caddy", "pki", "authorities", "local", "root.crt")
	var pem []byte
	for i := 0; i < 200 && len(pem) == 0; i++ {
		time.Sleep(50 * time.Millisecond)
		pem, _ = os.ReadFile(root)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no local root certificate from Caddy\n%s", logs.String())
	}
	target := fmt.Sprintf("127.0.0.1:%d", httpsPort)
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", target)
		},
	}}
	base := fmt.Sprintf("https://localhost:%d", httpsPort)
	get := func(path string) (int, string, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), nil
	}
	var code int
	for i := 0; i < 100; i++ {
		if code, _, err = get("/healthz"); err == nil && code == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 200 {
		t.Fatalf("GET /healthz through Caddy: %d %v\n%s", code, err, logs.String())
	}
	const n = 10
	for i := 0; i < n; i++ {
		if code, body, err := get("/"); err != nil || code != 200 || !strings.Contains(body, "<html") {
			t.Fatalf("GET / through Caddy: %d %v", code, err)
		}
	}
	ca, cb := a.homeCount(t), b.homeCount(t)
	if ca == 0 || cb == 0 || ca+cb != n {
		t.Fatalf("home page requests: %d on one replica, %d on the other; want both used, %d in all", ca, cb, n)
	}
	if code, _, err := get("/metrics"); err != nil || code != 404 {
		t.Fatalf("GET /metrics through Caddy = %d %v, want 404", code, err)
	}
	// HTTP is redirected to HTTPS.
	noRedirect := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/c/alpes", httpPort), nil)
	req.Host = "localhost"
	if resp, err := noRedirect.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode/100 != 3 || !strings.HasPrefix(resp.Header.Get("Location"), "https://localhost") {
			t.Fatalf("plain HTTP: %d %s, want a redirect to HTTPS", resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	// One replica stops: every request is still answered.
	a.stop(t)
	for i := 0; i < n; i++ {
		if code, _, err := get("/"); err != nil || code != 200 {
			t.Fatalf("GET / through Caddy with one replica down: %d %v\n%s", code, err, logs.String())
		}
	}
	if got := b.homeCount(t); got != cb+n {
		t.Fatalf("the remaining replica served %d home pages, want %d", got, cb+n)
	}
}

// ---------------------------------------------------------------- Dockerfile

type instruction struct {
	cmd, args string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "#") || (trim == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trim, "\\") {
			cur.WriteString(strings.TrimSuffix(trim, "\\") + " ")
			continue
		}
		cur.WriteString(trim)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

func TestDockerfileMultiStageStaticNonRoot(t *testing.T) {
	ins := readDockerfile(t)
	var stages []string
	var user string
	var buildRun string
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			stages = append(stages, in.args)
			user = "" // USER is per stage
		case "USER":
			user = in.args
		case "RUN":
			if strings.Contains(in.args, "go build") {
				buildRun = in.args
			}
		}
	}
	if len(stages) < 2 {
		t.Fatalf("not multi-stage: %v", stages)
	}
	final := stages[len(stages)-1]
	if strings.Contains(final, "golang") {
		t.Errorf("the final stage %q carries the Go toolchain", final)
	}
	// The last USER of the final stage is not root.
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || name == "0" {
		t.Errorf("the final stage runs as %q, want a non-root USER", user)
	}
	if !strings.Contains(buildRun, "CGO_ENABLED=0") || !strings.Contains(buildRun, "./cmd/collectif") || !strings.Contains(buildRun, "-trimpath") {
		t.Errorf("build command %q: want CGO_ENABLED=0 go build -trimpath … ./cmd/collectif", buildRun)
	}
	has := func(cmd, sub string) bool {
		return slices.ContainsFunc(ins, func(in instruction) bool { return in.cmd == cmd && strings.Contains(in.args, sub) })
	}
	for _, want := range []struct{ cmd, sub string }{
		{"COPY", "--from=build /out/collectif"}, {"ENTRYPOINT", "collectif"}, {"CMD", "serve"},
		{"COPY", "ca-certificates.crt /etc/ssl/certs/"}, // federation, OpenID and SMTP over TLS
		{"HEALTHCHECK", "/healthz"}, {"ENV", "COLLECTIF_ADDR=0.0.0.0:8080"}, {"ENV", "COLLECTIF_DATA_DIR=/var/lib/collectif"},
		{"EXPOSE", "8080"}, {"VOLUME", "/var/lib/collectif"},
	} {
		if !has(want.cmd, want.sub) {
			t.Errorf("no %s … %s", want.cmd, want.sub)
		}
	}
	// The data directory belongs to the runtime user.
	if !has("COPY", "--chown="+user+" /out/data /var/lib/collectif") {
		t.Errorf("/var/lib/collectif is not given to %s", user)
	}
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git", "data", "*.test", "deploy/*.env"} {
		if !slices.Contains(strings.Fields(string(ignore)), p) {
			t.Errorf("Dockerfile.dockerignore does not leave out %s", p)
		}
	}
}

// TestDockerfileBuildCommandBuilds runs the Dockerfile's `go build` here,
// flags and all, and checks the result: a static binary that runs.
func TestDockerfileBuildCommandBuilds(t *testing.T) {
	bin := buildFromDockerfile(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, _ := f.ImportedLibraries()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader")
		}
	}
	if len(libs) > 0 {
		t.Errorf("the binary links %v, want none (static)", libs)
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary keeps its symbol table (-s missing)")
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "collectif test-build" {
		t.Fatalf("collectif version = %q, %v; want the VERSION build argument", out, err)
	}
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// buildFromDockerfile runs the RUN … go build line of the Dockerfile with
// sh, from the repository root, its /out/ pointed at a temporary folder and
// VERSION=test-build; the binary is built once for the whole run.
func buildFromDockerfile(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		var run string
		for _, in := range readDockerfile(t) {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				run = in.args
			}
		}
		// Drop the BuildKit mount options: they are not shell.
		for strings.HasPrefix(run, "--") {
			_, run, _ = strings.Cut(run, " ")
			run = strings.TrimSpace(run)
		}
		if !strings.Contains(run, "/out/collectif") {
			buildErr = fmt.Errorf("the build command %q does not write /out/collectif", run)
			return
		}
		dir, err := os.MkdirTemp("", "collectif-deploy-")
		if err != nil {
			buildErr = err
			return
		}
		run = strings.ReplaceAll(run, "/out/", dir+"/")
		cmd := exec.Command("sh", "-c", run)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "VERSION=test-build")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%s: %v\n%s", run, err, out)
			return
		}
		buildBin = filepath.Join(dir, "collectif")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if buildBin == "" {
		t.Fatal("the build from the Dockerfile failed in an earlier test")
	}
	return buildBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildBin != "" {
		os.RemoveAll(filepath.Dir(buildBin))
	}
	os.Exit(code)
}

// ---------------------------------------------------------------- helpers

type hub struct {
	cmd    *exec.Cmd
	addr   string
	waited chan error
}

// startHub runs `collectif serve` on a fresh data directory and a free
// loopback port.
func startHub(t *testing.T, bin string) *hub {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "COLLECTIF_DATA_DIR=" + t.TempDir(), "COLLECTIF_ADDR=127.0.0.1:0",
		"COLLECTIF_BASE_URL=https://localhost", "COLLECTIF_LOG_FORMAT=json"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &hub{cmd: cmd, waited: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "collectif listening" {
				addr <- rec.Addr
			}
		}
		h.waited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case h.addr = <-addr:
	case err := <-h.waited:
		t.Fatalf("collectif serve exited: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("collectif serve did not listen within 20s")
	}
	return h
}

func (h *hub) stop(t *testing.T) {
	t.Helper()
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.waited:
	case <-time.After(30 * time.Second):
		t.Fatal("collectif serve did not stop")
	}
}

var homeMetric = regexp.MustCompile(`(?m)^collectif_http_request_duration_seconds_count\{method="GET",route="/",status="200"\} (\d+)$`)

// homeCount is how many home pages the replica served, from its metrics.
func (h *hub) homeCount(t *testing.T) int {
	t.Helper()
	resp, err := http.Get("http://" + h.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := homeMetric.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
