// Package server is the hub's HTTP face, on Fiber: the middleware (request
// IDs, access logs, metrics, security headers, panic recovery, limits), the
// route tables, and thin handlers that parse a request, call one domain
// method with the request's context and render a page or JSON.
//
// One ErrorHandler maps the domain's fault kinds to status codes; an
// internal error's text never reaches the client. Values read from a Fiber
// context never outlive the handler (the app runs Immutable).
//
// It imports the domain packages, frontend/, fault/ and requestid/; the
// federation endpoints, plain net/http handlers, are mounted here through
// Fiber's adaptor.
package server
