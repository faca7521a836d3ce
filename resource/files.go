package resource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"collectif/access"
	"collectif/fault"
	"collectif/markdown"
	"collectif/model"
	"collectif/store"
)

// Upload is a file sent by a client.
type Upload struct {
	// Name is the client's file name: kept, sanitized, for display only.
	Name string
	// Size is what the client announced, 0 when unknown: a larger one is
	// refused before reading, but the bytes are counted all the same.
	Size int64
	R    io.Reader
}

// staged is an upload written to a temporary file and checked, not yet
// in the store.
type staged struct {
	tmp   string // "" once renamed into the store
	sha   string
	size  int64
	ctype string
	name  string
	text  string
}

// maxText bounds the plain text kept from one attachment for search.
const maxText = 1 << 20

func (s *Service) tmpDir() string { return filepath.Join(s.root, "tmp") }

func (s *Service) filesDir() string { return filepath.Join(s.root, "files") }

// path is where the file with this SHA-256 is stored: one level of
// sub-directories by the first two hex digits keeps directories small.
func (s *Service) path(sha string) string { return filepath.Join(s.filesDir(), sha[:2], sha) }

// ctxReader stops reading when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

func (s *Service) tooLarge(name string) error {
	f := fault.New(fault.TooLarge, "%s dépasse la taille maximale de %d Mo par fichier", name, s.maxSize>>20)
	f.Field = "file"
	return f
}

// stageAll stages every upload; on error the caller still discards what
// was staged.
func (s *Service) stageAll(ctx context.Context, ups []Upload) ([]*staged, error) {
	var out []*staged
	seen := map[string]string{}
	for _, u := range ups {
		st, err := s.stage(ctx, u)
		if err != nil {
			return out, err
		}
		out = append(out, st)
		if prev, ok := seen[st.sha]; ok {
			return out, fault.Field("file", "%s et %s sont le même fichier", prev, st.name)
		}
		seen[st.sha] = st.name
	}
	return out, nil
}

// discard removes the temporary files that were not moved into the store.
func discard(sts []*staged) {
	for _, st := range sts {
		if st.tmp != "" {
			os.Remove(st.tmp) // best effort: Sweep removes old leftovers
			st.tmp = ""
		}
	}
}

// stage streams u to a temporary file under the uploads directory, hashing
// it and counting its bytes as they come, then checks its size and type.
// On any error the temporary file is removed: nothing half-written stays.
func (s *Service) stage(ctx context.Context, u Upload) (_ *staged, err error) {
	name := displayName(u.Name, "")
	if u.Size > s.maxSize {
		return nil, s.tooLarge(name)
	}
	if err := os.MkdirAll(s.tmpDir(), 0o750); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.tmpDir(), "upload-*")
	if err != nil {
		return nil, err
	}
	st := &staged{tmp: f.Name()}
	defer func() {
		f.Close() // a second Close after the explicit one is harmless
		if err != nil {
			os.Remove(st.tmp)
		}
	}()
	// One byte more than the limit tells a file at the limit from a
	// larger one.
	src := ctxReader{ctx, io.LimitReader(u.R, s.maxSize+1)}
	head := make([]byte, sniffLen)
	n, rerr := io.ReadFull(src, head)
	head = head[:n]
	if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
		return nil, interrupted(name, rerr)
	}
	if n == 0 {
		return nil, fault.Field("file", "%s est vide", name)
	}
	// A program is refused before the rest of it is even read.
	if err := checkExecutable(head, name); err != nil {
		return nil, err
	}
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		return nil, err
	}
	m, err := io.Copy(w, src)
	if err != nil {
		if errors.Is(err, ctx.Err()) || !isWriteErr(err) {
			return nil, interrupted(name, err)
		}
		return nil, err
	}
	st.size = int64(n) + m
	if st.size > s.maxSize {
		return nil, s.tooLarge(name)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if st.ctype, err = sniff(head, f, st.size, name); err != nil {
		return nil, err
	}
	st.sha = hex.EncodeToString(h.Sum(nil))
	st.name = displayName(u.Name, st.ctype)
	switch {
	case strings.HasPrefix(st.ctype, "text/"):
		if st.text, err = s.extract(f, st.ctype, st.size); err != nil {
			return nil, err
		}
	case baseType(st.ctype) == "application/pdf":
		st.text = s.extractPDF(ctx, f, name)
	}
	return st, f.Close()
}

