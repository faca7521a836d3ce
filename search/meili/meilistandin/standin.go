//lint:file-ignore ST1005 error messages copy Meilisearch's own, capitals and punctuation included

// Package meilistandin is a STAND-IN, NOT MEILISEARCH, for tests only.
package meilistandin

// This file holds a STAND-IN, NOT MEILISEARCH: a small HTTP server that
// follows Meilisearch's documented HTTP API for the endpoints the adapter
// uses, so that CI — where no Meilisearch server can run — still exercises
// the adapter's requests and its handling of answers:
//
//   - writes answer 202 with a task; GET /tasks/{uid} answers "enqueued" on
//     the first poll and the final status ("succeeded" or "failed") from the
//     second, and a write takes effect only then, as it would on a server
//     that processes tasks asynchronously;
//   - settings are validated (unknown fields refused), stored, returned;
//   - filters are parsed with the documented grammar (quoting and backslash
//     escapes included) and refused with invalid_search_filter when they
//     name an attribute not declared filterable; sort on an undeclared
//     attribute is refused with invalid_search_sort, facets likewise;
//   - document identifiers are checked against the documented charset;
//   - errors have Meilisearch's shape {message, code, type, link}.
//
// It does not tokenize, normalize, stem, rank, apply typo tolerance,
// synonyms or stop words, nor crop: its text matching is a case-insensitive
// substring test, good enough to return something. Relevance is checked
// against the embedded engine and, when COLLECTIF_MEILI_URL is set, against
// a real server (meili_contract_test.go).

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

type Server struct {
	t       testing.TB
	key     string
	srv     *httptest.Server
	handler http.Handler
	url     string

	mu       sync.Mutex
	indexes  map[string]*siIndex
	tasks    []*siTask // task uid = position
	polls    map[int64]int
	requests []Request

	// failure injection
	FailNext   *Error // the next task processed fails with this error
	HoldTasks  bool   // tasks stay "enqueued" forever
	HTTPStatus int    // when set, every request answers this status
}

type siIndex struct {
	uid        string
	primaryKey string
	created    time.Time
	settings   map[string]json.RawMessage
	docs       map[string]map[string]any
	order      []string // insertion order, the stand-in's only "ranking"
}

type siTask struct {
	uid       int64
	indexUID  string
	typ       string
	status    string
	apply     func() *Error
	err       *Error
	enqueued  time.Time
	processed bool
}

type Request struct {
	Method, Path, Query string
	Body                []byte
	Auth                string
}

type Error struct {
	status  int
	Message string `json:"message"`
	Code    string `json:"code"`
	Type    string `json:"type"`
	Link    string `json:"link"`
}

func APIError(status int, code, typ, format string, args ...any) *Error {
	return &Error{status: status, Message: fmt.Sprintf(format, args...), Code: code, Type: typ,
		Link: "https://docs.meilisearch.com/errors#" + code}
}

func New(t testing.TB, key string) *Server {
	t.Helper()
	s := &Server{t: t, key: key, indexes: map[string]*siIndex{}, polls: map[int64]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("POST /indexes", s.createIndex)
	mux.HandleFunc("GET /indexes/{uid}", s.getIndex)
	mux.HandleFunc("DELETE /indexes/{uid}", s.deleteIndex)
	mux.HandleFunc("PATCH /indexes/{uid}/settings", s.updateSettings)
	mux.HandleFunc("GET /indexes/{uid}/settings", s.getSettings)
	// Used by the contract tests' own client, not by the adapter, to put an
	// index in a state the adapter must cope with.
	mux.HandleFunc("PUT /indexes/{uid}/settings/{name}", s.updateOneSetting)
	mux.HandleFunc("POST /indexes/{uid}/documents", s.addDocuments)
	mux.HandleFunc("POST /indexes/{uid}/documents/delete-batch", s.deleteDocuments)
	mux.HandleFunc("POST /indexes/{uid}/search", s.search)
	mux.HandleFunc("GET /tasks/{uid}", s.getTask)
	mux.HandleFunc("POST /swap-indexes", s.swapIndexes)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("stand-in: the adapter called an endpoint it should not need: %s %s", r.Method, r.URL.Path)
		writeErr(w, APIError(404, "not_found", "invalid_request", "not found: %s", r.URL.Path))
	})
	s.handler = s.middleware(mux)
	s.srv = httptest.NewServer(s.handler)
	s.url = s.srv.URL
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Stop closes the listener and every connection, as when Meilisearch is
// down: requests are refused. What the stand-in holds is kept.
func (s *Server) Stop() { s.srv.Close() }

