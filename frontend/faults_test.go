package frontend

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// faultMessage is a message written in the code: the format given to
// fault.New or fault.Field, or the Message of a fault.Error literal.
type faultMessage struct {
	text string
	at   string // file:line, for the failure
}

// faultMessages reads every Go file of the module but the tests, and
// returns the messages of faults, and the places where a message is not a
// literal string (its translation cannot be found by its text).
func faultMessages(t *testing.T) (msgs []faultMessage, dynamic []string) {
	t.Helper()
	root := ".."
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		name := ""
		for _, im := range f.Imports {
			if im.Path.Value == `"collectif/fault"` {
				name = "fault"
				if im.Name != nil {
					name = im.Name.Name
				}
			}
		}
		if name == "" {
			return nil
		}
		found := func(e ast.Expr) {
			at := fset.Position(e.Pos())
			pos := filepath.ToSlash(strings.TrimPrefix(at.Filename, root+string(filepath.Separator))) + ":" + strconv.Itoa(at.Line)
			if s, ok := literal(e); ok {
				msgs = append(msgs, faultMessage{s, pos})
			} else {
				dynamic = append(dynamic, pos)
			}
		}
		isFault := func(e ast.Expr, sel string) bool {
			x, ok := e.(*ast.SelectorExpr)
			if !ok || x.Sel.Name != sel {
				return false
			}
			id, ok := x.X.(*ast.Ident)
			return ok && id.Name == name
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if (isFault(x.Fun, "New") || isFault(x.Fun, "Field")) && len(x.Args) >= 2 {
					found(x.Args[1])
				}
			case *ast.CompositeLit:
				if !isFault(x.Type, "Error") {
					return true
				}
				for _, e := range x.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "Message" || k.Name == "Format") {
							found(kv.Value)
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// MessageOf's own message, for errors whose cause must not leak.
	msgs = append(msgs, faultMessage{"une erreur interne est survenue", "fault/fault.go"})
	return msgs, dynamic
}

// literal is the value of a string literal, or of literals joined by +.
func literal(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok := literal(x.X)
		b, ok2 := literal(x.Y)
		return a + b, ok && ok2
	case *ast.ParenExpr:
		return literal(x.X)
	}
	return "", false
}

var verb = regexp.MustCompile(`%[-+# 0-9.*\[\]]*[a-zA-Z%]`)

// verbs are the fmt verbs of a format, in order (%% included, as it
// must stay a percent sign).
func verbs(s string) []string { return verb.FindAllString(s, -1) }

// Every message of a fault written in the code has its English
// translation, with the same verbs in the same order, and the catalog
// holds no message that the code no longer writes.
func TestFaultMessagesTranslated(t *testing.T) {
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	msgs, dynamic := faultMessages(t)
	if len(msgs) < 300 {
		t.Fatalf("found %d fault messages in the module: is the scan reading it?", len(msgs))
	}
	for _, at := range dynamic {
		t.Errorf("%s: the message of a fault is not a literal string: write its format whole (fault.New(kind, \"… %%s\", v)) so that it can be translated", at)
	}
	en := f.faults[English]
	used := map[string]bool{}
	for _, m := range msgs {
		used[m.text] = true
		tr, ok := en[m.text]
		switch {
		case !ok || tr == "":
			t.Errorf("%s: no English for %q in locales/faults/en.toml", m.at, m.text)
		case !slices.Equal(verbs(m.text), verbs(tr)):
			t.Errorf("%s: %q has the verbs %v, its English %q has %v", m.at, m.text, verbs(m.text), tr, verbs(tr))
		}
	}
	var stale []string
	for k := range en {
		if !used[k] {
			stale = append(stale, k)
		}
	}
	slices.Sort(stale)
	for _, k := range stale {
		t.Errorf("locales/faults/en.toml: %q is no fault's message in the code: remove it", k)
	}
}

// The scan itself: it finds what it must, and only that.
func TestFaultMessagesScan(t *testing.T) {
	msgs, _ := faultMessages(t)
	has := func(s string) bool {
		return slices.ContainsFunc(msgs, func(m faultMessage) bool { return m.text == s })
	}
	for _, s := range []string{
		"adresse e-mail invalide : %q",                          // fault.Field in account/
		"logiciel introuvable",                                  // a package-level &fault.Error{Message: …}
		"le champ « %s » doit être de type %s",                  // fault.New in server/
		"cette inscription est en liste d'attente",              // event/
		"%s est un programme %s : les exécutables sont refusés", // resource/
	} {
		if !has(s) {
			t.Errorf("the scan misses %q", s)
		}
	}
	if has("") {
		t.Error("the scan found an empty message")
	}
}

func TestFaultMessageLookup(t *testing.T) {
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := f.FaultMessage(English, "le titre ne peut dépasser %d caractères"); !ok || s != "the title cannot exceed %d characters" {
		t.Errorf("English: %q %v", s, ok)
	}
	if s, ok := f.FaultMessage(French, "le titre ne peut dépasser %d caractères"); ok {
		t.Errorf("French has a translation: %q", s)
	}
	if s, ok := f.FaultMessage(English, "une phrase que personne n'a écrite"); ok {
		t.Errorf("unknown message translated: %q", s)
	}
}
