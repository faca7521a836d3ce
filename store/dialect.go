package store

import (
	"database/sql"
	"errors"
	"regexp"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

var passwordRE = regexp.MustCompile(`(://[^:/@]+:)[^@]*@`)

// sqlite3 extended result codes for constraint failures.
const (
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// IsUniqueViolation reports whether err comes from a broken uniqueness
// constraint, on either engine.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		c := sqErr.Code()
		return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
	}
	return false
}

// NotFound turns sql.ErrNoRows into ErrNotFound and leaves other errors.
func NotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// Conflict turns a uniqueness violation into ErrConflict (wrapping the cause).
func Conflict(err error) error {
	if IsUniqueViolation(err) {
		return errors.Join(ErrConflict, err)
	}
	return err
}
