package helmengine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// compareCoalesce fails t unless v3CoalesceValues(c, vals) returns what
// chartutil.CoalesceValues(c, vals) returns (the same values, Go types
// included, and error text), prints the same warnings through log.Printf
// and leaves c's values and vals as they were. Each function gets its
// own copy of c and vals, so that neither sees what the other changed.
// It returns the number of warnings.
func compareCoalesce(t testing.TB, c *chart.Chart, vals map[string]any) int {
	t.Helper()
	helmChart, helmVals := charts.Copy(c), values.CopyMap(vals)
	want, wantErr, wantLog := logged(func() (chartutil.Values, error) { return chartutil.CoalesceValues(helmChart, helmVals) })
	ours, oursVals := charts.Copy(c), values.CopyMap(vals)
	got, gotErr, gotLog := logged(func() (chartutil.Values, error) { return v3CoalesceValues(ours, oursVals) })
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Errorf("error:\n got %v\nwant %v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values differ at %s", firstDifference(nil, got, want))
	}
	if !reflect.DeepEqual(gotLog, wantLog) {
		t.Errorf("warnings:\n got %q\nwant %q", gotLog, wantLog)
	}
	if shared := sharedRefs(got, oursVals, allValues(ours)); len(shared) > 0 {
		t.Errorf("the values share %d maps, slices or pointers with the inputs: %v", len(shared), shared)
	}
	if !reflect.DeepEqual(oursVals, vals) {
		t.Errorf("the values changed at %s", firstDifference(nil, oursVals, vals))
	}
	if !reflect.DeepEqual(allValues(ours), allValues(c)) {
		t.Errorf("the chart's values changed at %s", firstDifference(nil, allValues(ours), allValues(c)))
	}
	return len(wantLog)
}

// firstDifference is the first path, in key order, where the trees got
// and want differ, with what each holds there (Go types included).
func firstDifference(path []string, got, want any) string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.IsValid() && w.IsValid() && g.Type() == w.Type() {
		switch g.Kind() {
		case reflect.Map:
			keys := map[string]bool{}
			for _, v := range []reflect.Value{g, w} {
				for _, k := range v.MapKeys() {
					keys[fmt.Sprint(k.Interface())] = true
				}
			}
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				kv := reflect.ValueOf(k).Convert(g.Type().Key())
				gv, wv := g.MapIndex(kv), w.MapIndex(kv)
				if gv.IsValid() != wv.IsValid() {
					return fmt.Sprintf("%s: present %v, want %v", strings.Join(append(path, k), "."), gv.IsValid(), wv.IsValid())
				}
				if !reflect.DeepEqual(gv.Interface(), wv.Interface()) {
					return firstDifference(append(path, k), gv.Interface(), wv.Interface())
				}
			}
		case reflect.Slice:
			if g.Len() == w.Len() && g.IsNil() == w.IsNil() {
				for i := range g.Len() {
					if gi, wi := g.Index(i).Interface(), w.Index(i).Interface(); !reflect.DeepEqual(gi, wi) {
						return firstDifference(append(path, fmt.Sprint(i)), gi, wi)
					}
				}
			}
		}
	}
	short := func(v any) string {
		s := fmt.Sprintf("%#v", v)
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		return s
	}
	return fmt.Sprintf("%s:\n got %s\nwant %s", strings.Join(path, "."), short(got), short(want))
}

// sharedRefs are the maps, slices and pointers that got shares with the
// inputs (as types), which Helm's copies never do: a change to the
// coalesced values (a template may set one) would change the chart or the
// user's values.
func sharedRefs(got any, inputs ...any) []string {
	seen := map[uintptr]bool{}
	for _, in := range inputs {
		refs(reflect.ValueOf(in), func(p uintptr, _ reflect.Type) { seen[p] = true })
	}
	var shared []string
	refs(reflect.ValueOf(got), func(p uintptr, t reflect.Type) {
		if seen[p] {
			shared = append(shared, t.String())
		}
	})
	return shared
}

// refs calls f with the address and type of every non-empty map, slice
// and pointer in v, at every depth.
func refs(v reflect.Value, f func(uintptr, reflect.Type)) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			refs(v.Elem(), f)
		}
	case reflect.Map:
		if v.Len() > 0 {
			f(v.Pointer(), v.Type())
		}
		iter := v.MapRange()
		for iter.Next() {
			refs(iter.Value(), f)
		}
	case reflect.Slice:
		if v.Len() > 0 {
			f(v.Pointer(), v.Type())
		}
		for i := range v.Len() {
			refs(v.Index(i), f)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			f(v.Pointer(), v.Type())
			refs(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			refs(v.Field(i), f)
		}
	}
}

