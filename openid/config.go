package openid

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ProviderConfig is one identity provider as written in the hub's
// configuration file (yaml) or API (json).
type ProviderConfig struct {
	// ID is the short name used in URLs (/login/oidc/{id}/callback):
	// lowercase letters, digits and hyphens, at most 64 characters.
	ID string `yaml:"id" json:"id"`
	// Name is shown on the login button. Defaults to ID.
	Name string `yaml:"name" json:"name"`
	// Issuer is the provider's issuer URL, exactly as in its discovery
	// document (https; http is accepted only for loopback hosts, for tests
	// and local development).
	Issuer string `yaml:"issuer" json:"issuer"`
	// ClientID is the client identifier registered at the provider.
	ClientID string `yaml:"client_id" json:"client_id"`
	// ClientSecret, ClientSecretEnv (name of an environment variable) and
	// ClientSecretFile (path of a file, trailing newline ignored) are the
	// three mutually exclusive ways to give the client secret. A client
	// without a secret is accepted only with PKCE (public client).
	ClientSecret     string `yaml:"client_secret" json:"client_secret"`
	ClientSecretEnv  string `yaml:"client_secret_env" json:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file" json:"client_secret_file"`
	// Scopes requested; must include "openid". Defaults to
	// DefaultScopes, or ProConnectScopes in ProConnect mode.
	Scopes []string `yaml:"scopes" json:"scopes"`
	// ACRValues is sent as acr_values when set (space-separated, e.g.
	// "eidas1"). The returned level is in Identity.ACR; this package does not
	// enforce it because providers may legitimately answer a higher level.
	ACRValues string `yaml:"acr_values" json:"acr_values"`
	// PKCE sends an S256 code challenge. It is a per-provider switch because
	// ProConnect rejects authorization parameters it does not know.
	PKCE bool `yaml:"pkce" json:"pkce"`
	// ProConnect mode: default scopes are ProConnectScopes, the account key
	// includes the idp_id claim (which becomes required), and userinfo is
	// expected as a signed JWT (JSON is accepted too).
	ProConnect bool `yaml:"proconnect" json:"proconnect"`
	// Claims says which claims fill the Identity fields. Unset entries take
	// the defaults of DefaultClaimMapping.
	Claims ClaimMapping `yaml:"claims" json:"claims"`
}

// DefaultScopes returns the scopes requested when a provider sets none.
func DefaultScopes() []string { return []string{"openid", "email", "profile"} }

// ProConnectScopes returns the scopes requested from a ProConnect provider
// that sets none: ProConnect has one scope per claim and sends only the
// claims whose scope was requested.
func ProConnectScopes() []string {
	return []string{"openid", "email", "given_name", "usual_name", "siret", "uid", "organizational_unit", "phone", "idp_id"}
}

// ClaimNames is an ordered list of claim names: the first claim present
// with a non-empty value wins. In yaml or json it may be written as a single
// string or as a list.
type ClaimNames []string

// UnmarshalJSON accepts "name" as well as ["name", …].
func (c *ClaimNames) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*c = ClaimNames{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("claim names: want a string or a list of strings: %w", err)
	}
	*c = many
	return nil
}

// UnmarshalYAML accepts name as well as [name, …].
func (c *ClaimNames) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var one string
		if err := n.Decode(&one); err != nil {
			return fmt.Errorf("claim names: %w", err)
		}
		*c = ClaimNames{one}
		return nil
	}
	var many []string
	if err := n.Decode(&many); err != nil {
		return fmt.Errorf("claim names: want a string or a list of strings: %w", err)
	}
	*c = many
	return nil
}

// ClaimMapping says which claims fill each Identity field.
type ClaimMapping struct {
	Email              ClaimNames `yaml:"email" json:"email"`
	EmailVerified      ClaimNames `yaml:"email_verified" json:"email_verified"`
	GivenName          ClaimNames `yaml:"given_name" json:"given_name"`
	FamilyName         ClaimNames `yaml:"family_name" json:"family_name"`
	UID                ClaimNames `yaml:"uid" json:"uid"`
	SIRET              ClaimNames `yaml:"siret" json:"siret"`
	OrganizationalUnit ClaimNames `yaml:"organizational_unit" json:"organizational_unit"`
	Phone              ClaimNames `yaml:"phone" json:"phone"`
	IdpID              ClaimNames `yaml:"idp_id" json:"idp_id"`
}

// DefaultClaimMapping returns the mapping used for unset entries. The family
// name comes from usual_name first: ProConnect sends the agent's usual name
// (nom d'usage) there, and standard providers use family_name.
func DefaultClaimMapping() ClaimMapping {
	return ClaimMapping{
		Email:              ClaimNames{"email"},
		EmailVerified:      ClaimNames{"email_verified"},
		GivenName:          ClaimNames{"given_name"},
		FamilyName:         ClaimNames{"usual_name", "family_name"},
		UID:                ClaimNames{"uid"},
		SIRET:              ClaimNames{"siret"},
		OrganizationalUnit: ClaimNames{"organizational_unit"},
		Phone:              ClaimNames{"phone", "phone_number"},
		IdpID:              ClaimNames{"idp_id"},
	}
}

