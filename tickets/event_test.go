package tickets_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestEventKinds reads the package's source for every EventKind constant
// and checks that EventKinds lists it, once, so that a new kind cannot be
// added anywhere in the package and forgotten in the list.
func TestEventKinds(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var declared []tickets.EventKind
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "tickets" {
			continue // the external tests
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "EventKind" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: an EventKind constant that is not a string literal", fset.Position(v.Pos()))
					}
					s, _ := strconv.Unquote(lit.Value)
					declared = append(declared, tickets.EventKind(s))
				}
			}
		}
	}
	if len(declared) == 0 {
		t.Fatal("found no EventKind constants in the source")
	}
	for _, k := range declared {
		if !k.Valid() {
			t.Errorf("EventKind %q is declared but not in EventKinds", k)
		}
	}
	if len(tickets.EventKinds) != len(declared) {
		t.Errorf("EventKinds has %d kinds; the source declares %d: %v", len(tickets.EventKinds), len(declared), declared)
	}
	sorted := slices.Clone(tickets.EventKinds)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(tickets.EventKinds) {
		t.Errorf("EventKinds lists a kind twice: %v", tickets.EventKinds)
	}
	for _, k := range []tickets.EventKind{"", "Opened", "deleted"} {
		if k.Valid() {
			t.Errorf("EventKind(%q).Valid() = true", k)
		}
	}
}
