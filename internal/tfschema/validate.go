package tfschema

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty/convert"
)

// Problem is one thing `terraform validate` would refuse.
type Problem struct {
	// Range is where it is: file (as the caller named it), line, column.
	Range hcl.Range
	// Path is the resource (or provider, variable) address and the nested
	// blocks down to the problem ("google_container_node_pool.dask.node_config").
	Path string
	// Message says what is wrong.
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.Range.Filename, p.Range.Start.Line, p.Range.Start.Column, p.Path, p.Message)
}

// Result is what Validate found.
type Result struct {
	// Problems are sorted by file, line and column.
	Problems []Problem
	// Unchecked are the resource types of the module that no schema holds
	// and that the validator was told to let through, sorted.
	Unchecked []string
}

// Validator checks modules against provider schemas.
type Validator struct {
	// Schemas are the providers' schemas; a resource type belongs to the
	// schema whose local name is its prefix (google_container_cluster:
	// google).
	Schemas []*Schema
	// Unchecked are resource types that need no schema check (they are in
	// no schema file at hand): they are reported in Result.Unchecked, not
	// as problems. Any other type a schema lacks is a problem.
	Unchecked []string
}

// Meta-arguments Terraform takes in every resource block.
var (
	resourceMetaAttrs  = set("count", "for_each", "depends_on", "provider")
	resourceMetaBlocks = set("lifecycle", "provisioner", "connection", "dynamic")
	lifecycleAttrs     = set("create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by")
	lifecycleBlocks    = set("precondition", "postcondition")
	variableAttrs      = set("type", "default", "description", "sensitive", "nullable", "ephemeral")
	outputAttrs        = set("value", "description", "sensitive", "depends_on", "ephemeral")
	terraformAttrs     = set("required_version", "experiments")
	terraformBlocks    = set("required_providers", "backend", "cloud", "provider_meta")
	// References whose root is not a resource type.
	nonResourceRoots = set("var", "local", "data", "module", "count", "each", "path", "terraform", "self")
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// module is what a module declares, for its references.
type module struct {
	resources map[string]*hclsyntax.Block // "type.name"
	variables map[string]bool
	locals    map[string]bool
	data      map[string]bool // "type.name"
}

type checker struct {
	v         Validator
	mod       module
	problems  []Problem
	unchecked map[string]bool
}

func (c *checker) add(r hcl.Range, path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Range: r, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate parses the module's files (name to content; the names are used
// in positions) and checks them. A file that does not parse is a problem
// too; the error is for a validator without schemas.
func (v Validator) Validate(files map[string][]byte) (Result, error) {
	if len(v.Schemas) == 0 {
		return Result{}, fmt.Errorf("terraform validate: no provider schema")
	}
	c := &checker{v: v, unchecked: map[string]bool{}, mod: module{
		resources: map[string]*hclsyntax.Block{}, variables: map[string]bool{}, locals: map[string]bool{}, data: map[string]bool{},
	}}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var bodies []*hclsyntax.Body
	for _, n := range names {
		f, diags := hclsyntax.ParseConfig(files[n], n, hcl.InitialPos)
		for _, d := range diags {
			r := hcl.Range{Filename: n, Start: hcl.InitialPos}
			if d.Subject != nil {
				r = *d.Subject
			}
			c.add(r, n, "%s: %s", d.Summary, d.Detail)
		}
		if diags.HasErrors() {
			continue
		}
		bodies = append(bodies, f.Body.(*hclsyntax.Body))
	}
	for _, b := range bodies {
		c.declare(b)
	}
	for _, b := range bodies {
		c.file(b)
	}
	sort.SliceStable(c.problems, func(i, j int) bool {
		a, b := c.problems[i].Range, c.problems[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Start.Line != b.Start.Line {
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
	res := Result{Problems: c.problems}
	for t := range c.unchecked {
		res.Unchecked = append(res.Unchecked, t)
	}
	sort.Strings(res.Unchecked)
	return res, nil
}

func (c *checker) declare(body *hclsyntax.Body) {
	for _, b := range body.Blocks {
		switch {
		case b.Type == "resource" && len(b.Labels) == 2:
			key := b.Labels[0] + "." + b.Labels[1]
			if prev, ok := c.mod.resources[key]; ok {
				c.add(b.DefRange(), key, "declared twice (first at %s)", prev.DefRange())
				continue
			}
			c.mod.resources[key] = b
		case b.Type == "data" && len(b.Labels) == 2:
			c.mod.data[b.Labels[0]+"."+b.Labels[1]] = true
		case b.Type == "variable" && len(b.Labels) == 1:
			c.mod.variables[b.Labels[0]] = true
		case b.Type == "locals":
			for name := range b.Body.Attributes {
				c.mod.locals[name] = true
			}
		}
	}
}

// schemaFor is the schema of a provider local name.
func (c *checker) schemaFor(local string) *Schema {
	for _, s := range c.v.Schemas {
		if s.LocalName() == local {
			return s
		}
	}
	return nil
}

func (c *checker) file(body *hclsyntax.Body) {
	for _, a := range sortedAttrs(body) {
		c.add(a.NameRange, a.Name, "an attribute is not expected at the top level of a module")
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "resource":
			if !c.labels(b, 2, "type and name") {
				continue
			}
			c.resource(b)
		case "data":
			if !c.labels(b, 2, "type and name") {
				continue
			}
			c.references(b.Body, "data."+b.Labels[0]+"."+b.Labels[1])
			c.unchecked["data."+b.Labels[0]] = true
		case "provider":
			if !c.labels(b, 1, "name") {
				continue
			}
			s := c.schemaFor(b.Labels[0])
			if s == nil {
				c.add(b.DefRange(), "provider."+b.Labels[0], "no provider schema for provider %q", b.Labels[0])
				continue
			}
			c.body(b.Body, s.Provider, "provider."+b.Labels[0], map[string]bool{"alias": true}, nil)
		case "variable":
			if !c.labels(b, 1, "name") {
				continue
			}
			c.language(b, "var."+b.Labels[0], variableAttrs, set("validation"))
		case "output":
			if !c.labels(b, 1, "name") {
				continue
			}
			c.language(b, "output."+b.Labels[0], outputAttrs, set("precondition"))
			c.references(b.Body, "output."+b.Labels[0])
		case "locals":
			c.references(b.Body, "locals")
		case "terraform":
			c.language(b, "terraform", terraformAttrs, terraformBlocks)
		case "module", "moved", "import", "removed", "check":
			// Not generated here; their contents are other modules' business.
		default:
			c.add(b.TypeRange, b.Type, "unsupported block type %q", b.Type)
		}
	}
}

func (c *checker) labels(b *hclsyntax.Block, n int, what string) bool {
	if len(b.Labels) != n {
		c.add(b.DefRange(), b.Type, "a %s block takes %d labels (%s), found %d", b.Type, n, what, len(b.Labels))
		return false
	}
	return true
}

// language checks a block of the Terraform language itself: its attribute
// and block names only.
func (c *checker) language(b *hclsyntax.Block, path string, attrs, blocks map[string]bool) {
	for _, a := range sortedAttrs(b.Body) {
		if !attrs[a.Name] {
			c.add(a.NameRange, path, "unsupported argument %q", a.Name)
		}
	}
	for _, nb := range b.Body.Blocks {
		if !blocks[nb.Type] {
			c.add(nb.TypeRange, path, "unsupported block type %q", nb.Type)
		}
	}
}

func (c *checker) resource(b *hclsyntax.Block) {
	typ, addr := b.Labels[0], b.Labels[0]+"."+b.Labels[1]
	c.references(b.Body, addr)
	local, _, _ := strings.Cut(typ, "_")
	s := c.schemaFor(local)
	var schema *Block
	if s != nil {
		schema = s.Resources[typ]
	}
	if schema == nil {
		if slices.Contains(c.v.Unchecked, typ) {
			c.unchecked[typ] = true
			return
		}
		if s == nil {
			c.add(b.LabelRanges[0], addr, "no provider schema for resource type %q", typ)
		} else {
			c.add(b.LabelRanges[0], addr, "resource type %q is not in the schema of %s", typ, s.Source)
		}
		return
	}
	c.body(b.Body, schema, addr, resourceMetaAttrs, resourceMetaBlocks)
	for _, nb := range b.Body.Blocks {
		if nb.Type == "lifecycle" {
			c.lifecycle(nb, schema, addr)
		}
	}
}

func (c *checker) lifecycle(b *hclsyntax.Block, schema *Block, addr string) {
	path := addr + ".lifecycle"
	c.language(b, path, lifecycleAttrs, lifecycleBlocks)
	a, ok := b.Body.Attributes["ignore_changes"]
	if !ok {
		return
	}
	tuple, ok := a.Expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		if k := hcl.ExprAsKeyword(a.Expr); k != "all" {
			c.add(a.Expr.Range(), path, "ignore_changes takes a list of attribute names or all")
		}
		return
	}
	for _, e := range tuple.Exprs {
		t, diags := hcl.AbsTraversalForExpr(e)
		if diags.HasErrors() {
			c.add(e.Range(), path, "ignore_changes: not an attribute name")
			continue
		}
		name := t.RootName()
		if schema.Attributes[name] == nil && schema.BlockTypes[name] == nil {
			c.add(e.Range(), path, "ignore_changes: %s has no attribute %q", addr, name)
		}
	}
}

// body checks a block body against its schema. meta are the attribute and
// block names the language adds (resource meta-arguments); their contents
// are checked elsewhere.
func (c *checker) body(body *hclsyntax.Body, schema *Block, path string, metaAttrs, metaBlocks map[string]bool) {
	for _, a := range sortedAttrs(body) {
		if metaAttrs[a.Name] {
			continue
		}
		at, ok := schema.Attributes[a.Name]
		if !ok {
			if _, isBlock := schema.BlockTypes[a.Name]; isBlock {
				c.add(a.NameRange, path, "%q is a block, not an attribute: write %s { ... }", a.Name, a.Name)
			} else {
				c.add(a.NameRange, path, "unsupported argument %q", a.Name)
			}
			continue
		}
		if !at.Required && !at.Optional {
			c.add(a.NameRange, path, "%q is computed by the provider and cannot be set", a.Name)
			continue
		}
		c.literal(a, at, path)
	}
	for name, at := range sortedAttributes(schema) {
		if at.Required && body.Attributes[name] == nil {
			c.add(openRange(body), path, "missing required argument %q", name)
		}
	}
	count := map[string]int{}
	for _, nb := range body.Blocks {
		if metaBlocks[nb.Type] || nb.Type == "dynamic" {
			if nb.Type == "dynamic" && len(nb.Labels) == 1 {
				count[nb.Labels[0]]++
			}
			continue
		}
		bt, ok := schema.BlockTypes[nb.Type]
		if !ok {
			if _, isAttr := schema.Attributes[nb.Type]; isAttr {
				c.add(nb.TypeRange, path, "%q is an attribute, not a block: write %s = ...", nb.Type, nb.Type)
			} else {
				c.add(nb.TypeRange, path, "unsupported block type %q", nb.Type)
			}
			continue
		}
		want := 0
		if bt.NestingMode == "map" {
			want = 1
		}
		if len(nb.Labels) != want {
			c.add(nb.TypeRange, path, "a %s block (nesting %s) takes %d labels, found %d", nb.Type, bt.NestingMode, want, len(nb.Labels))
		}
		count[nb.Type]++
		c.body(nb.Body, bt.Block, path+"."+nb.Type, nil, nil)
	}
	for _, name := range sortedKeys(schema.BlockTypes) {
		bt, n := schema.BlockTypes[name], count[name]
		first := firstBlock(body, name)
		switch {
		case (bt.NestingMode == "single" || bt.NestingMode == "group") && n > 1:
			c.add(first, path, "at most one %s block, found %d", name, n)
		case bt.MaxItems > 0 && n > bt.MaxItems:
			c.add(first, path, "at most %d %s block(s), found %d", bt.MaxItems, name, n)
		case n < bt.MinItems:
			c.add(openRange(body), path, "missing required block %q (at least %d)", name, bt.MinItems)
		}
	}
}

// literal checks the value of an expression that refers to nothing and
// calls nothing against the attribute's type, converting it as Terraform
// does (a string "5" is a number).
func (c *checker) literal(a *hclsyntax.Attribute, at *Attribute, path string) {
	if len(a.Expr.Variables()) > 0 || callsFunction(a.Expr) {
		return
	}
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return
	}
	if _, err := convert.Convert(val, at.Type); err != nil {
		c.add(a.Expr.Range(), path, "%q: %s is not a valid %s: %v", a.Name, val.Type().FriendlyName(), at.Type.FriendlyName(), err)
	}
}

func callsFunction(e hclsyntax.Expression) bool {
	found := false
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if _, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			found = true
		}
		return nil
	})
	return found
}

