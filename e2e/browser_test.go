package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Desktop and phone viewports of the checks and screenshots.
const (
	desktopWidth, desktopHeight = 1280, 800
	phoneWidth, phoneHeight     = 375, 812
)

// chromiumPath finds the browser: COLLECTIF_CHROMIUM when set, else
// chromium, chromium-browser or google-chrome on PATH.
func chromiumPath() (string, error) {
	if p := strings.TrimSpace(os.Getenv("COLLECTIF_CHROMIUM")); p != "" {
		abs, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("COLLECTIF_CHROMIUM=%q is not an executable: %w", p, err)
		}
		return abs, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNoChromium
}

var errNoChromium = errors.New("no Chromium executable: none of chromium, chromium-browser, google-chrome is on PATH and COLLECTIF_CHROMIUM is not set (Debian: apt-get install chromium)")

// needChromium skips the test when there is no browser, or fails it when
// COLLECTIF_E2E_REQUIRE_BROWSER=1 (CI), so that a missing install step
// cannot pass as a green run.
func needChromium(t *testing.T) string {
	t.Helper()
	p, err := chromiumPath()
	switch {
	case err == nil:
		return p
	case !errors.Is(err, errNoChromium):
		t.Fatal(err)
	case os.Getenv("COLLECTIF_E2E_REQUIRE_BROWSER") == "1":
		t.Fatalf("%v; COLLECTIF_E2E_REQUIRE_BROWSER=1 makes it a failure", err)
	default:
		t.Skipf("browser tests skipped: %v", err)
	}
	return ""
}

// browser is one headless Chromium process with a fresh profile, shared by
// the tests of the package: each test works in browser contexts of its own
// (own cookies, own cache), and starting Chromium once saves seconds a test.
type browser struct {
	ctx context.Context // the browser's context; its first tab stays blank
}

var shared struct {
	once   sync.Once
	b      *browser
	err    error
	dir    string // the profile (--user-data-dir), removed by TestMain
	cancel context.CancelFunc
}

// TestMain stops the shared browser, if a test started it, and removes its
// profile.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedBrowser returns the package's browser, starting it on first use; it
// skips the test when there is no Chromium (see needChromium).
func sharedBrowser(t *testing.T) *browser {
	t.Helper()
	path := needChromium(t)
	shared.once.Do(func() { shared.b, shared.err = launch(path) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.b
}

// launch starts Chromium headless with a fresh profile and the flags a
// closed network needs: without the background-networking ones Chromium
// keeps calling home, and those connections are refused here.
func launch(path string) (*browser, error) {
	dir, err := os.MkdirTemp("", "collectif-e2e-chromium-")
	if err != nil {
		return nil, err
	}
	shared.dir = dir
	var out tailWriter // what Chromium prints, for the error if it fails to start
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		// The defaults hold some of these already; they are all said here so
		// that the list reads in one place.
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.CombinedOutput(&out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	shared.cancel = func() {
		cancel()
		cancelAlloc()
	}
	// The first run starts the process. It must not carry a deadline, which
	// would end the browser with it, so a watchdog bounds it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			return nil, fmt.Errorf("start %s: %w; it printed:\n%s", path, err, out.String())
		}
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("%s did not start within 60 s; it printed:\n%s", path, out.String())
	}
	return &browser{ctx: ctx}, nil
}

// tailWriter keeps the last 4 KB written to it.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > 4096 {
		w.buf = w.buf[len(w.buf)-4096:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// tab is one page of its own browser context (own cookies, empty cache), as
// a new visitor's browser, with or without JavaScript.
type tab struct {
	t    *testing.T
	ctx  context.Context // bounded by the test's deadline
	base string
	js   bool
	rep  *report

	// noAxe: skip axe-core on this tab's pages, which another test audits
	// in the same state (it costs about half a second of CPU a page).
	noAxe bool
	// settle: before measuring a page, wait for the requests that follow
	// its load event (the favicon) so that its figures are whole.
	settle bool
	// label says who looks and in which language, in the report's table.
	label string

	mu       sync.Mutex
	inflight map[network.RequestID]bool
	lastReq  time.Time  // when a request last started or finished
	netBytes int        // encodedDataLength received since the last check
	requests []string   // every URL the page asked for, in order
	checked  int        // requests already checked for third parties
	logs     []logEntry // browser log entries of level error
}

// newTab opens a tab in a fresh browser context; every action in it is
// bounded by timeout.
func (b *browser) newTab(t *testing.T, base string, js bool, rep *report, timeout time.Duration) *tab {
	t.Helper()
	tctx, cancelTab := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tctx); err != nil { // creates the target, no deadline
		cancelTab()
		t.Fatalf("new tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tctx, timeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	tb := &tab{t: t, ctx: ctx, base: base, js: js, rep: rep, inflight: map[network.RequestID]bool{}}
	err := chromedp.Listen(tctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.mu.Lock()
			tb.requests = append(tb.requests, ev.Request.URL)
			tb.inflight[ev.RequestID] = true
			tb.lastReq = time.Now()
			tb.mu.Unlock()
		case *network.EventLoadingFinished:
			tb.mu.Lock()
			delete(tb.inflight, ev.RequestID)
			tb.netBytes += int(ev.EncodedDataLength)
			tb.lastReq = time.Now()
			tb.mu.Unlock()
		case *network.EventLoadingFailed:
			tb.mu.Lock()
			delete(tb.inflight, ev.RequestID)
			tb.mu.Unlock()
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				tb.mu.Lock()
				tb.logs = append(tb.logs, logEntry{source: string(ev.Entry.Source), text: ev.Entry.Text, url: ev.Entry.URL})
				tb.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// A French browser: headless Chromium sends en-US whatever its --lang,
	// and the hub answers in the browser's language.
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": "fr-FR,fr;q=0.9"},
	}); err != nil {
		t.Fatalf("Accept-Language: %v", err)
	}
	if !js {
		// As a browser with JavaScript turned off: the page's own scripts
		// do not run. The DevTools protocol still evaluates the tests'
		// probes in the page (axe-core turns scripts on for its audit).
		tb.scripts(false)
		// Prove it: a page whose only script would set its title.
		tb.do("no-JS proof", chromedp.Navigate(`data:text/html,<title>sans</title><script>document.title="avec"</script>`))
		if title := eval[string](tb, "document.title"); title != "sans" {
			t.Fatalf("JavaScript is still on in the no-JS tab: a script set the title to %q", title)
		}
	}
	return tb
}

func (tb *tab) mode() string {
	if tb.js {
		return "JS"
	}
	return "sans JS"
}

// viewport sets the size of the page, as a desktop window or a phone.
func (tb *tab) viewport(width, height int64, phone bool) {
	tb.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if phone {
		opts = append(opts, chromedp.EmulateMobile)
	}
	tb.do("viewport", chromedp.EmulateViewport(width, height, opts...))
}

func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("[%s] %s: %v (at %s)", tb.mode(), what, err, tb.location())
	}
}