// allValues are the default values of c and of its dependencies, at every
// depth, by chart path.
func allValues(c *chart.Chart) map[string]map[string]any {
	out := map[string]map[string]any{}
	var walk func(prefix string, c *chart.Chart)
	walk = func(prefix string, c *chart.Chart) {
		p := prefix + "/" + c.Name()
		out[p] = c.Values
		for _, d := range c.Dependencies() {
			walk(p, d)
		}
	}
	walk("", c)
	return out
}

// logged runs f with the standard logger writing into a buffer, without
// flags, and returns what f returned and the lines it logged, sorted:
// Helm prints its warnings in the order it ranges over maps, which Go
// does not fix, so only which warnings and how many can be compared.
func logged(f func() (chartutil.Values, error)) (chartutil.Values, error, []string) {
	var buf bytes.Buffer
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	defer func() {
		log.SetOutput(w)
		log.SetFlags(flags)
	}()
	v, err := f()
	var lines []string
	if s := strings.TrimSuffix(buf.String(), "\n"); s != "" {
		lines = strings.Split(s, "\n")
	}
	sort.Strings(lines)
	return v, err, lines
}

// coalesceChart is the small chart of the coalesce tests, its
// dependencies processed with vals as v3Prepare processes them: top with
// the dependencies sub (which has its own, subsub) and real under the
// alias aliased, with the default values given (nil for none). Helm's
// warnings while processing are not printed.
func coalesceChart(t testing.TB, vals map[string]any, top, sub, subsub, real map[string]any) (*chart.Chart, map[string]any, error) {
	t.Helper()
	meta := func(name string, deps ...*chart.Dependency) *chart.Metadata {
		return &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: "1.0.0", Dependencies: deps}
	}
	subsubC := &chart.Chart{Metadata: meta("subsub"), Values: subsub}
	subC := &chart.Chart{Metadata: meta("sub", &chart.Dependency{Name: "subsub", Version: "1.0.0"}), Values: sub}
	subC.AddDependency(subsubC)
	realC := &chart.Chart{Metadata: meta("real"), Values: real}
	c := &chart.Chart{Metadata: meta("top",
		&chart.Dependency{Name: "sub", Version: "1.0.0"},
		&chart.Dependency{Name: "real", Version: "1.0.0", Alias: "aliased"},
	), Values: top}
	c.AddDependency(subC, realC)
	vals = values.CopyMap(vals)
	if vals == nil {
		vals = map[string]any{}
	}
	_, err, _ := logged(func() (chartutil.Values, error) { return nil, chartutil.ProcessDependenciesWithMerge(c, vals) })
	if err != nil {
		return nil, nil, err
	}
	return c, vals, nil
}

type m = map[string]any

// Default values of the charts of the coalesce tests.
func coalesceDefaults() (top, sub, subsub, real m) {
	top = m{
		"a":      1.0,
		"t":      m{"x": 1.0, "n": m{"deep": true}, "s": "scalar", "l": []any{1.0, m{"k": "v"}}},
		"list":   []any{1.0, 2.0},
		"empty":  m{},
		"global": m{"g": "top", "gt": m{"a": 1.0}, "gs": "top"},
		"sub":    m{"fromParent": "p", "tab": m{"k": 1.0}},
	}
	sub = m{
		"s":      "sub",
		"tab":    m{"k": 0.0, "j": 2.0, "n": m{"x": 1.0}},
		"global": m{"gt": m{"b": 2.0}, "gs": "sub"},
		"subsub": m{"ss": 2.0},
	}
	subsub = m{"ss": 1.0, "sst": m{"x": "y"}, "global": m{}}
	real = m{"r": 1.0, "rt": m{"x": 1.0}}
	return top, sub, subsub, real
}

