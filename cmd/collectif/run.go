package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"collectif/access"
	"collectif/account"
	"collectif/config"
	"collectif/demo"
	"collectif/fault"
	"collectif/hub"
	"collectif/indexer"
	"collectif/search"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

const usage = `collectif — le hub fédéré des collectifs du logiciel libre des collectivités

Usage:
  collectif <commande> [options]

Commandes:
  serve      run the hub (HTTP server and background workers)
  migrate    apply pending database migrations and print them
  demo       load demonstration data (real collectivities, fictitious people); idempotent
  reindex    rebuild the search index from the database
  catalog    catalog import FILE...: import software entries into the catalog, idempotently
               (formats: the SILL export sill.json, or a collectif-catalog JSON file)
  backup     backup DIR: copy the embedded database, uploads and mail while the server runs
  migrate-data --to postgres://… [--replace]: copy the embedded database to PostgreSQL
  bench      load benchmark: generated dataset, hub and reference on loopback, one table (see docs/PERFORMANCE.md)
  admin      administration tasks:
               admin create-user --email E --name N --password-stdin [--admin]
               admin create-token --email E [--scope read|read,write] [--name N]
  version    print the version
  help       print this help

Configuration comes from environment variables (see README.md):
  COLLECTIF_ADDR, COLLECTIF_BASE_URL, COLLECTIF_DATA_DIR, COLLECTIF_DATABASE_URL,
  COLLECTIF_REDIS_URL, COLLECTIF_MEILI_URL, COLLECTIF_MEILI_KEY, COLLECTIF_SMTP_URL
  COLLECTIF_FEDERATION_ALLOWED_NETS
`

// errUsage marks a usage error (exit code 2).
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(e.stdout, usage)
		return 0
	case "version", "--version":
		fmt.Fprintln(e.stdout, "collectif", versionString())
		return 0
	case "serve":
		err = serve(ctx, rest, e)
	case "migrate":
		err = migrate(ctx, rest, e)
	case "admin":
		err = admin(ctx, rest, e)
	case "demo":
		err = loadDemo(ctx, rest, e)
	case "reindex":
		err = reindex(ctx, rest, e)
	case "backup":
		err = backupCmd(ctx, rest, e)
	case "migrate-data":
		err = migrateData(ctx, rest, e)
	case "catalog":
		err = catalogCmd(ctx, rest, e)
	case "bench":
		err = benchCmd(ctx, rest, e)
	case "bench-reference": // not in the usage: run by bench as its yardstick
		err = benchReference(ctx, rest, e)
	default:
		fmt.Fprintf(e.stderr, "collectif: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintln(e.stderr, "collectif: "+oneLine(err))
	return 1
}

// oneLine keeps an error on one line: a configuration error names its
// variable; a domain error shows its safe message.
func oneLine(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return strings.Join(strings.Fields(ce.Error()), " ")
	}
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind != fault.Internal {
		s := fe.Message
		if fe.Field != "" {
			s = "--" + strings.ReplaceAll(fe.Field, "_", "-") + ": " + s
		}
		return s
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return v + " (" + rev + dirty + ")"
	}
	return v
}

