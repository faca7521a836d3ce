// Package federation is the hub's ActivityPub side: the local actors
// (the instance, collectives, public working groups, members who opt in)
// and their keys, discovery (WebFinger, NodeInfo, host-meta), the inboxes
// and the processing of what they receive, and the moderation that goes
// with it (instance block list, per-group bans, reports, the per-group
// setting refusing remote replies), likes received, and the following of
// remote actors by collectives.
//
// Its endpoints are net/http handlers (ActorHandler, InboxHandler,
// WebFingerHandler, NodeInfoHandler, HostMetaHandler, ObjectHandler,
// IconHandler) that server/ mounts
// in Fiber through the adaptor, after signature.RestoreAdaptedRequest.
//
// An inbox answers 202 once the activity is verified and recorded: its ID
// goes into federation_received and the activity into the job queue in the
// same transaction, so a second delivery is a no-op. The job (Process)
// dispatches on the activity type to a Handler; Follow, Undo{Follow},
// Accept, Reject, Flag, Delete (of an actor), and Join and Leave of events
// (through the event domain, SetEvents) are handled here, and the
// content-federation step adds its own with Service.Handle. Types without
// a handler are recorded and ignored.
//
// Members answer content received from the network with ReplyToNetwork:
// a Note in reply to the remote object, stored (network_replies) and
// queued in one transaction.
//
// The catalog extension (catalog.go) sends the usage declarations of the
// catalog as SoftwareUsage objects, with a JSON-LD context of ours served
// at ContextPath, and hands those received from followed hubs to the
// catalog (catalog.Service.ReceiveUsage), which counts each organization
// once.
//
// Outgoing activities go through an Outbox (the delivery package's
// durable, signed delivery), remote documents are fetched through a
// Getter (its signed, guarded GET). Signing keys come from SigningKey.
//
// Sub-packages: signature (HTTP Signatures) and ap (the ActivityStreams
// JSON read and written). Vocabulary types never leave federation/. It
// imports the domain packages it serves (collective, catalog, access,
// event, model), the store and the job queue; nothing imports it but
// server/ and hub/.
package federation
