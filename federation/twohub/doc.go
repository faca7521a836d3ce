// Package twohub holds end-to-end tests of federation between two hubs of
// this project: two real hubs (hub.Open, as `collectif serve` builds them),
// each with its own database, on loopback, one of them behind its own TLS
// listener with a certificate made by the test, so that WebFinger and every
// request to it go over https. What is checked is what people see: the
// pages and the API of the other hub.
//
// It holds tests only; nothing imports it.
package twohub