// withDefaults fills unset entries from DefaultClaimMapping.
func (m ClaimMapping) withDefaults() ClaimMapping {
	d := DefaultClaimMapping()
	pick := func(set, def ClaimNames) ClaimNames {
		if len(set) == 0 {
			return def
		}
		return slices.Clone(set)
	}
	return ClaimMapping{
		Email:              pick(m.Email, d.Email),
		EmailVerified:      pick(m.EmailVerified, d.EmailVerified),
		GivenName:          pick(m.GivenName, d.GivenName),
		FamilyName:         pick(m.FamilyName, d.FamilyName),
		UID:                pick(m.UID, d.UID),
		SIRET:              pick(m.SIRET, d.SIRET),
		OrganizationalUnit: pick(m.OrganizationalUnit, d.OrganizationalUnit),
		Phone:              pick(m.Phone, d.Phone),
		IdpID:              pick(m.IdpID, d.IdpID),
	}
}

func (m ClaimMapping) fields() []struct {
	name  string
	names ClaimNames
} {
	return []struct {
		name  string
		names ClaimNames
	}{
		{"email", m.Email}, {"email_verified", m.EmailVerified},
		{"given_name", m.GivenName}, {"family_name", m.FamilyName},
		{"uid", m.UID}, {"siret", m.SIRET},
		{"organizational_unit", m.OrganizationalUnit}, {"phone", m.Phone},
		{"idp_id", m.IdpID},
	}
}

// validID reports whether id matches [a-z0-9-]{1,64}: it appears in URL
// paths and logs, so it is kept to characters that need no escaping.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// Validate checks the configuration, including that the client secret can be
// read from its environment variable or file. It returns every problem found,
// joined, each a *ConfigError naming the provider id and the field.
func (c ProviderConfig) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Provider: c.ID, Field: field, Problem: fmt.Sprintf(format, args...)})
	}

	switch {
	case c.ID == "":
		bad("id", "is required")
	case !validID(c.ID):
		bad("id", "must be 1 to 64 characters among a-z, 0-9 and '-'")
	}
	if strings.ContainsFunc(c.Name, isControl) {
		bad("name", "must not contain control characters")
	}
	if c.Issuer == "" {
		bad("issuer", "is required")
	} else if err := checkURL(c.Issuer, true); err != nil {
		bad("issuer", "%v", err)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		bad("client_id", "is required")
	}

	var sources []string
	if c.ClientSecret != "" {
		sources = append(sources, "client_secret")
	}
	if c.ClientSecretEnv != "" {
		sources = append(sources, "client_secret_env")
	}
	if c.ClientSecretFile != "" {
		sources = append(sources, "client_secret_file")
	}
	switch {
	case len(sources) > 1:
		bad(strings.Join(sources, ", "), "the client secret is set more than once; keep only one")
	case len(sources) == 0 && !c.PKCE:
		bad("client_secret", "is required (or client_secret_env, or client_secret_file); only a PKCE client may have no secret")
	case len(sources) == 1:
		if _, err := c.clientSecret(); err != nil {
			errs = append(errs, err)
		}
	}

	if c.Scopes != nil {
		if !slices.Contains(c.Scopes, "openid") {
			bad("scopes", "must include openid")
		}
		for _, s := range c.Scopes {
			if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r > '~' }) {
				bad("scopes", "invalid scope %q", s)
			}
		}
	}
	if strings.ContainsFunc(c.ACRValues, isControl) {
		bad("acr_values", "must not contain control characters")
	}
	for _, f := range c.Claims.fields() {
		for _, n := range f.names {
			if strings.TrimSpace(n) == "" {
				bad("claims."+f.name, "claim names must not be empty")
			}
		}
	}
	return errors.Join(errs...)
}

// clientSecret resolves the secret from whichever source is configured. The
// returned error names the source, never the value.
func (c ProviderConfig) clientSecret() (string, error) {
	switch {
	case c.ClientSecret != "":
		return c.ClientSecret, nil
	case c.ClientSecretEnv != "":
		v, ok := os.LookupEnv(c.ClientSecretEnv)
		if !ok || strings.TrimSpace(v) == "" {
			return "", &ConfigError{Provider: c.ID, Field: "client_secret_env", Problem: fmt.Sprintf("environment variable %s is unset or empty", c.ClientSecretEnv)}
		}
		return strings.TrimSpace(v), nil
	case c.ClientSecretFile != "":
		b, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			// The *PathError names the file and the cause, not the contents.
			return "", &ConfigError{Provider: c.ID, Field: "client_secret_file", Problem: fmt.Sprintf("cannot read secret file: %v", err)}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", &ConfigError{Provider: c.ID, Field: "client_secret_file", Problem: fmt.Sprintf("secret file %s is empty", c.ClientSecretFile)}
		}
		return v, nil
	}
	return "", nil
}

// checkURL accepts absolute http(s) URLs without credentials, query or
// fragment. Plain http is refused for non-loopback hosts when strict, since
// an issuer reached over http lets anyone on the path mint identities.
func checkURL(raw string, strict bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("must be an absolute https URL")
	case u.Host == "":
		return errors.New("must be an absolute URL with a host")
	case u.User != nil:
		return errors.New("must not contain credentials")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return errors.New("must not contain a query or a fragment")
	case strict && u.Scheme == "http" && !isLoopback(u.Hostname()):
		return errors.New("must use https (http is accepted only for loopback hosts)")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