func newFlagSet(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("collectif "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses flags; a bad flag is a usage error (exit 2).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

func loadConfig(e env) (config.Config, *slog.Logger, error) {
	cfg, err := config.FromEnv(e.getenv)
	if err != nil {
		return cfg, nil, err
	}
	log := newLogger(cfg, e.stderr)
	// go-redis writes its connection errors with its own logger; route
	// them into ours so stderr stays structured. This is process-wide
	// state, set once here in main and nowhere else.
	redis.SetLogger(redisLogger{log})
	return cfg, log, nil
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && isTerminal(f) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func serve(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("serve", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(e)
	if err != nil {
		return err
	}
	h, err := hub.Open(ctx, cfg, log, hub.Options{Workers: true, Version: versionString()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		h.Close()
		return &config.Error{Var: "COLLECTIF_ADDR", Cause: "cannot listen: " + errors.Unwrap(err).Error()}
	}
	return h.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("migrate", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(e)
	if err != nil {
		return err
	}
	db, err := hub.OpenDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := hub.Migrate(ctx, db)
	for _, v := range applied {
		fmt.Fprintln(e.stdout, "applied", v)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "nothing to apply: the schema is current")
	}
	return nil
}

const adminUsage = `Usage:
  collectif admin create-user --email E --name N --password-stdin [--admin]
  collectif admin create-token --email E [--scope read|read,write] [--name N]
`

func admin(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, adminUsage)
		return errUsage
	}
	switch args[0] {
	case "create-user":
		return createUser(ctx, args[1:], e)
	case "create-token":
		return createToken(ctx, args[1:], e)
	}
	fmt.Fprintf(e.stderr, "collectif admin: unknown task %q\n%s", args[0], adminUsage)
	return errUsage
}

func createUser(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("admin create-user", e)
	email := fs.String("email", "", "e-mail address of the account (required)")
	name := fs.String("name", "", "full name (required)")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
	isAdmin := fs.Bool("admin", false, "make the account an instance administrator")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" || *name == "" || !*stdin {
		fmt.Fprintln(e.stderr, "collectif admin create-user: --email, --name and --password-stdin are required")
		fs.Usage()
		return errUsage
	}
	pw, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && pw != "") {
		return errors.New("no password on standard input")
	}
	pw = strings.TrimRight(pw, "\r\n")

	h, err := openTool(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	a, err := h.Accounts.CreateLocal(ctx, access.System(), account.NewLocal{Email: *email, Name: *name, Password: pw, Admin: *isAdmin})
	if err != nil {
		return err
	}
	role := "member"
	if a.IsAdmin {
		role = "administrator"
	}
	fmt.Fprintf(e.stdout, "created %s account %s <%s>\n", role, a.ID, a.Email)
	return nil
}

func createToken(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("admin create-token", e)
	email := fs.String("email", "", "e-mail address of the account (required)")
	scope := fs.String("scope", "read", "read, or read,write")
	name := fs.String("name", "command line", "what the token is for")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		fmt.Fprintln(e.stderr, "collectif admin create-token: --email is required")
		fs.Usage()
		return errUsage
	}
	h, err := openTool(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	a, err := h.Accounts.ByEmail(ctx, *email)
	if err != nil {
		return err
	}
	plain, _, err := h.Accounts.CreateToken(ctx, access.System(), a.ID, *name, *scope)
	if err != nil {
		return err
	}
	// Only the token on stdout, so that scripts can capture it.
	fmt.Fprintln(e.stdout, plain)
	return nil
}

func loadDemo(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("demo", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := openTool(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	r, err := demo.Load(ctx, h.DemoDeps())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "demo data loaded:", r)
	return nil
}

func reindex(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("reindex", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := openTool(ctx, e)
	if err != nil {
		return err
	}
	defer h.Close()
	start := time.Now()
	p := newProgress(e.stderr)
	counts, err := h.Indexer.Rebuild(ctx, p.update)
	p.done()
	if err != nil {
		return err
	}
	// Changes the servers applied to the replaced index while this one was
	// built are applied again to the new one, by the servers' workers.
	requeued, err := indexer.Requeue(ctx, h.DB, h.Queue, start)
	if err != nil {
		return fmt.Errorf("the new index is in place, but the changes made during the rebuild could not be queued again (run reindex again): %w", err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	fmt.Fprintf(e.stdout, "reindexed %d documents in %s on %s\n", total, time.Since(start).Round(time.Millisecond), h.Search.Name())
	types := search.Types()
	for t := range counts {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	for _, t := range types {
		if n, ok := counts[t]; ok {
			fmt.Fprintf(e.stdout, "  %-13s %8d\n", t, n)
		}
	}
	if requeued > 0 {
		fmt.Fprintf(e.stdout, "%d changes made during the rebuild queued again\n", requeued)
	}
	return nil
}

// progress shows a rebuild's advance on stderr: one line redrawn in place
// on a terminal, a line per type (and every progressEvery documents)
// otherwise, so that logs stay readable. Sources do not say how many
// documents they hold, so the line shows counts and rate, not a percentage.
type progress struct {
	w        io.Writer
	terminal bool
	start    time.Time
	typ      string
	byType   map[string]int
	order    []string
	last     int
}

const progressEvery = 10_000

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, terminal: ok && isTerminal(f), start: time.Now(), byType: map[string]int{}}
}

func (p *progress) update(typ string, n int) {
	if typ != p.typ {
		if p.typ != "" && !p.terminal {
			fmt.Fprintf(p.w, "indexed %s: %d\n", p.typ, p.byType[p.typ])
		}
		p.typ, p.last = typ, 0
		p.order = append(p.order, typ)
	}
	p.byType[typ] = n
	if p.terminal {
		total := 0
		for _, v := range p.byType {
			total += v
		}
		rate := float64(total) / max(time.Since(p.start).Seconds(), 0.001)
		// A bar that fills over each block of progressEvery documents.
		width := 20
		filled := (n % progressEvery) * width / progressEvery
		fmt.Fprintf(p.w, "\r[%s%s] %-13s %8d  (%d in all, %.0f/s) ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), typ, n, total, rate)
		return
	}
	if n-p.last >= progressEvery {
		fmt.Fprintf(p.w, "indexing %s: %d\n", typ, n)
		p.last = n
	}
}

func (p *progress) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
		return
	}
	if p.typ != "" {
		fmt.Fprintf(p.w, "indexed %s: %d\n", p.typ, p.byType[p.typ])
	}
}

// openTool builds the hub for a command-line tool: configuration from the
// environment, no workers (the jobs a tool enqueues run in `serve`).
func openTool(ctx context.Context, e env) (*hub.Hub, error) {
	cfg, log, err := loadConfig(e)
	if err != nil {
		return nil, err
	}
	return hub.Open(ctx, cfg, log, hub.Options{Tool: true})
}
