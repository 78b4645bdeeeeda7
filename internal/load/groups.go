package load

import (
	"maps"
	"path/filepath"
	"slices"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/token"
)

// Load evaluates the hubs in groups side by side, each group in a CUE
// context of its own (a context is not safe for concurrent use; two are
// independent). A group evaluates the files LoadHub would evaluate for its
// hubs (hubFiles): the hubs' own files and the files that declare no hub.
//
// The groups share the parsed files: in cuelang.org/go v0.17.1 compiling
// and evaluating read the AST and never write it (internal/core/compile,
// adt), token.File guards its line table with a mutex, the label table
// shared by all contexts has a lock, and each context keeps its compiled
// instances, builtins and imports to itself. What writes a build.Instance
// (Build on an error: Err) writes a copy (isolated). The tests load the
// federations grouped under the race detector too.

// splitHubs divides the hubs of sources into at most n groups that can be
// evaluated apart with the result of one evaluation: each group's hubs in
// the federation's order, the groups in that order too. It is nil (one
// evaluation) for fewer than two groups, and when a hub may depend on
// another or the hubs on one another:
//   - a file refers to the hubs field (refersToHubs: hubs.alpha, a
//     comprehension over hubs, an alias of the field);
//   - a file that declares hubs holds anything else (otherHubsOnly);
//   - a file that declares no hub could constrain the hubs as a whole
//     (sharedOnly: struct.MaxFields(3) on hubs: would pass in groups of
//     two and fail in one evaluation).
//
// The hubs one file declares stay in one group (with a hub declared in
// several files, all their hubs), as LoadHub's ownHubs keeps them.
func splitHubs(root string, files []*ast.File, sources map[string][]decl, n int) [][]string {
	if n < 2 || len(sources) < 2 {
		return nil
	}
	byFile := hubsByFile(sources)
	for _, f := range files {
		if refersToHubs(f) {
			return nil
		}
		rel, err := filepath.Rel(root, f.Filename)
		if err != nil {
			return nil
		}
		if byFile[filepath.ToSlash(rel)] != nil {
			if !otherHubsOnly(f, nil) {
				return nil
			}
		} else if !sharedOnly(f) {
			return nil
		}
	}
	order := slices.SortedFunc(maps.Keys(sources), declOrder(sources))
	// Hubs declared in one file are one component (union-find).
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		return x
	}
	for _, names := range byFile {
		for _, name := range names[1:] {
			if a, b := find(names[0]), find(name); a != b {
				parent[a] = b
			}
		}
	}
	var components [][]string
	index := map[string]int{}
	for _, name := range order {
		r := find(name)
		i, ok := index[r]
		if !ok {
			i = len(components)
			index[r] = i
			components = append(components, nil)
		}
		components[i] = append(components[i], name)
	}
	// Consecutive components, about len(order)/n hubs a group.
	var groups [][]string
	size := 0
	for _, c := range components {
		if len(groups) == 0 || len(groups) < n && size >= len(groups)*len(order)/n {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], c...)
		size += len(c)
	}
	if len(groups) < 2 {
		return nil
	}
	// A group's hubs in the federation's order (a component may mix).
	for _, g := range groups {
		slices.SortFunc(g, declOrder(sources))
	}
	return groups
}

// declOrder compares hubs in the federation's order: of each hub's first
// declaration.
func declOrder(sources map[string][]decl) func(a, b string) int {
	return func(a, b string) int { return sources[a][0].pos.Compare(sources[b][0].pos) }
}

