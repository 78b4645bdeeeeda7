package helmengine

// The coalescing below is translated from Helm's pkg/chartutil/coalesce.go
// (helm.sh/helm/v3 v3.22.0): Copyright The Helm Authors, licensed under
// the Apache License, Version 2.0
// (http://www.apache.org/licenses/LICENSE-2.0). The changes: the deep
// copy (values.Copy instead of github.com/mitchellh/copystructure), and
// in coalesceTablesFullKey the keys and paths made only where they are
// read, with the same results.

import (
	"fmt"
	"log"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// v3CoalesceValues is chartutil.CoalesceValues(c, vals) of Helm 3: the
// same values (the same Go types at every level, chartutil.Values at the
// top), error text and warnings, printed with log.Printf where and as
// Helm prints them (in the order of its walk, which ranges over maps),
// with neither c nor vals changed. Helm deep-copies the user values and,
// for every chart, its default values with copystructure, by reflection;
// for trees made of the types Helm's loader and pangeo-gen give
// (plainTree) values.Copy makes the same copies much faster. Other trees
// go to Helm's function.
func v3CoalesceValues(c *chart.Chart, vals map[string]any) (chartutil.Values, error) {
	if !plainValues(c, vals) {
		return chartutil.CoalesceValues(c, vals)
	}
	dest := values.CopyMap(vals)
	if dest == nil {
		dest = map[string]any{}
	}
	return coalescer(log.Printf).coalesce(c, dest, "", false)
}

// plainValues says whether vals and the default values of c and of its
// dependencies are plain trees, which v3CoalesceValues copies itself.
func plainValues(c *chart.Chart, vals map[string]any) bool {
	return plainTree(vals) && plainCharts(c)
}

// plainCharts says whether the default values of c and of its
// dependencies, at every depth, are plain trees.
func plainCharts(c *chart.Chart) bool {
	if !plainTree(c.Values) {
		return false
	}
	for _, d := range c.Dependencies() {
		if !plainCharts(d) {
			return false
		}
	}
	return true
}

// plainTree says whether v holds nothing but maps of type map[string]any
// or chartutil.Values, slices of type []any, nil and scalars of the
// built-in types bool, string, integers and floats: the trees for which
// values.Copy makes what copystructure.Copy makes (new maps and slices of
// the same types at every level, nil maps and slices kept nil, scalars as
// they are; only a slice's spare capacity, which nothing reads, is not
// kept). A pointer, a struct or a map of another type would be copied
// differently.
func plainTree(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if !plainTree(e) {
				return false
			}
		}
		return true
	case chartutil.Values:
		return plainTree(map[string]any(v))
	case []any:
		for _, e := range v {
			if !plainTree(e) {
				return false
			}
		}
		return true
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr, float32, float64:
		return true
	}
	return false
}

// coalescer holds the functions of Helm's coalesce.go, with printf where
// Helm prints its warnings.
type coalescer func(format string, v ...any)

