package hub_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collectif/config"
	"collectif/hub"
	"collectif/openid/openidtest"
)

// TestProvidersFromConfigFile declares two OpenID providers in the
// configuration file, as an administrator would, and finds both on the
// login page.
func TestProvidersFromConfigFile(t *testing.T) {
	pc := openidtest.Start(t, openidtest.Options{ProConnect: true})
	kc := openidtest.Start(t, openidtest.Options{})
	secretFile := filepath.Join(t.TempDir(), "kc-secret")
	os.WriteFile(secretFile, []byte(openidtest.DefaultClientSecret+"\n"), 0o600)
	t.Setenv("PC_SECRET", openidtest.DefaultClientSecret)
	file := filepath.Join(t.TempDir(), "collectif.yaml")
	yaml := `oidc_providers:
  - id: proconnect
    name: ProConnect
    issuer: ` + pc.Issuer() + `
    client_id: ` + openidtest.DefaultClientID + `
    client_secret_env: PC_SECRET
    proconnect: true
    pkce: false
  - id: keycloak-alpes
    name: Keycloak des Alpes
    issuer: ` + kc.Issuer() + `
    client_id: ` + openidtest.DefaultClientID + `
    client_secret_file: ` + secretFile + `
    pkce: true
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"COLLECTIF_DATA_DIR": t.TempDir(), "COLLECTIF_CONFIG": file, "COLLECTIF_BASE_URL": "http://hub.test"}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := hub.Open(ctx, cfg, nil, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + ln.Addr().String() + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Se connecter avec ProConnect", "Se connecter avec Keycloak des Alpes", `href="/login/oidc/keycloak-alpes"`} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("login page lacks %q:\n%s", want, body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigFileNamesTheProblem(t *testing.T) {
	file := filepath.Join(t.TempDir(), "collectif.yaml")
	os.WriteFile(file, []byte("oidc_providers:\n  - id: x\n    isuer: https://typo.example\n"), 0o600)
	env := map[string]string{"COLLECTIF_DATA_DIR": t.TempDir(), "COLLECTIF_CONFIG": file}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = hub.Open(context.Background(), cfg, nil, hub.Options{})
	var ce *config.Error
	if err == nil || !errors.As(err, &ce) || ce.Var != "COLLECTIF_CONFIG" || !strings.Contains(ce.Cause, "isuer") {
		t.Fatalf("a misspelt key: %v", err)
	}
}
