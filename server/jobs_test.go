package server_test

import (
	"context"

	"collectif/jobs"
	"collectif/store"
)

func jobsMigrate(db *store.DB) ([]string, error) { return jobs.Migrate(context.Background(), db) }
