package load

import (
	"path"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// ownHubs are the hubs LoadHub evaluates for the hub only: only and any
// other hub its own file, hubs/<only>.cue, declares (which Load refuses,
// after validating it: so LoadHub validates it too).
func ownHubs(only string, sources map[string][]decl) map[string]bool {
	own := path.Join(HubsDir, only+".cue")
	out := map[string]bool{only: true}
	for name, decls := range sources {
		for _, d := range decls {
			if d.file == own {
				out[name] = true
			}
		}
	}
	return out
}

// hubFiles are the files of package hubs that LoadHub evaluates for the
// hubs of ownHubs: every file but those that declare nothing but other
// hubs. A file is left out only when each of its top-level declarations
// is the package clause, an import, a comment or a field hubs: whose
// struct holds nothing but fields with plain labels (no alias, no ? or !)
// of hubs not evaluated: such a file can change no hub but those it names.
// The hub's own file, hubs.cue, templates.cue and any file with a
// definition, a pattern, an embedding or a comprehension are kept. When a
// kept file refers to the top-level hubs field other than as the label it
// declares (hubs.alpha, a comprehension over hubs, an alias of the field),
// the hub may depend on any other, and every file is kept.
func hubFiles(root string, evaluated map[string]bool, files []*ast.File) []*ast.File {
	var kept []*ast.File
	for _, f := range files {
		if !otherHubsOnly(f, evaluated) {
			kept = append(kept, f)
		}
	}
	for _, f := range kept {
		if refersToHubs(f) {
			return files
		}
	}
	return kept
}

// otherHubsOnly reports whether every top-level declaration of f is the
// package clause, an import, a comment or a hubs: field of plain hub
// fields none of which is evaluated, and it declares at least one hub.
func otherHubsOnly(f *ast.File, evaluated map[string]bool) bool {
	hubs := 0
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.ImportDecl, *ast.CommentGroup:
			continue
		case *ast.Field:
			if !plainLabel(d, "hubs") {
				return false
			}
			st, ok := d.Value.(*ast.StructLit)
			if !ok {
				return false
			}
			for _, elt := range st.Elts {
				hf, ok := elt.(*ast.Field)
				if _, comment := elt.(*ast.CommentGroup); comment {
					continue
				}
				if !ok || evaluated[labelName(hf.Label)] || labelName(hf.Label) == "" || !plainLabel(hf, labelName(hf.Label)) {
					return false
				}
				hubs++
			}
		default:
			return false
		}
	}
	return hubs > 0
}

// plainLabel reports whether fld is a regular field (no ? or !) whose
// label is name, written as an identifier or a string, without an alias.
func plainLabel(fld *ast.Field, name string) bool {
	if fld.Constraint != token.ILLEGAL {
		return false
	}
	switch fld.Label.(type) {
	case *ast.Ident, *ast.BasicLit:
		return labelName(fld.Label) == name
	}
	return false
}

// refersToHubs reports whether f uses the identifier hubs other than as a
// label or a selector (x.hubs), or aliases a top-level hubs field: then
// the file may read any hub.
func refersToHubs(f *ast.File) bool {
	for _, d := range f.Decls {
		if fld, ok := d.(*ast.Field); ok {
			if _, alias := fld.Label.(*ast.Alias); alias {
				return true
			}
		}
	}
	notRef := map[ast.Node]bool{}
	found := false
	ast.Walk(f, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.Package:
			return false // package hubs names no field
		case *ast.Field:
			notRef[n.Label] = true
		case *ast.SelectorExpr:
			notRef[n.Sel] = true
		case *ast.Ident:
			if n.Name == "hubs" && !notRef[n] {
				found = true
			}
		}
		return true
	}, nil)
	return found
}