// Restart listens again on the address the stand-in had, with what it
// held before Stop.
func (s *Server) Restart() error {
	ln, err := net.Listen("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		return err
	}
	srv := httptest.NewUnstartedServer(s.handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	s.srv = srv
	return nil
}

func (s *Server) URL() string { return s.url }

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Auth: r.Header.Get("Authorization")})
		status := s.HTTPStatus
		s.mu.Unlock()
		if status != 0 {
			writeErr(w, APIError(status, "internal", "internal", "stand-in answering %d", status))
			return
		}
		if r.URL.Path != "/health" && s.key != "" {
			auth := r.Header.Get("Authorization")
			switch {
			case auth == "":
				writeErr(w, APIError(401, "missing_authorization_header", "auth", "The Authorization header is missing. It must use the bearer authorization method."))
				return
			case auth != "Bearer "+s.key:
				writeErr(w, APIError(403, "invalid_api_key", "auth", "The provided API key is invalid."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *Error) { writeJSON(w, e.status, e) }

var validIndexUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,400}$`)
var validDocID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)

// enqueue registers a task; apply runs when the task is processed, under s.mu.
func (s *Server) enqueue(w http.ResponseWriter, indexUID, typ string, apply func() *Error) {
	s.mu.Lock()
	task := &siTask{uid: int64(len(s.tasks)), indexUID: indexUID, typ: typ, status: "enqueued", apply: apply, enqueued: time.Now().UTC()}
	s.tasks = append(s.tasks, task)
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{
		"taskUid": task.uid, "indexUid": indexUID, "status": "enqueued", "type": typ,
		"enqueuedAt": task.enqueued.Format(time.RFC3339Nano),
	})
}

// process runs every task up to and including uid, in order. Caller holds s.mu.
func (s *Server) process(uid int64) {
	for _, task := range s.tasks[:uid+1] {
		if task.processed {
			continue
		}
		task.processed = true
		err := task.apply()
		if err == nil && s.FailNext != nil {
			err, s.FailNext = s.FailNext, nil
		}
		task.err = err
		task.status = "succeeded"
		if err != nil {
			task.status = "failed"
		}
	}
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	uid, err := strconv.ParseInt(r.PathValue("uid"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || uid < 0 || uid >= int64(len(s.tasks)) {
		writeErr(w, APIError(404, "task_not_found", "invalid_request", "Task `%s` not found.", r.PathValue("uid")))
		return
	}
	s.polls[uid]++
	if s.polls[uid] >= 2 && !s.HoldTasks {
		s.process(uid)
	}
	task := s.tasks[uid]
	out := map[string]any{
		"uid": task.uid, "indexUid": task.indexUID, "status": task.status, "type": task.typ,
		"details": map[string]any{}, "error": nil, "duration": nil,
		"enqueuedAt": task.enqueued.Format(time.RFC3339Nano), "startedAt": nil, "finishedAt": nil,
	}
	if task.processed {
		now := time.Now().UTC().Format(time.RFC3339Nano)
		out["startedAt"], out["finishedAt"], out["duration"] = now, now, "PT0.001S"
	}
	if task.err != nil {
		out["error"] = task.err
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "available"})
}

func (s *Server) createIndex(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UID        string `json:"uid"`
		PrimaryKey string `json:"primaryKey"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed body: %v", err))
		return
	}
	if !validIndexUID.MatchString(body.UID) {
		writeErr(w, APIError(400, "invalid_index_uid", "invalid_request", "`%s` is not a valid index uid.", body.UID))
		return
	}
	s.enqueue(w, body.UID, "indexCreation", func() *Error {
		if _, ok := s.indexes[body.UID]; ok {
			return APIError(409, "index_already_exists", "invalid_request", "Index `%s` already exists.", body.UID)
		}
		s.indexes[body.UID] = newSIIndex(body.UID, body.PrimaryKey)
		return nil
	})
}

