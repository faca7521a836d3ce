// Package ap reads and writes the ActivityStreams JSON the hub exchanges:
// activities received in an inbox, actor documents (ours and remote ones),
// collections and the documents of discovery (WebFinger, NodeInfo).
//
// Reading is lenient the way the fediverse needs it: a property holding one
// value may arrive as a bare value or a one-element array, a reference as an
// IRI string or an embedded object with an id, and unknown properties are
// kept (Activity.Raw) for handlers that want more. Writing uses plain structs
// carrying what go-fed's vocabulary lacks (sharedInbox,
// manuallyApprovesFollowers, the publicKey of the security vocabulary).
//
// The types of this package never leave federation/: its parent converts
// them into domain values at the border. It imports only the standard
// library.
package ap
