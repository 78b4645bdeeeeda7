package helmengine

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
)

// Memoized returns an engine that renders as e does, for a caller that
// renders the same charts many times (vet renders every hub-env): with
// Helm 3, a chart's dependencies are processed
// (chartutil.ProcessDependenciesWithMerge: the disabled subcharts pruned,
// the import-values imported, Helm's deep copies of every chart's values
// on the way) once for all the renders of that *chart.Chart whose values
// agree on everything that decides them (see dependencyKey), not once per
// render; the templates of each chart so processed are parsed once
// (parsedChart: Helm's engine parses them on every render) and toYaml
// remembers its output. The rendered output and errors are the same. The
// caller must not change a chart it has rendered through the returned
// engine (the charts vet loads are not changed). Helm's warnings about a
// condition that is not a boolean are printed once per such set of
// values. Other majors are returned as they are.
func Memoized(e Engine) Engine {
	if v3, ok := e.(v3Engine); ok && v3.deps == nil {
		return v3Engine{deps: newDepMemo()}
	}
	return e
}

func newDepMemo() *depMemo {
	return &depMemo{byChart: map[*chart.Chart]map[string]*processed{}, templates: map[*chart.Chart]*parsedChart{}}
}

// depMemo holds the charts whose dependencies were processed, by the
// chart they were made from and by dependencyKey of the values.
type depMemo struct {
	mu      sync.Mutex
	byChart map[*chart.Chart]map[string]*processed
	// templates is the parsed templates of each processed chart.
	templates map[*chart.Chart]*parsedChart
}

// processed is a chart whose dependencies
// ProcessDependenciesWithMerge processed, or its error.
type processed struct {
	once  sync.Once
	chart *chart.Chart
	err   error
}

// parsed is the templates of chart c parsed once, when c is a chart the
// memo processed; else nil (the chart's renders parse them each time).
func (m *depMemo) parsed(c *chart.Chart) *parsedChart {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.templates[c]
}

// maxKeysPerChart bounds what a depMemo holds of one chart: values that
// decide a chart's dependencies differently are few (a subchart on or
// off); past the bound a render processes them itself.
const maxKeysPerChart = 64

// processDependencies is chartutil.ProcessDependenciesWithMerge of a copy
// of chart ch with values vals (not modified): the chart to render, which
// the caller must not change. With a memo it is the memo's chart when one
// was processed for values with the same dependencyKey.
func (m *depMemo) processDependencies(ch *chart.Chart, vals map[string]any) (*chart.Chart, error) {
	process := func() (*chart.Chart, error) {
		c := charts.Copy(ch)
		if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
			return nil, err
		}
		return c, nil
	}
	if m == nil {
		return process()
	}
	key := dependencyKey(ch, vals)
	m.mu.Lock()
	byKey := m.byChart[ch]
	if byKey == nil {
		byKey = map[string]*processed{}
		m.byChart[ch] = byKey
	}
	p := byKey[key]
	if p == nil {
		if len(byKey) >= maxKeysPerChart {
			m.mu.Unlock()
			return process()
		}
		p = &processed{}
		byKey[key] = p
	}
	m.mu.Unlock()
	p.once.Do(func() {
		p.chart, p.err = process()
		if p.err == nil {
			m.mu.Lock()
			m.templates[p.chart] = &parsedChart{}
			m.mu.Unlock()
		}
	})
	return p.chart, p.err
}

