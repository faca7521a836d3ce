package pdftext_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"collectif/resource/internal/pdftext"
)

const french = "Le marché public d'hébergement Nextcloud mutualisé à Échirolles : cahier des clauses techniques, réversibilité, sécurité."

func extract(t *testing.T, b []byte) string {
	t.Helper()
	x := pdftext.New(pdftext.DefaultLimits())
	text, err := x.Text(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Text: %v", err)
	}
	return text
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// A PDF made by LibreOffice Writer 7.4 (testdata/libreoffice.pdf, made with
// `soffice --headless --convert-to pdf testdata/libreoffice.fodt`): subset
// TrueType fonts with ToUnicode maps, two pages.
func TestLibreOfficePDF(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "libreoffice.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	got := squash(extract(t, b))
	for _, want := range []string{"marché public", "hébergement Nextcloud mutualisé", "Échirolles", "réversibilité", "visioconférence BigBlueButton", "Deuxième page : gestion électronique de documents"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
}

// fpdf with a core font: Windows-1252 bytes, no ToUnicode map.
func TestCoreFontPDF(t *testing.T) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	pdf.MultiCell(0, 6, tr(french), "", "L", false)
	pdf.AddPage()
	pdf.Cell(0, 6, tr("Deuxième page : visioconférence BigBlueButton."))
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	got := squash(extract(t, buf.Bytes()))
	for _, want := range []string{"marché public", "Échirolles", "Deuxième page", "visioconférence"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
}

// fpdf with an embedded TrueType font: Identity-H and a ToUnicode map, as
// office suites write them.
func TestEmbeddedFontPDF(t *testing.T) {
	const ttf = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	font, err := os.ReadFile(ttf)
	if err != nil {
		t.Skip("DejaVu Sans is not installed (Debian: fonts-dejavu-core)")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("DejaVu", "", font)
	pdf.AddPage()
	pdf.SetFont("DejaVu", "", 12)
	pdf.MultiCell(0, 6, french, "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	got := squash(extract(t, buf.Bytes()))
	for _, want := range []string{"marché public", "Échirolles", "réversibilité"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
}

// bomb is a one-page PDF whose content stream inflates to n bytes.
func bomb(n int) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	chunk := bytes.Repeat([]byte("(A) Tj "), 1<<14)
	for written := 0; written < n; written += len(chunk) {
		w.Write(chunk)
	}
	w.Close()
	var b bytes.Buffer
	offs := []int{}
	obj := func(s string) {
		offs = append(offs, b.Len())
		b.WriteString(s)
	}
	b.WriteString("%PDF-1.7\n")
	obj("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
	obj("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\nendobj\n")
	obj(fmt.Sprintf("4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", z.Len()))
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 5\n0000000000 65535 f \n")
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

func TestHostilePDFs(t *testing.T) {
	// The timeout is generous: these cases test the byte and page bounds,
	// and a busy machine must not turn them into timeouts.
	x := pdftext.New(pdftext.Limits{MaxPages: 10, MaxStream: 1 << 20, MaxText: 1 << 16, Timeout: 2 * time.Minute, Concurrent: 1})
	ctx := context.Background()
	cases := map[string][]byte{
		"not a PDF":          []byte("bonjour"),
		"truncated":          bomb(1 << 10)[:200],
		"garbage after head": append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0xff, '(', '<', '['}, 5000)...),
	}
	for name, b := range cases {
		if text, err := x.Text(ctx, bytes.NewReader(b)); err == nil && text != "" {
			t.Errorf("%s: text %q without error", name, text)
		}
	}
	// A content stream inflating to 256 MiB is refused past MaxStream: the
	// page is skipped, nothing is allocated for the rest.
	text, err := x.Text(ctx, bytes.NewReader(bomb(256<<20)))
	if err != nil && !strings.Contains(err.Error(), "pdftext") {
		t.Errorf("bomb: %v", err)
	}
	if len(text) > 1<<16 {
		t.Errorf("bomb: %d bytes of text, more than MaxText", len(text))
	}
	// A small bomb within the limits gives text, cut at MaxText.
	text, err = x.Text(ctx, bytes.NewReader(bomb(1<<19)))
	if err != nil || len(text) == 0 || len(text) > 1<<16 {
		t.Errorf("a stream within limits: %d bytes, %v", len(text), err)
	}
	// Past its timeout an extraction gives up.
	quick := pdftext.New(pdftext.Limits{MaxPages: 10, MaxStream: 1 << 20, MaxText: 1 << 16, Timeout: time.Nanosecond, Concurrent: 1})
	if _, err := quick.Text(ctx, bytes.NewReader(bomb(1<<19))); err == nil {
		t.Errorf("an extraction past its timeout returned no error")
	}
	// A cancelled context gives up at once.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := x.Text(cctx, bytes.NewReader(bomb(1<<10))); err == nil || !errors.Is(err, context.Canceled) && !errors.Is(err, pdftext.ErrBusy) {
		t.Errorf("cancelled: %v", err)
	}
}
