// Package load reads a federation: it finds the repository root, loads
// hubs/*.cue with the schema/ package through CUE, checks the result is
// complete and decodes every hub into the hub model.
package load

import (
	stderrors "errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
	"golang.org/x/sync/errgroup"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// HubsDir is the folder of hub files, relative to the repository root.
const HubsDir = "hubs"

// SourceDirs are the folders of the repository root a federation loads
// from: what ci plan and diff take out of a revision (git archive) to load
// it there.
var SourceDirs = []string{"cue.mod", "schema", HubsDir}

// FindRoot walks up from dir to the first folder holding cue.mod, the way
// git finds .git.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "cue.mod")); err == nil && fi.IsDir() {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no cue.mod found in %s or any parent: not a pangeo-gen repository (use --root)", abs)
		}
	}
}

// Federation is every hub of a repository.
type Federation struct {
	// Root is the repository root (absolute).
	Root string
	// Hubs are sorted by name: every hub (Load), or the one hub asked
	// for (LoadHub).
	Hubs []*hub.Hub

	hubs   cue.Value            // the unified hubs: struct, for positions
	byHub  map[string]cue.Value // or, evaluated in groups, each hub's value in its group's
	labels map[string]token.Pos // where each hub's "<name>:" label is written

	// only is the hub a LoadHub loaded ("" for Load); declared are the hub
	// names the hubs/ files declare, for the UnknownHubError of Lookup.
	only     string
	declared []string
}

// Complete reports whether f holds every hub of the federation (Load),
// not only one (LoadHub). A question about the whole federation, such as
// which hubs share the generated chart, needs a complete one.
func (f *Federation) Complete() bool { return f.only == "" }

// Hub returns the hub called name, or nil.
func (f *Federation) Hub(name string) *hub.Hub {
	i, ok := slices.BinarySearchFunc(f.Hubs, name, func(h *hub.Hub, n string) int { return strings.Compare(h.Name, n) })
	if !ok {
		return nil
	}
	return f.Hubs[i]
}

// Names are the hub names, sorted: of a federation LoadHub loaded, the
// one hub (Lookup's error lists every declared hub).
func (f *Federation) Names() []string {
	names := make([]string, len(f.Hubs))
	for i, h := range f.Hubs {
		names[i] = h.Name
	}
	return names
}

// Pos is the source position of a field of a hub, given as path elements
// relative to the hub ("environments", "prod", "domain"; "[2]" is a list
// index). It falls back to the nearest parent with a position.
func (f *Federation) Pos(hubName string, elems ...string) token.Pos {
	sels := []cue.Selector{cue.Str(hubName)}
	for _, e := range elems {
		if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
			if n, err := strconv.Atoi(e[1 : len(e)-1]); err == nil {
				sels = append(sels, cue.Index(n))
				continue
			}
		}
		sels = append(sels, cue.Str(e))
	}
	for n := len(sels); n > 1; n-- {
		if v := f.lookup(sels[:n]); v.Exists() {
			if pos := valuePos(v); pos.IsValid() {
				return pos
			}
		}
	}
	return f.labels[hubName]
}

// lookup is the value at sels, a path from the hub sels[0] (a string
// selector), of the hubs: struct (the one evaluation's) or, when the hubs
// were evaluated in groups, of the hub's value in its group's.
func (f *Federation) lookup(sels []cue.Selector) cue.Value {
	if f.byHub != nil {
		return f.byHub[sels[0].Unquoted()].LookupPath(cue.MakePath(sels[1:]...))
	}
	return f.hubs.LookupPath(cue.MakePath(sels...))
}

// SplitPath splits a CUE-like path "environments.prod.profiles[2].cpu"
// into elements for Pos: environments, prod, profiles, [2], cpu.
func SplitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.Index(part, "[")
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.Index(part[i:], "]")
			if j < 0 {
				out = append(out, part[i:])
				break
			}
			out = append(out, part[i:i+j+1])
			part = part[i+j+1:]
		}
	}
	return out
}