// open loads path as if typed in the address bar, and checks the page.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.openWant(path, 200)
}

// openWant is open for a page that must answer with the status want.
func (tb *tab) openWant(path string, want int64) {
	tb.t.Helper()
	if got := tb.openAny(path); got != want {
		tb.t.Fatalf("[%s] open %s: HTTP %d at %s, want %d", tb.mode(), path, got, tb.path(), want)
	}
}

// openAny loads path and answers the HTTP status of the page shown (after
// redirects); the page is checked whatever its status.
func (tb *tab) openAny(path string) int64 {
	tb.t.Helper()
	resp, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(tb.base+path))
	if err != nil {
		tb.t.Fatalf("[%s] open %s: %v", tb.mode(), path, err)
	}
	if resp == nil {
		tb.t.Fatalf("[%s] open %s: no response", tb.mode(), path)
	}
	tb.check()
	return resp.Status
}

// click clicks what sel finds (a link or a submit button), waits for the
// page it leads to, which must answer 200, and checks it.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.clickWant(sel, 200)
}

// clickWant is click for a page that must answer with the status want
// (a form refused with 401 or 422, say).
func (tb *tab) clickWant(sel string, want int64) {
	tb.t.Helper()
	tb.present(sel)
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("[%s] click %s: %v (at %s)", tb.mode(), sel, err, tb.location())
	}
	tb.loaded(resp, "click "+sel, want)
}

// keys types keys to the focused element. When they submit a form or follow
// a link, navigates is true: keys waits for the new page, which must answer
// 200, and checks it.
func (tb *tab) keys(keys string, navigates bool) {
	tb.t.Helper()
	if !navigates {
		tb.do("keys", chromedp.KeyEvent(keys))
		return
	}
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.KeyEvent(keys))
	if err != nil {
		tb.t.Fatalf("[%s] keys %q: %v (at %s)", tb.mode(), keys, err, tb.location())
	}
	tb.loaded(resp, fmt.Sprintf("keys %q", keys), 200)
}

func (tb *tab) loaded(resp *network.Response, what string, want int64) {
	tb.t.Helper()
	if resp == nil {
		tb.t.Fatalf("[%s] %s: no response", tb.mode(), what)
	}
	if resp.Status != want {
		tb.t.Fatalf("[%s] %s: HTTP %d at %s, want %d", tb.mode(), what, resp.Status, resp.URL, want)
	}
	tb.check()
}

