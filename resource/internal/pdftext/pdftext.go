// Package pdftext extracts the text of a PDF file for the search index,
// within bounds: a hostile PDF (a decompression bomb, a million pages, a
// parser-crashing structure) yields an error or partial text, never a
// stalled upload or a crashed process.
//
// The file is parsed by pdfcpu with tight resource limits; the text comes
// from the pages' content streams (Tj, TJ, ' and " operators), decoded
// through each font's ToUnicode map when it has one — which every PDF made
// by LibreOffice or a modern office suite has — and otherwise read as
// Windows-1252, the encoding of the standard fonts. Text in form XObjects,
// annotations and images is not read.
//
// It imports pdfcpu and the standard library only.
package pdftext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Limits bound one extraction.
type Limits struct {
	MaxPages   int           // pages read, from the first
	MaxStream  int64         // decoded bytes of one stream (page content, font map)
	MaxText    int           // bytes of text returned
	Timeout    time.Duration // wall time, checked between pages and operators
	Concurrent int           // extractions at once; more wait, up to Timeout
}

// DefaultLimits suit attachments of a few dozen megabytes.
func DefaultLimits() Limits {
	return Limits{MaxPages: 500, MaxStream: 8 << 20, MaxText: 1 << 20, Timeout: 10 * time.Second, Concurrent: 2}
}

// ErrBusy means every extraction slot stayed taken for the whole timeout
// (by slow or hostile files): the caller keeps the file without its text.
var ErrBusy = errors.New("pdftext: too many extractions in progress")

// Extractor runs bounded extractions.
type Extractor struct {
	lim Limits
	sem chan struct{}
}

// New returns an extractor with these limits.
func New(lim Limits) *Extractor {
	if lim.Concurrent <= 0 {
		lim.Concurrent = 1
	}
	return &Extractor{lim: lim, sem: make(chan struct{}, lim.Concurrent)}
}

// Text returns the text of the PDF in r. It gives up when ctx ends or the
// timeout passes: the parsing goroutine then finishes on its own (pdfcpu
// checks its context while reading the file; this package checks between
// operators) while its slot stays taken, so a flood of hostile files slows
// nothing but their own extraction. A panic in the parser is an error.
func (x *Extractor) Text(ctx context.Context, r io.ReadSeeker) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, x.lim.Timeout)
	select {
	case x.sem <- struct{}{}:
	case <-ctx.Done():
		cancel()
		return "", ErrBusy
	}
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-x.sem }()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("pdftext: unreadable PDF (%v)", p)}
			}
		}()
		t, err := extract(ctx, r, x.lim)
		done <- result{t, err}
	}()
	// The context is cancelled only here: were the extraction to cancel it
	// when done, a select seeing both its result and the cancelled context
	// would pick one at random and lose the text half of the time.
	defer cancel()
	select {
	case res := <-done:
		return res.text, res.err
	case <-ctx.Done():
		select {
		case res := <-done: // finished at the deadline: the text counts
			return res.text, res.err
		default:
			return "", fmt.Errorf("pdftext: %w", ctx.Err())
		}
	}
}

func config() *model.Configuration {
	// Built here rather than with model.NewDefaultConfiguration, which
	// reads and writes a configuration directory in the user's home.
	return &model.Configuration{
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceSkip,
		Offline:                   true,
		Limits: model.ResourceLimits{
			MaxStreamBytes:       64 << 20,
			MaxDecodeBytes:       16 << 20,
			MaxImagePixels:       1 << 20,
			MaxImageBytes:        1 << 20,
			MaxObjectCount:       500_000,
			MaxObjectStreamCount: 100_000,
			MaxObjectStreamFirst: 1 << 20,
			MaxXRefEntries:       500_000,
			MaxRecursionDepth:    50,
		},
	}
}

func extract(ctx context.Context, r io.ReadSeeker, lim Limits) (string, error) {
	pc, err := pdfcpu.ReadWithContext(ctx, r, config())
	if err != nil {
		return "", fmt.Errorf("pdftext: read: %w", err)
	}
	xt := pc.XRefTable
	if err := xt.EnsurePageCount(); err != nil {
		return "", fmt.Errorf("pdftext: pages: %w", err)
	}
	var out strings.Builder
	fonts := map[string]*font{} // by indirect reference, across pages
	for n := 1; n <= min(xt.PageCount, lim.MaxPages) && out.Len() < lim.MaxText; n++ {
		if err := ctx.Err(); err != nil {
			return out.String(), err
		}
		d, _, inh, err := xt.PageDict(n, false)
		if err != nil || d == nil {
			continue
		}
		content, err := pageContent(xt, d, lim.MaxStream)
		if err != nil {
			continue // one bad page does not lose the others
		}
		var res types.Dict
		if inh != nil && inh.Resources != nil {
			res = inh.Resources
		}
		if o, ok := d.Find("Resources"); ok {
			if rd, err := xt.DereferenceDict(o); err == nil && rd != nil {
				res = rd
			}
		}
		p := &page{ctx: ctx, xt: xt, res: res, fonts: fonts, out: &out, max: lim.MaxText, maxStream: lim.MaxStream}
		p.run(content)
		out.WriteString("\n")
	}
	t := out.String()
	if len(t) > lim.MaxText {
		t = t[:lim.MaxText]
		for !utf8.ValidString(t) {
			t = t[:len(t)-1]
		}
	}
	return strings.TrimSpace(t), nil
}

// pageContent concatenates the page's content streams, each decoded
// within max bytes.
func pageContent(xt *model.XRefTable, d types.Dict, max int64) ([]byte, error) {
	o, ok := d.Find("Contents")
	if !ok {
		return nil, nil
	}
	o, err := xt.Dereference(o)
	if err != nil || o == nil {
		return nil, err
	}
	var streams []types.Object
	switch v := o.(type) {
	case types.StreamDict:
		streams = []types.Object{v}
	case types.Array:
		streams = v
	}
	var buf bytes.Buffer
	for _, s := range streams {
		sd, _, err := xt.DereferenceStreamDict(s)
		if err != nil || sd == nil {
			continue
		}
		if err := sd.DecodeWithLimit(max); err != nil {
			return nil, err
		}
		if int64(buf.Len()+len(sd.Content)) > max {
			return nil, errors.New("pdftext: page content too large")
		}
		buf.Write(sd.Content)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
