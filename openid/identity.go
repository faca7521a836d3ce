package openid

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Identity is the agent as the provider describes them after a successful
// login. Profile fields come from the claims named by the provider's
// ClaimMapping, userinfo taking precedence over the ID token.
type Identity struct {
	Provider           string `json:"provider"` // provider id in this hub's configuration
	Issuer             string `json:"issuer"`
	Subject            string `json:"subject"`
	IdpID              string `json:"idp_id,omitempty"` // ProConnect only: the agent's home identity provider
	Email              string `json:"email,omitempty"`
	EmailVerified      bool   `json:"email_verified"`
	GivenName          string `json:"given_name,omitempty"`
	FamilyName         string `json:"family_name,omitempty"`
	UID                string `json:"uid,omitempty"`
	SIRET              string `json:"siret,omitempty"`
	OrganizationalUnit string `json:"organizational_unit,omitempty"`
	Phone              string `json:"phone,omitempty"`
	ACR                string `json:"acr,omitempty"` // authentication level the provider reports (e.g. eidas1)
	// IDToken is the raw ID token, kept only to be sent back as
	// id_token_hint at logout; it is a credential, do not log it.
	IDToken string `json:"id_token,omitempty"`
	// Claims are all claims received, ID token and userinfo merged
	// (numbers as json.Number).
	Claims map[string]any `json:"claims,omitempty"`
}

// Key is the stable key of the account at its provider, to link a local
// account to logins. It is the issuer and the subject joined with "|", with
// "%" and "|" inside each part percent-encoded so that the key is
// unambiguous: "https://idp.example/realms/x|f81d4fae". For a
// ProConnect provider it is issuer, idp_id and subject
// ("https://proconnect.example/api/v2|<idp_id>|<sub>"), because
// ProConnect is a federation and the subject is only unique together with
// the agent's home identity provider. The provider id of this hub's
// configuration is left out on purpose, so renaming it keeps accounts
// linked; changing the issuer URL, though, changes every key.
func (i *Identity) Key() string {
	if i.IdpID != "" {
		return keyPart(i.Issuer) + "|" + keyPart(i.IdpID) + "|" + keyPart(i.Subject)
	}
	return keyPart(i.Issuer) + "|" + keyPart(i.Subject)
}

func keyPart(s string) string {
	if !strings.ContainsAny(s, "%|") {
		return s
	}
	return strings.NewReplacer("%", "%25", "|", "%7C").Replace(s)
}

// SIREN returns the nine-digit SIREN of the agent's organisation: the first
// nine digits of SIRET when SIRET is exactly 14 digits (spaces ignored), else
// "". The Luhn key is not checked: ProConnect is the authority for this
// value, and test and sandbox identity providers send SIRETs that fail it.
func (i *Identity) SIREN() string {
	s := strings.ReplaceAll(i.SIRET, " ", "")
	if len(s) != 14 {
		return ""
	}
	for j := 0; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return ""
		}
	}
	if s == "00000000000000" {
		return ""
	}
	return s[:9]
}

// identity maps verified claims to an Identity.
func (p *provider) identity(idt *oidc.IDToken, rawIDToken string, claims map[string]any) *Identity {
	c := p.claims
	id := &Identity{
		Provider:           p.cfg.ID,
		Issuer:             idt.Issuer,
		Subject:            idt.Subject,
		Email:              claimString(claims, c.Email),
		EmailVerified:      claimBool(claims, c.EmailVerified),
		GivenName:          claimString(claims, c.GivenName),
		FamilyName:         claimString(claims, c.FamilyName),
		UID:                claimString(claims, c.UID),
		SIRET:              claimString(claims, c.SIRET),
		OrganizationalUnit: claimString(claims, c.OrganizationalUnit),
		Phone:              claimString(claims, c.Phone),
		ACR:                claimString(claims, ClaimNames{"acr"}),
		IDToken:            rawIDToken,
		Claims:             claims,
	}
	// idp_id is only meaningful inside the ProConnect federation, and Key
	// includes it whenever it is set.
	if p.cfg.ProConnect {
		id.IdpID = claimString(claims, c.IdpID)
	}
	return id
}

// claimString returns the first of names whose claim is a non-empty string
// or a number.
func claimString(claims map[string]any, names ClaimNames) string {
	for _, n := range names {
		switch v := claims[n].(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case json.Number:
			return v.String()
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// claimBool accepts true and "true": some providers send email_verified as
// a string.
func claimBool(claims map[string]any, names ClaimNames) bool {
	for _, n := range names {
		switch v := claims[n].(type) {
		case bool:
			return v
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				return b
			}
		}
	}
	return false
}
