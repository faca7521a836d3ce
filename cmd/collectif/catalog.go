package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"collectif/access"
	"collectif/catalog"
)

// catalogCmd runs `collectif catalog import FILE...`: each file is read
// whole and imported in one transaction, so a malformed file changes
// nothing; files are imported in the order given (the SILL first, then
// the files that complete it).
func catalogCmd(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintf(e.stderr, "usage: collectif catalog import FILE...\n  formats: %s\n", catalog.Formats)
		return errUsage
	}
	fs := newFlagSet("catalog import", e)
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(e.stderr, "usage: collectif catalog import FILE...\n  formats: %s\n", catalog.Formats)
		return errUsage
	}
	files := make([]catalog.NamedFile, 0, fs.NArg())
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		files = append(files, catalog.NamedFile{Name: filepath.Base(name), Data: b})
	}
	h, err := openTool(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, f := range files {
		r, err := h.Catalog.Import(ctx, access.System(), f)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s (%s)\n", f.Name, r)
	}
	return nil
}
