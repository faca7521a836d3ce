package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.Base() != DefaultBaseURL || !strings.HasSuffix(c.DataDir, "/data") ||
		c.DatabaseURL != "" || c.RedisURL != "" || c.MailFrom != "collectif@localhost" || c.Secure() {
		t.Fatalf("defaults = %+v", c)
	}
	if c.EventRetention != 183*24*time.Hour {
		t.Errorf("event retention %s, want about six months", c.EventRetention)
	}
}

func TestEventRetention(t *testing.T) {
	for v, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "4392h": 4392 * time.Hour} {
		c, err := FromEnv(envOf(map[string]string{"COLLECTIF_EVENT_RETENTION": v}))
		if err != nil || c.EventRetention != want {
			t.Errorf("%s: %s, %v", v, c.EventRetention, err)
		}
	}
	for _, v := range []string{"1h", "-3d", "0d"} {
		if _, err := FromEnv(envOf(map[string]string{"COLLECTIF_EVENT_RETENTION": v})); err == nil {
			t.Errorf("%s accepted", v)
		}
	}
}

func TestEachBadValueNamesItsVariable(t *testing.T) {
	cases := map[string]string{
		"COLLECTIF_ADDR":               "8080",
		"COLLECTIF_BASE_URL":           "ftp://hub.example.org",
		"COLLECTIF_DATABASE_URL":       "postgres//nohost",
		"COLLECTIF_REDIS_URL":          "http://127.0.0.1:6379",
		"COLLECTIF_MEILI_URL":          "meili:7700",
		"COLLECTIF_SMTP_URL":           "mail.example.org:25",
		"COLLECTIF_MAIL_FROM":          "nobody",
		"COLLECTIF_LOG_LEVEL":          "verbose",
		"COLLECTIF_LOG_FORMAT":         "xml",
		"COLLECTIF_WORKERS":            "0",
		"COLLECTIF_SHUTDOWN_TIMEOUT":   "forever",
		"COLLECTIF_CONFIG":             "/nonexistent/collectif.yaml",
		"COLLECTIF_TRUSTED_PROXIES":    "10.0.0.1, proxy.internal",
		"COLLECTIF_PPROF_ADDR":         "0.0.0.0:6060",
		"COLLECTIF_EVENT_RETENTION":    "6 mois",
		"COLLECTIF_FEDERATION_CA_FILE": "/nonexistent/ca.pem",
	}
	for k, v := range cases {
		t.Run(k, func(t *testing.T) {
			_, err := FromEnv(envOf(map[string]string{k: v}))
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != k || ce.Cause == "" {
				t.Fatalf("FromEnv(%s=%q) = %v; want an error naming %s", k, v, err, k)
			}
		})
	}
}

func TestPasswordsStayOutOfMessages(t *testing.T) {
	_, err := FromEnv(envOf(map[string]string{"COLLECTIF_DATABASE_URL": "mysql://root:hunter2@db/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

func TestHTTPSBaseURL(t *testing.T) {
	c, err := FromEnv(envOf(map[string]string{"COLLECTIF_BASE_URL": "https://hub.example.org/"}))
	if err != nil || !c.Secure() || c.Base() != "https://hub.example.org" || c.MailFrom != "collectif@hub.example.org" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestPprofOnlyOnLoopback(t *testing.T) {
	for v, ok := range map[string]bool{"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true, "127.0.0.2:0": true,
		":6060": false, "0.0.0.0:6060": false, "192.168.1.10:6060": false, "hub.example.org:6060": false, "6060": false} {
		c, err := FromEnv(envOf(map[string]string{"COLLECTIF_PPROF_ADDR": v}))
		if ok != (err == nil) || ok && c.PprofAddr != v {
			t.Errorf("COLLECTIF_PPROF_ADDR=%q: %v, %q", v, err, c.PprofAddr)
		}
	}
}

func TestFederationAllowedNets(t *testing.T) {
	c, err := FromEnv(envOf(map[string]string{"COLLECTIF_FEDERATION_ALLOWED_NETS": " 127.0.0.0/8 ,fd00::1/8,"}))
	if err != nil || len(c.FederationAllowedNets) != 2 || c.FederationAllowedNets[0].String() != "127.0.0.0/8" ||
		c.FederationAllowedNets[1].String() != "fd00::/8" {
		t.Fatalf("%v %v", c.FederationAllowedNets, err)
	}
	_, err = FromEnv(envOf(map[string]string{"COLLECTIF_FEDERATION_ALLOWED_NETS": "127.0.0.0/8, 10.0.0.1"}))
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "COLLECTIF_FEDERATION_ALLOWED_NETS" || !strings.Contains(ce.Cause, "10.0.0.1") {
		t.Fatalf("an address without a prefix length = %v", err)
	}
}

func TestFederationCAFile(t *testing.T) {
	dir := t.TempDir()
	good, notPEM := dir+"/ca.pem", dir+"/ca.der"
	os.WriteFile(good, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600)
	os.WriteFile(notPEM, []byte{0x30, 0x82, 0x01}, 0o600)
	c, err := FromEnv(envOf(map[string]string{"COLLECTIF_FEDERATION_CA_FILE": good}))
	if err != nil || c.FederationCAFile != good {
		t.Fatalf("%q %v", c.FederationCAFile, err)
	}
	_, err = FromEnv(envOf(map[string]string{"COLLECTIF_FEDERATION_CA_FILE": notPEM}))
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "COLLECTIF_FEDERATION_CA_FILE" || !strings.Contains(ce.Cause, "PEM") {
		t.Fatalf("a file without a PEM certificate = %v", err)
	}
}
