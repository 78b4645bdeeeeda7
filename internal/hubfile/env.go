// Package hubfile is a hub's CUE file and what it is checked against: the
// file model (Object, Field, File), built as cue/ast and printed by
// cue/format so it is valid, formatted CUE by construction, and Env, the
// repository's schema and hubs package evaluated (hub names, schema checks,
// the defaults a new hub gets). Both new (internal/scaffold) and import
// (internal/hubimport) write their file with it.
package hubfile

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"

	loader "github.com/pangeo-data/pangeo-gen/internal/load"
)

// Env is a repository's schema and hubs package, evaluated: what a new hub
// is checked against and copied from.
type Env struct {
	Root   string
	ctx    *cue.Context
	schema cue.Value
	pkg    cue.Value
}

// Open loads the schema and the hubs package of the repository at root.
func Open(root string) (*Env, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	insts := load.Instances([]string{"./schema", "./" + loader.HubsDir}, &load.Config{Dir: root})
	e := &Env{Root: root, ctx: ctx}
	for i, inst := range insts {
		if inst.Err != nil {
			return nil, fmt.Errorf("load %s: %w", inst.Dir, inst.Err)
		}
		v := ctx.BuildInstance(inst)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("load %s: %v", inst.Dir, cueerrors.Details(err, nil))
		}
		if i == 0 {
			e.schema = v
		} else {
			e.pkg = v
		}
	}
	return e, nil
}

// NameError says why a hub name is refused.
type NameError struct {
	Name   string
	Reason string
}

// Error says which name is refused and why.
func (e *NameError) Error() string { return fmt.Sprintf("bad hub name %q: %s", e.Name, e.Reason) }

// CheckName checks a new hub's name with the schema's #Name (a DNS label of
// at most 45 characters) and refuses the reserved name.
func (e *Env) CheckName(name string) error {
	if name == loader.ReservedName {
		return &NameError{name, fmt.Sprintf("it is reserved: deployments/%s/ holds the generated umbrella chart", name)}
	}
	def := e.schema.LookupPath(cue.ParsePath("#Name"))
	if !def.Exists() {
		return fmt.Errorf("schema: no #Name definition")
	}
	if err := def.Unify(e.ctx.Encode(name)).Validate(cue.Concrete(true)); err != nil {
		return &NameError{name, "a hub name is a DNS label: lower case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 45 characters (schema #Name)"}
	}
	return nil
}

// ExistsError refuses a name that is taken.
type ExistsError struct {
	Name, Why string
}

// Error says which name is taken and where.
func (e *ExistsError) Error() string {
	return fmt.Sprintf("hub %s already exists (%s): pick another name", e.Name, e.Why)
}

