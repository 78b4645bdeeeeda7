// Package values holds the helpers of Helm values trees: the
// map[string]any, []any and scalar trees that chart values, values files
// and raw hub values decode into. It is the one place that copies such a
// tree, reads and writes it by path, brings its numbers into one form and
// merges trees, so that gen, render, the Helm engine, deploy, vet, load
// and scaffold all follow the same rules.
//
// Two merges exist because two rules exist:
//
//   - Merge is Helm's merge of -f files (and of the layers render passes
//     to Helm): maps merge deeply, anything else of a later layer replaces,
//     and a null is kept, so that Helm's coalescing with the chart's
//     defaults then deletes the key together with its chart default.
//   - Apply is gen's overlay rule, under which a config/<env>.yaml is
//     the smallest overlay of config/common.yaml (Overlay computes it): a
//     null in the overlay deletes the key, leaving the tree as if it had
//     never been set.
//
// Two number forms exist too: Normalize is the canonical form for
// generating and comparing (every integral number int64), Plain keeps the
// kind a number was written with (2.0 stays a float), for data that is
// written back as source or kept as the author gave it.
package values

import (
	"reflect"
)

// Copy returns a deep copy of the maps and lists of a values tree;
// scalars are shared. Maps and slices whose elements are interfaces keep
// their type (map[string]any, []any, map[any]any, named types such as
// Helm's chartutil.Values); a nil map or slice stays nil. Other values are
// returned as they are.
func Copy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return CopyMap(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Copy(e)
		}
		return out
	case nil, string, bool, int, int64, float64:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.IsNil() || rv.Type().Elem().Kind() != reflect.Interface {
			return v
		}
		out := reflect.MakeMapWithSize(rv.Type(), rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), copyElem(iter.Value(), rv.Type().Elem()))
		}
		return out.Interface()
	case reflect.Slice:
		if rv.IsNil() || rv.Type().Elem().Kind() != reflect.Interface {
			return v
		}
		out := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
		for i := range rv.Len() {
			out.Index(i).Set(copyElem(rv.Index(i), rv.Type().Elem()))
		}
		return out.Interface()
	}
	return v
}

// copyElem is Copy of an interface element e, as a value of type t.
func copyElem(e reflect.Value, t reflect.Type) reflect.Value {
	if e.IsNil() {
		return reflect.Zero(t)
	}
	return reflect.ValueOf(Copy(e.Interface()))
}

// CopyMap is Copy of a map[string]any; nil stays nil.
func CopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = Copy(v)
	}
	return out
}

// Equal reports whether two normalised values trees are equal (see
// Normalize: the 2 of a CUE int and the 2.0 of a JSON float are equal once
// normalised, not before).
func Equal(a, b any) bool { return reflect.DeepEqual(a, b) }