// coalesceCases are the edge cases of the coalesce tests: user values,
// and a change of the charts' default values.
var coalesceCases = []struct {
	name     string
	vals     map[string]any
	defaults func(top, sub, subsub, real m)
	// warns says whether Helm prints a warning.
	warns bool
}{
	{name: "no values", vals: nil},
	{name: "empty values", vals: m{}},
	{name: "scalars", vals: m{"a": int64(2), "b": "x", "c": true, "d": 1.5, "e": 3}},
	{name: "null deletes a default", vals: m{"a": nil, "list": nil, "t": nil}},
	{name: "null deletes a nested default", vals: m{"t": m{"x": nil, "n": m{"deep": nil}}}},
	{name: "null of no default", vals: m{"new": nil, "t": m{"new": nil}, "sub": m{"new": nil}}},
	{name: "null in a subchart", vals: m{"sub": m{"s": nil, "tab": m{"k": nil}, "subsub": m{"ss": nil}}}},
	{name: "null in a nested subchart", vals: m{"sub": m{"subsub": m{"sst": m{"x": nil}, "ss": nil}}}},
	{name: "null over a table default", vals: m{"sub": m{"tab": nil}, "t": m{"n": nil}}},
	{name: "table over a scalar default", vals: m{"a": m{"x": 1.0}}, warns: true},
	{name: "table over a nested scalar default", vals: m{"t": m{"s": m{"x": 1.0}}}, warns: true},
	{name: "scalar over a table default", vals: m{"t": 5.0}},
	{name: "scalar over a nested table default", vals: m{"t": m{"n": 5.0}}, warns: true},
	{name: "list over a table default", vals: m{"t": m{"n": []any{1.0}}}, warns: true},
	{name: "table over a list default", vals: m{"list": m{"x": 1.0}}, warns: true},
	{name: "tables merge", vals: m{"t": m{"y": 2.0, "n": m{"more": 1.0}}, "list": []any{3.0}}},
	{name: "subchart values", vals: m{"sub": m{"tab": m{"j": 3.0, "new": m{"a": 1.0}}}, "aliased": m{"r": 2.0}}},
	{name: "subchart table conflicts", vals: m{"sub": m{"tab": m{"n": 1.0}, "s": m{"x": 1.0}}}, warns: true},
	{name: "alias-named values", vals: m{"aliased": m{"rt": m{"y": 2.0}, "r": nil}, "real": m{"r": 5.0}}},
	{name: "globals at the parent", vals: m{"global": m{"g": "user", "gt": m{"c": 3.0}, "new": m{"n": 1.0}}}},
	{name: "globals at a child", vals: m{"sub": m{"global": m{"gt": m{"d": 4.0}, "child": true}}}},
	{name: "globals at both", vals: m{"global": m{"gt": m{"a": 2.0, "e": 5.0}}, "sub": m{"global": m{"gt": m{"a": 3.0}}, "subsub": m{"global": m{"gs": "ss"}}}}},
	{name: "globals over globals at every depth", vals: m{"global": m{"gt": m{"a": m{"b": nil}}}, "sub": m{"global": m{"gt": m{"a": 1.0}}}}, defaults: func(_, _, subsub, _ m) {
		subsub["global"] = m{"gt": m{"a": m{"c": 1.0}}}
	}, warns: true},
	{name: "null global", vals: m{"global": m{"g": nil, "gt": m{"a": nil}}}},
	{name: "parent global not a table", vals: m{"global": 3.0}, warns: true},
	{name: "child global not a table", vals: m{"sub": m{"global": "x"}}, warns: true},
	{name: "global table onto a child scalar", vals: m{"sub": m{"global": m{"gt": "scalar"}}}, warns: true},
	{name: "global scalar onto a child table", vals: m{"global": m{"k": 1.0}, "sub": m{"global": m{"k": m{"x": 1.0}}}}, warns: true},
	{name: "empty and nil containers", vals: m{"empty": m{}, "nilmap": map[string]any(nil), "nillist": []any(nil), "emptylist": []any{}, "t": m{"l": []any{}}}},
	{name: "lists of tables", vals: m{"list": []any{m{"a": []any{nil, m{}}}, nil}}},
	{name: "chartutil.Values", vals: chartutil.Values{"t": chartutil.Values{"x": 2.0}, "sub": m{"tab": chartutil.Values{"k": 5.0}}, "v": chartutil.Values{"a": chartutil.Values(nil)}}, warns: true},
	{name: "chartutil.Values defaults", vals: m{"cv": m{"x": 1.0}, "t": m{"cv": 1.0}}, defaults: func(top, sub, _, _ m) {
		top["cv"] = chartutil.Values{"x": 0.0, "y": 1.0}
		top["t"].(m)["cv"] = chartutil.Values{"in": m{"k": 1.0}}
		sub["cv"] = chartutil.Values{}
	}, warns: true},
	{name: "charts without values", vals: m{"sub": m{"s": 1.0}}, defaults: func(top, sub, subsub, real m) {
		clear(top)
		clear(sub)
		clear(real)
	}},
	{name: "unsupported types fall back to Helm", vals: m{"p": &struct{ A int }{1}, "ms": map[string]string{"a": "b"}, "t": m{"ms": map[string]string{"x": "y"}}}},
	{name: "unsupported default falls back to Helm", vals: m{"t": m{"x": 2.0}}, defaults: func(top, _, _, _ m) { top["ms"] = map[string]int{"a": 1} }},
}

// TestV3CoalesceValues: v3CoalesceValues is chartutil.CoalesceValues on
// the edge cases of a small chart with subcharts (its values, warnings,
// error; its inputs unchanged).
func TestV3CoalesceValues(t *testing.T) {
	for _, tc := range coalesceCases {
		t.Run(tc.name, func(t *testing.T) {
			top, sub, subsub, real := coalesceDefaults()
			if tc.defaults != nil {
				tc.defaults(top, sub, subsub, real)
			}
			c, vals, err := coalesceChart(t, tc.vals, top, sub, subsub, real)
			if err != nil {
				t.Fatal(err)
			}
			if warned := compareCoalesce(t, c, vals) > 0; warned != tc.warns {
				t.Errorf("Helm warns %v, want %v", warned, tc.warns)
			}
		})
	}
}

