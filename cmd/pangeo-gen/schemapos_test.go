package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"github.com/rogpeppe/go-internal/testscript"
)

// schemaPosition is a position in a schema file as CUE prints it in an
// error: "./schema/hub.cue:113:8".
var schemaPosition = regexp.MustCompile(`(\./)?(schema/[A-Za-z0-9_.-]+\.cue):(\d+):(\d+)`)

// schemaPos prints the output of the last command, or a file, with every
// position in a schema file replaced by the path of the schema field it
// falls in: "./schema/hub.cue:113:8" becomes "./schema/hub.cue@#Name". A
// golden that quotes the schema's positions then stays as it is when a
// field is added elsewhere in the schema, and still says which definition
// the error comes from; positions in hub files stay file:line:col.
// schemapos stdout|stderr|FILE, then cmp stdout want.
func schemaPos(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: schemapos stdout|stderr|FILE")
	}
	text := ts.ReadFile(args[0])
	files := map[string]*ast.File{}
	out := schemaPosition.ReplaceAllStringFunc(text, func(m string) string {
		sub := schemaPosition.FindStringSubmatch(m)
		name := sub[2]
		f, ok := files[name]
		if !ok {
			var err error
			f, err = parser.ParseFile(name, ts.ReadFile(name), parser.ParseComments)
			ts.Check(err)
			files[name] = f
		}
		line, _ := strconv.Atoi(sub[3])
		col, _ := strconv.Atoi(sub[4])
		p := fieldPath(f, line, col)
		if p == "" {
			ts.Fatalf("%s: no schema field at %d:%d", name, line, col)
		}
		return sub[1] + name + "@" + p
	})
	fmt.Fprint(ts.Stdout(), out)
}

// fieldPath is the dotted path of the innermost field of f whose span
// holds line:col, "" when none does.
func fieldPath(f *ast.File, line, col int) string {
	within := func(n ast.Node) bool {
		start, end := n.Pos().Position(), n.End().Position()
		at := func(p token.Position) int { return p.Line*100000 + p.Column }
		x := line*100000 + col
		return at(start) <= x && x < at(end)
	}
	var path, best []string
	ast.Walk(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok {
			return true
		}
		if !within(field) {
			return false
		}
		name, _, err := ast.LabelName(field.Label)
		if err != nil {
			name = "_" // a pattern constraint: [N=string]:
		}
		path = append(path, name)
		if len(path) > len(best) {
			best = append([]string(nil), path...)
		}
		return true
	}, func(n ast.Node) {
		if field, ok := n.(*ast.Field); ok && within(field) {
			path = path[:len(path)-1]
		}
	})
	return strings.Join(best, ".")
}