// isWriteErr reports whether err came from the disk rather than the client.
func isWriteErr(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

func interrupted(name string, err error) error {
	f := fault.Field("file", "l'envoi de %s a été interrompu : recommencez", name)
	f.Err = err
	return f
}

// extract returns the plain text of a text attachment, for search: up to
// maxText bytes, read as UTF-8 or else as Windows-1252, the usual encoding
// of files exported by office software in France. Markdown is reduced to
// its text. PDF goes through extractPDF; office documents are not
// extracted yet.
func (s *Service) extract(f *os.File, ctype string, size int64) (string, error) {
	b := make([]byte, min(size, maxText))
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return "", err
	}
	var t string
	if strings.Contains(ctype, "charset=utf-8") {
		for !utf8.Valid(b) && len(b) > 0 && len(b) > int(size)-utf8.UTFMax {
			b = b[:len(b)-1] // a character cut at maxText
		}
		t = strings.ToValidUTF8(string(b), "")
	} else {
		t = decode1252(b)
	}
	if strings.HasPrefix(ctype, "text/markdown") && len(t) <= markdown.MaxSource {
		t = s.md.Text(t)
	}
	return t, nil
}

// extractPDF returns the text of a PDF attachment for search, or "" when
// it cannot be had within the extractor's limits (pages, bytes, time): the
// file is kept all the same, findable by its name and its resource.
func (s *Service) extractPDF(ctx context.Context, f *os.File, name string) string {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ""
	}
	t, err := s.pdf.Text(ctx, f)
	if err != nil {
		s.log.WarnContext(ctx, "no text extracted from a PDF attachment", "name", name, "err", err)
		return ""
	}
	if len(t) > maxText {
		t = t[:maxText]
	}
	return strings.ToValidUTF8(t, "")
}

// cp1252 maps the bytes 0x80–0x9F of Windows-1252; the others are Latin-1.
var cp1252 = [32]rune{'€', '\ufffd', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\ufffd', 'Ž', '\ufffd',
	'\ufffd', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\ufffd', 'ž', 'Ÿ'}

func decode1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		switch {
		case c >= 0x80 && c < 0xa0:
			if r := cp1252[c-0x80]; r != '\ufffd' {
				sb.WriteRune(r)
			}
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// attach stores the staged files and joins them to the resource, inside
// the resource's transaction.
func (s *Service) attach(ctx context.Context, tx bun.Tx, resourceID string, sts []*staged, now time.Time) error {
	for i, st := range sts {
		if err := s.place(ctx, tx, st, now); err != nil {
			return err
		}
		// A microsecond apart, so attachments list in the order sent.
		at := now.Add(time.Duration(i) * time.Microsecond)
		a := &model.Attachment{ID: model.NewID(), ResourceID: resourceID, SHA256: st.sha, Name: st.name, ContentType: st.ctype, CreatedAt: at}
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return fault.Field("file", "%s est déjà joint à cette ressource", st.name)
			}
			return err
		}
	}
	return nil
}

// lockSHA takes, for the rest of tx, the lock that every change of the
// stored file with this SHA-256 takes: the upload that stores it, the
// release that deletes it, the sweep that removes it from disk. So a file
// is never removed while an upload counts on it, nor counted on while it
// is being removed. On SQLite the writer's transaction already excludes
// every other writer; on PostgreSQL it is an advisory lock on the hash.
func (s *Service) lockSHA(ctx context.Context, tx bun.Tx, sha string) error {
	if s.db.Engine() != store.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "resource-file:"+sha)
	return err
}

// place makes sure the staged file is in the store: its row exists, and
// its content is on disk under its SHA-256, moved there from the temporary
// file when it was not already.
func (s *Service) place(ctx context.Context, tx bun.Tx, st *staged, now time.Time) error {
	if err := s.lockSHA(ctx, tx, st.sha); err != nil {
		return err
	}
	row := &model.StoredFile{SHA256: st.sha, Size: st.size, Text: st.text, CreatedAt: now}
	if _, err := tx.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	return s.moveIn(st)
}

