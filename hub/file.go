package hub

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"collectif/openid"
)

// File is the optional configuration file (COLLECTIF_CONFIG), for what
// environment variables say badly: the list of OpenID Connect providers.
//
//	oidc_providers:
//	  - id: proconnect
//	    name: ProConnect
//	    issuer: https://auth.agentconnect.gouv.fr/api/v2
//	    client_id: ...
//	    client_secret_env: PROCONNECT_SECRET
//	    proconnect: true
//	    acr_values: eidas1
type File struct {
	OIDCProviders []openid.ProviderConfig `yaml:"oidc_providers"`
}

func readFile(path string) (File, error) {
	var f File
	if path == "" {
		return f, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return f, fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key is an error, not a silent default
	if err := dec.Decode(&f); err != nil && err.Error() != "EOF" {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