// valuePos is the position of v, preferring a hubs/ file (where the user
// wrote the value) among v's conjuncts.
func valuePos(v cue.Value) token.Pos {
	best := v.Pos()
	if op, args := v.Expr(); op == cue.AndOp {
		for _, a := range args {
			if p := a.Pos(); p.IsValid() && (!best.IsValid() || inHubs(p) && !inHubs(best)) {
				best = p
			}
		}
	}
	return best
}

func inHubs(p token.Pos) bool {
	return filepath.Base(filepath.Dir(p.Filename())) == HubsDir
}

// Load loads and validates the federation at root. A CUE problem comes
// back as a cue/errors.Error list (print it with errors.Print and
// Config.Cwd = root), every problem, not only the first.
//
// The hubs are evaluated in GOMAXPROCS groups side by side when their
// files allow it (splitHubs), each group in a CUE context of its own;
// the federation, or its errors, are the same as one evaluation's.
func Load(root string) (*Federation, error) { return loadHubs(root, "", runtime.GOMAXPROCS(0)) }

// LoadHub loads and validates the hub called name alone: what render
// needs, at a cost that does not grow with the federation. It reads and
// parses every hubs/ file (with the same checks as Load: a file CUE would
// not load, one that is not UTF-8, too large or outside hubs/), but it
// evaluates only hubs/<name>.cue, the files that declare no hub (hubs.cue,
// templates.cue), schema/ and what they import; a file that declares only
// other hubs is left out (hubFiles says when one cannot be). The hub is
// validated and decoded exactly as Load does it, with the same errors at
// the same positions, and so is where it is declared: in hubs/<name>.cue
// alone (a hub that file declares besides name is refused too, as Load
// refuses it). What concerns several hubs, the unique domains and the
// shared pins of the generated chart, is left to Load (vet).
//
// A name no hubs/ file declares gives a federation without hubs and no
// error: its Lookup returns the *UnknownHubError, listing the declared
// names.
func LoadHub(root, name string) (*Federation, error) {
	if name == "" {
		return nil, fmt.Errorf("load: no hub named")
	}
	return loadHubs(root, name, 1)
}

