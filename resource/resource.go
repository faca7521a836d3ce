// Package resource holds the resources that members and partners share.
package resource

// Service runs resource actions.
type Service struct{}