// concatPrefix is Helm's concatPrefix: b under the dotted path a (Helm
// formats it with fmt.Sprintf("%s.%s"), the same string made slower).
func concatPrefix(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// istable is Helm's istable: whether v is a YAML table.
func istable(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// coalesce is Helm's coalesce: the values of ch coalesced into dest, then
// those of its dependencies.
func (printf coalescer) coalesce(ch *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	printf.values(ch, dest, prefix, merge)
	return printf.deps(ch, dest, prefix, merge)
}

// deps is Helm's coalesceDeps: the dependencies of chrt coalesced into
// their tables of dest, the globals of dest copied into them first.
func (printf coalescer) deps(chrt *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	for _, subchart := range chrt.Dependencies() {
		if c, ok := dest[subchart.Name()]; !ok {
			dest[subchart.Name()] = make(map[string]any)
		} else if !istable(c) {
			return dest, fmt.Errorf("type mismatch on %s: %t", subchart.Name(), c)
		}
		if dv, ok := dest[subchart.Name()]; ok {
			dvmap := dv.(map[string]any)
			subPrefix := concatPrefix(prefix, chrt.Metadata.Name)
			printf.globals(dvmap, dest, subPrefix)
			var err error
			dest[subchart.Name()], err = printf.coalesce(subchart, dvmap, subPrefix, merge)
			if err != nil {
				return dest, err
			}
		}
	}
	return dest, nil
}

// globals is Helm's coalesceGlobals: the globals of src merged into those
// of dest.
func (printf coalescer) globals(dest, src map[string]any, prefix string) {
	var dg, sg map[string]any

	if destglob, ok := dest[chartutil.GlobalKey]; !ok {
		dg = make(map[string]any)
	} else if dg, ok = destglob.(map[string]any); !ok {
		printf("warning: skipping globals because destination %s is not a table.", chartutil.GlobalKey)
		return
	}

	if srcglob, ok := src[chartutil.GlobalKey]; !ok {
		sg = make(map[string]any)
	} else if sg, ok = srcglob.(map[string]any); !ok {
		printf("warning: skipping globals because source %s is not a table.", chartutil.GlobalKey)
		return
	}

	for key, val := range sg {
		if istable(val) {
			vv := copyMap(val.(map[string]any))
			if destv, ok := dg[key]; !ok {
				dg[key] = vv
			} else {
				if destvmap, ok := destv.(map[string]any); !ok {
					printf("Conflict: cannot merge map onto non-map for %q. Skipping.", key)
				} else {
					subPrefix := concatPrefix(prefix, key)
					printf.tables(vv, destvmap, subPrefix, true)
					dg[key] = vv
				}
			}
		} else if dv, ok := dg[key]; ok && istable(dv) {
			printf("key %s is table. Skipping", key)
		} else {
			dg[key] = val
		}
	}
	dest[chartutil.GlobalKey] = dg
}

// copyMap is Helm's copyMap: a shallow copy of src.
func copyMap(src map[string]any) map[string]any {
	m := make(map[string]any, len(src))
	for k, v := range src {
		m[k] = v
	}
	return m
}

// values is Helm's coalesceValues: a copy of the default values of c
// coalesced into v, v's values first.
func (printf coalescer) values(c *chart.Chart, v map[string]any, prefix string, merge bool) {
	subPrefix := concatPrefix(prefix, c.Metadata.Name)

	// Helm copies with copystructure.Copy, which cannot fail on a plain
	// tree (v3CoalesceValues checked that c.Values is one).
	vc := values.CopyMap(c.Values)

	for key, val := range vc {
		if value, ok := v[key]; ok {
			if value == nil && !merge {
				delete(v, key)
			} else if dest, ok := value.(map[string]any); ok {
				src, ok := val.(map[string]any)
				if !ok {
					if val != nil {
						printf("warning: skipped value for %s.%s: Not a table.", subPrefix, key)
					}
				} else {
					merge := childChartMergeTrue(c, key, merge)
					printf.tables(dest, src, concatPrefix(subPrefix, key), merge)
				}
			}
		} else {
			v[key] = val
		}
	}
}

// childChartMergeTrue is Helm's: true when key names a dependency of
// chrt, else merge.
func childChartMergeTrue(chrt *chart.Chart, key string, merge bool) bool {
	for _, subchart := range chrt.Dependencies() {
		if subchart.Name() == key {
			return true
		}
	}
	return merge
}

// tables is Helm's coalesceTablesFullKey: src merged into dst, dst's
// values first.
func (printf coalescer) tables(dst, src map[string]any, prefix string, merge bool) map[string]any {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	// Helm notes every key of src whose value is not nil, then sets to nil
	// in src every key that is nil in dst; only those keys are asked
	// about, so only they are noted here: a key nil in dst whose value in
	// src was not nil, a default the user removes.
	var removed map[string]bool
	for key, val := range dst {
		if val == nil {
			if sv := src[key]; sv != nil {
				if removed == nil {
					removed = make(map[string]bool)
				}
				removed[key] = true
			}
			src[key] = nil
		}
	}
	for key, val := range src {
		if dv, ok := dst[key]; ok && !merge && dv == nil && removed[key] {
			delete(dst, key)
		} else if !ok {
			dst[key] = val
		} else if istable(val) {
			fullkey := concatPrefix(prefix, key)
			if istable(dv) {
				printf.tables(dv.(map[string]any), val.(map[string]any), fullkey, merge)
			} else {
				printf("warning: cannot overwrite table with non table for %s (%v)", fullkey, val)
			}
		} else if istable(dv) && val != nil {
			printf("warning: destination for %s is a table. Ignoring non-table value (%v)", concatPrefix(prefix, key), val)
		}
	}
	return dst
}

// v3RenderValues is chartutil.ToRenderValuesWithSchemaValidation(c, vals,
// options, caps, true) of Helm 3 (chartutil/values.go, translated as
// above), the values coalesced by v3CoalesceValues: the render values,
// Chart, Capabilities (chartutil.DefaultCapabilities for nil), Release
// and Values; on error, without Values.
func v3RenderValues(c *chart.Chart, vals map[string]any, options chartutil.ReleaseOptions, caps *chartutil.Capabilities) (chartutil.Values, error) {
	if caps == nil {
		caps = chartutil.DefaultCapabilities
	}
	top := map[string]any{
		"Chart":        c.Metadata,
		"Capabilities": caps,
		"Release": map[string]any{
			"Name":      options.Name,
			"Namespace": options.Namespace,
			"IsUpgrade": options.IsUpgrade,
			"IsInstall": options.IsInstall,
			"Revision":  options.Revision,
			"Service":   "Helm",
		},
	}
	coalesced, err := v3CoalesceValues(c, vals)
	if err != nil {
		return top, err
	}
	top["Values"] = coalesced
	return top, nil
}
