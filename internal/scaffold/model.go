package scaffold

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// object is an ordered CUE struct under construction: the fields of a hub
// file in the order they are written, each with its comments. It becomes
// cue/ast nodes, which cue/format prints, so the file is valid, formatted
// CUE by construction.
type object struct {
	fields []*field
	// short writes a struct of one field as "a: b: c" rather than in braces.
	short bool
}

// field is one field of an object.
type field struct {
	label string
	// value is *object, []any, string, int64, float64, bool or an
	// ast.Expr written as is.
	value any
	// doc are comment lines written above the field (without "// ").
	doc []string
	// line is a comment written after the value, on its line.
	line string
	// section puts a blank line before the field.
	section bool
}

// set sets label to v, replacing the value of an existing field (and
// keeping its place and comments), and returns the field.
func (o *object) set(label string, v any) *field {
	if f := o.get(label); f != nil {
		f.value = v
		return f
	}
	f := &field{label: label, value: v}
	o.fields = append(o.fields, f)
	return f
}

// get returns the field called label, or nil.
func (o *object) get(label string) *field {
	if o == nil {
		return nil
	}
	for _, f := range o.fields {
		if f.label == label {
			return f
		}
	}
	return nil
}

// obj returns the object at label, adding an empty one if there is none.
func (o *object) obj(label string) *object {
	if f := o.get(label); f != nil {
		if sub, ok := f.value.(*object); ok {
			return sub
		}
	}
	sub := &object{}
	o.set(label, sub)
	return sub
}

// remove drops the field called label.
func (o *object) remove(label string) {
	for i, f := range o.fields {
		if f.label == label {
			o.fields = append(o.fields[:i], o.fields[i+1:]...)
			return
		}
	}
}

// expr turns a value into a CUE expression.
func expr(v any) ast.Expr {
	switch v := v.(type) {
	case *object:
		return v.expr()
	case *inline:
		return v.expr()
	case []any:
		return listExpr(v)
	case []string:
		items := make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
		return listExpr(items)
	case string:
		if strings.Contains(v, "\n") {
			// cue/format indents the lines of a multi-line string to
			// where the string is.
			return &ast.BasicLit{Kind: token.STRING, Value: literal.String.WithTabIndent(1).Quote(v)}
		}
		return ast.NewString(v)
	case int64:
		return ast.NewLit(token.INT, strconv.FormatInt(v, 10))
	case int:
		return ast.NewLit(token.INT, strconv.Itoa(v))
	case float64:
		return ast.NewLit(token.FLOAT, strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		return ast.NewBool(v)
	case nil:
		return ast.NewNull()
	case ast.Expr:
		return v
	case time.Time:
		// An unquoted YAML timestamp: Helm reads values through YAML to
		// JSON, which makes it this RFC 3339 string.
		return ast.NewString(v.UTC().Format(time.RFC3339))
	}
	// Anything else a YAML decoder gives (uint64, ...) as its text.
	return ast.NewLit(token.STRING, strconv.Quote(fmt.Sprint(v)))
}

// listExpr writes a short list of scalars on one line and any other list
// one element a line.
func listExpr(items []any) *ast.ListLit {
	elts := make([]ast.Expr, len(items))
	width := 0
	multi := false
	for i, it := range items {
		elts[i] = expr(it)
		switch x := it.(type) {
		case string:
			width += len(x) + 4
			multi = multi || strings.Contains(x, "\n")
		case *object, []any:
			multi = true
		default:
			width += 8
		}
	}
	if !multi && width <= 60 {
		return ast.NewList(elts...)
	}
	for _, e := range elts {
		ast.SetRelPos(e, token.Newline)
	}
	return &ast.ListLit{Lbrack: token.NoSpace.Pos(), Elts: elts, Rbrack: token.Newline.Pos()}
}

func (o *object) expr() ast.Expr {
	decls := make([]ast.Decl, 0, len(o.fields))
	for _, f := range o.fields {
		decls = append(decls, f.decl())
	}
	if o.short && len(o.fields) == 1 && len(o.fields[0].doc) == 0 {
		return &ast.StructLit{Elts: decls}
	}
	st := ast.NewStruct()
	st.Elts = decls
	return st
}

// inline is an object written on one line: {a: 1, b: 2}.
type inline struct{ *object }

func (o *inline) expr() ast.Expr {
	st := &ast.StructLit{Lbrace: token.NoSpace.Pos(), Rbrace: token.NoSpace.Pos()}
	for i, f := range o.fields {
		d := &ast.Field{Label: ast.NewStringLabel(f.label), Value: expr(f.value)}
		if i > 0 {
			ast.SetRelPos(d, token.Blank)
		} else {
			ast.SetRelPos(d, token.NoSpace)
		}
		st.Elts = append(st.Elts, d)
	}
	return st
}

func (f *field) decl() *ast.Field {
	d := &ast.Field{Label: ast.NewStringLabel(f.label), Value: expr(f.value)}
	doc, line := f.doc, f.line
	if s, ok := f.value.(string); ok && line != "" && len(f.label)+len(s) > 48 {
		// A comment after a long value would push the struct's other
		// comments far right: write it above.
		doc, line = append(slices.Clone(doc), line), ""
	}
	if len(doc) > 0 {
		g := commentGroup(doc, true)
		if f.section {
			g.List[0].Slash = token.NewSection.Pos()
		}
		ast.AddComment(d, g)
	}
	if line != "" {
		g := commentGroup([]string{line}, false)
		g.Line = true
		g.Position = 4
		ast.AddComment(d, g)
	}
	if f.section {
		ast.SetRelPos(d, token.NewSection)
	}
	return d
}

func commentGroup(lines []string, doc bool) *ast.CommentGroup {
	g := &ast.CommentGroup{Doc: doc}
	for _, l := range lines {
		text := "//"
		if l != "" {
			text += " " + l
		}
		g.List = append(g.List, &ast.Comment{Text: text})
	}
	return g
}

// hubFile is a hub's CUE file: package hubs, the imports its embedded
// templates need, and hubs: <name>: <embeds> & {body}.
type hubFile struct {
	name    string
	doc     []string
	imports []*ast.ImportSpec
	embeds  []ast.Expr
	body    *object
}

// bytes formats the file.
func (h *hubFile) bytes() ([]byte, error) {
	f := &ast.File{}
	f.Decls = append(f.Decls, &ast.Package{Name: ast.NewIdent("hubs")})
	if len(h.imports) > 0 {
		decl := &ast.ImportDecl{Specs: h.imports}
		if len(h.imports) > 1 {
			decl.Lparen = token.Blank.Pos()
			decl.Rparen = token.Newline.Pos()
			for _, s := range h.imports {
				ast.SetRelPos(s, token.Newline)
			}
		}
		ast.SetRelPos(decl, token.NewSection)
		f.Decls = append(f.Decls, decl)
	}
	var value ast.Expr = h.body.expr()
	for i := len(h.embeds) - 1; i >= 0; i-- {
		value = &ast.BinaryExpr{X: h.embeds[i], Op: token.AND, Y: value}
	}
	hub := &ast.Field{Label: ast.NewStringLabel(h.name), Value: value}
	hubs := &ast.Field{Label: ast.NewIdent("hubs"), Value: &ast.StructLit{Elts: []ast.Decl{hub}}}
	if len(h.doc) > 0 {
		ast.AddComment(hubs, commentGroup(h.doc, true))
	}
	ast.SetRelPos(hubs, token.NewSection)
	f.Decls = append(f.Decls, hubs)
	return format.Node(f, format.Simplify())
}

// wrap splits text into comment lines of at most width runes.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