// dependencyKey is what ProcessDependenciesWithMerge reads of the user
// values vals when it processes chart ch's dependencies (helm.sh/helm/v3
// v3.22.0 pkg/chartutil/dependencies.go): two values with the same key
// prune the same subcharts and fail with the same error, so the processed
// chart of one serves the other.
//
// Helm coalesces vals over the charts' defaults (CoalesceValues), and
// then reads of the coalesced values: the tags table (processDependencyTags),
// each dependency's condition paths (processDependencyConditions, with
// the subchart's path before a nested chart's conditions), and, while
// coalescing, each subchart's key (coalesceDeps fails on a non-table one,
// at its path and, in the nested calls, at the top) and the globals
// (coalesceGlobals). Coalescing is key by key, so what the coalesced
// values hold at a path depends on vals along that path only (with the
// constant defaults), but for the globals, which are copied down into
// every subchart's values. The key therefore holds, for every such path,
// what vals holds along it: at each table on the way its "global" entry
// whole, and the first value that is not a map[string]any (a table to
// Helm) whole, or that the path ends at a table; and vals' "tags" and
// "global" whole. The paths are a superset of those Helm reads (every
// chart in ch's tree, under its name and any alias, whether or not it
// ends up enabled), which only makes the key finer.
func dependencyKey(ch *chart.Chart, vals map[string]any) string {
	var b strings.Builder
	for _, top := range []string{"tags", chartutil.GlobalKey} {
		b.WriteString(top)
		b.WriteByte('=')
		if v, ok := vals[top]; ok {
			canonical(&b, v)
		} else {
			b.WriteByte('-')
		}
		b.WriteByte(';')
	}
	paths := map[string]bool{}
	dependencyPaths(ch, "", paths)
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		b.WriteString(strconv.Quote(p))
		b.WriteByte('=')
		walkPath(&b, vals, strings.Split(p, "."))
		b.WriteByte(';')
	}
	return b.String()
}

// dependencyPaths adds to paths the value paths whose values decide the
// dependencies of chart c, whose values are at path prefix ("" for the
// chart rendered, else its path ending in "."): each condition of its
// dependencies, and for each of its subcharts (under its name and every
// alias its dependencies give it), the subchart's path, its name alone
// (as Helm's nested calls coalesce it at the top) and, recursively, its
// own.
func dependencyPaths(c *chart.Chart, prefix string, paths map[string]bool) {
	if c == nil || c.Metadata == nil {
		return
	}
	for _, req := range c.Metadata.Dependencies {
		if req == nil {
			continue
		}
		for _, cond := range strings.Split(strings.TrimSpace(req.Condition), ",") {
			if len(cond) > 0 {
				paths[prefix+cond] = true
			}
		}
	}
	for _, sub := range c.Dependencies() {
		if sub == nil || sub.Metadata == nil {
			continue
		}
		names := map[string]bool{sub.Name(): true}
		for _, req := range c.Metadata.Dependencies {
			if req != nil && req.Alias != "" && (req.Name == sub.Name() || req.Alias == sub.Name()) {
				names[req.Alias] = true
			}
		}
		for _, name := range slices.Sorted(maps.Keys(names)) {
			paths[name] = true
			paths[prefix+name] = true
			dependencyPaths(sub, prefix+name+".", paths)
		}
	}
}

// walkPath writes what vals holds along path (dependencyKey): the
// "global" entry of each table on the way (vals' own is in the key
// apart), then the first value that is not a table whole ("-" if the key
// is absent), or "T" when the path ends at a table.
func walkPath(b *strings.Builder, vals map[string]any, path []string) {
	table := vals
	for i, k := range path {
		v, ok := table[k]
		if !ok {
			b.WriteByte('-')
			return
		}
		next, isTable := v.(map[string]any)
		if !isTable {
			canonical(b, v)
			return
		}
		if g, ok := next[chartutil.GlobalKey]; ok {
			b.WriteString("g:")
			canonical(b, g)
			b.WriteByte(',')
		}
		if i == len(path)-1 {
			b.WriteByte('T')
			return
		}
		table = next
	}
}

// canonical writes v in a form that differs for values that differ,
// types included (a map[string]any and a chartutil.Values with the same
// entries are different to Helm): maps with their keys sorted.
func canonical(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		b.WriteString(strconv.Quote(v))
	case map[string]any:
		canonicalMap(b, "{", v)
	case chartutil.Values:
		canonicalMap(b, "Values{", v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			canonical(b, e)
		}
		b.WriteByte(']')
	default:
		fmt.Fprintf(b, "%T(%#v)", v, v)
	}
}

func canonicalMap(b *strings.Builder, open string, m map[string]any) {
	b.WriteString(open)
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		canonical(b, m[k])
	}
	b.WriteByte('}')
}