func newSIIndex(uid, pk string) *siIndex {
	return &siIndex{uid: uid, primaryKey: pk, created: time.Now().UTC(), settings: map[string]json.RawMessage{}, docs: map[string]map[string]any{}}
}

func (s *Server) getIndex(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, ok := s.indexes[r.PathValue("uid")]
	if !ok {
		writeErr(w, APIError(404, "index_not_found", "invalid_request", "Index `%s` not found.", r.PathValue("uid")))
		return
	}
	var pk any
	if idx.primaryKey != "" {
		pk = idx.primaryKey
	}
	ts := idx.created.Format(time.RFC3339Nano)
	writeJSON(w, http.StatusOK, map[string]any{"uid": idx.uid, "primaryKey": pk, "createdAt": ts, "updatedAt": ts})
}

func (s *Server) deleteIndex(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	s.enqueue(w, uid, "indexDeletion", func() *Error {
		if _, ok := s.indexes[uid]; !ok {
			return APIError(404, "index_not_found", "invalid_request", "Index `%s` not found.", uid)
		}
		delete(s.indexes, uid)
		return nil
	})
}

// knownSettings are the fields of the settings object in Meilisearch's API
// reference; anything else is refused, as Meilisearch does.
var knownSettings = []string{
	"displayedAttributes", "searchableAttributes", "filterableAttributes", "sortableAttributes",
	"rankingRules", "stopWords", "nonSeparatorTokens", "separatorTokens", "dictionary", "synonyms",
	"distinctAttribute", "proximityPrecision", "typoTolerance", "faceting", "pagination", "embedders",
	"searchCutoffMs", "localizedAttributes", "facetSearch", "prefixSearch", "chat", "vectorStore", "foreignKeys",
}

var builtinRules = []string{"words", "typo", "proximity", "attribute", "sort", "exactness", "attributeRank", "wordPosition"}
var customRule = regexp.MustCompile(`^[A-Za-z0-9_.-]+:(asc|desc)$`)

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed settings: %v", err))
		return
	}
	for k, v := range body {
		if !slices.Contains(knownSettings, k) {
			writeErr(w, APIError(400, "bad_request", "invalid_request", "Unknown field `%s`: expected one of %s", k, strings.Join(knownSettings, ", ")))
			return
		}
		if k == "rankingRules" && string(v) != "null" {
			var rules []string
			if err := json.Unmarshal(v, &rules); err != nil {
				writeErr(w, APIError(400, "invalid_settings_ranking_rules", "invalid_request", "rankingRules: %v", err))
				return
			}
			for _, rule := range rules {
				if !slices.Contains(builtinRules, rule) && !customRule.MatchString(rule) {
					writeErr(w, APIError(400, "invalid_settings_ranking_rules", "invalid_request", "`%s` ranking rule is invalid.", rule))
					return
				}
			}
		}
		if slices.Contains([]string{"searchableAttributes", "filterableAttributes", "sortableAttributes", "stopWords"}, k) && string(v) != "null" {
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				writeErr(w, APIError(400, "invalid_settings_"+k, "invalid_request", "%s must be an array of strings: %v", k, err))
				return
			}
		}
	}
	s.enqueue(w, uid, "settingsUpdate", func() *Error {
		idx, ok := s.indexes[uid]
		if !ok {
			idx = newSIIndex(uid, "")
			s.indexes[uid] = idx
		}
		for k, v := range body {
			if string(v) == "null" {
				delete(idx.settings, k)
			} else {
				idx.settings[k] = v
			}
		}
		return nil
	})
}

