// Package delivery sends the hub's ActivityPub requests to the rest of the
// fediverse: the guarded HTTP client (NewClient) that every federation
// request goes through, signed GETs of remote documents (Service.Get), and
// the durable delivery of activities to remote inboxes (Service.Enqueue).
//
// An activity is stored once (delivery_activities) with one row per inbox
// (delivery_targets), and one job per remote host is enqueued in the
// caller's transaction. A job posts the activity to its host's inboxes,
// at most PerHost requests at a time per host in this process, and
// records the outcome per host (delivery_hosts, delivery_errors). Failed
// inboxes are retried with the Backoff schedule (about 32 hours over 10
// attempts); 4xx answers other than 408 and 429 are permanent.
//
// It imports federation/signature, jobs/, store/, access/, fault/ and model/.
package delivery
