package resource

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"collectif/fault"
	"collectif/markdown"
	"collectif/model"
)

// Limits of a resource's fields.
const (
	MaxTitle   = 200 // characters
	MaxSummary = 500 // characters
	MaxTags    = 10
	MaxTag     = 40   // characters
	MaxLink    = 2000 // bytes
)

// Choice is one entry of a closed list, with its French label.
type Choice struct {
	ID    string
	Label string
	URL   string // where the licence text is, for licences
}

var kindLabels = map[model.ResourceKind]string{
	model.KindGuide:        "Guide",
	model.KindProcurement:  "Modèle de marché public",
	model.KindDeliberation: "Délibération",
	model.KindStudy:        "Étude",
	model.KindSlides:       "Présentation",
	model.KindVideo:        "Vidéo",
	model.KindLink:         "Lien",
}

var licenceInfo = map[string]Choice{
	model.LicenceEtalab2:  {model.LicenceEtalab2, "Licence Ouverte 2.0 (Etalab)", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
	model.LicenceCCBY4:    {model.LicenceCCBY4, "Creative Commons BY 4.0", "https://creativecommons.org/licenses/by/4.0/deed.fr"},
	model.LicenceCCBYSA4:  {model.LicenceCCBYSA4, "Creative Commons BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/deed.fr"},
	model.LicenceCC0:      {model.LicenceCC0, "CC0 1.0 (domaine public)", "https://creativecommons.org/publicdomain/zero/1.0/deed.fr"},
	model.LicenceODbL1:    {model.LicenceODbL1, "ODbL 1.0 (bases de données)", "https://opendatacommons.org/licenses/odbl/1-0/"},
	model.LicenceReserved: {model.LicenceReserved, "Tous droits réservés", ""},
}

// Kinds lists the kinds of resources with their labels, in display order.
func Kinds() []Choice {
	out := make([]Choice, 0, len(model.ResourceKinds))
	for _, k := range model.ResourceKinds {
		out = append(out, Choice{ID: string(k), Label: kindLabels[k]})
	}
	return out
}

// KindLabel returns the French label of a kind.
func KindLabel(k model.ResourceKind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Licences lists the licences with their labels, in display order.
func Licences() []Choice {
	out := make([]Choice, 0, len(model.Licences))
	for _, id := range model.Licences {
		out = append(out, licenceInfo[id])
	}
	return out
}

// Licence returns the licence with its label.
func Licence(id string) Choice {
	if c, ok := licenceInfo[id]; ok {
		return c
	}
	return Choice{ID: id, Label: id}
}

func licenceIDs() string {
	return strings.Join(model.Licences, ", ")
}

func kindIDs() string {
	ids := make([]string, len(model.ResourceKinds))
	for i, k := range model.ResourceKinds {
		ids[i] = string(k)
	}
	return strings.Join(ids, ", ")
}

// Fields are a resource's editable fields as submitted.
type Fields struct {
	Title   string
	Summary string
	Body    string // Markdown
	Type    string // a model.ResourceKind
	Licence string // an id of model.Licences; empty: the default licence
	Tags    []string
	Link    string
}

// clean checks f and returns it normalized; the fault names the field.
func clean(f Fields) (Fields, error) {
	f.Title = strings.TrimSpace(f.Title)
	f.Summary = strings.TrimSpace(f.Summary)
	f.Type = strings.TrimSpace(f.Type)
	f.Licence = strings.TrimSpace(f.Licence)
	f.Link = strings.TrimSpace(f.Link)
	if f.Licence == "" {
		f.Licence = model.DefaultLicenceID
	}
	switch {
	case f.Title == "":
		return f, fault.Field("title", "le titre est obligatoire")
	case !utf8.ValidString(f.Title) || utf8.RuneCountInString(f.Title) > MaxTitle:
		return f, fault.Field("title", "le titre ne peut dépasser %d caractères", MaxTitle)
	case !utf8.ValidString(f.Summary) || utf8.RuneCountInString(f.Summary) > MaxSummary:
		return f, fault.Field("summary", "le résumé ne peut dépasser %d caractères", MaxSummary)
	case len(f.Body) > markdown.MaxSource:
		return f, fault.Field("body", "le texte ne peut dépasser %d Kio (il en fait %d)", markdown.MaxSource>>10, (len(f.Body)+1023)>>10)
	case !utf8.ValidString(f.Body):
		return f, fault.Field("body", "le texte doit être encodé en UTF-8")
	case f.Type == "":
		return f, fault.Field("type", "le type de ressource est obligatoire : choisissez parmi %s", kindIDs())
	case !model.ResourceKind(f.Type).Valid():
		return f, fault.Field("type", "type de ressource inconnu %q : choisissez parmi %s", f.Type, kindIDs())
	case !model.ValidLicence(f.Licence):
		return f, fault.Field("licence", "licence inconnue %q : choisissez parmi %s", f.Licence, licenceIDs())
	}
	tags, err := NormalizeTags(f.Tags)
	if err != nil {
		return f, err
	}
	f.Tags = tags
	if f.Link != "" {
		if err := checkLink(f.Link); err != nil {
			return f, err
		}
	} else if k := model.ResourceKind(f.Type); k == model.KindLink || k == model.KindVideo {
		return f, fault.Field("link", "une ressource de type « %s » a besoin de son adresse (lien http ou https)", KindLabel(k))
	}
	return f, nil
}

func checkLink(s string) error {
	u, err := url.Parse(s)
	switch {
	case len(s) > MaxLink:
		return fault.Field("link", "le lien ne peut dépasser %d caractères", MaxLink)
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Opaque != "":
		return fault.Field("link", "le lien doit être une adresse web complète commençant par https:// ou http://")
	case u.User != nil:
		// user:password@host links leak credentials and disguise the host.
		return fault.Field("link", "le lien ne peut pas contenir d'identifiants (utilisateur:mot-de-passe@)")
	case strings.ContainsAny(s, " \t\r\n"):
		return fault.Field("link", "le lien ne peut pas contenir d'espaces")
	}
	return nil
}

// NormalizeTags returns tags in lower case, without a leading #, with runs
// of spaces and underscores made into one hyphen, without duplicates, in
// their first order. A tag holds letters, digits, hyphens, dots and plus
// signs, so that it fits in a URL and in a fediverse hashtag.
func NormalizeTags(in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		t = strings.TrimLeft(t, "#")
		t = strings.Join(strings.FieldsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || r == '_' }), "-")
		if t == "" {
			continue
		}
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTag {
			return nil, fault.Field("tags", "le mot-clé « %s » dépasse %d caractères", short(t, MaxTag), MaxTag)
		}
		for _, r := range t {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '.' && r != '+' {
				return nil, fault.Field("tags", "le mot-clé « %s » contient le caractère %q : seuls les lettres, chiffres, tirets, points et + sont permis", t, r)
			}
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, fault.Field("tags", "%d mots-clés au plus (il y en a %d)", MaxTags, len(out))
	}
	return out, nil
}

// SplitTags reads tags typed in one field, separated by commas.
func SplitTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func short(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