// moveIn renames the temporary file to its place in the store, unless the
// same content is already there. The rename is atomic: a reader finds the
// whole file or none. If the transaction then fails, the file stays
// without a row, and Sweep removes it later.
func (s *Service) moveIn(st *staged) error {
	final := s.path(st.sha)
	if fi, err := os.Stat(final); err == nil && fi.Size() == st.size {
		return nil // stored once: the caller discards the temporary copy
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := os.Rename(st.tmp, final); err != nil {
		return err
	}
	st.tmp = ""
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable across a power cut. It is best
// effort: the rename is atomic already, and some file systems refuse to
// sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// releaseAll releases each stored file; a failure is logged, and Sweep
// finishes the work later.
func (s *Service) releaseAll(ctx context.Context, shas []string) {
	done := map[string]bool{}
	for _, sha := range shas {
		if done[sha] {
			continue
		}
		done[sha] = true
		if err := s.release(ctx, sha); err != nil {
			s.log.WarnContext(ctx, "stored file not released", "sha256", sha, "err", err)
		}
	}
}

// release deletes a stored file, row and content, when no attachment uses
// it. The content is removed under the file's lock, before the deletion
// commits: an upload of the same content waits for the lock, then stores
// it anew. A crash in between leaves a row that nothing uses, which the
// next release or Sweep deletes.
func (s *Service) release(ctx context.Context, sha string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.lockSHA(ctx, tx, sha); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*model.Attachment)(nil)).Where("sha256 = ?", sha).Count(ctx)
		if err != nil || n > 0 {
			return err
		}
		if _, err := tx.NewDelete().Model((*model.StoredFile)(nil)).Where("sha256 = ?", sha).Exec(ctx); err != nil {
			return err
		}
		if err := os.Remove(s.path(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}

// Download is an attachment opened for reading.
type Download struct {
	model.Attachment
	File    *os.File // the caller closes it
	ModTime time.Time
	// Inline: the browser may show it in place (images); everything else
	// is served as a download.
	Inline bool
	// Public: visitors may see it, so shared caches may keep it.
	Public bool
}

// Open opens an attachment for p, who must be allowed to see its resource;
// otherwise it is not found.
func (s *Service) Open(ctx context.Context, p access.Principal, attachmentID string) (*Download, error) {
	const op = "resource.Open"
	nf := &fault.Error{Kind: fault.NotFound, Op: op, Message: "fichier introuvable"}
	if !model.ValidID(attachmentID) {
		return nil, nf
	}
	d := &Download{}
	err := s.db.R.NewSelect().Model(&d.Attachment).ColumnExpr("a.*, f.size").
		Join("JOIN resource_files AS f ON f.sha256 = a.sha256").Where("a.id = ?", attachmentID).Scan(ctx)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, nf
	}
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	r := new(model.Resource)
	if err := s.db.R.NewSelect().Model(r).Column("id", "collective_id", "group_id", "author_id").Where("id = ?", d.ResourceID).Scan(ctx); err != nil {
		return nil, fault.Wrap(op, store.NotFound(err))
	}
	st, err := standing(ctx, s.db.R, p, r)
	if err != nil {
		return nil, fault.Wrap(op, err)
	}
	if !canSee(p, st) {
		return nil, nf
	}
	d.Public = r.GroupID == "" || st.GroupVisibility == model.VisibilityPublic
	d.Inline = Inline(d.ContentType)
	f, err := os.Open(s.path(d.SHA256))
	if err != nil {
		return nil, fault.Wrap(op, fmt.Errorf("stored file of attachment %s: %w", d.ID, err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fault.Wrap(op, err)
	}
	d.File, d.ModTime, d.Size = f, fi.ModTime(), fi.Size()
	return d, nil
}

// Sweep finishes what crashes and failed releases left: stored files that
// no attachment uses, temporary files of uploads that never finished, and
// files on disk without a row (a crash after the rename, before the
// commit). Files younger than grace are left alone, since an upload in
// progress owns them. It returns how many files it removed.
func (s *Service) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	if grace <= 0 {
		grace = time.Hour
	}
	var unused []string
	err := s.db.R.NewSelect().Model((*model.StoredFile)(nil)).ModelTableExpr("resource_files AS f").Column("f.sha256").
		Where("NOT EXISTS (SELECT 1 FROM resource_attachments a WHERE a.sha256 = f.sha256)").Scan(ctx, &unused)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, sha := range unused {
		if err := s.release(ctx, sha); err != nil {
			return removed, err
		}
		removed++
	}
	cutoff := time.Now().Add(-grace)
	old := func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(cutoff)
	}
	tmps, _ := filepath.Glob(filepath.Join(s.tmpDir(), "upload-*"))
	for _, p := range tmps {
		if old(p) && os.Remove(p) == nil {
			removed++
		}
	}
	stored, _ := filepath.Glob(filepath.Join(s.filesDir(), "*", "*"))
	for _, p := range stored {
		if !old(p) {
			continue
		}
		sha := filepath.Base(p)
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := s.lockSHA(ctx, tx, sha); err != nil {
				return err
			}
			n, err := tx.NewSelect().Model((*model.StoredFile)(nil)).Where("sha256 = ?", sha).Count(ctx)
			if err != nil || n > 0 {
				return err
			}
			if os.Remove(p) == nil {
				removed++
			}
			return nil
		})
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}
