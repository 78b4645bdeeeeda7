package values

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"sigs.k8s.io/yaml"
)

// mergeTests are layers (JSON, which is YAML) and what Helm's -f merge
// makes of them.
var mergeTests = []struct {
	name   string
	layers []string
	want   string
}{
	{"deep merge", []string{`{"a":{"b":1,"c":{"d":2}}}`, `{"a":{"c":{"e":3}},"f":4}`}, `{"a":{"b":1,"c":{"d":2,"e":3}},"f":4}`},
	{"later wins", []string{`{"a":1}`, `{"a":2}`, `{"a":3}`}, `{"a":3}`},
	{"lists replace whole", []string{`{"a":[1,2,3]}`, `{"a":[4]}`}, `{"a":[4]}`},
	{"map replaces scalar", []string{`{"a":1}`, `{"a":{"b":2}}`}, `{"a":{"b":2}}`},
	{"scalar replaces map", []string{`{"a":{"b":2}}`, `{"a":"s"}`}, `{"a":"s"}`},
	{"null of a later layer kept over a value", []string{`{"a":{"b":1,"c":2}}`, `{"a":{"b":null}}`}, `{"a":{"b":null,"c":2}}`},
	{"null of a later layer kept over a map", []string{`{"a":{"b":1},"d":1}`, `{"a":null}`}, `{"a":null,"d":1}`},
	{"null of a later layer at a new key", []string{`{"a":1}`, `{"b":null}`}, `{"a":1,"b":null}`},
	{"null of the first layer kept", []string{`{"a":null,"b":1}`, `{"b":2}`}, `{"a":null,"b":2}`},
	{"map over a null", []string{`{"a":null}`, `{"a":{"b":1}}`}, `{"a":{"b":1}}`},
	{"empty layer", []string{`{"a":{"b":[1]}}`, `{}`}, `{"a":{"b":[1]}}`},
	{"no layers", nil, `{}`},
}

func TestMerge(t *testing.T) {
	for _, tt := range mergeTests {
		t.Run(tt.name, func(t *testing.T) {
			var layers, before []map[string]any
			for _, l := range tt.layers {
				layers = append(layers, tree(t, l))
				before = append(before, tree(t, l))
			}
			got := Merge(layers...)
			if want := tree(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("Merge(%v) = %s, want %s", tt.layers, show(got), tt.want)
			}
			mutate(got)
			if !reflect.DeepEqual(layers, before) {
				t.Errorf("Merge's result shares a map or list with its layers")
			}
		})
	}
	if got := Merge(nil, map[string]any{"a": 1}, nil); !reflect.DeepEqual(got, map[string]any{"a": 1}) {
		t.Errorf("Merge with nil layers = %v", got)
	}
}

// TestMergeIsHelms: Merge gives what helm's own -f merge
// (values.Options.MergeValues, helm v3.22.0) gives for the same files.
func TestMergeIsHelms(t *testing.T) {
	for _, tt := range mergeTests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var files []string
			var layers []map[string]any
			for i, l := range tt.layers {
				f := filepath.Join(dir, fmt.Sprintf("%d.yaml", i))
				if err := os.WriteFile(f, []byte(l), 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
				var m map[string]any
				if err := yaml.Unmarshal([]byte(l), &m); err != nil {
					t.Fatal(err)
				}
				layers = append(layers, m)
			}
			helm, err := (&values.Options{ValueFiles: files}).MergeValues(getter.Providers{})
			if err != nil {
				t.Fatal(err)
			}
			if got := Merge(layers...); !reflect.DeepEqual(got, helm) {
				t.Errorf("Merge = %s, helm -f gives %s", show(got), show(helm))
			}
		})
	}
}

