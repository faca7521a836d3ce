package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// CopyOptions tune Copy.
type CopyOptions struct {
	// Replace empties the target's tables first; without it a target
	// holding rows is refused with ErrTargetNotEmpty.
	Replace bool
}

// TableCount is one table's row count in the source and, after the copy,
// in the target.
type TableCount struct {
	Table          string
	Source, Target int64
}

// ErrTargetNotEmpty: the target already holds rows.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// notCopied are tables each side fills by itself: the migration records
// (the target's own migrations made its schema) and the job queue's
// leadership lease, which only means something to running processes.
var notCopied = map[string]bool{"schema_migrations": true, "river_migration": true, "river_leader": true}

// copyBatch is how many rows go to PostgreSQL in one round trip.
const copyBatch = 500

// Copy copies every row of src, an embedded (SQLite) database, into dst, a
// PostgreSQL database migrated to the same version. The tables are read from
// src's schema, so every table the migrations create is copied, the job
// queue's included; they are filled parents first (foreign keys as the
// target declares them), each table in insertion order, with the values
// converted to the target's column types. Sequences are then moved past the
// copied keys, and the row counts of both sides compared. Everything
// happens in one transaction on dst, on a consistent snapshot of src: an
// error leaves dst as it was.
func Copy(ctx context.Context, src, dst *DB, opts CopyOptions) ([]TableCount, error) {
	if src.engine != SQLite || dst.engine != Postgres {
		return nil, errors.New("copy: from the embedded database to PostgreSQL only")
	}
	stx, err := src.R.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("copy: read the embedded database: %w", err)
	}
	defer stx.Rollback()
	tables, err := sqliteTables(ctx, stx)
	if err != nil {
		return nil, err
	}
	ttx, err := dst.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer ttx.Rollback(context.WithoutCancel(ctx))

	have, parents, err := pgTables(ctx, ttx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if !have[t] {
			return nil, fmt.Errorf("copy: table %s of the embedded database is not in the target: migrate it with the same version of collectif", t)
		}
	}
	order, err := parentsFirst(tables, parents)
	if err != nil {
		return nil, err
	}

	var full []string
	for _, t := range order {
		var n int64
		if err := ttx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("copy: count %s in the target: %w", t, err)
		}
		if n > 0 {
			full = append(full, fmt.Sprintf("%s (%d rows)", t, n))
		}
	}
	if len(full) > 0 {
		if !opts.Replace {
			return nil, fmt.Errorf("%w: %s", ErrTargetNotEmpty, strings.Join(full, ", "))
		}
		names := make([]string, len(order))
		for i, t := range order {
			names[i] = pgx.Identifier{t}.Sanitize()
		}
		if _, err := ttx.Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")+" CASCADE"); err != nil {
			return nil, fmt.Errorf("copy: empty the target: %w", err)
		}
	}

	counts := make([]TableCount, 0, len(order))
	for _, t := range order {
		n, err := copyTable(ctx, stx, ttx, t)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", t, err)
		}
		counts = append(counts, TableCount{Table: t, Source: n})
	}
	if err := fixSequences(ctx, ttx); err != nil {
		return nil, err
	}
	var wrong []string
	for i, c := range counts {
		if err := ttx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{c.Table}.Sanitize()).Scan(&counts[i].Target); err != nil {
			return nil, fmt.Errorf("copy: count %s: %w", c.Table, err)
		}
		if counts[i].Target != c.Source {
			wrong = append(wrong, fmt.Sprintf("%s: %d rows read, %d in the target", c.Table, c.Source, counts[i].Target))
		}
	}
	if len(wrong) > 0 {
		return counts, fmt.Errorf("copy: counts differ, nothing written: %s", strings.Join(wrong, "; "))
	}
	if err := ttx.Commit(ctx); err != nil {
		return counts, fmt.Errorf("copy: commit: %w", err)
	}
	return counts, nil
}

