package helmengine

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// memoChart is an umbrella chart whose dependencies have conditions (one
// with a global fallback), tags, an alias, import-values and a nested
// dependency with a condition of its own.
func memoChart() *chart.Chart {
	sub := func(name string, vals map[string]any, deps ...*chart.Chart) *chart.Chart {
		c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: name, Version: "1.0.0"}, Values: vals}
		c.SetDependencies(deps...)
		return c
	}
	d := sub("d", map[string]any{"size": 1.0})
	c := sub("c", map[string]any{"d": map[string]any{"enabled": true}}, d)
	c.Metadata.Dependencies = []*chart.Dependency{{Name: "d", Version: "1.0.0", Condition: "d.enabled"}}
	root := sub("umbrella", map[string]any{
		"a":      map[string]any{"enabled": true},
		"global": map[string]any{"region": "eu"},
	},
		sub("a", map[string]any{"enabled": true, "exported": map[string]any{"x": 1.0}}),
		sub("b", map[string]any{"name": "b"}),
		c,
		sub("e", map[string]any{"on": true}),
	)
	root.Metadata.Dependencies = []*chart.Dependency{
		{Name: "a", Version: "1.0.0", Condition: "a.enabled,global.aOn", Tags: []string{"front"},
			ImportValues: []any{map[string]any{"child": "exported", "parent": "fromA"}}},
		{Name: "b", Version: "1.0.0", Alias: "bee", Condition: "bee.enabled"},
		{Name: "c", Version: "1.0.0", Tags: []string{"back"}},
		{Name: "e", Version: "1.0.0"},
	}
	return root
}

// TestProcessDependenciesMemo: whatever the values, the memo's chart is
// the chart that Helm's ProcessDependenciesWithMerge makes of a copy of
// the chart with those values (or its error), one memo serving values in
// any order; values that differ only where Helm does not look share an
// entry.
func TestProcessDependenciesMemo(t *testing.T) {
	ch := memoChart()
	pristine := values.CopyMap(ch.Values)
	memo := newDepMemo()
	cases := []struct {
		name string
		vals map[string]any
	}{
		{"defaults", map[string]any{}},
		{"condition false", map[string]any{"a": map[string]any{"enabled": false}}},
		{"condition false, other value", map[string]any{"a": map[string]any{"enabled": false, "other": 1.0}}},
		{"condition not a bool, global fallback", map[string]any{"a": map[string]any{"enabled": "yes"}, "global": map[string]any{"aOn": false}}},
		{"tag false", map[string]any{"tags": map[string]any{"front": false}}},
		{"tag false, condition true", map[string]any{"tags": map[string]any{"back": false}, "a": map[string]any{"enabled": true}}},
		{"alias condition", map[string]any{"bee": map[string]any{"enabled": false}}},
		{"nested condition", map[string]any{"c": map[string]any{"d": map[string]any{"enabled": false}}}},
		{"nested condition, parent off", map[string]any{"c": map[string]any{"d": map[string]any{"enabled": false}}, "tags": map[string]any{"back": false}}},
		{"subchart values not a table", map[string]any{"e": "not a table"}},
		{"nested subchart key at the top not a table", map[string]any{"d": "x"}},
		{"null deletes the defaults", map[string]any{"a": nil}},
		{"subchart globals", map[string]any{"c": map[string]any{"global": map[string]any{"x": 1.0}}}},
		{"globals not a table", map[string]any{"global": "x"}},
		{"Values-typed table", map[string]any{"a": chartutil.Values{"enabled": false}}},
		{"condition false again", map[string]any{"a": map[string]any{"enabled": false}}},
		{"defaults again, a value off every path", map[string]any{"zzz": 1.0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := values.CopyMap(tc.vals)
			want, wantErr := (*depMemo)(nil).processDependencies(ch, tc.vals)
			got, err := memo.processDependencies(ch, tc.vals)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("processed chart differs from Helm's:\n got %s\nwant %s", shape(got), shape(want))
			}
			if !reflect.DeepEqual(tc.vals, before) {
				t.Errorf("values changed: %v, were %v", tc.vals, before)
			}
		})
	}
	if !reflect.DeepEqual(ch.Values, pristine) || len(ch.Dependencies()) != 4 || ch.Metadata.Dependencies[1].Name != "b" {
		t.Errorf("the chart itself was changed")
	}
	// "condition false" twice and "condition false, other value" share
	// one entry, as do the two "defaults".
	if n, want := len(memo.byChart[ch]), len(cases)-3; n != want {
		t.Errorf("%d entries for %d cases, want %d", n, len(cases), want)
	}
}

