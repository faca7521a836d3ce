// Package model holds the hub's data types as they are stored: organizations,
// accounts and their linked identities, collectives, memberships, working
// groups. The struct tags map them to the tables of migrations/.
//
// It is the bottom of the import graph: it imports only the standard library,
// bun's schema tags and the ULID generator. Rules about these types live in
// the domain packages (account, collective, …), not here.
package model
