package scaffold

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
)

// sourceHub is what a hub's own file says about it: the templates its
// value embeds (hubs: alpha: #PangeoHub & {...}), the imports they need,
// and the paths of the fields the file states.
type sourceHub struct {
	// embeds are fresh copies of the embedded definitions, in order.
	embeds []ast.Expr
	// names are the embeds as written, for messages ("#PangeoHub").
	names []string
	// imports are the import specs the embeds use.
	imports []*ast.ImportSpec
	// fields are the dotted paths of the fields the file states for the
	// hub, up to three levels deep ("environments.staging.domain").
	fields []string
	// ignored are embedded expressions that are not copied (not a
	// definition of the package or of an import).
	ignored []string
}

// readSource parses a hub's file and finds what its hubs: <name>: value
// embeds and states.
func readSource(filename string, src []byte, name string) (*sourceHub, error) {
	f, err := parser.ParseFile(filename, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	imports := map[string]*ast.ImportSpec{}
	for spec := range f.ImportSpecs() {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		local := importName(p)
		if spec.Name != nil {
			local = spec.Name.Name
		}
		imports[local] = spec
	}
	s := &sourceHub{}
	seenField := map[string]bool{}
	seenImport := map[string]bool{}
	var value func(x ast.Expr)
	var fields func(st *ast.StructLit, prefix string, depth int)
	fields = func(st *ast.StructLit, prefix string, depth int) {
		for _, elt := range st.Elts {
			switch elt := elt.(type) {
			case *ast.Field:
				label, _, err := ast.LabelName(elt.Label)
				if err != nil {
					continue
				}
				p := label
				if prefix != "" {
					p = prefix + "." + label
				}
				if !seenField[p] {
					seenField[p] = true
					s.fields = append(s.fields, p)
				}
				if sub, ok := elt.Value.(*ast.StructLit); ok && depth < 3 {
					fields(sub, p, depth+1)
				}
			case *ast.EmbedDecl:
				if prefix == "" {
					value(elt.Expr)
				}
			}
		}
	}
	value = func(x ast.Expr) {
		switch x := x.(type) {
		case *ast.BinaryExpr:
			if x.Op == token.AND {
				value(x.X)
				value(x.Y)
				return
			}
		case *ast.ParenExpr:
			value(x.X)
			return
		case *ast.StructLit:
			fields(x, "", 1)
			return
		case *ast.Ident:
			if strings.HasPrefix(x.Name, "#") {
				s.embeds = append(s.embeds, ast.NewIdent(x.Name))
				s.names = append(s.names, x.Name)
				return
			}
		case *ast.SelectorExpr:
			pkg, ok := x.X.(*ast.Ident)
			sel, _, err := ast.LabelName(x.Sel)
			if spec := imports[pkgName(pkg)]; ok && err == nil && spec != nil && strings.HasPrefix(sel, "#") {
				s.embeds = append(s.embeds, ast.NewSel(ast.NewIdent(pkg.Name), sel))
				s.names = append(s.names, pkg.Name+"."+sel)
				if !seenImport[pkg.Name] {
					seenImport[pkg.Name] = true
					p, _ := strconv.Unquote(spec.Path.Value)
					var alias *ast.Ident
					if spec.Name != nil {
						alias = ast.NewIdent(spec.Name.Name)
					}
					s.imports = append(s.imports, ast.NewImport(alias, p))
				}
				return
			}
		}
		b, err := format.Node(x)
		if err != nil {
			b = []byte(fmt.Sprintf("%T", x))
		}
		s.ignored = append(s.ignored, string(b))
	}
	found := false
	for _, decl := range f.Decls {
		fld, ok := decl.(*ast.Field)
		if !ok {
			continue
		}
		if l, _, err := ast.LabelName(fld.Label); err != nil || l != "hubs" {
			continue
		}
		st, ok := fld.Value.(*ast.StructLit)
		if !ok {
			continue
		}
		for _, elt := range st.Elts {
			hf, ok := elt.(*ast.Field)
			if !ok {
				continue
			}
			if l, _, err := ast.LabelName(hf.Label); err == nil && l == name {
				found = true
				value(hf.Value)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no hubs: %s: field", filename, name)
	}
	return s, nil
}

func pkgName(id *ast.Ident) string {
	if id == nil {
		return ""
	}
	return id.Name
}

// importName is the default local name of an import path: its last
// element, without a ":pkg" qualifier or major version suffix.
func importName(p string) string {
	if i := strings.LastIndex(p, ":"); i >= 0 {
		return p[i+1:]
	}
	base := path.Base(p)
	if i := strings.Index(base, "@"); i >= 0 {
		base = base[:i]
	}
	return base
}

// notCopied lists the source's field paths the new file does not state:
// the topmost path of each subtree without a stated field. stated holds
// the new file's leaf paths; whole paths cover their subtree.
func notCopied(source []string, stated map[string]bool, whole map[string]bool) []string {
	covered := func(p string) bool {
		for q := p; ; {
			if whole[q] || stated[q] {
				return true
			}
			i := strings.LastIndex(q, ".")
			if i < 0 {
				return false
			}
			q = q[:i]
		}
	}
	partial := func(p string) bool {
		for q := range stated {
			if strings.HasPrefix(q, p+".") {
				return true
			}
		}
		return false
	}
	var out []string
	reported := map[string]bool{}
	for _, p := range source {
		if covered(p) || partial(p) {
			continue
		}
		// Report only the topmost path of a subtree.
		top := true
		for q := p; strings.Contains(q, "."); {
			q = q[:strings.LastIndex(q, ".")]
			if reported[q] {
				top = false
				break
			}
		}
		if top {
			reported[p] = true
			out = append(out, p)
		}
	}
	return out
}

// leafPaths are the dotted paths of an object's fields that are not
// objects themselves.
func leafPaths(o *hubfile.Object, prefix string, out map[string]bool) map[string]bool {
	if out == nil {
		out = map[string]bool{}
	}
	for _, f := range o.Fields {
		p := f.Label
		if prefix != "" {
			p = prefix + "." + f.Label
		}
		if sub, ok := f.Value.(*hubfile.Object); ok {
			leafPaths(sub, p, out)
			continue
		}
		out[p] = true
	}
	return out
}
