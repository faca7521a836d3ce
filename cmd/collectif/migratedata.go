package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"collectif/config"
	"collectif/hub"
	"collectif/store"
)

// migrateData copies the embedded database of COLLECTIF_DATA_DIR into the
// PostgreSQL database named by --to: it applies the PostgreSQL migrations
// there, refuses a target holding rows unless --replace, copies every table
// in one transaction and prints the row counts of both sides.
func migrateData(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("migrate-data", e)
	to := fs.String("to", "", "URL of the target PostgreSQL database, postgres://user:password@host:5432/database (required)")
	replace := fs.Bool("replace", false, "empty the target's tables first instead of refusing a target that holds rows")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		fmt.Fprintln(e.stderr, "collectif migrate-data: --to is required")
		fs.Usage()
		return errUsage
	}
	cfg, log, err := loadConfig(e)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return &config.Error{Var: "COLLECTIF_DATABASE_URL", Cause: "migrate-data copies the embedded database of COLLECTIF_DATA_DIR: unset this variable for the copy"}
	}
	tcfg, err := config.FromEnv(func(k string) string {
		if k == "COLLECTIF_DATABASE_URL" {
			return *to
		}
		return e.getenv(k)
	})
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) && ce.Var == "COLLECTIF_DATABASE_URL" {
			ce.Var = "--to"
		}
		return err
	}

	start := time.Now()
	src, err := hub.OpenDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer src.Close()
	if pending, err := src.Pending(ctx); err != nil {
		return err
	} else if len(pending) > 0 {
		return fmt.Errorf("the embedded database lacks migrations %v: run `collectif migrate` (or start the hub once) with this version first", pending)
	}
	dst, err := store.Open(ctx, store.Options{DatabaseURL: tcfg.DatabaseURL, Logger: log})
	if err != nil {
		return &config.Error{Var: "--to", Cause: "cannot open the database: " + err.Error()}
	}
	defer dst.Close()
	applied, err := hub.Migrate(ctx, dst)
	if err != nil {
		return fmt.Errorf("migrate the target: %w", err)
	}
	if len(applied) > 0 {
		fmt.Fprintf(e.stdout, "target schema created (%d migrations)\n", len(applied))
	}
	copyStart := time.Now()
	counts, err := store.Copy(ctx, src, dst, store.CopyOptions{Replace: *replace})
	if errors.Is(err, store.ErrTargetNotEmpty) {
		return fmt.Errorf("%w; nothing was copied. Give an empty database, or --replace to empty these tables first", err)
	}
	if err != nil {
		return err
	}
	var rows int64
	fmt.Fprintf(e.stdout, "%-32s %10s %10s\n", "table", "embedded", "postgres")
	for _, c := range counts {
		fmt.Fprintf(e.stdout, "%-32s %10d %10d\n", c.Table, c.Source, c.Target)
		rows += c.Target
	}
	fmt.Fprintf(e.stdout, "copied %d rows in %d tables in %s (%s in all); every count matches\n", rows, len(counts),
		time.Since(copyStart).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(e.stdout, "next: copy uploads/ to the new data directory, set COLLECTIF_DATABASE_URL, and run `collectif reindex` before serving")
	return nil
}