// references checks every reference in a body (nested blocks included):
// var.X, local.X and data.T.N must be declared, and T.N.A must name a
// resource of the module and, when its schema is at hand, an attribute or
// block of it.
func (c *checker) references(body *hclsyntax.Body, path string) {
	var exprs []hclsyntax.Expression
	var walk func(b *hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		for _, a := range sortedAttrs(b) {
			exprs = append(exprs, a.Expr)
		}
		for _, nb := range b.Blocks {
			if nb.Type == "lifecycle" {
				// ignore_changes names attributes, not references.
				for _, a := range sortedAttrs(nb.Body) {
					if a.Name != "ignore_changes" {
						exprs = append(exprs, a.Expr)
					}
				}
				continue
			}
			walk(nb.Body)
		}
	}
	walk(body)
	for _, e := range exprs {
		for _, t := range e.Variables() {
			c.reference(t, path)
		}
	}
}

func (c *checker) reference(t hcl.Traversal, path string) {
	root := t.RootName()
	attr := func(i int) (string, bool) {
		if len(t) <= i {
			return "", false
		}
		a, ok := t[i].(hcl.TraverseAttr)
		return a.Name, ok
	}
	switch root {
	case "var":
		if n, ok := attr(1); ok && !c.mod.variables[n] {
			c.add(t.SourceRange(), path, "reference to undeclared variable %q", n)
		}
		return
	case "local":
		if n, ok := attr(1); ok && !c.mod.locals[n] {
			c.add(t.SourceRange(), path, "reference to undeclared local value %q", n)
		}
		return
	case "data":
		typ, ok1 := attr(1)
		name, ok2 := attr(2)
		if ok1 && ok2 && !c.mod.data[typ+"."+name] {
			c.add(t.SourceRange(), path, "reference to undeclared data source data.%s.%s", typ, name)
		}
		return
	}
	if nonResourceRoots[root] {
		return
	}
	name, ok := attr(1)
	if !ok {
		c.add(t.SourceRange(), path, "reference to %q: not a resource, variable or local value", root)
		return
	}
	if _, declared := c.mod.resources[root+"."+name]; !declared {
		c.add(t.SourceRange(), path, "reference to undeclared resource %s.%s", root, name)
		return
	}
	local, _, _ := strings.Cut(root, "_")
	s := c.schemaFor(local)
	if s == nil || s.Resources[root] == nil {
		return
	}
	i := 2
	if len(t) > i {
		if _, isIndex := t[i].(hcl.TraverseIndex); isIndex { // count/for_each instance
			i++
		}
	}
	if a, ok := attr(i); ok {
		r := s.Resources[root]
		if r.Attributes[a] == nil && r.BlockTypes[a] == nil {
			c.add(t.SourceRange(), path, "%s.%s has no attribute %q", root, name, a)
		}
	}
}

func sortedAttrs(b *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
	for _, a := range b.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// sortedAttributes iterates a schema's attributes in name order.
func sortedAttributes(b *Block) func(yield func(string, *Attribute) bool) {
	return func(yield func(string, *Attribute) bool) {
		for _, k := range sortedKeys(b.Attributes) {
			if !yield(k, b.Attributes[k]) {
				return
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstBlock(body *hclsyntax.Body, typ string) hcl.Range {
	for _, b := range body.Blocks {
		if b.Type == typ {
			return b.TypeRange
		}
	}
	return openRange(body)
}

// openRange is where a body starts (its opening brace), where a missing
// argument would go.
func openRange(body *hclsyntax.Body) hcl.Range {
	r := body.SrcRange
	r.End = r.Start
	return r
}
