package load

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// placed gives every error that has no position (CUE's "structural cycle"
// has none) the position of the nearest field of its path that has one, so
// that every problem points into a file.
func (f *Federation) placed(err error) error {
	var out errors.Error
	for _, e := range errors.Errors(err) {
		if format, _ := e.Msg(); len(errors.Positions(e)) == 0 && !strings.HasSuffix(format, ":") {
			// A message ending in ':' is a header (CUE's "N errors in
			// empty disjunction:"): the errors after it have positions.
			if p := e.Path(); len(p) >= 2 && p[0] == "hubs" {
				if pos := f.Pos(p[1], p[2:]...); pos.IsValid() {
					e = &positioned{e: e, pos: pos}
				}
			}
		}
		out = errors.Append(out, e)
	}
	return out
}

// positioned is an error with a position added.
type positioned struct {
	e   errors.Error
	pos token.Pos
}

func (e *positioned) Position() token.Pos         { return e.pos }
func (e *positioned) InputPositions() []token.Pos { return e.e.InputPositions() }
func (e *positioned) Path() []string              { return e.e.Path() }
func (e *positioned) Msg() (string, []any)        { return e.e.Msg() }
func (e *positioned) Error() string               { return errors.String(e) }
func (e *positioned) Unwrap() error               { return e.e }

// pinError is a hub on the generated chart whose pin of one of its
// dependencies differs from the other hubs' on it.
type pinError struct {
	hub, field, chart string // field: jupyterhub or daskGateway; chart: its name
	got, want         hub.Pin
	others            []string // the hubs that pin want
	pos               token.Pos
	also              []token.Pos
}

func (e *pinError) Position() token.Pos         { return e.pos }
func (e *pinError) InputPositions() []token.Pos { return e.also }
func (e *pinError) Error() string               { return errors.String(e) }
func (e *pinError) Path() []string {
	return []string{"hubs", e.hub, "chart", e.field, e.key()}
}

// key is the field of the pin that differs.
func (e *pinError) key() string {
	if e.got.Version != e.want.Version {
		return "version"
	}
	return "repository"
}

func (e *pinError) Msg() (string, []any) {
	verb := "pins"
	if len(e.others) > 1 {
		verb = "pin"
	}
	return "hub %s pins %s %s from %s, but %s %s %s from %s: the hubs on the generated %s chart (deployments/chart/) share one, so pin the same %s (or deploy %s with a chart of its own)",
		[]any{e.hub, e.chart, e.got.Version, e.got.Repository, andList(e.others), verb, e.want.Version, e.want.Repository, hub.GeneratedChart, e.key(), e.hub}
}

// checkPins refuses hubs on the generated umbrella chart that pin its
// dependencies differently: there is one deployments/chart/, so they must
// agree. The pin most of them use is taken as the right one (the first
// hub's on a tie) and every other hub is named at its pin.
func (f *Federation) checkPins() error {
	var users []*hub.Hub
	for _, h := range f.Hubs {
		if h.Chart.Name == hub.GeneratedChart {
			users = append(users, h)
		}
	}
	var errs errors.Error
	for _, dep := range []struct {
		field, chart string
		pin          func(*hub.Hub) hub.Pin
	}{
		{"jupyterhub", "jupyterhub", func(h *hub.Hub) hub.Pin { return h.Chart.JupyterHub }},
		{"daskGateway", "dask-gateway", func(h *hub.Hub) hub.Pin { return h.Chart.DaskGateway }},
	} {
		key := func(h *hub.Hub) string { p := dep.pin(h); return p.Version + " " + p.Repository }
		count := map[string]int{}
		var ref *hub.Hub
		for _, h := range users {
			count[key(h)]++
			if ref == nil || count[key(h)] > count[key(ref)] {
				ref = h
			}
		}
		if ref == nil || count[key(ref)] == len(users) {
			continue
		}
		var others []string
		for _, h := range users {
			if key(h) == key(ref) {
				others = append(others, h.Name)
			}
		}
		for _, h := range users {
			if key(h) == key(ref) {
				continue
			}
			e := &pinError{hub: h.Name, field: dep.field, chart: dep.chart, got: dep.pin(h), want: dep.pin(ref), others: others}
			e.pos = f.Pos(h.Name, "chart", dep.field, e.key())
			if p := f.Pos(ref.Name, "chart", dep.field, e.key()); p.IsValid() && p != e.pos {
				e.also = []token.Pos{p}
			}
			errs = errors.Append(errs, e)
		}
	}
	if errs != nil {
		return errs
	}
	return nil
}