// sharedOnly reports whether f, a file that declares no hub, can only
// constrain each hub on its own: its top-level declarations are the
// package clause, imports, comments, let clauses and fields with a plain
// label (an identifier, a definition, a hidden field or a string), and a
// hubs: field among them is a struct of pattern constraints
// ([Name=string]: ...). An embedding, a comprehension, a pattern or a
// dynamic label at top level, or hubs: as anything else (a reference, a
// call, an embedding), might constrain the hubs together.
func sharedOnly(f *ast.File) bool {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.ImportDecl, *ast.CommentGroup, *ast.LetClause:
		case *ast.Field:
			switch d.Label.(type) {
			case *ast.Ident, *ast.BasicLit:
			default:
				return false
			}
			name := labelName(d.Label)
			if name == "" {
				return false
			}
			if name != "hubs" {
				continue
			}
			st, ok := d.Value.(*ast.StructLit)
			if !ok || d.Constraint != token.ILLEGAL {
				return false
			}
			for _, elt := range st.Elts {
				switch elt := elt.(type) {
				case *ast.CommentGroup:
				case *ast.Field:
					if _, pattern := elt.Label.(*ast.ListLit); !pattern {
						return false
					}
				default:
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// evaluateGroups evaluates the groups of hubs (splitHubs) side by side
// and returns the federation they make, or nil when any group reports
// anything (an error, a hub it should not hold, a panic): loadHubs then
// evaluates the hubs in one evaluation, so that every error, its position
// and their order are that evaluation's (the guard's CPU time counts
// both). f is the federation so far (its root, labels); the result is a
// copy of it, with the hubs. While the groups run, the guard blames what
// one evaluation would have been stuck at (guard.split).
func (f *Federation) evaluateGroups(inst *build.Instance, sources map[string][]decl, groups [][]string, limits Limits, g *guard) *Federation {
	lanes := g.split(slices.SortedFunc(slices.Values(slices.Concat(groups...)), declOrder(sources)), len(groups))
	results := make([][]evaluatedHub, len(groups))
	var wg sync.WaitGroup
	for i, names := range groups {
		wg.Go(func() {
			defer lanes[i].end()
			defer func() {
				if recover() != nil {
					results[i] = nil // the one evaluation panics as it does
				}
			}()
			results[i] = evaluateGroup(inst, names, limits, lanes[i], f.HubPos)
		})
	}
	wg.Wait()
	g.join()
	out := *f
	out.byHub = map[string]cue.Value{}
	var hubs []evaluatedHub
	for _, r := range results {
		if r == nil {
			return nil
		}
		for _, d := range r {
			out.byHub[d.name] = d.v
		}
		hubs = append(hubs, r...)
	}
	if out.finish(hubs, sources, func() {}) != nil {
		return nil
	}
	return &out
}

// evaluateGroup evaluates the hubs names alone, in a context of its own:
// their JSON and values, or nil when anything is wrong (an error, or
// hubs other than names).
func evaluateGroup(inst *build.Instance, names []string, limits Limits, l *lane, hubPos func(string) token.Pos) []evaluatedHub {
	want := map[string]bool{}
	for _, name := range names {
		want[name] = true
	}
	sub := isolated(inst, map[*build.Instance]*build.Instance{})
	sub.Files = hubFiles("", want, inst.Files)
	hubsV := cuecontext.New().BuildInstance(sub).LookupPath(cue.ParsePath("hubs"))
	if !hubsV.Exists() {
		return nil
	}
	exported := map[string][]byte{}
	if validate(hubsV, nil, limits, l, hubPos, exported) != nil {
		return nil
	}
	hubs, err := exportHubs(hubsV, nil, exported, l)
	if err != nil || len(hubs) != len(names) {
		return nil
	}
	for _, d := range hubs {
		if d.err != nil || !want[d.name] {
			return nil
		}
	}
	return hubs
}

// isolated is a copy of inst and of every instance it imports, for a
// group's evaluation: building an instance writes it (its Err when it
// fails), and the groups build theirs side by side. The parsed files are
// shared.
func isolated(inst *build.Instance, copies map[*build.Instance]*build.Instance) *build.Instance {
	if c := copies[inst]; c != nil {
		return c
	}
	c := *inst
	copies[inst] = &c
	c.Imports = make([]*build.Instance, len(inst.Imports))
	for i, imp := range inst.Imports {
		c.Imports[i] = isolated(imp, copies)
	}
	return &c
}