func sqliteTables(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("copy: list the tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if !notCopied[n] {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// pgTables returns the target's tables and, for each, the tables its
// foreign keys point to.
func pgTables(ctx context.Context, tx pgx.Tx) (map[string]bool, map[string][]string, error) {
	have := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, nil, fmt.Errorf("copy: list the target's tables: %w", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, nil, err
		}
		have[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	parents := map[string][]string{}
	rows, err = tx.Query(ctx, `SELECT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, nil, fmt.Errorf("copy: read the foreign keys: %w", err)
	}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, nil, err
		}
		if child != parent {
			parents[child] = append(parents[child], parent)
		}
	}
	return have, parents, rows.Err()
}

// parentsFirst orders tables so that every table comes after those its
// foreign keys point to, alphabetically among equals.
func parentsFirst(tables []string, parents map[string][]string) ([]string, error) {
	in := map[string]bool{}
	for _, t := range tables {
		in[t] = true
	}
	done := map[string]bool{}
	var order []string
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t] {
				continue
			}
			ready := true
			for _, p := range parents[t] {
				if in[p] && !done[p] {
					ready = false
					break
				}
			}
			if ready {
				done[t] = true
				order = append(order, t)
				progress = true
			}
		}
		if !progress {
			var left []string
			for _, t := range tables {
				if !done[t] {
					left = append(left, t)
				}
			}
			return nil, fmt.Errorf("copy: foreign keys form a cycle between %s", strings.Join(left, ", "))
		}
	}
	return order, nil
}

// pgColumn is one column of the target, and how a value is sent to it.
type pgColumn struct {
	name string
	typ  string // format_type: "timestamp with time zone", "jsonb[]"…
	kind byte   // 'b' boolean, 'x' bytea, 'j' json, 'a' array, 'v' bit string, 't' other (as text)
}

func (c pgColumn) placeholder(i int) string {
	switch c.kind {
	case 'x':
		return fmt.Sprintf("$%d::bytea", i)
	case 'a':
		return fmt.Sprintf("$%d::text[]::%s", i, c.typ)
	}
	return fmt.Sprintf("$%d::text::%s", i, c.typ)
}

func pgColumns(ctx context.Context, tx pgx.Tx, table string) (map[string]pgColumn, error) {
	rows, err := tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typcategory
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass
		  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]pgColumn{}
	for rows.Next() {
		var c pgColumn
		var typname, cat string
		if err := rows.Scan(&c.name, &c.typ, &typname, &cat); err != nil {
			return nil, err
		}
		switch {
		case cat == "A":
			c.kind = 'a'
		case typname == "bool":
			c.kind = 'b'
		case typname == "bytea":
			c.kind = 'x'
		case typname == "json" || typname == "jsonb":
			c.kind = 'j'
		case cat == "V":
			c.kind = 'v'
		default:
			c.kind = 't'
		}
		out[c.name] = c
	}
	return out, rows.Err()
}

func copyTable(ctx context.Context, stx *sql.Tx, ttx pgx.Tx, table string) (int64, error) {
	target, err := pgColumns(ctx, ttx, table)
	if err != nil {
		return 0, err
	}
	rows, err := stx.QueryContext(ctx, "SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return 0, err
	}
	var cols []pgColumn
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, err
		}
		c, ok := target[n]
		if !ok {
			rows.Close()
			return 0, fmt.Errorf("column %s is not in the target: migrate it with the same version of collectif", n)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	sel := make([]string, len(cols))
	names := make([]string, len(cols))
	ph := make([]string, len(cols))
	for i, c := range cols {
		q := `"` + strings.ReplaceAll(c.name, `"`, `""`) + `"`
		sel[i] = q
		if c.kind == 'j' || c.kind == 'a' {
			sel[i] = "json(" + q + ")" // JSON stored as text or as SQLite's binary JSONB
		}
		names[i] = pgx.Identifier{c.name}.Sanitize()
		ph[i] = c.placeholder(i + 1)
	}
	from := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + from
	src, err := stx.QueryContext(ctx, query+" ORDER BY rowid") // insertion order: parents of a self-reference first
	if err != nil {
		src, err = stx.QueryContext(ctx, query) // a WITHOUT ROWID table
	}
	if err != nil {
		return 0, err
	}
	defer src.Close()
	insert := "INSERT INTO " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(names, ", ") +
		") OVERRIDING SYSTEM VALUE VALUES (" + strings.Join(ph, ", ") + ")"

	var n int64
	batch := &pgx.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		err := ttx.SendBatch(ctx, batch).Close()
		batch = &pgx.Batch{}
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for src.Next() {
		if err := src.Scan(ptrs...); err != nil {
			return n, err
		}
		args := make([]any, len(cols))
		for i, c := range cols {
			if args[i], err = convert(c, vals[i]); err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+1, c.name, err)
			}
		}
		batch.Queue(insert, args...)
		n++
		if batch.Len() >= copyBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := src.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// convert turns a value read from SQLite into what c's placeholder takes.
func convert(c pgColumn, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case 'x':
		switch v := v.(type) {
		case []byte:
			return v, nil
		case string:
			return []byte(v), nil
		}
	case 'a':
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case []byte:
			s = string(v)
		default:
			return nil, fmt.Errorf("an array stored as %T", v)
		}
		var elems []json.RawMessage
		if err := json.Unmarshal([]byte(s), &elems); err != nil {
			return nil, fmt.Errorf("an array that is not a JSON array: %w", err)
		}
		out := make([]string, len(elems))
		for i, e := range elems {
			var str string
			if json.Unmarshal(e, &str) == nil {
				out[i] = str
			} else {
				out[i] = string(e)
			}
		}
		return out, nil
	case 'b':
		switch v := v.(type) {
		case int64:
			return strconv.FormatBool(v != 0), nil
		case bool:
			return strconv.FormatBool(v), nil
		}
	case 'v':
		if i, ok := v.(int64); ok {
			return fmt.Sprintf("%0*b", bitWidth(c.typ), i), nil
		}
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// bitWidth reads n from "bit(n)".
func bitWidth(typ string) int {
	if i := strings.IndexByte(typ, '('); i >= 0 {
		if n, err := strconv.Atoi(strings.TrimSuffix(typ[i+1:], ")")); err == nil {
			return n
		}
	}
	return 1
}

// fixSequences moves every sequence that feeds a column past the largest
// value copied into it.
func fixSequences(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name,
			pg_get_serial_sequence(quote_ident(table_schema) || '.' || quote_ident(table_name), column_name)
		FROM information_schema.columns
		WHERE table_schema = current_schema()
		  AND pg_get_serial_sequence(quote_ident(table_schema) || '.' || quote_ident(table_name), column_name) IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("copy: find sequences: %w", err)
	}
	type seq struct{ table, column, name string }
	var seqs []seq
	for rows.Next() {
		var s seq
		if err := rows.Scan(&s.table, &s.column, &s.name); err != nil {
			return err
		}
		seqs = append(seqs, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(seqs, func(a, b seq) int { return strings.Compare(a.name, b.name) })
	for _, s := range seqs {
		q := fmt.Sprintf("SELECT setval($1, COALESCE((SELECT max(%s) FROM %s), 0) + 1, false)",
			pgx.Identifier{s.column}.Sanitize(), pgx.Identifier{s.table}.Sanitize())
		if _, err := tx.Exec(ctx, q, s.name); err != nil {
			return fmt.Errorf("copy: sequence %s: %w", s.name, err)
		}
	}
	return nil
}