// discriminators are the fields that choose the definition a struct is
// (schema #Cloud: provider picks #GCP, #AWS or #Azure; #Dask: backend
// picks #GatewayDask, #KubernetesDask or #NoDask), by the struct's path
// within a hub, with the values they take.
var discriminators = []struct {
	path, field string
	values      []string
}{
	{"cloud", "provider", []string{"gcp", "aws", "azure"}},
	{"dask", "backend", []string{hub.BackendGateway, hub.BackendKubernetes, hub.BackendNone}},
}

// discriminate removes the noise of a missing or wrong discriminator: no
// definition is chosen, so every other field of the struct is reported as
// not allowed. Only the discriminator's problem is kept, a missing one is
// reported as required (CUE reports only the fields not allowed) and one
// written as more than one value (backend: "kubernetes" | "none") as such
// (CUE reports it without a position in the hub). A struct that is not one
// (dask: "kubernetes") keeps its own error.
func discriminate(hubs cue.Value, errs errors.Error) errors.Error {
	type bad struct {
		prefix, keep string // drop errors beneath prefix but keep's
	}
	var bads []bad
	var out errors.Error
	paths := map[string]bool{}
	for _, e := range errors.Errors(errs) {
		paths[strings.Join(e.Path(), ".")] = true
	}
	it, err := hubs.Fields()
	if err != nil {
		return errs
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		for _, d := range discriminators {
			s := it.Value().LookupPath(cue.ParsePath(d.path))
			if !s.Exists() || notStruct(s) {
				continue
			}
			prefix := "hubs." + name + "." + d.path
			v := s.LookupPath(cue.MakePath(cue.Str(d.field)))
			if def, ok := v.Default(); ok {
				v = def // dask's backend is *gateway when not written
			}
			switch {
			case paths[prefix+"."+d.field]:
				// A wrong value: its own errors say so.
				bads = append(bads, bad{prefix: prefix, keep: prefix + "." + d.field})
			case v.Err() != nil || !v.IsConcrete():
				bads = append(bads, bad{prefix: prefix})
				e := &pathError{
					path: []string{"hubs", name, d.path, d.field},
					pos:  valuePos(s),
					msg:  fmt.Sprintf("field is required but not present: it chooses what else %s holds (%s)", d.path, strings.Join(d.values, ", ")),
				}
				if p := valuePos(v); v.Err() == nil && inHubs(p) {
					e.pos = p
					e.msg = fmt.Sprintf("must be one value, not %v: it chooses what else %s holds (%s)", v, d.path, strings.Join(d.values, ", "))
				}
				out = errors.Append(out, e)
			}
		}
	}
	if bads == nil {
		return errs
	}
	for _, e := range errors.Errors(errs) {
		p := strings.Join(e.Path(), ".")
		drop := false
		for _, b := range bads {
			if (p == b.prefix || strings.HasPrefix(p, b.prefix+".")) && (b.keep == "" || p != b.keep) {
				drop = true
			}
		}
		if !drop {
			out = errors.Append(out, e)
		}
	}
	return out
}

// notStruct reports whether a hub writes v as something other than a
// struct (dask: "kubernetes"): that conflict is its problem, whatever the
// discriminator says.
func notStruct(v cue.Value) bool {
	_, args := v.Expr()
	for _, a := range append(args, v) {
		if k := a.IncompleteKind(); k != cue.BottomKind && k&cue.StructKind == 0 {
			return true
		}
	}
	return false
}

// pathError is a problem at a CUE path that pangeo-gen finds itself.
type pathError struct {
	path []string
	pos  token.Pos
	msg  string
}

func (e *pathError) Position() token.Pos         { return e.pos }
func (e *pathError) InputPositions() []token.Pos { return nil }
func (e *pathError) Path() []string              { return e.path }
func (e *pathError) Msg() (string, []any)        { return "%s", []any{e.msg} }
func (e *pathError) Error() string               { return errors.String(e) }

// andList joins names as "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