// fill replaces the value of a form field by typing into it.
func (tb *tab) fill(sel, value string) {
	tb.t.Helper()
	if n := tb.count(sel); n != 1 {
		tb.t.Fatalf("[%s] fill %s: %d such fields on %s, want 1", tb.mode(), sel, n, tb.path())
	}
	// Empty the field (a person would select its text), then type.
	eval[string](tb, fmt.Sprintf("document.querySelector(%q).value = ''", sel))
	tb.do("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// path is the path and query of the page shown.
func (tb *tab) path() string {
	u, err := url.Parse(tb.location())
	if err != nil {
		return ""
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

func (tb *tab) location() string {
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return loc
}

// text is the visible text of the first element sel finds.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	tb.present(sel)
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("[%s] text of %s: %v (at %s)", tb.mode(), sel, err, tb.location())
	}
	return strings.Join(strings.Fields(s), " ")
}

// present fails the test at once when sel finds nothing on the page shown:
// the queries of chromedp would wait for it until the test's deadline.
func (tb *tab) present(sel string) {
	tb.t.Helper()
	if tb.count(sel) == 0 {
		tb.t.Fatalf("[%s] no %s on %s", tb.mode(), sel, tb.path())
	}
}

// count is how many elements sel finds, without waiting for any.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return eval[int](tb, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

// value is the current value of a form field.
func (tb *tab) value(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf("document.querySelector(%q).value", sel))
}

// wantText fails the test unless the text of sel contains each of want.
func (tb *tab) wantText(sel string, want ...string) {
	tb.t.Helper()
	got := tb.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			tb.t.Errorf("[%s] %s on %s: %q lacks %q", tb.mode(), sel, tb.path(), got, w)
		}
	}
}

// wantPath fails the test unless the page shown is at path.
func (tb *tab) wantPath(path string) {
	tb.t.Helper()
	if got := tb.path(); got != path {
		tb.t.Fatalf("[%s] at %s, want %s", tb.mode(), got, path)
	}
}

// eval evaluates a probe of the test in the page (not a script of the
// page: it runs with JavaScript turned off too).
func eval[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tb.t.Fatalf("[%s] evaluate %.60q: %v (at %s)", tb.mode(), expr, err, tb.location())
	}
	return v
}

// screenshot takes a PNG of the whole page.
func (tb *tab) screenshot() []byte {
	tb.t.Helper()
	b, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("[%s] screenshot: %v", tb.mode(), err)
	}
	return b
}

// thirdParty returns the requests made since the last call to an origin
// other than the hub's. data: and about: URLs make no request.
func (tb *tab) thirdParty() []string {
	own, _ := url.Parse(tb.base)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, r := range tb.requests[tb.checked:] {
		u, err := url.Parse(r)
		if err != nil {
			out = append(out, r)
			continue
		}
		switch u.Scheme {
		case "data", "about", "blob":
			continue
		}
		if u.Scheme != own.Scheme || u.Host != own.Host {
			out = append(out, r)
		}
	}
	tb.checked = len(tb.requests)
	return out
}

type logEntry struct{ source, text, url string }

// errorLogs returns the browser's error log entries since the last call
// (CSP refusals, failed loads).
func (tb *tab) errorLogs() []logEntry {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	l := tb.logs
	tb.logs = nil
	return l
}

// waitIdle waits until no request has been in flight, started or finished
// for half a second (Chromium asks for the favicon a moment after the load
// event), three seconds at most.
func (tb *tab) waitIdle() {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		tb.mu.Lock()
		idle := len(tb.inflight) == 0 && time.Since(tb.lastReq) > 500*time.Millisecond
		tb.mu.Unlock()
		if idle {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// check runs the checks every page must pass: nothing from another origin,
// no browser error, the weight budget and axe-core; it records the figures.
func (tb *tab) check() {
	tb.t.Helper()
	if tb.settle {
		tb.waitIdle()
	}
	path := tb.path()
	tb.mu.Lock()
	netReqs, netBytes := len(tb.requests)-tb.checked, tb.netBytes
	tb.netBytes = 0
	tb.mu.Unlock()
	for _, r := range tb.thirdParty() {
		tb.t.Errorf("[%s] %s: request to another origin: %s", tb.mode(), path, r)
	}
	for _, l := range tb.errorLogs() {
		// The status of the document itself is the test's to assert (a
		// refused login answers 401); any other error is the page's.
		if l.source == "network" && l.url == tb.location() {
			continue
		}
		tb.t.Errorf("[%s] %s: browser error: %s: %s (%s)", tb.mode(), path, l.source, l.text, l.url)
	}
	w := tb.weight()
	w.NetRequests, w.NetBytes = netReqs, netBytes
	w.assertBudget(tb.t, fmt.Sprintf("[%s] %s", tb.mode(), path))
	var a axeResult
	if !tb.noAxe {
		a = tb.axe()
	}
	tb.rep.add(pageFigures{Path: path, Mode: tb.mode(), Label: tb.label, Weight: w, Axe: a})
}

// cookies answers the cookies of the tab's browser context for the hub: a
// session, once logged in.
func (tb *tab) cookies() []*network.Cookie {
	tb.t.Helper()
	res, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{tb.base}})
	if err != nil {
		tb.t.Fatalf("[%s] cookies: %v", tb.mode(), err)
	}
	return res.Cookies
}

// setCookies gives the tab cookies of another, before any page is loaded:
// a logged-in person's first visit with an empty cache.
func (tb *tab) setCookies(cs []*network.Cookie) {
	tb.t.Helper()
	for _, c := range cs {
		_, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: tb.base, Path: c.Path,
			HTTPOnly: &c.HTTPOnly, Secure: &c.Secure, SameSite: c.SameSite})
		if err != nil {
			tb.t.Fatalf("[%s] cookie %s: %v", tb.mode(), c.Name, err)
		}
	}
}