// updateOneSetting serves PUT /indexes/{uid}/settings/{kebab-case-name}.
func (s *Server) updateOneSetting(w http.ResponseWriter, r *http.Request) {
	names := map[string]string{"filterable-attributes": "filterableAttributes", "sortable-attributes": "sortableAttributes"}
	name, ok := names[r.PathValue("name")]
	if !ok {
		writeErr(w, APIError(404, "not_found", "invalid_request", "the stand-in does not serve Setting %s", r.PathValue("name")))
		return
	}
	var v json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed body: %v", err))
		return
	}
	body, _ := json.Marshal(map[string]json.RawMessage{name: v})
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	s.updateSettings(w, r)
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, ok := s.indexes[r.PathValue("uid")]
	if !ok {
		writeErr(w, APIError(404, "index_not_found", "invalid_request", "Index `%s` not found.", r.PathValue("uid")))
		return
	}
	writeJSON(w, http.StatusOK, idx.settings)
}

func (s *Server) addDocuments(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	pk := r.URL.Query().Get("primaryKey")
	var docs []map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&docs); err != nil {
		writeErr(w, APIError(400, "malformed_payload", "invalid_request", "The `json` payload provided is malformed: %v", err))
		return
	}
	s.enqueue(w, uid, "documentAdditionOrUpdate", func() *Error {
		idx, ok := s.indexes[uid]
		if !ok {
			idx = newSIIndex(uid, pk)
			s.indexes[uid] = idx
		}
		if idx.primaryKey == "" {
			idx.primaryKey = pk
		}
		if pk != "" && pk != idx.primaryKey {
			return APIError(400, "index_primary_key_already_exists", "invalid_request", "Index `%s`: Index already has a primary key: `%s`.", uid, idx.primaryKey)
		}
		if idx.primaryKey == "" {
			return APIError(400, "index_primary_key_no_candidate_found", "invalid_request", "The primary key inference failed.")
		}
		staged := map[string]map[string]any{}
		var order []string
		for _, d := range docs {
			var id string
			switch v := d[idx.primaryKey].(type) {
			case string:
				id = v
			case json.Number:
				id = v.String()
			case nil:
				return APIError(400, "missing_document_id", "invalid_request", "Document doesn't have a `%s` attribute: `%v`.", idx.primaryKey, d)
			}
			if !validDocID.MatchString(id) {
				return APIError(400, "invalid_document_id", "invalid_request",
					"Document identifier `%q` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.", id)
			}
			staged[id] = d
			order = append(order, id)
		}
		// All or nothing, as a Meilisearch task.
		for _, id := range order {
			if _, exists := idx.docs[id]; !exists {
				idx.order = append(idx.order, id)
			}
			idx.docs[id] = staged[id]
		}
		return nil
	})
}

func (s *Server) deleteDocuments(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var ids []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed body: %v", err))
		return
	}
	s.enqueue(w, uid, "documentDeletion", func() *Error {
		idx, ok := s.indexes[uid]
		if !ok {
			return APIError(404, "index_not_found", "invalid_request", "Index `%s` not found.", uid)
		}
		for _, raw := range ids {
			var id string
			if json.Unmarshal(raw, &id) != nil {
				id = string(raw)
			}
			if _, ok := idx.docs[id]; ok {
				delete(idx.docs, id)
				idx.order = slices.DeleteFunc(idx.order, func(x string) bool { return x == id })
			}
		}
		return nil
	})
}

