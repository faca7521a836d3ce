package meili

import (
	"github.com/meilisearch/meilisearch-go"

	"collectif/search"
)

// Paging and snippet sizes, the same as the embedded engine's.
const (
	cropWords      = 30
	maxFacetValues = 100
)

// searchableAttributes, in ranking order: Meilisearch's "attribute" rule
// prefers a match in an earlier attribute.
func searchableAttributes() []string {
	return []string{attrTitle, attrSummary, search.FieldTags, attrBody}
}

// filterableAttributes are the facet fields plus audience (for visibility)
// and date (a Unix time in seconds, for event ranges).
func filterableAttributes() []string {
	return append(search.FacetFields(), attrAudience, attrDate)
}

// settings is everything Setup applies to an index.
func settings() *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: searchableAttributes(),
		FilterableAttributes: filterableAttributes(),
		SortableAttributes:   []string{attrDate},
		// "sort" first: when a query asks for the newest, date decides and
		// relevance only breaks ties, which is what the embedded engine does
		// too; without a sort parameter the rule is skipped. "date:desc"
		// last makes equally relevant results show the most recent first.
		RankingRules: []string{"sort", "words", "typo", "proximity", "attribute", "exactness", attrDate + ":desc"},
		Synonyms:     search.Synonyms(),
		StopWords:    search.StopWords(),
		// French tokenization and normalization for the text, whatever
		// language detection would guess on short titles.
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{{
			AttributePatterns: searchableAttributes(),
			Locales:           []string{"fra"},
		}},
		// Meilisearch's defaults, written down so both engines are known to
		// agree: one typo from 5 letters, two from 9.
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: search.MaxResults},
		Faceting: &meilisearch.Faceting{
			MaxValuesPerFacet: maxFacetValues,
			// Keep the most frequent values when a facet has more than
			// maxValuesPerFacet, rather than the first ones alphabetically.
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount},
		},
	}
}
