package values

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Normalize returns a copy of v in the canonical form of a values tree,
// the form gen generates and compares in: maps are map[string]any, lists
// []any, and a number is int64 when it is integral and a float64 holds it
// exactly (|n| <= 2^53), otherwise float64. So the 2 of a CUE int, the 2.0
// of a CUE or JSON float and the 2 of a Go int are one value, which
// compares equal (Equal) and prints without ".0". json.Number is read as
// that number (kept as a string when it is none). Other maps with string
// keys and other slices and arrays (map[string]string, []string, ...) are
// converted by reflection, pointers and interfaces followed; anything else
// is returned as it is.
//
// Normalize is the contract of generated values. It forgets whether a
// number was written as an int or a float; Plain keeps that.
func Normalize(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = Normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Normalize(e)
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
		return normalizeUint(uint64(v))
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		return normalizeUint(v)
	case float32:
		return normalizeFloat(float64(v))
	case float64:
		return normalizeFloat(v)
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return normalizeFloat(f)
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
			out[iter.Key().String()] = Normalize(iter.Value().Interface())
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = Normalize(rv.Index(i).Interface())
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
		return Normalize(rv.Elem().Interface())
	}
	return v
}

// NormalizeMap is Normalize of a map; a nil map stays nil.
func NormalizeMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return Normalize(m).(map[string]any)
}

// maxExactInt is the largest integer a float64 holds exactly (2^53).
const maxExactInt = 1 << 53

func normalizeFloat(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) <= maxExactInt {
		return int64(f)
	}
	return f
}

func normalizeUint(u uint64) any {
	if u > math.MaxInt64 {
		return float64(u)
	}
	return int64(u)
}

// Plain returns a copy of decoded JSON or YAML data as a values tree that
// keeps each number's kind as it was written: an integer is int64 (a
// json.Number that is an integer literal, the int and uint64 of a YAML
// decoder; one beyond int64 becomes float64), any other number float64 (a
// json.Number "2.0" or "1e3" stays a float). Maps become map[string]any, a
// map[any]any (YAML with non-string keys) keyed by fmt.Sprint of its keys;
// lists []any; strings, bools, nulls and anything else stay as they are.
//
// Plain is the contract of data kept as its author wrote it: the hub model
// load decodes from CUE, and the old values import checks against the
// schema and writes back as CUE, where 2 and 2.0 are an int and a float
// (an int field refuses 2.0). Normalize makes both int64 2.
func Plain(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = Plain(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = Plain(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Plain(e)
		}
		return out
	case int:
		return int64(v)
	case uint64:
		if v > math.MaxInt64 {
			return float64(v)
		}
		return int64(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	}
	return v
}
