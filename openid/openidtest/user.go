package openidtest

// User is the agent the provider's login page logs in as. Empty fields are
// not sent.
//
// Claims are served as ProConnect and standard providers do: userinfo sends
// each claim only when its scope was granted, where ProConnect has one scope
// per claim (given_name, usual_name, uid, siret, organizational_unit,
// phone, idp_id…) and the standard scopes group some (email: email and
// email_verified; profile: given_name and family_name; phone: phone). The ID
// token carries sub, the protocol claims, idp_id when IdpID is set (as
// ProConnect does), and IDTokenClaims.
type User struct {
	Subject       string // sub; required
	Email         string
	EmailVerified bool // sent as email_verified when Email is set
	GivenName     string
	// FamilyName is the standard family_name claim; UsualName is
	// ProConnect's usual_name (nom d'usage).
	FamilyName         string
	UsualName          string
	UID                string
	SIRET              string
	OrganizationalUnit string
	Phone              string
	// IdpID is ProConnect's idp_id: the agent's home identity provider.
	IdpID string
	// IDTokenClaims are more claims put in the ID token (a stale value that
	// userinfo must override, say). The protocol claims (iss, aud, exp…)
	// are the op library's: change them with Provider.RewriteIDToken.
	IDTokenClaims map[string]any
}

// DefaultUser is the user of a provider started without Options.User: an
// agent of the city of Échirolles, with every claim ProConnect sends.
func DefaultUser() User {
	return User{
		Subject:            "a9f3c2e1d4b5",
		Email:              "camille.martin@ville-echirolles.fr",
		EmailVerified:      true,
		GivenName:          "Camille",
		FamilyName:         "Martin",
		UsualName:          "Martin",
		UID:                "cmartin",
		SIRET:              "21380151700011",
		OrganizationalUnit: "Direction du numérique",
		Phone:              "+33 4 76 20 63 00",
		IdpID:              "71144ab3-ee1a-4401-b7b3-79b44f7daeeb",
	}
}

// userinfoClaims returns the claims userinfo sends for the granted scopes.
func (u *User) userinfoClaims(scopes []string) map[string]any {
	all := map[string]any{}
	set := func(name, v string) {
		if v != "" {
			all[name] = v
		}
	}
	set("email", u.Email)
	if u.Email != "" {
		all["email_verified"] = u.EmailVerified
	}
	set("given_name", u.GivenName)
	set("family_name", u.FamilyName)
	set("usual_name", u.UsualName)
	set("uid", u.UID)
	set("siret", u.SIRET)
	set("organizational_unit", u.OrganizationalUnit)
	set("phone", u.Phone)
	set("idp_id", u.IdpID)

	out := map[string]any{}
	for _, scope := range scopes {
		names := []string{scope}
		switch scope {
		case "email":
			names = []string{"email", "email_verified"}
		case "profile":
			names = []string{"given_name", "family_name"}
		}
		for _, n := range names {
			if v, ok := all[n]; ok {
				out[n] = v
			}
		}
	}
	return out
}

// idTokenClaims returns the claims the ID token carries besides sub and
// the protocol claims.
func (u *User) idTokenClaims() map[string]any {
	out := map[string]any{}
	if u.IdpID != "" {
		out["idp_id"] = u.IdpID
	}
	for k, v := range u.IDTokenClaims {
		out[k] = v
	}
	return out
}
