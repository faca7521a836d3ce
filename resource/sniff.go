package resource

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"collectif/fault"
)

// format is a file type the hub accepts.
type format struct {
	exts  []string // accepted extensions; the first is added to a name without one
	label string   // what pages call it
	// inline: browsers may show it in place. Only raster images are:
	// they run nothing. PDF can carry scripts and forms, so it is
	// downloaded like everything else.
	inline bool
}

// formats is the allow-list, by media type (without parameters). SVG is not
// in it: an SVG is a document that can run scripts. Nor are legacy Office
// files (OLE containers, which carry macros and installers alike), HTML, or
// archives other than OpenDocument and Office Open XML documents.
var formats = map[string]format{
	"application/pdf":                                                           {[]string{".pdf"}, "PDF", false},
	"application/vnd.oasis.opendocument.text":                                   {[]string{".odt"}, "texte OpenDocument", false},
	"application/vnd.oasis.opendocument.spreadsheet":                            {[]string{".ods"}, "tableur OpenDocument", false},
	"application/vnd.oasis.opendocument.presentation":                           {[]string{".odp"}, "présentation OpenDocument", false},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   {[]string{".docx"}, "document Word", false},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         {[]string{".xlsx"}, "classeur Excel", false},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": {[]string{".pptx"}, "présentation PowerPoint", false},
	"text/plain":    {[]string{".txt", ".text"}, "texte", false},
	"text/markdown": {[]string{".md", ".markdown"}, "Markdown", false},
	"text/csv":      {[]string{".csv"}, "CSV", false},
	"image/png":     {[]string{".png"}, "image PNG", true},
	"image/jpeg":    {[]string{".jpg", ".jpeg"}, "image JPEG", true},
}

func baseType(ctype string) string {
	t, _, _ := strings.Cut(ctype, ";")
	return strings.TrimSpace(t)
}

// FormatLabel returns what pages call a stored file's type ("PDF", "texte
// OpenDocument"…).
func FormatLabel(ctype string) string {
	if f, ok := formats[baseType(ctype)]; ok {
		return f.label
	}
	return ctype
}

// Inline reports whether a file of this type may be shown in the browser
// rather than downloaded.
func Inline(ctype string) bool { return formats[baseType(ctype)].inline }

// AcceptedTypes lists the accepted extensions, for the upload form's
// accept attribute and its help text.
func AcceptedTypes() []string {
	return []string{".pdf", ".odt", ".ods", ".odp", ".docx", ".xlsx", ".pptx", ".txt", ".md", ".csv", ".png", ".jpg", ".jpeg"}
}

// executables are the signatures of programs, refused whatever the file is
// called. They are checked before anything else so the message says what
// the file really is.
var executables = []struct {
	magic string
	what  string // the platform and the format's name, the same in every language
}{
	{"\x7fELF", "Linux (ELF)"},
	{"MZ", "Windows (MZ/PE)"},
	{"\xfe\xed\xfa\xce", "macOS (Mach-O)"},
	{"\xfe\xed\xfa\xcf", "macOS (Mach-O)"},
	{"\xce\xfa\xed\xfe", "macOS (Mach-O)"},
	{"\xcf\xfa\xed\xfe", "macOS (Mach-O)"},
	{"\xca\xfe\xba\xbe", "Java/macOS (class, Mach-O)"},
	{"#!", "Unix (script #!)"},
	{"\x00asm", "WebAssembly"},
	{"dex\n", "Android (DEX)"},
	{"\x4c\x00\x00\x00\x01\x14\x02\x00", "Windows (LNK)"},
	{oleMagic, "OLE"},
}

// oleMagic starts old Office documents and Windows installers alike.
const oleMagic = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

// checkExecutable refuses a file that starts like a program.
func checkExecutable(head []byte, name string) error {
	for _, x := range executables {
		if !bytes.HasPrefix(head, []byte(x.magic)) {
			continue
		}
		if x.magic == oleMagic {
			return fault.Field("file", "%s est un ancien format Office ou un installateur Windows (OLE) : les exécutables sont refusés", name)
		}
		return fault.Field("file", "%s est un programme %s : les exécutables sont refusés", name, x.what)
	}
	return nil
}

const sniffLen = 512 // what http.DetectContentType looks at

