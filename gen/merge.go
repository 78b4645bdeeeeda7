package gen

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
)

// Helm values are trees of map[string]any, []any and scalars. The functions
// here merge and compare such trees the way Helm does.

// Coalesce merges src over dst Helm-style into a new map (neither input
// modified): maps merge deeply, lists and scalars of src replace those of
// dst, and a null in src deletes the key. A null already in dst is kept: in a
// values file it is Helm's way of deleting a chart default.
func Coalesce(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	for k, v := range dst {
		out[k] = valCopy(v)
	}
	for k, sv := range src {
		if sv == nil {
			delete(out, k)
			continue
		}
		if sm, ok := valAsMap(sv); ok {
			dm, _ := out[k].(map[string]any)
			out[k] = Coalesce(dm, sm)
			continue
		}
		out[k] = valCopy(sv)
	}
	return out
}

// valOverlay returns the smallest values tree o such that Coalesce(base, o)
// deep-equals target: keys whose values are equal are left out, maps are
// compared key by key, lists and scalars whole, and a key of base that target
// lacks becomes null.
func valOverlay(base, target map[string]any) map[string]any {
	out := map[string]any{}
	for k, tv := range target {
		bv, ok := base[k]
		if !ok {
			out[k] = valCopy(tv)
			continue
		}
		bm, bIsMap := bv.(map[string]any)
		tm, tIsMap := tv.(map[string]any)
		if bIsMap && tIsMap {
			if d := valOverlay(bm, tm); len(d) > 0 {
				out[k] = d
			}
			continue
		}
		if !valEqual(bv, tv) {
			out[k] = valCopy(tv)
		}
	}
	for k := range base {
		if _, ok := target[k]; !ok {
			out[k] = nil
		}
	}
	return out
}

// valEqual compares two normalised values trees.
func valEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

// valAsMap returns v as a map[string]any if it is one (also a nil one).
func valAsMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// valCopy copies the maps and lists of a values tree; scalars are shared.
func valCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = valCopy(e)
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = valCopy(e)
		}
		return out
	}
	return v
}

// valNormalize returns a copy of v in the canonical form of a values tree:
// maps are map[string]any, lists []any, numbers int64 when integral (so that
// the 2 of a CUE int and the 2.0 of a JSON float compare equal and print
// without ".0"), otherwise float64. Other maps and slices (map[string]string,
// []string, ...) are converted by reflection.
func valNormalize(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = valNormalize(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = valNormalize(e)
		}
		return out
	case string, bool:
		return v
	case int:
		return int64(v)
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case uint:
		return valNormalizeUint(uint64(v))
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		return valNormalizeUint(v)
	case float32:
		return valNormalizeFloat(float64(v))
	case float64:
		return valNormalizeFloat(v)
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return valNormalizeFloat(f)
		}
		return string(v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = valNormalize(iter.Value().Interface())
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = valNormalize(rv.Index(i).Interface())
		}
		return out
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return valNormalize(rv.Elem().Interface())
	}
	return v
}

// valMaxExactInt is the largest integer a float64 holds exactly (2^53).
const valMaxExactInt = 1 << 53

func valNormalizeFloat(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) <= valMaxExactInt {
		return int64(f)
	}
	return f
}

func valNormalizeUint(u uint64) any {
	if u > math.MaxInt64 {
		return float64(u)
	}
	return int64(u)
}

// valNormalizeMap is valNormalize for a map; a nil map stays nil.
func valNormalizeMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return valNormalize(m).(map[string]any)
}

// valSortedKeys returns the keys of m in order.
func valSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
