// Package catalog holds the shared free-software catalog: software entries
// (licence, categories from a closed list, the proprietary products they
// replace, public reference IDs of Wikidata, the SILL and the Comptoir du
// Libre), service providers, pooled instances, and the usage declarations
// of organizations (since when, for how many agents, hosted where, what it
// saves, a testimonial, a contact who accepts questions).
//
// Every figure of the network ("42 collectivités utilisent Nextcloud",
// declared savings) is computed by SQL from the visible declarations, never
// typed in; a declaration is unique per software and organization whatever
// its origin (remote_id is kept for declarations received from other hubs),
// so no figure counts an organization twice.
//
// A member declares only for their own organization (the organization of
// their account); collective administrators moderate the declarations of
// their members' organizations; instance administrators manage entries,
// providers and imports. The embedded data (data/) is the SILL export of
// 2022-05-10 (Licence Ouverte 2.0, DINUM) and a file of ours completing it.
//
// Declarations federate (federate.go): a change of a local declaration
// enqueues an outbox.Job in its transaction; declarations received from
// hubs that a local collective follows are stored by ReceiveUsage, never
// editable here, and counted like the others.
//
// It imports access/, cursor/, fault/, jobs/, markdown/, model/, outbox/,
// search/, indexer/, store/ and territory/.
package catalog
