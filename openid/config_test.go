package openid_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"collectif/openid"
)

func TestProviderConfigValidate(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secretFile, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COLLECTIF_TEST_OIDC_SECRET", "from-the-env")
	t.Setenv("COLLECTIF_TEST_OIDC_EMPTY", "")

	valid := func() openid.ProviderConfig {
		return openid.ProviderConfig{
			ID:           "proconnect",
			Name:         "ProConnect",
			Issuer:       "https://auth.example.gouv.fr/api/v2",
			ClientID:     "collectif",
			ClientSecret: "inline",
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*openid.ProviderConfig)
		// wantFields are the fields the errors must name; none means valid.
		wantFields []string
	}{
		{"valid", func(*openid.ProviderConfig) {}, nil},
		{"valid with secret from env", func(c *openid.ProviderConfig) {
			c.ClientSecret, c.ClientSecretEnv = "", "COLLECTIF_TEST_OIDC_SECRET"
		}, nil},
		{"valid with secret from file", func(c *openid.ProviderConfig) {
			c.ClientSecret, c.ClientSecretFile = "", secretFile
		}, nil},
		{"valid public client with PKCE", func(c *openid.ProviderConfig) { c.ClientSecret, c.PKCE = "", true }, nil},
		{"valid http issuer on loopback", func(c *openid.ProviderConfig) { c.Issuer = "http://127.0.0.1:8080/realms/x" }, nil},
		{"valid without name", func(c *openid.ProviderConfig) { c.Name = "" }, nil},
		{"missing id", func(c *openid.ProviderConfig) { c.ID = "" }, []string{"id"}},
		{"bad id", func(c *openid.ProviderConfig) { c.ID = "Pro Connect" }, []string{"id"}},
		{"id with slash", func(c *openid.ProviderConfig) { c.ID = "a/b" }, []string{"id"}},
		{"id too long", func(c *openid.ProviderConfig) { c.ID = strings.Repeat("a", 65) }, []string{"id"}},
		{"missing issuer", func(c *openid.ProviderConfig) { c.Issuer = "" }, []string{"issuer"}},
		{"relative issuer", func(c *openid.ProviderConfig) { c.Issuer = "auth.example.gouv.fr" }, []string{"issuer"}},
		{"http issuer", func(c *openid.ProviderConfig) { c.Issuer = "http://auth.example.gouv.fr" }, []string{"issuer"}},
		{"issuer with query", func(c *openid.ProviderConfig) { c.Issuer = "https://auth.example.gouv.fr/?x=1" }, []string{"issuer"}},
		{"missing client id", func(c *openid.ProviderConfig) { c.ClientID = " " }, []string{"client_id"}},
		{"missing secret", func(c *openid.ProviderConfig) { c.ClientSecret = "" }, []string{"client_secret"}},
		{"secret set twice", func(c *openid.ProviderConfig) { c.ClientSecretFile = secretFile }, []string{"client_secret, client_secret_file"}},
		{"secret set three times", func(c *openid.ProviderConfig) {
			c.ClientSecretEnv, c.ClientSecretFile = "COLLECTIF_TEST_OIDC_SECRET", secretFile
		}, []string{"client_secret, client_secret_env, client_secret_file"}},
		{"unreadable secret file", func(c *openid.ProviderConfig) {
			c.ClientSecret, c.ClientSecretFile = "", filepath.Join(dir, "missing")
		}, []string{"client_secret_file"}},
		{"empty secret file", func(c *openid.ProviderConfig) { c.ClientSecret, c.ClientSecretFile = "", emptyFile }, []string{"client_secret_file"}},
		{"unset secret env", func(c *openid.ProviderConfig) {
			c.ClientSecret, c.ClientSecretEnv = "", "COLLECTIF_TEST_OIDC_UNSET"
		}, []string{"client_secret_env"}},
		{"empty secret env", func(c *openid.ProviderConfig) {
			c.ClientSecret, c.ClientSecretEnv = "", "COLLECTIF_TEST_OIDC_EMPTY"
		}, []string{"client_secret_env"}},
		{"scopes without openid", func(c *openid.ProviderConfig) { c.Scopes = []string{"email"} }, []string{"scopes"}},
		{"scope with a space", func(c *openid.ProviderConfig) { c.Scopes = []string{"openid", "a b"} }, []string{"scopes"}},
		{"empty claim name", func(c *openid.ProviderConfig) { c.Claims.SIRET = openid.ClaimNames{""} }, []string{"claims.siret"}},
		{"several problems at once", func(c *openid.ProviderConfig) { c.Issuer, c.ClientID = "", "" }, []string{"issuer", "client_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			if len(tc.wantFields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors on %v", tc.wantFields)
			}
			if !errors.Is(err, openid.ErrConfig) {
				t.Errorf("error does not wrap ErrConfig: %v", err)
			}
			for _, f := range tc.wantFields {
				if !strings.Contains(err.Error(), ": "+f+": ") {
					t.Errorf("error does not name field %s: %v", f, err)
				}
			}
			if c.ID != "" && !strings.Contains(err.Error(), `provider "`+c.ID+`"`) {
				t.Errorf("error does not name provider %q: %v", c.ID, err)
			}
			for _, secret := range []string{"inline", "from-a-file", "from-the-env"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text contains the secret %q: %v", secret, err)
				}
			}
			var ce *openid.ConfigError
			if !errors.As(err, &ce) || ce.Field == "" {
				t.Errorf("error is not a *ConfigError: %#v", err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	p := openid.ProviderConfig{ID: "kc", Issuer: "https://kc.example/realms/x", ClientID: "hub", ClientSecret: "s"}
	for _, tc := range []struct {
		name string
		opts openid.Options
		want string
	}{
		{"missing base URL", openid.Options{Providers: []openid.ProviderConfig{p}}, "base_url: is required"},
		{"relative base URL", openid.Options{BaseURL: "hub.example", Providers: []openid.ProviderConfig{p}}, "base_url"},
		{"duplicate ids", openid.Options{BaseURL: "https://hub.example", Providers: []openid.ProviderConfig{p, p}}, `provider "kc": id: duplicate`},
		{"invalid provider", openid.Options{BaseURL: "https://hub.example", Providers: []openid.ProviderConfig{{ID: "x"}}}, `provider "x": issuer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp, err := openid.New(t.Context(), tc.opts)
			if err == nil || rp != nil {
				t.Fatalf("New() = %v, %v; want an error", rp, err)
			}
			if !errors.Is(err, openid.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	rp, err := openid.New(t.Context(), openid.Options{
		BaseURL: "https://hub.example/prefix/",
		Providers: []openid.ProviderConfig{
			{ID: "proconnect", Name: "ProConnect", Issuer: "https://pc.example", ClientID: "a", ClientSecret: "s", ProConnect: true},
			{ID: "kc-lyon", Issuer: "https://kc.example/realms/lyon", ClientID: "b", ClientSecret: "s"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []openid.ProviderInfo{{ID: "proconnect", Name: "ProConnect"}, {ID: "kc-lyon", Name: "kc-lyon"}}
	if got := rp.Providers(); !reflect.DeepEqual(got, want) {
		t.Errorf("Providers() = %+v, want %+v", got, want)
	}
	if got, want := rp.CallbackURL("kc-lyon"), "https://hub.example/prefix/login/oidc/kc-lyon/callback"; got != want {
		t.Errorf("CallbackURL = %q, want %q", got, want)
	}
}

func TestConfigFromYAMLAndJSON(t *testing.T) {
	const doc = `
id: proconnect
name: ProConnect
issuer: https://auth.example.gouv.fr/api/v2
client_id: collectif
client_secret_env: PROCONNECT_SECRET
scopes: [openid, email, siret]
acr_values: eidas1
pkce: false
proconnect: true
claims:
  email: email
  family_name: [usual_name, family_name]
`
	var fromYAML openid.ProviderConfig
	if err := yaml.Unmarshal([]byte(doc), &fromYAML); err != nil {
		t.Fatal(err)
	}
	want := openid.ProviderConfig{
		ID: "proconnect", Name: "ProConnect", Issuer: "https://auth.example.gouv.fr/api/v2",
		ClientID: "collectif", ClientSecretEnv: "PROCONNECT_SECRET",
		Scopes: []string{"openid", "email", "siret"}, ACRValues: "eidas1", ProConnect: true,
		Claims: openid.ClaimMapping{
			Email:      openid.ClaimNames{"email"},
			FamilyName: openid.ClaimNames{"usual_name", "family_name"},
		},
	}
	if !reflect.DeepEqual(fromYAML, want) {
		t.Errorf("yaml:\n got %+v\nwant %+v", fromYAML, want)
	}
	var fromJSON openid.ProviderConfig
	js := `{"id":"proconnect","name":"ProConnect","issuer":"https://auth.example.gouv.fr/api/v2","client_id":"collectif",
		"client_secret_env":"PROCONNECT_SECRET","scopes":["openid","email","siret"],"acr_values":"eidas1","proconnect":true,
		"claims":{"email":"email","family_name":["usual_name","family_name"]}}`
	if err := json.Unmarshal([]byte(js), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, want) {
		t.Errorf("json:\n got %+v\nwant %+v", fromJSON, want)
	}
	var bad openid.ProviderConfig
	if err := yaml.Unmarshal([]byte("claims: {email: {a: b}}"), &bad); err == nil {
		t.Errorf("a mapping accepted as claim names")
	}
}

func TestSIREN(t *testing.T) {
	for _, tc := range []struct{ siret, want string }{
		{"21380151700011", "213801517"}, // Échirolles
		{"213 801 517 00011", "213801517"},
		{"", ""},
		{"213801517", ""},       // a SIREN, not a SIRET
		{"2138015170001", ""},   // 13 digits
		{"213801517000115", ""}, // 15 digits
		{"2138015170001A", ""},  // not all digits
		{"２１３８０１５１４０００１４", ""},  // full-width digits
		{"00000000000000", ""},
	} {
		id := openid.Identity{SIRET: tc.siret}
		if got := id.SIREN(); got != tc.want {
			t.Errorf("SIRET %q: SIREN() = %q, want %q", tc.siret, got, tc.want)
		}
	}
}

func TestIdentityKey(t *testing.T) {
	for _, tc := range []struct {
		id   openid.Identity
		want string
	}{
		{openid.Identity{Issuer: "https://kc.example/realms/x", Subject: "f81d4fae"}, "https://kc.example/realms/x|f81d4fae"},
		{openid.Identity{Issuer: "https://pc.example/api/v2", IdpID: "idp-1", Subject: "abc"}, "https://pc.example/api/v2|idp-1|abc"},
		// Separators inside parts are escaped: these two must not collide.
		{openid.Identity{Issuer: "https://a", Subject: "b|c"}, "https://a|b%7Cc"},
		{openid.Identity{Issuer: "https://a", IdpID: "b", Subject: "c"}, "https://a|b|c"},
		{openid.Identity{Issuer: "https://a", Subject: "100%"}, "https://a|100%25"},
	} {
		if got := tc.id.Key(); got != tc.want {
			t.Errorf("%+v: Key() = %q, want %q", tc.id, got, tc.want)
		}
	}
}
