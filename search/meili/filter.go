package meili

import (
	"slices"
	"strconv"
	"strings"

	"collectif/search"
)

// Attribute names in Meilisearch documents beyond search.FacetFields.
const (
	attrID       = "id"
	attrTitle    = "title"
	attrSummary  = "summary"
	attrBody     = "body"
	attrURL      = "url"
	attrAudience = "audience"
	attrDate     = "date"
	attrEndDate  = "end_date"
)

// quote writes v as a Meilisearch filter string literal. Inside double
// quotes the filter grammar gives a meaning to '"' and, since Meilisearch
// 1.4, to '\': both are escaped with a backslash, so any value — a tag
// holding quotes, a user's text — stays one literal and cannot add an
// operator to the filter.
func quote(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for _, r := range v {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// anyOf is "field IN [v1, v2]": true when the field, or one element of an
// array field, equals one of the values.
func anyOf(field string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quote(v)
	}
	return field + " IN [" + strings.Join(quoted, ", ") + "]"
}

// buildFilter translates a normalized query into a filter expression. The
// audience clause is always first and always present: visibility does not
// depend on the caller remembering it. Field names come from a fixed list
// (Normalize refuses others), values are always quoted.
func buildFilter(q search.Query) string {
	audience := q.Audience
	if len(audience) == 0 {
		audience = []string{search.AudiencePublic}
	}
	parts := []string{anyOf(attrAudience, audience)}
	if len(q.Types) > 0 {
		parts = append(parts, anyOf(search.FieldType, q.Types))
	}
	fields := make([]string, 0, len(q.Filters))
	for f := range q.Filters {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, f := range fields {
		parts = append(parts, anyOf(f, q.Filters[f]))
	}
	if !q.From.IsZero() {
		parts = append(parts, attrDate+" >= "+strconv.FormatInt(q.From.Unix(), 10))
	}
	if !q.To.IsZero() {
		parts = append(parts, attrDate+" <= "+strconv.FormatInt(q.To.Unix(), 10))
	}
	return strings.Join(parts, " AND ")
}
