package hubfile

import (
	"encoding/json"
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

// Object is an ordered CUE struct under construction: the fields of a hub
// file in the order they are written, each with its comments. It becomes
// cue/ast nodes, which cue/format prints, so the file is valid, formatted
// CUE by construction.
type Object struct {
	// Fields are the fields in the order they are written.
	Fields []*Field
	// Short writes a struct of one field as "a: b: c" rather than in braces.
	Short bool
}

// Field is one field of an Object.
type Field struct {
	// Label is the field's name.
	Label string
	// Value is *Object, []any, string, int64, float64, bool or an
	// ast.Expr written as is.
	Value any
	// Doc are comment lines written above the field (without "// ").
	Doc []string
	// Line is a comment written after the value, on its line.
	Line string
	// Section puts a blank line before the field.
	Section bool
}

// Set sets label to v, replacing the value of an existing field (and
// keeping its place and comments), and returns the field.
func (o *Object) Set(label string, v any) *Field {
	if f := o.Get(label); f != nil {
		f.Value = v
		return f
	}
	f := &Field{Label: label, Value: v}
	o.Fields = append(o.Fields, f)
	return f
}

// Get returns the field called label, or nil.
func (o *Object) Get(label string) *Field {
	if o == nil {
		return nil
	}
	for _, f := range o.Fields {
		if f.Label == label {
			return f
		}
	}
	return nil
}

// Obj returns the object at label, adding an empty one if there is none.
func (o *Object) Obj(label string) *Object {
	if f := o.Get(label); f != nil {
		if sub, ok := f.Value.(*Object); ok {
			return sub
		}
	}
	sub := &Object{}
	o.Set(label, sub)
	return sub
}

// Remove drops the field called label.
func (o *Object) Remove(label string) {
	for i, f := range o.Fields {
		if f.Label == label {
			o.Fields = append(o.Fields[:i], o.Fields[i+1:]...)
			return
		}
	}
}

// expr turns a value into a CUE expression.
func expr(v any) ast.Expr {
	switch v := v.(type) {
	case *Object:
		return v.expr()
	case *Inline:
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
		case *Object, []any:
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

func (o *Object) expr() ast.Expr {
	decls := make([]ast.Decl, 0, len(o.Fields))
	for _, f := range o.Fields {
		decls = append(decls, f.decl())
	}
	if o.Short && len(o.Fields) == 1 && len(o.Fields[0].Doc) == 0 {
		return &ast.StructLit{Elts: decls}
	}
	st := ast.NewStruct()
	st.Elts = decls
	return st
}

// Inline is an Object written on one line: {a: 1, b: 2}.
type Inline struct{ *Object }

func (o *Inline) expr() ast.Expr {
	st := &ast.StructLit{Lbrace: token.NoSpace.Pos(), Rbrace: token.NoSpace.Pos()}
	for i, f := range o.Fields {
		d := &ast.Field{Label: ast.NewStringLabel(f.Label), Value: expr(f.Value)}
		if i > 0 {
			ast.SetRelPos(d, token.Blank)
		} else {
			ast.SetRelPos(d, token.NoSpace)
		}
		st.Elts = append(st.Elts, d)
	}
	return st
}

func (f *Field) decl() *ast.Field {
	d := &ast.Field{Label: ast.NewStringLabel(f.Label), Value: expr(f.Value)}
	doc, line := f.Doc, f.Line
	if s, ok := f.Value.(string); ok && line != "" && len(f.Label)+len(s) > 48 {
		// A comment after a long value would push the struct's other
		// comments far right: write it above.
		doc, line = append(slices.Clone(doc), line), ""
	}
	if len(doc) > 0 {
		g := commentGroup(doc, true)
		if f.Section {
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
	if f.Section {
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

// File is a hub's CUE file: package hubs, the imports its embedded
// templates need, and hubs: <name>: <embeds> & {body}.
type File struct {
	// Name is the hub's name (hubs: <name>:).
	Name string
	// Doc are comment lines written above hubs:.
	Doc []string
	// Imports are the import specs the embeds need.
	Imports []*ast.ImportSpec
	// Embeds are the templates the hub's value embeds, in order.
	Embeds []ast.Expr
	// Body is what the file states for the hub.
	Body *Object
}

// Bytes formats the file.
func (h *File) Bytes() ([]byte, error) {
	f := &ast.File{}
	f.Decls = append(f.Decls, &ast.Package{Name: ast.NewIdent("hubs")})
	if len(h.Imports) > 0 {
		decl := &ast.ImportDecl{Specs: h.Imports}
		if len(h.Imports) > 1 {
			decl.Lparen = token.Blank.Pos()
			decl.Rparen = token.Newline.Pos()
			for _, s := range h.Imports {
				ast.SetRelPos(s, token.Newline)
			}
		}
		ast.SetRelPos(decl, token.NewSection)
		f.Decls = append(f.Decls, decl)
	}
	var value ast.Expr = h.Body.expr()
	for i := len(h.Embeds) - 1; i >= 0; i-- {
		value = &ast.BinaryExpr{X: h.Embeds[i], Op: token.AND, Y: value}
	}
	hub := &ast.Field{Label: ast.NewStringLabel(h.Name), Value: value}
	hubs := &ast.Field{Label: ast.NewIdent("hubs"), Value: &ast.StructLit{Elts: []ast.Decl{hub}}}
	if len(h.Doc) > 0 {
		ast.AddComment(hubs, commentGroup(h.Doc, true))
	}
	ast.SetRelPos(hubs, token.NewSection)
	f.Decls = append(f.Decls, hubs)
	return format.Node(f, format.Simplify())
}

// Wrap splits text into comment lines of at most width runes.
func Wrap(text string, width int) []string {
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

// ShowJSON is x as JSON for a message or a comment (fmt.Sprint of x when
// it is not JSON).
func ShowJSON(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}

// Data is data (maps, lists, scalars) as the file model, keys sorted.
func Data(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := &Object{}
		for _, k := range sortedKeys(x) {
			o.Set(k, Data(x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = Data(it)
		}
		return out
	}
	return v
}