// shape is what a processed chart holds that its dependencies decide: the
// enabled dependencies, recursively, and the values.
func shape(c *chart.Chart) string {
	if c == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%s%v[", c.Name(), c.Values)
	for _, d := range c.Dependencies() {
		s += shape(d) + " "
	}
	return s + "]"
}

// TestDependencyKey: the key changes with each value Helm reads to decide
// the dependencies, and with nothing else.
func TestDependencyKey(t *testing.T) {
	ch := memoChart()
	base := map[string]any{"a": map[string]any{"enabled": true, "x": 1.0}, "e": map[string]any{"on": true}}
	for _, tc := range []struct {
		name string
		edit func(v map[string]any)
		same bool
	}{
		{"value off every path", func(v map[string]any) { v["a"].(map[string]any)["x"] = 2.0 }, true},
		{"subchart value off its conditions", func(v map[string]any) { v["e"].(map[string]any)["on"] = false }, true},
		{"new top-level key", func(v map[string]any) { v["zzz"] = 1.0 }, true},
		{"condition", func(v map[string]any) { v["a"].(map[string]any)["enabled"] = false }, false},
		{"condition's type", func(v map[string]any) { v["a"].(map[string]any)["enabled"] = "true" }, false},
		{"condition removed", func(v map[string]any) { delete(v["a"].(map[string]any), "enabled") }, false},
		{"table on a condition's path", func(v map[string]any) { v["a"] = 1.0 }, false},
		{"null subchart", func(v map[string]any) { v["e"] = nil }, false},
		{"alias condition", func(v map[string]any) { v["bee"] = map[string]any{"enabled": false} }, false},
		{"nested condition", func(v map[string]any) { v["c"] = map[string]any{"d": map[string]any{"enabled": false}} }, false},
		{"tags", func(v map[string]any) { v["tags"] = map[string]any{"other": true} }, false},
		{"globals", func(v map[string]any) { v["global"] = map[string]any{"anything": 1.0} }, false},
		{"subchart globals", func(v map[string]any) { v["e"].(map[string]any)["global"] = map[string]any{"y": true} }, false},
		{"nested subchart key at the top", func(v map[string]any) { v["d"] = "x" }, false},
		{"int for float", func(v map[string]any) { v["a"].(map[string]any)["enabled"] = 1 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := values.CopyMap(base)
			tc.edit(edited)
			if same := dependencyKey(ch, edited) == dependencyKey(ch, base); same != tc.same {
				t.Errorf("same key %v, want %v:\n%s\n%s", same, tc.same, dependencyKey(ch, edited), dependencyKey(ch, base))
			}
		})
	}
}

// TestMemoizedConcurrent: renders of one chart through one Memoized
// engine, side by side, with values that share the processed chart and
// values that do not, give what the plain engine renders (run with -race).
func TestMemoizedConcurrent(t *testing.T) {
	ch := loadChart(t)
	memoized := Memoized(NewV3())
	reqs := []Request{request(ch), request(ch)}
	reqs[1].Values = values.CopyMap(reqs[1].Values)
	reqs[1].Values["dask-gateway"].(map[string]any)["enabled"] = false
	var wants []*Result
	for _, r := range reqs {
		want, err := NewV3().Render(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := memoized.Render(context.Background(), reqs[i%2])
			if err != nil {
				t.Error(err)
			} else if !reflect.DeepEqual(got, wants[i%2]) {
				t.Errorf("render %d differs from the plain engine's", i)
			}
		}()
	}
	wg.Wait()
}