// TestNullRule pins what a null does in each merge, and what Helm makes
// of Merge's null once it coalesces the values over a chart's defaults:
// a null in a later layer deletes the earlier layers' value and the
// chart's default; a null in the first layer deletes the chart's default.
// Apply, gen's rule, drops the key itself, so the chart's default comes
// back.
func TestNullRule(t *testing.T) {
	ch := &chart.Chart{
		Metadata: &chart.Metadata{Name: "c", Version: "1.0.0", APIVersion: chart.APIVersionV2},
		Values:   map[string]any{"later": "default", "first": "default", "kept": "default"},
	}
	common := map[string]any{"later": "common", "first": nil, "kept": "common"}
	env := map[string]any{"later": nil}

	merged := Merge(common, env)
	if want := (map[string]any{"later": nil, "first": nil, "kept": "common"}); !reflect.DeepEqual(merged, want) {
		t.Errorf("Merge = %v, want %v", merged, want)
	}
	coalesced, err := chartutil.CoalesceValues(ch, merged)
	if err != nil {
		t.Fatal(err)
	}
	if want := (chartutil.Values{"kept": "common"}); !reflect.DeepEqual(coalesced, want) {
		t.Errorf("Helm's values from Merge = %v, want %v: the nulls delete the chart's defaults", coalesced, want)
	}

	applied := Apply(common, env)
	if want := (map[string]any{"first": nil, "kept": "common"}); !reflect.DeepEqual(applied, want) {
		t.Errorf("Apply = %v, want %v", applied, want)
	}
	coalesced, err = chartutil.CoalesceValues(ch, applied)
	if err != nil {
		t.Fatal(err)
	}
	if want := (chartutil.Values{"later": "default", "kept": "common"}); !reflect.DeepEqual(coalesced, want) {
		t.Errorf("Helm's values from Apply = %v, want %v", coalesced, want)
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name               string
		base, overlay, out string
	}{
		{"deep merge", `{"a":{"b":1,"c":{"d":2}}}`, `{"a":{"c":{"e":3}},"f":4}`, `{"a":{"b":1,"c":{"d":2,"e":3}},"f":4}`},
		{"scalars replace", `{"a":{"b":1}}`, `{"a":{"b":"x"}}`, `{"a":{"b":"x"}}`},
		{"lists replace whole", `{"a":[1,2,3]}`, `{"a":[4]}`, `{"a":[4]}`},
		{"list of maps replace whole", `{"a":[{"x":1,"y":2}]}`, `{"a":[{"x":3}]}`, `{"a":[{"x":3}]}`},
		{"null deletes", `{"a":{"b":1,"c":2}}`, `{"a":{"b":null}}`, `{"a":{"c":2}}`},
		{"null deletes a map", `{"a":{"b":{"c":1}},"d":1}`, `{"a":null}`, `{"d":1}`},
		{"null of a missing key", `{"a":1}`, `{"b":null}`, `{"a":1}`},
		{"null inside a new map", `{}`, `{"a":{"b":null,"c":1}}`, `{"a":{"c":1}}`},
		{"map replaces scalar", `{"a":1}`, `{"a":{"b":2}}`, `{"a":{"b":2}}`},
		{"scalar replaces map", `{"a":{"b":2}}`, `{"a":"s"}`, `{"a":"s"}`},
		{"null of base kept", `{"a":null,"b":1}`, `{"b":2}`, `{"a":null,"b":2}`},
		{"empty overlay", `{"a":{"b":[1]}}`, `{}`, `{"a":{"b":[1]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, overlay := norm(t, tt.base), norm(t, tt.overlay)
			base0, overlay0 := CopyMap(base), CopyMap(overlay)
			got := Apply(base, overlay)
			if want := norm(t, tt.out); !reflect.DeepEqual(got, want) {
				t.Errorf("Apply(%s, %s) = %s, want %s", tt.base, tt.overlay, show(got), tt.out)
			}
			mutate(got)
			if !reflect.DeepEqual(base, base0) || !reflect.DeepEqual(overlay, overlay0) {
				t.Errorf("Apply's result shares a map or list with its inputs: base %s, overlay %s", show(base), show(overlay))
			}
		})
	}
	if got := Apply(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("Apply(nil, nil) = %#v, want an empty map", got)
	}
}

func TestOverlay(t *testing.T) {
	tests := []struct {
		name                  string
		base, target, overlay string
	}{
		{"equal", `{"a":{"b":[1,2]},"c":1}`, `{"a":{"b":[1,2]},"c":1}`, `{}`},
		{"changed leaf", `{"a":{"b":1,"c":2}}`, `{"a":{"b":1,"c":3}}`, `{"a":{"c":3}}`},
		{"list compared whole", `{"a":[1,2,3]}`, `{"a":[1,2]}`, `{"a":[1,2]}`},
		{"added key", `{"a":{}}`, `{"a":{"n":{"m":1}}}`, `{"a":{"n":{"m":1}}}`},
		{"deleted key", `{"a":{"b":1,"c":2}}`, `{"a":{"c":2}}`, `{"a":{"b":null}}`},
		{"deleted map", `{"a":{"b":{"x":1}},"c":1}`, `{"c":1}`, `{"a":null}`},
		{"map to scalar", `{"a":{"b":1}}`, `{"a":2}`, `{"a":2}`},
		{"scalar to map", `{"a":2}`, `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"int equals float", `{"a":2}`, `{"a":2.0}`, `{}`},
		{"kept null", `{"a":null,"b":1}`, `{"a":null,"b":2}`, `{"b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, target := norm(t, tt.base), norm(t, tt.target)
			got := Overlay(base, target)
			if want := norm(t, tt.overlay); !reflect.DeepEqual(got, want) {
				t.Errorf("Overlay = %s, want %s", show(got), tt.overlay)
			}
			if back := Apply(base, got); !reflect.DeepEqual(back, target) {
				t.Errorf("Apply(base, Overlay(base, target)) = %s, want %s", show(back), tt.target)
			}
			target0 := CopyMap(target)
			mutate(got)
			if !reflect.DeepEqual(target, target0) {
				t.Error("Overlay shares a map or list with target")
			}
		})
	}
}
