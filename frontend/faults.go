package frontend

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
)

// faultsDir holds the translations of the domain's error messages, one
// file per language other than French (en.toml). Their keys are the
// French messages themselves, as GNU gettext's are the source language's
// strings: see package fault and locales/faults/en.toml. They are kept
// apart from go-i18n's files, whose keys are IDs.
const faultsDir = "locales/faults"

// loadFaults reads the translations of fault messages, by language.
func loadFaults() (map[string]map[string]string, error) {
	names, err := fs.Glob(files, faultsDir+"/*.toml")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, p := range names {
		lang := strings.TrimSuffix(path.Base(p), ".toml")
		if lang == French {
			return nil, fmt.Errorf("%s: French messages are the keys, they need no file", p)
		}
		m := map[string]string{}
		if _, err := toml.DecodeFS(files, p, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out[lang] = m
	}
	return out, nil
}

// FaultMessage translates the message of a domain fault into lang: id is
// the French format string (or message) the fault was made with, and the
// answer is the format to give fault's values to. It says false in French
// and when no translation exists, and then the French message stands; its
// signature is the one fault.Localize takes, with lang bound.
func (f *Frontend) FaultMessage(lang, id string) (string, bool) {
	s, ok := f.faults[lang][id]
	return s, ok && s != ""
}