// TestV3CoalesceValuesError: a dependency's values that are not a table
// are Helm's error, whose text v3CoalesceValues gives.
func TestV3CoalesceValuesError(t *testing.T) {
	top, sub, subsub, real := coalesceDefaults()
	c, vals, err := coalesceChart(t, nil, top, sub, subsub, real)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{3.0, "x", []any{1.0}, chartutil.Values{"s": 1.0}} {
		in := values.CopyMap(vals)
		in["sub"] = v
		compareCoalesce(t, c, in)
		if _, err := v3CoalesceValues(c, in); err == nil || !strings.HasPrefix(err.Error(), "type mismatch on sub: ") {
			t.Errorf("%#v: error %v, want a type mismatch on sub", v, err)
		}
	}
}

// TestPlainTree: the trees v3CoalesceValues copies itself, and those it
// leaves to Helm.
func TestPlainTree(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{nil, true},
		{m{"a": []any{1, int64(2), 3.5, float32(1), uint8(1), "s", true, nil}, "v": chartutil.Values{"x": m{}}}, true},
		{map[string]any(nil), true},
		{[]any{[]any{m{"k": chartutil.Values(nil)}}}, true},
		{m{"a": map[string]string{}}, false},
		{m{"a": []string{"x"}}, false},
		{[]any{&struct{}{}}, false},
		{m{"a": m{"b": []any{struct{}{}}}}, false},
		{map[any]any{"a": 1}, false},
	} {
		if got := plainTree(tc.v); got != tc.want {
			t.Errorf("plainTree(%#v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestV3RenderValues: v3RenderValues makes what Helm's
// ToRenderValuesWithSchemaValidation makes with the schemas skipped.
func TestV3RenderValues(t *testing.T) {
	top, sub, subsub, real := coalesceDefaults()
	c, vals, err := coalesceChart(t, m{"a": 2.0, "sub": m{"s": nil}}, top, sub, subsub, real)
	if err != nil {
		t.Fatal(err)
	}
	options := chartutil.ReleaseOptions{Name: "alpha-staging", Namespace: "ns", Revision: 1, IsInstall: true}
	caps := chartutil.DefaultCapabilities.Copy()
	for _, caps := range []*chartutil.Capabilities{caps, nil} {
		want, wantErr := chartutil.ToRenderValuesWithSchemaValidation(c, values.CopyMap(vals), options, caps, true)
		got, err := v3RenderValues(c, values.CopyMap(vals), options, caps)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("caps %v:\n got %#v, %v\nwant %#v, %v", caps, got, err, want, wantErr)
		}
	}
	bad := values.CopyMap(vals)
	bad["sub"] = 1.0
	want, wantErr := chartutil.ToRenderValuesWithSchemaValidation(c, bad, options, caps, true)
	got, err := v3RenderValues(c, bad, options, caps)
	if err == nil || err.Error() != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
		t.Errorf("error:\n got %#v, %v\nwant %#v, %v", got, err, want, wantErr)
	}
}

// FuzzV3CoalesceValues: v3CoalesceValues is chartutil.CoalesceValues on
// generated values: the user values and the default values of top, sub
// and subsub as JSON objects, decoded as Helm's loader decodes values
// (sigs.k8s.io/yaml goes through encoding/json; inputs that are not
// objects are skipped, and YAML's anchors, slow to expand, avoided), numbers
// made int64 where integral for one more type, with the test chart of
// TestV3CoalesceValues. The seeds are its JSON-expressible cases.
func FuzzV3CoalesceValues(f *testing.F) {
	top, sub, subsub, _ := coalesceDefaults()
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range coalesceCases {
		if tc.defaults == nil && plainTree(tc.vals) {
			f.Add(js(tc.vals), js(top), js(sub), js(subsub), false)
		}
	}
	f.Add(`{"global":{"gt":{"a":{"b":null}}},"sub":{"global":{"gt":{"a":1}}}}`, js(top), js(sub), `{"global":{"gt":{"a":{"c":1}}}}`, true)
	f.Fuzz(func(t *testing.T, vals, top, sub, subsub string, ints bool) {
		var trees [4]map[string]any
		for i, s := range []string{vals, top, sub, subsub} {
			if err := json.Unmarshal([]byte(s), &trees[i]); err != nil {
				return
			}
			if ints {
				trees[i], _ = values.Normalize(trees[i]).(map[string]any)
			}
		}
		_, _, _, real := coalesceDefaults()
		c, v, err := coalesceChart(t, trees[0], trees[1], trees[2], trees[3], real)
		if err != nil {
			return
		}
		compareCoalesce(t, c, v)
	})
}