// CheckFree refuses a name that a hub of the package or a file of hubs/
// already has.
func (e *Env) CheckFree(name string) error {
	if e.Hub(name).Exists() {
		return &ExistsError{name, "hubs: " + name + " is declared"}
	}
	rel := filepath.ToSlash(filepath.Join(loader.HubsDir, name+".cue"))
	if _, err := os.Lstat(filepath.Join(e.Root, filepath.FromSlash(rel))); err == nil {
		return &ExistsError{name, rel + " exists"}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Hub is the evaluated hubs.<name>.
func (e *Env) Hub(name string) cue.Value {
	return e.pkg.LookupPath(cue.MakePath(cue.Str("hubs"), cue.Str(name)))
}

// HubNames are the names of the federation's hubs, sorted.
func (e *Env) HubNames() []string {
	var names []string
	it, err := e.pkg.LookupPath(cue.ParsePath("hubs")).Fields()
	if err != nil {
		return nil
	}
	for it.Next() {
		names = append(names, it.Selector().Unquoted())
	}
	slices.Sort(names)
	return names
}

// HasDefinition reports whether the hubs package defines #name at its top
// level (a template such as #PangeoHub).
func (e *Env) HasDefinition(name string) bool {
	return e.pkg.LookupPath(cue.MakePath(cue.Def(name))).Exists()
}

// Domains are every domain the federation's hubs use.
func (e *Env) Domains() map[string]bool {
	out := map[string]bool{}
	it, err := e.pkg.LookupPath(cue.ParsePath("hubs")).Fields()
	if err != nil {
		return out
	}
	for it.Next() {
		envs, err := it.Value().LookupPath(cue.ParsePath("environments")).Fields()
		if err != nil {
			continue
		}
		for envs.Next() {
			if d, err := envs.Value().LookupPath(cue.ParsePath("domain")).String(); err == nil {
				out[d] = true
			}
		}
	}
	return out
}

// Base evaluates what a new hub gets before it states anything: the hubs
// package with an overlay file hubs/<name>.cue holding only
// hubs: <name>: <embeds> & {}. Defaults, fixed values and required fields
// of the schema and the templates are all in it.
func (e *Env) Base(name string, file []byte) (cue.Value, error) {
	abs := filepath.Join(e.Root, loader.HubsDir, name+".cue")
	cfg := &load.Config{Dir: e.Root, Overlay: map[string]load.Source{abs: load.FromBytes(file)}}
	insts := load.Instances([]string{"./" + loader.HubsDir}, cfg)
	if insts[0].Err != nil {
		return cue.Value{}, insts[0].Err
	}
	v := e.ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("%v", cueerrors.Details(err, nil))
	}
	return v.LookupPath(cue.MakePath(cue.Str("hubs"), cue.Str(name))), nil
}

// Schema is the schema's value at path (dotted, as Lookup takes it), such
// as "#Chart.jupyterhub.version".
func (e *Env) Schema(path string) cue.Value { return Lookup(e.schema, path) }

// Encode is x as a CUE value of the Env's context (to unify with what it
// evaluated).
func (e *Env) Encode(x any) cue.Value { return e.ctx.Encode(x) }

// Valid reports whether x satisfies the schema definition or field at
// path (such as "#CondaSpec" or "#BuiltImage.apt").
func (e *Env) Valid(path string, x any) bool {
	def := Lookup(e.schema, path)
	if !def.Exists() {
		return false
	}
	return def.Unify(e.ctx.Encode(x)).Validate(cue.Concrete(true)) == nil
}

// Concrete returns v's default when it is concrete data, and whether it is.
func Concrete(v cue.Value) (cue.Value, bool) {
	if !v.Exists() {
		return v, false
	}
	d, _ := v.Default()
	if d.Validate(cue.Concrete(true), cue.Final()) != nil {
		return d, false
	}
	return d, true
}

// SameData reports whether two concrete values are the same data.
func SameData(a, b cue.Value) bool {
	ja, err1 := a.MarshalJSON()
	jb, err2 := b.MarshalJSON()
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// FromValue turns concrete CUE data into the file model, leaving out the
// fields of a struct whose value equals the default base gives them (so a
// copied struct states only what differs from the schema and templates).
func FromValue(v, base cue.Value) (any, error) {
	v, _ = v.Default()
	switch v.Kind() {
	case cue.StructKind:
		o := &Object{}
		it, err := v.Fields()
		if err != nil {
			return nil, err
		}
		for it.Next() {
			sel := it.Selector()
			var b cue.Value
			if base.Exists() {
				b = LookupSels(base, []string{sel.Unquoted()})
			}
			if d, ok := Concrete(b); ok && SameData(d, it.Value()) {
				continue
			}
			x, err := FromValue(it.Value(), b)
			if err != nil {
				return nil, err
			}
			o.Set(sel.Unquoted(), x)
		}
		return o, nil
	case cue.ListKind:
		items := []any{}
		it, err := v.List()
		if err != nil {
			return nil, err
		}
		for it.Next() {
			x, err := FromValue(it.Value(), cue.Value{})
			if err != nil {
				return nil, err
			}
			items = append(items, x)
		}
		return items, nil
	case cue.StringKind:
		return v.String()
	case cue.IntKind:
		return v.Int64()
	case cue.FloatKind, cue.NumberKind:
		return v.Float64()
	case cue.BoolKind:
		return v.Bool()
	case cue.NullKind:
		return nil, nil
	}
	return nil, fmt.Errorf("%s: not concrete data", v.Path())
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Title capitalises the first letter of each '-'-separated word.
func Title(name string) string {
	words := strings.Split(name, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// Lookup follows a dotted path through v, taking each step's default (a
// disjunction such as #Dask resolves to its default) and finding required
// and optional fields too (cloud!, project!).
func Lookup(v cue.Value, path string) cue.Value {
	if path == "" {
		return v
	}
	return LookupSels(v, strings.Split(path, "."))
}

// LookupSels is Lookup of a path already split into labels.
func LookupSels(v cue.Value, labels []string) cue.Value {
	for _, l := range labels {
		if d, ok := v.Default(); ok {
			v = d
		}
		sel := cue.Str(l)
		if strings.HasPrefix(l, "#") {
			sel = cue.Def(l)
		}
		next := v.LookupPath(cue.MakePath(sel))
		if !next.Exists() && !strings.HasPrefix(l, "#") {
			next = v.LookupPath(cue.MakePath(cue.Str(l).Optional()))
		}
		v = next
	}
	return v
}
