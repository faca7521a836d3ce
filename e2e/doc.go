// Package e2e holds the end-to-end browser tests: a real hub runs in process
// on loopback with the demonstration data, and Debian's Chromium, headless,
// driven through the DevTools protocol (chromedp), goes through the main
// journeys as a person would, with JavaScript on and off. On every page it
// runs axe-core (vendored in testdata/), reads the page weight from the
// browser's own resource timing, and refuses any request to another origin;
// it saves screenshots of the main pages at desktop and phone widths. The
// pages cover home, collectives, the catalog, events and their registration,
// the organizers' and the federation's pages, in French and in English; two
// forms (registering for an event, declaring a software's use) are gone
// through with the keyboard alone and JavaScript off, focus ring checked on
// every element reached; the dark colour scheme and reduced motion are
// emulated as a user's system asks for them.
//
// The tests skip when no Chromium executable is found (chromium,
// chromium-browser or google-chrome on PATH, or COLLECTIF_CHROMIUM), unless
// COLLECTIF_E2E_REQUIRE_BROWSER=1, as CI sets it, makes that a failure.
// Screenshots go to the directory named by COLLECTIF_ARTIFACTS, or to a
// temporary one.
//
// Everything is in test files, so that nothing in the module can import this
// package; the tests import hub/, as cmd/collectif does.
package e2e