// sniff decides the type of a file from its first bytes (head) and, for
// ZIP containers, from its table of contents. The client's name is used
// only to tell Markdown and CSV from plain text, which are all text and
// served alike. It returns the media type to store and serve.
func sniff(head []byte, r io.ReaderAt, size int64, name string) (string, error) {
	if err := checkExecutable(head, name); err != nil {
		return "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf", nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", nil
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg", nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return sniffZip(r, size, name)
	}
	detected := http.DetectContentType(head)
	if !strings.HasPrefix(detected, "text/plain") {
		return "", refused(name, detected)
	}
	// An SVG without an XML declaration reads as plain text to
	// DetectContentType; it is still a document that can run scripts.
	if bytes.Contains(bytes.ToLower(head), []byte("<svg")) {
		return "", fault.Field("file", "%s est une image SVG, qui peut contenir des scripts : enregistrez-la en PNG", name)
	}
	t := "text/plain"
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		t = "text/markdown"
	case ".csv":
		t = "text/csv"
	}
	if validUTF8Prefix(head) {
		return t + "; charset=utf-8", nil
	}
	// Most likely Windows-1252 (spreadsheets exported in France): the
	// browser or the program that opens it chooses.
	return t, nil
}

// validUTF8Prefix is utf8.Valid, forgiving a character cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		if len(b) < sniffLen {
			return false // the whole file: no cut character to forgive
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

var odfTypes = map[string]bool{
	"application/vnd.oasis.opendocument.text":         true,
	"application/vnd.oasis.opendocument.spreadsheet":  true,
	"application/vnd.oasis.opendocument.presentation": true,
}

// sniffZip tells OpenDocument and Office Open XML documents from other
// ZIP archives by their entries; it reads the central directory and at
// most the small mimetype entry, never decompresses anything else (a ZIP
// bomb costs nothing here). Documents with macros are refused.
func sniffZip(r io.ReaderAt, size int64, name string) (string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", fault.Field("file", "%s ressemble à une archive ZIP mais est illisible", name)
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		n := f.Name
		has[n] = true
		if strings.HasPrefix(n, "Basic/") || strings.HasPrefix(n, "Scripts/") || strings.HasSuffix(strings.ToLower(n), "vbaproject.bin") {
			return "", fault.Field("file", "%s contient des macros : enregistrez-le sans macros (ou en PDF)", name)
		}
	}
	// OpenDocument: the first entry is "mimetype", stored, holding the type.
	if len(zr.File) > 0 && zr.File[0].Name == "mimetype" && zr.File[0].Method == zip.Store && zr.File[0].UncompressedSize64 < 100 {
		rc, err := zr.File[0].Open()
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 100))
			rc.Close()
			if t := strings.TrimSpace(string(b)); odfTypes[t] && has["content.xml"] {
				return t, nil
			}
		}
	}
	if has["[Content_Types].xml"] {
		switch {
		case has["word/document.xml"]:
			return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", nil
		case has["xl/workbook.xml"]:
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", nil
		case has["ppt/presentation.xml"]:
			return "application/vnd.openxmlformats-officedocument.presentationml.presentation", nil
		}
	}
	return "", fault.Field("file", "%s est une archive ZIP : seuls les documents OpenDocument et Office (docx, xlsx, pptx) sont acceptés", name)
}

func refused(name, detected string) error {
	return fault.Field("file", "le format de %s (%s) n'est pas accepté : envoyez un PDF, un document OpenDocument ou Office, du texte, du Markdown, un CSV, une image PNG ou JPEG", name, baseType(detected))
}

// displayName makes the client's file name safe to show and to offer as a
// download name: no directories, no control or bidirectional-override
// characters (which disguise "gpj.exe" as "exe.jpg"), none of the
// characters Windows refuses, at most 200 bytes, and an extension that
// matches the sniffed type (a PDF called "notes.exe" downloads as
// "notes.exe.pdf").
func displayName(name, ctype string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return -1
		case strings.ContainsRune(`"<>:|?*`, r):
			return '_'
		case r == utf8.RuneError:
			return -1
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	f := formats[baseType(ctype)]
	ext := strings.ToLower(path.Ext(name))
	ok := false
	for _, e := range f.exts {
		if ext == e {
			ok = true
		}
	}
	add := ""
	if !ok && len(f.exts) > 0 {
		add = f.exts[0]
	}
	if name == "" {
		name = "fichier"
	}
	const max = 200
	if len(name)+len(add) > max {
		keep := max - len(add)
		if ok {
			keep -= len(ext)
			add = name[len(name)-len(ext):]
		}
		cut := name[:keep]
		for !utf8.ValidString(cut) {
			cut = cut[:len(cut)-1]
		}
		name = cut
	}
	return name + add
}
