package values

// Merge merges layers of values the way Helm merges the files of
// `helm install/upgrade -f a.yaml -f b.yaml` (and the values render hands
// to Helm), into a new tree that shares no map or list with the layers:
// maps merge deeply, anything else of a later layer (a scalar, a list, a
// map over a non-map) replaces what the earlier ones have, and a null is
// kept like any other value, in the first layer or a later one.
//
// This is mergeMaps of helm.sh/helm/v3/pkg/cli/values (Options.MergeValues,
// helm v3.22.0), which merges the -f files before anything else. The null
// matters afterwards: chartutil.CoalesceValues, coalescing the merged
// values over the chart's values.yaml, deletes a key whose value is null
// together with the chart's default for it (coalesceValues: "When the
// YAML value is null ... we remove the value's key"). So a null in a later
// file deletes the value of the earlier files and the chart's default
// alike; Merge keeps the null so that Helm still does so. A nil layer is
// an empty one.
func Merge(layers ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, l := range layers {
		out = merge(out, l, false)
	}
	return out
}

// merge returns a copy of dst with src merged over it: maps deeply, the
// rest of src replacing. With nullDeletes (Apply) a null of src deletes
// the key, also inside a map src adds; without it (Merge, helm's
// mergeMaps) a null is a value like any other, and a map of src over a
// non-map is copied as it is.
func merge(dst, src map[string]any, nullDeletes bool) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	for k, v := range dst {
		out[k] = Copy(v)
	}
	for k, sv := range src {
		if sv == nil && nullDeletes {
			delete(out, k)
			continue
		}
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok || nullDeletes {
				out[k] = merge(dm, sm, nullDeletes)
				continue
			}
		}
		out[k] = Copy(sv)
	}
	return out
}

// Apply applies overlay over base by gen's overlay rule, into a new map
// (neither input modified, nothing shared with them): maps merge deeply,
// lists and scalars of overlay replace those of base, and a null in
// overlay deletes the key (also inside a map that overlay adds), so that
// the result is as if base had never set it. A null already in base is
// kept: in a values file it is Helm's way of deleting a chart default.
//
// This is the rule of gen's config/<env>.yaml over config/common.yaml
// (gen.ValueSet.Merged), and import's of an old hub's files: trees without
// the chart's defaults. It differs from Merge at a null of overlay: Merge
// keeps it (and Helm then deletes the chart's default with it), Apply
// drops the key (so that a chart's default there would apply again).
func Apply(base, overlay map[string]any) map[string]any {
	return merge(base, overlay, true)
}

// Overlay returns the smallest values tree o such that Apply(base, o)
// equals target (both normalised, see Normalize): keys whose values are
// Equal are left out, maps are compared key by key, lists and scalars
// whole, and a key of base that target lacks becomes null. It shares no
// map or list with target.
func Overlay(base, target map[string]any) map[string]any {
	out := map[string]any{}
	for k, tv := range target {
		bv, ok := base[k]
		if !ok {
			out[k] = Copy(tv)
			continue
		}
		bm, bIsMap := bv.(map[string]any)
		tm, tIsMap := tv.(map[string]any)
		if bIsMap && tIsMap {
			if d := Overlay(bm, tm); len(d) > 0 {
				out[k] = d
			}
			continue
		}
		if !Equal(bv, tv) {
			out[k] = Copy(tv)
		}
	}
	for k := range base {
		if _, ok := target[k]; !ok {
			out[k] = nil
		}
	}
	return out
}
