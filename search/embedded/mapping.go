package embedded

import (
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"collectif/search"
)

// Analyzer names registered in each index mapping.
//
// Why not bleve's "fr" analyzer: it lowercases, removes elisions and stop
// words and applies the French light stemmer, but folds accents only inside
// that stemmer, only for words longer than four letters, and only for
// à â á ô è é ê ù û î ç — so "été"/"ete", "naïf"/"naif" or "Noël"/"noel"
// stay apart, and words whose accented suffix the stemmer rewrites
// ("cimetière" → "cimeti", "cimetiere" → "cimetier") diverge. analyzerText
// folds every accent first (bleve's ASCII-folding char filter, which also
// turns the typographic apostrophe ’ into ', so elision sees "l’hébergement"
// as "l'hebergement"), then runs the same French chain on plain letters.
//
// analyzerPrefix is the same chain without stop words and stemming: query
// words typed as a prefix must be compared with indexed terms as typed.
const (
	analyzerText   = "collectif_fr"
	analyzerPrefix = "collectif_fr_prefix"
	stopTokenMap   = "collectif_stop_fr"
	stopFilter     = "collectif_stop_fr"
)

// Field names in the bleve documents. Keyword fields carry the names of
// search.FacetFields. Text is matched in "text", which holds title,
// summary, tags and body together, and in "title" again for its weight;
// summary and body are only stored, for snippets.
const (
	fieldTitle    = "title"
	fieldSummary  = "summary"
	fieldBody     = "body"
	fieldText     = "text"
	fieldURL      = "url"
	fieldAudience = "audience"
	fieldDate     = "date"
	fieldEndDate  = "end_date"
)

// textField is a field text is matched in, with its weight in ranking.
//
// Why one "text" field rather than title, summary, tags and body each with
// its weight: every field multiplies the searchers a query word runs
// (term, typo, prefix), and on 100,000 documents four fields made queries
// twice as slow as two. A title match still ranks first through the extra
// "title" field — the first of Meilisearch's searchableAttributes, whose
// "attribute" rule favours it too; summary, tags and body weigh the same,
// BM25 favouring the shorter document.
type textField struct {
	name  string
	boost float64
	typos bool // typo-tolerant matching here; title matches with typos count through "text"
}

func textFields() []textField {
	return []textField{
		{name: fieldText, boost: 1, typos: true},
		{name: fieldTitle, boost: 3},
	}
}

// newMapping builds the index mapping. It is stored inside each index
// directory by bleve, so an index keeps the analysis it was built with;
// a Rebuild picks up changes to this function or to search.StopWords.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	// BM25 rather than bleve's default TF-IDF: it saturates term frequency,
	// so a long body repeating a word does not bury a short title matching it.
	im.ScoringModel = index.BM25Scoring

	stopWords := search.StopWords()
	tokens := make([]interface{}, len(stopWords))
	for i, w := range stopWords {
		tokens[i] = w
	}
	if err := im.AddCustomTokenMap(stopTokenMap, map[string]interface{}{
		"type":   tokenmap.Name,
		"tokens": tokens,
	}); err != nil {
		return nil, fmt.Errorf("stop words: %w", err)
	}
	if err := im.AddCustomTokenFilter(stopFilter, map[string]interface{}{
		"type":           stop.Name,
		"stop_token_map": stopTokenMap,
	}); err != nil {
		return nil, fmt.Errorf("stop filter: %w", err)
	}
	if err := im.AddCustomAnalyzer(analyzerText, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []interface{}{asciifolding.Name},
		"tokenizer":     unicode.Name,
		"token_filters": []interface{}{lowercase.Name, fr.ElisionName, stopFilter, fr.LightStemmerName},
	}); err != nil {
		return nil, fmt.Errorf("analyzer: %w", err)
	}
	if err := im.AddCustomAnalyzer(analyzerPrefix, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []interface{}{asciifolding.Name},
		"tokenizer":     unicode.Name,
		"token_filters": []interface{}{lowercase.Name, fr.ElisionName},
	}); err != nil {
		return nil, fmt.Errorf("prefix analyzer: %w", err)
	}
	im.DefaultAnalyzer = analyzerText

	text := func(store bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerText
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = false // snippets are built from the stored text, not from term vectors
		f.DocValues = false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = true // facets read doc values
		return f
	}
	storedOnly := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	date := func(indexed bool) *mapping.FieldMapping {
		f := mapping.NewDateTimeFieldMapping()
		f.Index = indexed
		f.Store = true
		f.IncludeInAll = false
		f.DocValues = indexed // sorting by date reads doc values
		return f
	}

	doc := mapping.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldTitle, text(true))
	doc.AddFieldMappingsAt(fieldText, text(false))
	doc.AddFieldMappingsAt(fieldSummary, storedOnly())
	doc.AddFieldMappingsAt(fieldBody, storedOnly())
	doc.AddFieldMappingsAt(fieldURL, storedOnly())
	doc.AddFieldMappingsAt(search.FieldType, kw(true))
	for _, f := range []string{search.FieldCollective, search.FieldGroup, search.FieldRegion,
		search.FieldCategories, search.FieldLicence, search.FieldTags, fieldAudience} {
		doc.AddFieldMappingsAt(f, kw(false))
	}
	doc.AddFieldMappingsAt(fieldDate, date(true))
	doc.AddFieldMappingsAt(fieldEndDate, date(false))

	im.DefaultMapping = doc
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return im, nil
}

// toBleve flattens a Document into the map bleve indexes. Empty values are
// left out so facets never count "" and documents without a date sort last.
func toBleve(d search.Document) map[string]interface{} {
	m := map[string]interface{}{
		search.FieldType: d.Type,
		fieldTitle:       d.Title,
		fieldSummary:     d.Summary,
		fieldBody:        d.Body,
		fieldURL:         d.URL,
	}
	setString := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	setList := func(k string, v []string) {
		var out []string
		for _, s := range v {
			if s != "" {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			m[k] = out
		}
	}
	setString(search.FieldCollective, d.Collective)
	setString(search.FieldGroup, d.Group)
	setString(search.FieldRegion, d.Region)
	setString(search.FieldLicence, d.Licence)
	setList(search.FieldCategories, d.Categories)
	setList(search.FieldTags, d.Tags)
	// The parts of "text" are separate values, so that a phrase cannot
	// span the end of the title and the start of the summary.
	var text []string
	for _, part := range append([]string{d.Title, d.Summary}, append(slices.Clone(d.Tags), d.Body)...) {
		if part != "" {
			text = append(text, part)
		}
	}
	if len(text) > 0 {
		m[fieldText] = text
	}
	setList(fieldAudience, d.Audience)
	if !d.Date.IsZero() {
		m[fieldDate] = d.Date.UTC()
	}
	if !d.EndDate.IsZero() {
		m[fieldEndDate] = d.EndDate.UTC()
	}
	return m
}