// loadHubs is Load (only empty) or LoadHub (only the hub's name). Load
// evaluates the hubs in up to groups groups side by side (1: in one
// evaluation, as LoadHub does).
func loadHubs(root, only string, groups int) (*Federation, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	overlay, err := readSources(root)
	if err != nil {
		return nil, err
	}
	cfg := &load.Config{Dir: root, Overlay: overlay}
	insts := load.Instances([]string{"./" + HubsDir}, cfg)
	inst := insts[0]
	if inst.Err != nil {
		return nil, fullMessages(inst.Err)
	}
	if err := excludedFiles(root, inst); err != nil {
		return nil, err
	}
	sources, labels, err := hubSources(root, inst)
	f := &Federation{Root: root, labels: labels, only: only}
	if err != nil {
		return f, err
	}
	var evaluated map[string]bool // LoadHub: the hubs to evaluate; nil: all
	if only != "" {
		f.declared = slices.Sorted(maps.Keys(sources))
		if len(sources[only]) == 0 {
			return f, nil
		}
		evaluated = ownHubs(only, sources)
		inst.Files = hubFiles(root, evaluated, inst.Files)
	}
	limits := LimitsFromEnv()
	g := startGuard(limits, labels, blamer(inst, sources, root))
	defer g.stop()
	if only == "" {
		if parts := splitHubs(root, inst.Files, sources, groups); parts != nil {
			if gf := f.evaluateGroups(inst, sources, parts, limits, g); gf != nil {
				return gf, nil
			}
		}
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(inst)
	hubsV := v.LookupPath(cue.ParsePath("hubs"))
	if !hubsV.Exists() {
		if err := v.Err(); err != nil {
			return f, err
		}
		return f, errors.Newf(token.NoPos, "%s/: no hubs: field (each hub file adds hubs: <name>: {...})", HubsDir)
	}
	f.hubs = hubsV
	exported := map[string][]byte{}
	if err := validate(hubsV, evaluated, limits, g, f.HubPos, exported); err != nil {
		return f, f.placed(err)
	}
	hubs, err := exportHubs(hubsV, evaluated, exported, g)
	if err != nil {
		return nil, err
	}
	return f, f.finish(hubs, sources, g.stop)
}

// evaluatedHub is one hub of an evaluation: its value and its JSON (or
// the error exporting it), then its model.
type evaluatedHub struct {
	name string
	v    cue.Value
	data []byte
	h    *hub.Hub
	err  error
}

// exportHubs are the hubs of hubsV (those of evaluated when it is set) in
// the order of its fields, each with its JSON: taken from the size walk
// (exported), or exported here (CUE, one hub at a time).
func exportHubs(hubsV cue.Value, evaluated map[string]bool, exported map[string][]byte, tr tracker) ([]evaluatedHub, error) {
	it, err := hubsV.Fields()
	if err != nil {
		return nil, err
	}
	var hubs []evaluatedHub
	for it.Next() {
		name := it.Selector().Unquoted()
		if evaluated != nil && !evaluated[name] {
			continue
		}
		d := evaluatedHub{name: name, v: it.Value(), data: exported[name]}
		if d.data == nil {
			tr.enter(name)
			d.data, d.err = it.Value().MarshalJSON()
		}
		hubs = append(hubs, d)
	}
	return hubs, nil
}

// finish decodes the hubs, checks what concerns their names, files and
// shared pins, and sets f.Hubs: the end of loadHubs once the hubs are
// evaluated. Decoding the JSON touches no CUE value and runs for the hubs
// side by side; errors are placed (which reads CUE) in hub order after,
// and then stop is called (the guard's: no CUE is evaluated past it).
func (f *Federation) finish(hubs []evaluatedHub, sources map[string][]decl, stop func()) error {
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for i := range hubs {
		if hubs[i].err == nil {
			eg.Go(func() error {
				hubs[i].h, hubs[i].err = decode(hubs[i].data)
				return nil
			})
		}
	}
	eg.Wait()
	var errs errors.Error
	for _, d := range hubs {
		name, h, err := d.name, d.h, d.err
		if err != nil {
			errs = errors.Append(errs, f.decodeError(name, err))
			continue
		}
		if name == ReservedName {
			errs = errors.Append(errs, &nameError{name: name, pos: f.Pos(name)})
			continue
		}
		want := filepath.ToSlash(filepath.Join(HubsDir, name+".cue"))
		if decls := sources[name]; len(decls) != 1 || decls[0].file != want {
			errs = errors.Append(errs, &fileError{name: name, want: want, decls: decls, pos: f.Pos(name)})
		}
		f.Hubs = append(f.Hubs, h)
	}
	stop()
	if errs != nil {
		return errs
	}
	if f.only != "" && f.Hub(f.only) == nil {
		return nil // declared as hubs: name?: {}, not as a hub
	}
	if len(f.Hubs) == 0 {
		return errors.Newf(token.NoPos, "%s/: the federation has no hubs (add hubs/<name>.cue with hubs: <name>: {...})", HubsDir)
	}
	slices.SortFunc(f.Hubs, func(a, b *hub.Hub) int { return strings.Compare(a.Name, b.Name) })
	return f.checkPins()
}

// validate checks that every hub is complete and consistent. CUE stops at
// the first failing field of a struct, so each field of each hub is
// validated on its own to report every problem, not only the first.
//
// Each hub is first walked with the size limits, so that a hub too large
// to export fails here, named, before anything materialises it.
//
// With evaluated set (LoadHub), only those hubs are validated.
func validate(hubs cue.Value, evaluated map[string]bool, limits Limits, g tracker, hubPos func(string) token.Pos, exported map[string][]byte) error {
	var errs errors.Error
	seen := map[string]bool{}
	add := func(err error) {
		for _, e := range errors.Errors(err) {
			key := errors.String(e) + fmt.Sprint(e.Position())
			if !seen[key] {
				seen[key] = true
				errs = errors.Append(errs, e)
			}
		}
	}
	it, err := hubs.Fields()
	if err != nil {
		return err
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		if evaluated != nil && !evaluated[name] {
			continue
		}
		g.enter(name)
		data, err := limits.checkSize(name, it.Value(), hubPos(name))
		if err != nil {
			add(err)
			continue
		}
		if data != nil {
			exported[name] = data
		}
		fields, err := it.Value().Fields(cue.Optional(false))
		if err != nil {
			add(err)
			continue
		}
		for fields.Next() {
			if err := fields.Value().Validate(cue.Concrete(true), cue.All()); err != nil {
				add(err)
			}
		}
		if err := it.Value().Validate(cue.Concrete(true), cue.All()); err != nil {
			add(err)
		}
	}
	if errs != nil {
		return discriminate(hubs, errs)
	}
	if evaluated != nil {
		return nil // each hub was validated whole above
	}
	g.enter("")
	return hubs.Validate(cue.Concrete(true), cue.All())
}

// ReservedName cannot name a hub: deployments/chart/ is the generated
// umbrella chart.
const ReservedName = "chart"

// nameError refuses a reserved hub name.
type nameError struct {
	name string
	pos  token.Pos
}

func (e *nameError) Position() token.Pos         { return e.pos }
func (e *nameError) InputPositions() []token.Pos { return nil }
func (e *nameError) Path() []string              { return []string{"hubs", e.name} }
func (e *nameError) Error() string               { return errors.String(e) }
func (e *nameError) Msg() (string, []any) {
	return "hub name %q is reserved: deployments/%s/ holds the generated umbrella chart", []any{e.name, e.name}
}

// fileError says a hub is not declared in its own file alone: in another
// file, in its own and others, or twice in its own.
type fileError struct {
	name, want string
	decls      []decl
	pos        token.Pos // the hub's position, for a hub with no label
}

// decl is one "hubs: <name>:" label: its file (relative to the root) and
// position.
type decl struct {
	file string
	pos  token.Pos
}

// wrong are the declarations outside the hub's own file.
func (e *fileError) wrong() []decl {
	var out []decl
	for _, d := range e.decls {
		if d.file != e.want {
			out = append(out, d)
		}
	}
	return out
}

func (e *fileError) Position() token.Pos {
	if w := e.wrong(); len(w) > 0 {
		return w[0].pos
	}
	if len(e.decls) == 0 {
		return e.pos
	}
	return e.decls[len(e.decls)-1].pos
}

func (e *fileError) InputPositions() []token.Pos {
	var out []token.Pos
	for _, d := range e.decls {
		if d.pos != e.Position() {
			out = append(out, d.pos)
		}
	}
	return out
}

func (e *fileError) Path() []string { return []string{"hubs", e.name} }
func (e *fileError) Error() string  { return errors.String(e) }
func (e *fileError) Msg() (string, []any) {
	wrong := e.wrong()
	if len(e.decls) == 0 {
		return "hub %s must be declared in %s as hubs: %s: {...} (one file per hub, named after it)", []any{e.name, e.want, e.name}
	}
	if len(wrong) == 0 {
		return "hub %s is declared %d times in %s: write hubs: %s: once and put all its fields there", []any{e.name, len(e.decls), e.want, e.name}
	}
	var files []string
	for _, d := range wrong {
		if !slices.Contains(files, d.file) {
			files = append(files, d.file)
		}
	}
	also := ""
	if len(wrong) < len(e.decls) {
		also = "also "
	}
	return "hub %s must be declared in %s only (one file per hub, named after it), not %sin %s", []any{e.name, e.want, also, strings.Join(files, ", ")}
}

// hubSources maps each hub name to the hubs/ files that declare
// hubs: <name>: at top level, and records where each hub's label is
// written (preferring its own file). CUE also loads a package's files from
// the folders above hubs/; such a file is refused: hub files live in hubs/.
func hubSources(root string, inst *build.Instance) (map[string][]decl, map[string]token.Pos, error) {
	out := map[string][]decl{}
	labels := map[string]token.Pos{}
	var errs errors.Error
	for _, file := range inst.Files {
		rel, err := filepath.Rel(root, file.Filename)
		if err != nil {
			rel = file.Filename
		}
		rel = filepath.ToSlash(rel)
		if path.Dir(rel) != HubsDir {
			errs = errors.Append(errs, errors.Newf(file.Pos(), "%s is in package hubs but outside %s/: CUE would merge it into every hub; move it into %s/", rel, HubsDir, HubsDir))
			continue
		}
		for _, d := range file.Decls {
			fld, ok := d.(*ast.Field)
			if !ok || labelName(fld.Label) != "hubs" {
				continue
			}
			st, ok := fld.Value.(*ast.StructLit)
			if !ok {
				continue
			}
			for _, elt := range st.Elts {
				if hf, ok := elt.(*ast.Field); ok {
					if n := labelName(hf.Label); n != "" {
						out[n] = append(out[n], decl{rel, hf.Label.Pos()})
						if p := hf.Label.Pos(); !labels[n].IsValid() || path.Base(rel) == n+".cue" {
							labels[n] = p
						}
					}
				}
			}
		}
	}
	if errs != nil {
		return out, labels, errs
	}
	return out, labels, nil
}

// HubPos is where a hub's "<name>:" label is written (in its own file when
// it is), for problems CUE places only in schema/.
func (f *Federation) HubPos(name string) token.Pos { return f.labels[name] }

func labelName(l ast.Label) string {
	name, _, err := ast.LabelName(l)
	if err != nil {
		return ""
	}
	return name
}

// decode turns one unified hub, its JSON (cue.Value.MarshalJSON, or the
// size walk's), into the model, strictly (hub.Decode): a field without a
// home in the Go model is an error. Numbers in free-form trees (raw
// values, workspace) become int64 when written as integers, float64
// otherwise (values.Plain). It reads no CUE value.
func decode(data []byte) (*hub.Hub, error) {
	h, err := hub.Decode(data)
	if err != nil {
		return nil, err
	}
	h.Values = normalize(h.Values).(map[string]any)
	for name, e := range h.Environments {
		e.Values = normalize(e.Values).(map[string]any)
		h.Environments[name] = e
	}
	if h.Image.Workspace != nil {
		h.Image.Workspace = normalize(h.Image.Workspace).(map[string]any)
	}
	return h, nil
}

// decodeError is a hub that does not decode as a CUE error with a message,
// the CUE path and a position: a field the model cannot hold at that
// field's position (in the hub's file when it is written there), anything
// else at the hub's.
func (f *Federation) decodeError(name string, err error) errors.Error {
	var fe *hub.FieldError
	if stderrors.As(err, &fe) {
		return &pathError{path: append([]string{"hubs", name}, fe.Path...), pos: f.Pos(name, fe.Path...), msg: fe.Msg}
	}
	var ce errors.Error
	if stderrors.As(err, &ce) {
		return f.placed(ce).(errors.Error)
	}
	return &pathError{path: []string{"hubs", name}, pos: f.Pos(name), msg: "cannot decode the hub into the Go hub model: " + err.Error()}
}

// normalize is values.Plain of a decoded values tree: a json.Number
// becomes int64 when it is an integer literal, else float64, as CUE wrote
// it (2.0 stays a float). A nil map stays nil.
func normalize(x any) any {
	switch m := x.(type) {
	case nil:
		return map[string]any{}
	case map[string]any:
		if m == nil {
			return m
		}
		return values.Plain(m)
	}
	return x
}

// WithoutPositions is f without what Pos reads but the hubs' labels: the
// evaluated CUE, which the garbage collector can then free, for a command
// that needs only the hub model once the hub has loaded (render). Pos on
// it gives the position of the hub's label.
func (f *Federation) WithoutPositions() *Federation {
	out := *f
	out.hubs = cue.Value{}
	out.byHub = nil
	return &out
}

// At is f as the federation of root, a repository root that holds the
// sources f was loaded from (SameSources): the same hubs, without any
// position, since f's point into f.Root (Pos and HubPos give none). ci
// plan takes the checked-out federation so from the head it loaded.
func (f *Federation) At(root string) *Federation {
	return &Federation{Root: root, Hubs: f.Hubs, only: f.only, declared: f.declared}
}
