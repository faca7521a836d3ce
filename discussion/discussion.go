// Package discussion holds the threaded discussions of working groups.
package discussion

// Service runs discussion actions.
type Service struct{}