func (s *Server) swapIndexes(w http.ResponseWriter, r *http.Request) {
	var body []struct {
		Indexes []string `json:"indexes"`
		Rename  bool     `json:"rename"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed body: %v", err))
		return
	}
	for _, sw := range body {
		if len(sw.Indexes) != 2 || sw.Indexes[0] == sw.Indexes[1] {
			writeErr(w, APIError(400, "invalid_swap_indexes", "invalid_request", "Two indexes must be given for each swap: %v", sw.Indexes))
			return
		}
	}
	s.enqueue(w, "", "indexSwap", func() *Error {
		for _, sw := range body {
			a, b := sw.Indexes[0], sw.Indexes[1]
			ia, oka := s.indexes[a]
			ib, okb := s.indexes[b]
			if !oka || (!okb && !sw.Rename) {
				missing := a
				if oka {
					missing = b
				}
				return APIError(404, "index_not_found", "invalid_request", "Index `%s` not found.", missing)
			}
			if sw.Rename {
				if okb {
					return APIError(409, "index_already_exists", "invalid_request", "Index `%s` already exists.", b)
				}
				ia.uid = b
				s.indexes[b] = ia
				delete(s.indexes, a)
				continue
			}
			ia.uid, ib.uid = b, a
			s.indexes[a], s.indexes[b] = ib, ia
		}
		return nil
	})
}

// knownSearchParams are the body parameters of POST /indexes/{uid}/search
// in Meilisearch's API reference.
var knownSearchParams = []string{
	"q", "offset", "limit", "hitsPerPage", "page", "filter", "facets", "distinct", "attributesToRetrieve",
	"attributesToCrop", "cropLength", "cropMarker", "attributesToHighlight", "highlightPreTag", "highlightPostTag",
	"showMatchesPosition", "sort", "matchingStrategy", "showRankingScore", "showRankingScoreDetails",
	"showPerformanceDetails", "rankingScoreThreshold", "attributesToSearchOn", "hybrid", "vector",
	"retrieveVectors", "locales", "media", "personalize",
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed body: %v", err))
		return
	}
	for k := range raw {
		if !slices.Contains(knownSearchParams, k) {
			writeErr(w, APIError(400, "bad_request", "invalid_request", "Unknown field `%s`", k))
			return
		}
	}
	var req struct {
		Q                     string   `json:"q"`
		Filter                any      `json:"filter"`
		Facets                []string `json:"facets"`
		Sort                  []string `json:"sort"`
		Page                  int      `json:"page"`
		HitsPerPage           *int     `json:"hitsPerPage"`
		AttributesToRetrieve  []string `json:"attributesToRetrieve"`
		AttributesToHighlight []string `json:"attributesToHighlight"`
		AttributesToCrop      []string `json:"attributesToCrop"`
		HighlightPreTag       string   `json:"highlightPreTag"`
		HighlightPostTag      string   `json:"highlightPostTag"`
		ShowRankingScore      bool     `json:"showRankingScore"`
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &req); err != nil {
		writeErr(w, APIError(400, "bad_request", "invalid_request", "malformed body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	uid := r.PathValue("uid")
	idx, ok := s.indexes[uid]
	if !ok {
		writeErr(w, APIError(404, "index_not_found", "invalid_request", "Index `%s` not found.", uid))
		return
	}
	filterable := idx.stringList("filterableAttributes")
	sortable := idx.stringList("sortableAttributes")

	var filter *siNode
	switch f := req.Filter.(type) {
	case nil:
	case string:
		node, err := parseFilter(f)
		if err != nil {
			writeErr(w, APIError(400, "invalid_search_filter", "invalid_request", "%v\n%s", err, f))
			return
		}
		for _, attr := range node.attributes() {
			if !slices.Contains(filterable, attr) {
				writeErr(w, APIError(400, "invalid_search_filter", "invalid_request",
					"Index `%s`: Attribute `%s` is not filterable. Available filterable attributes are: `%s`.\n%s",
					uid, attr, strings.Join(filterable, ", "), f))
				return
			}
		}
		filter = node
	default:
		writeErr(w, APIError(400, "invalid_search_filter", "invalid_request", "the stand-in only accepts string filters, got %T", f))
		return
	}
	for _, f := range req.Facets {
		if !slices.Contains(filterable, f) {
			writeErr(w, APIError(400, "invalid_search_facets", "invalid_request",
				"Invalid facet distribution, attribute `%s` is not filterable. The available filterable attributes are `%s`.", f, strings.Join(filterable, ", ")))
			return
		}
	}
	type sortKey struct {
		attr string
		desc bool
	}
	var sorts []sortKey
	for _, sk := range req.Sort {
		attr, dir, ok := strings.Cut(sk, ":")
		if !ok || (dir != "asc" && dir != "desc") {
			writeErr(w, APIError(400, "invalid_search_sort", "invalid_request", "Invalid syntax for the sort parameter: `%s`.", sk))
			return
		}
		if !slices.Contains(sortable, attr) {
			writeErr(w, APIError(400, "invalid_search_sort", "invalid_request",
				"Index `%s`: Attribute `%s` is not sortable. Available sortable attributes are: `%s`.", uid, attr, strings.Join(sortable, ", ")))
			return
		}
		sorts = append(sorts, sortKey{attr, dir == "desc"})
	}

	words := strings.FieldsFunc(strings.ToLower(req.Q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	searchable := idx.stringList("searchableAttributes")
	var matched []map[string]any
	for _, id := range idx.order {
		d := idx.docs[id]
		if filter != nil && !filter.eval(d) {
			continue
		}
		if len(words) > 0 && !matchesAny(d, searchable, words) {
			continue
		}
		matched = append(matched, d)
	}
	for i := len(sorts) - 1; i >= 0; i-- {
		sk := sorts[i]
		sort.SliceStable(matched, func(a, b int) bool {
			x, okx := number(matched[a][sk.attr])
			y, oky := number(matched[b][sk.attr])
			switch {
			case okx && !oky:
				return true // documents without the attribute go last
			case !okx:
				return false
			case sk.desc:
				return x > y
			}
			return x < y
		})
	}

	facets := map[string]map[string]int{}
	for _, f := range req.Facets {
		facets[f] = map[string]int{}
		for _, d := range matched {
			for _, v := range scalars(d[f]) {
				facets[f][v]++
			}
		}
	}

	perPage := 20
	if req.HitsPerPage != nil {
		perPage = *req.HitsPerPage
	}
	page := max(req.Page, 1)
	total := len(matched)
	start := min((page-1)*perPage, total)
	end := min(start+perPage, total)
	hits := []map[string]any{}
	for _, d := range matched[start:end] {
		hit := map[string]any{}
		formatted := map[string]any{}
		for k, v := range d {
			if len(req.AttributesToRetrieve) > 0 && !slices.Contains(req.AttributesToRetrieve, k) {
				continue
			}
			hit[k] = v
			if str, ok := v.(string); ok && slices.Contains(req.AttributesToHighlight, k) {
				formatted[k] = highlight(str, words, req.HighlightPreTag, req.HighlightPostTag)
			} else {
				formatted[k] = v
			}
		}
		if len(req.AttributesToHighlight) > 0 || len(req.AttributesToCrop) > 0 {
			hit["_formatted"] = formatted
		}
		if req.ShowRankingScore {
			hit["_rankingScore"] = 1.0
		}
		hits = append(hits, hit)
	}
	totalPages := 0
	if perPage > 0 {
		totalPages = (total + perPage - 1) / perPage
	}
	out := map[string]any{
		"hits": hits, "query": req.Q, "processingTimeMs": 0,
		"hitsPerPage": perPage, "page": page, "totalPages": totalPages, "totalHits": total,
	}
	if req.Facets != nil {
		out["facetDistribution"] = facets
		out["facetStats"] = map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (idx *siIndex) stringList(Setting string) []string {
	var out []string
	if raw, ok := idx.settings[Setting]; ok {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}

func matchesAny(d map[string]any, searchable []string, words []string) bool {
	var text strings.Builder
	for k, v := range d {
		if len(searchable) > 0 && !slices.Contains(searchable, k) && !slices.Contains(searchable, "*") {
			continue
		}
		for _, s := range scalars(v) {
			text.WriteString(strings.ToLower(s))
			text.WriteByte(' ')
		}
	}
	for _, w := range words {
		if strings.Contains(text.String(), w) {
			return true
		}
	}
	return false
}

// highlight wraps case-insensitive occurrences of words in pre/post.
func highlight(s string, words []string, pre, post string) string {
	if len(words) == 0 || pre == "" {
		return s
	}
	lower := strings.ToLower(s)
	if len(lower) != len(s) {
		return s // case folding changed byte offsets: leave unmarked
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		hit := ""
		for _, w := range words {
			if strings.HasPrefix(lower[i:], w) && len(w) > len(hit) {
				hit = w
			}
		}
		if hit == "" {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(pre + s[i:i+len(hit)] + post)
		i += len(hit)
	}
	return b.String()
}

// scalars returns the values of a document attribute as strings: the
// elements of an array, or the value itself.
func scalars(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, scalars(e)...)
		}
		return out
	case string:
		return []string{x}
	case json.Number:
		return []string{x.String()}
	case bool:
		return []string{strconv.FormatBool(x)}
	}
	return []string{fmt.Sprint(v)}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// --- filter grammar ---------------------------------------------------------

// siNode is a parsed filter expression.
type siNode struct {
	op       string // AND, OR, NOT, or a condition operator: =, !=, >, >=, <, <=, IN, NOT IN, TO, EXISTS
	children []*siNode
	attr     string
	values   []string
}

func (n *siNode) attributes() []string {
	if n.attr != "" {
		return []string{n.attr}
	}
	var out []string
	for _, c := range n.children {
		out = append(out, c.attributes()...)
	}
	return out
}

func (n *siNode) eval(d map[string]any) bool {
	switch n.op {
	case "AND":
		for _, c := range n.children {
			if !c.eval(d) {
				return false
			}
		}
		return true
	case "OR":
		for _, c := range n.children {
			if c.eval(d) {
				return true
			}
		}
		return false
	case "NOT":
		return !n.children[0].eval(d)
	case "EXISTS":
		_, ok := d[n.attr]
		return ok
	case "NOT IN":
		return !(&siNode{op: "IN", attr: n.attr, values: n.values}).eval(d)
	case "!=":
		return !(&siNode{op: "=", attr: n.attr, values: n.values}).eval(d)
	}
	for _, have := range scalars(d[n.attr]) {
		switch n.op {
		case "=", "IN":
			if slices.Contains(n.values, have) {
				return true
			}
		default:
			h, err1 := strconv.ParseFloat(have, 64)
			v, err2 := strconv.ParseFloat(n.values[0], 64)
			if err1 != nil || err2 != nil {
				continue
			}
			switch n.op {
			case ">":
				if h > v {
					return true
				}
			case ">=":
				if h >= v {
					return true
				}
			case "<":
				if h < v {
					return true
				}
			case "<=":
				if h <= v {
					return true
				}
			case "TO":
				w, err := strconv.ParseFloat(n.values[1], 64)
				if err == nil && h >= v && h <= w {
					return true
				}
			}
		}
	}
	return false
}

type siToken struct {
	text   string
	quoted bool
}

func tokenizeFilter(s string) ([]siToken, error) {
	var out []siToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case strings.ContainsRune("()[],", rune(c)):
			out = append(out, siToken{text: string(c)})
			i++
		case c == '!' || c == '>' || c == '<' || c == '=':
			if i+1 < len(s) && s[i+1] == '=' && c != '=' {
				out = append(out, siToken{text: s[i : i+2]})
				i += 2
			} else if c == '!' {
				return nil, fmt.Errorf("unexpected `!` at %d", i)
			} else {
				out = append(out, siToken{text: string(c)})
				i++
			}
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' {
					j++
					if j >= len(s) {
						break
					}
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string starting at %d", i)
			}
			out = append(out, siToken{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()[],=!<>\"'", rune(s[j])) {
				j++
			}
			out = append(out, siToken{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

type filterParser struct {
	toks []siToken
	pos  int
}

func parseFilter(s string) (*siNode, error) {
	toks, err := tokenizeFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("Found unexpected characters at the end of the filter: `%s`. You probably forgot an `OR` or an `AND` rule.", p.toks[p.pos].text)
	}
	return n, nil
}

func (p *filterParser) peekKeyword(k string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && p.toks[p.pos].text == k
}

func (p *filterParser) next() (siToken, error) {
	if p.pos >= len(p.toks) {
		return siToken{}, fmt.Errorf("unexpected end of filter")
	}
	t := p.toks[p.pos]
	p.pos++
	return t, nil
}

func (p *filterParser) expect(k string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.quoted || t.text != k {
		return fmt.Errorf("expected `%s`, found `%s`", k, t.text)
	}
	return nil
}

func (p *filterParser) or() (*siNode, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	n := &siNode{op: "OR", children: []*siNode{left}}
	for p.peekKeyword("OR") {
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, right)
	}
	if len(n.children) == 1 {
		return left, nil
	}
	return n, nil
}

func (p *filterParser) and() (*siNode, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	n := &siNode{op: "AND", children: []*siNode{left}}
	for p.peekKeyword("AND") {
		p.pos++
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, right)
	}
	if len(n.children) == 1 {
		return left, nil
	}
	return n, nil
}

func (p *filterParser) not() (*siNode, error) {
	if p.peekKeyword("NOT") {
		p.pos++
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return &siNode{op: "NOT", children: []*siNode{c}}, nil
	}
	if p.peekKeyword("(") {
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	}
	return p.condition()
}

func (p *filterParser) condition() (*siNode, error) {
	attr, err := p.next()
	if err != nil {
		return nil, err
	}
	if !attr.quoted && strings.ContainsAny(attr.text, "()[],") {
		return nil, fmt.Errorf("expected an attribute, found `%s`", attr.text)
	}
	op, err := p.next()
	if err != nil {
		return nil, err
	}
	n := &siNode{attr: attr.text}
	switch {
	case op.quoted:
		// "attr value TO value"
		return nil, fmt.Errorf("Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, found `%s`", op.text)
	case slices.Contains([]string{"=", "!=", ">", ">=", "<", "<="}, op.text):
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.op, n.values = op.text, []string{v}
	case op.text == "IN":
		n.op = "IN"
		n.values, err = p.list()
	case op.text == "NOT":
		if p.peekKeyword("EXISTS") {
			p.pos++
			return &siNode{op: "NOT", children: []*siNode{{op: "EXISTS", attr: attr.text}}}, nil
		}
		if err := p.expect("IN"); err != nil {
			return nil, err
		}
		n.op = "NOT IN"
		n.values, err = p.list()
	case op.text == "EXISTS":
		n.op = "EXISTS"
	default:
		// attr FROM TO TO: "date 1 TO 2"
		if !p.peekKeyword("TO") {
			return nil, fmt.Errorf("Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, found `%s`", op.text)
		}
		p.pos++
		to, err := p.value()
		if err != nil {
			return nil, err
		}
		n.op, n.values = "TO", []string{op.text, to}
	}
	return n, err
}

func (p *filterParser) value() (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if !t.quoted && (strings.ContainsAny(t.text, "()[],") || t.text == "") {
		return "", fmt.Errorf("expected a value, found `%s`", t.text)
	}
	return t.text, nil
}

func (p *filterParser) list() ([]string, error) {
	if err := p.expect("["); err != nil {
		return nil, err
	}
	var out []string
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.text == "]" && !t.quoted {
			return out, nil
		}
		if t.text != "," || t.quoted {
			return nil, fmt.Errorf("expected `,` or `]`, found `%s`", t.text)
		}
	}
}

// --- helpers for assertions -------------------------------------------------

func (s *Server) RequestsTo(method, pathSuffix string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) LastSearch(t *testing.T) map[string]any {
	t.Helper()
	reqs := s.RequestsTo(http.MethodPost, "/search")
	if len(reqs) == 0 {
		t.Fatal("no search request reached the stand-in")
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func (s *Server) StoredDocIDs(uid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, ok := s.indexes[uid]
	if !ok {
		return nil
	}
	return slices.Clone(idx.order)
}

func (s *Server) Setting(uid, name string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx, ok := s.indexes[uid]; ok {
		return idx.settings[name]
	}
	return nil
}

func (s *Server) IndexNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.indexes {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *Server) MinPollsPerTask() (minPolls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	minPolls = -1
	for _, task := range s.tasks {
		if n := s.polls[task.uid]; minPolls < 0 || n < minPolls {
			minPolls = n
		}
	}
	return minPolls
}

// Configure lets a test change the stand-in's behaviour.
func (s *Server) Configure(f func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}
