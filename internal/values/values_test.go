package values

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// tree decodes JSON into a values tree (numbers float64, as encoding/json
// gives them).
func tree(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// norm is tree, normalised.
func norm(t *testing.T, s string) map[string]any {
	t.Helper()
	return NormalizeMap(tree(t, s))
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

type named map[string]any

func TestCopy(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{"nil", nil},
		{"scalar", "s"},
		{"map", map[string]any{"a": map[string]any{"b": []any{1, map[string]any{"c": true}}}, "d": nil}},
		{"list", []any{[]any{1}, map[string]any{"a": 2}}},
		{"nil map", map[string]any(nil)},
		{"nil list", []any(nil)},
		{"any-keyed map", map[any]any{1: []any{"x"}, "k": map[string]any{"a": 1}}},
		{"named map", named{"a": named{"b": []any{1}}}},
		{"map inside named", map[string]any{"n": named{"b": map[string]any{"c": 1}}}},
		{"string map shared", map[string]string{"a": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Copy(tt.in)
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("Copy(%#v) = %#v", tt.in, got)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(tt.in) {
				t.Errorf("Copy changed the type %T to %T", tt.in, got)
			}
			// Mutating every map and list of the copy leaves the input as it was.
			before := Copy(tt.in)
			mutate(got)
			if !reflect.DeepEqual(tt.in, before) {
				t.Errorf("the copy shares a map or list with the input: %#v", tt.in)
			}
		})
	}
}

// mutate changes every map and list of Copy's kinds in v in place.
func mutate(v any) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.IsNil() || rv.Type().Elem().Kind() != reflect.Interface {
			return
		}
		for _, k := range rv.MapKeys() {
			e := rv.MapIndex(k)
			if !e.IsNil() {
				mutate(e.Elem().Interface())
			}
			rv.SetMapIndex(k, reflect.ValueOf("mutated"))
		}
	case reflect.Slice:
		if rv.Type().Elem().Kind() != reflect.Interface {
			return
		}
		for i := range rv.Len() {
			if e := rv.Index(i); !e.IsNil() {
				mutate(e.Elem().Interface())
			}
			rv.Index(i).Set(reflect.ValueOf("mutated"))
		}
	}
}

func TestCopyMap(t *testing.T) {
	if got := CopyMap(nil); got != nil {
		t.Errorf("CopyMap(nil) = %#v, want nil", got)
	}
	in := map[string]any{"a": []any{1}}
	got := CopyMap(in)
	got["a"].([]any)[0] = 2
	if in["a"].([]any)[0] != 1 {
		t.Error("CopyMap shares a list with its input")
	}
}

func TestGet(t *testing.T) {
	v := map[string]any{
		"a": map[string]any{"b": map[string]any{"c": 1}, "n": nil, "l": []any{1}},
		"s": "x",
	}
	tests := []struct {
		name   string
		path   []string
		want   any
		wantOK bool
	}{
		{"leaf", []string{"a", "b", "c"}, 1, true},
		{"map", []string{"a", "b"}, map[string]any{"c": 1}, true},
		{"null is there", []string{"a", "n"}, nil, true},
		{"missing key", []string{"a", "x"}, nil, false},
		{"missing on the way", []string{"x", "b"}, nil, false},
		{"through a scalar", []string{"s", "b"}, nil, false},
		{"through a list", []string{"a", "l", "0"}, nil, false},
		{"through a null", []string{"a", "n", "b"}, nil, false},
		{"empty path", nil, v, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Get(v, tt.path...)
			if !reflect.DeepEqual(got, tt.want) || ok != tt.wantOK {
				t.Errorf("Get(%v) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.wantOK)
			}
			if got := Lookup(v, tt.path...); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup(%v) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	if got, ok := Get(nil, "a"); got != nil || ok {
		t.Errorf("Get(nil, a) = %v, %v", got, ok)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name string
		in   string
		path []string
		v    any
		want string
	}{
		{"new leaf", `{}`, []string{"a", "b"}, "x", `{"a":{"b":"x"}}`},
		{"into a map", `{"a":{"c":1}}`, []string{"a", "b"}, "x", `{"a":{"b":"x","c":1}}`},
		{"replaces a leaf", `{"a":{"b":1}}`, []string{"a", "b"}, "x", `{"a":{"b":"x"}}`},
		{"replaces a map", `{"a":{"b":{"c":1}}}`, []string{"a", "b"}, "x", `{"a":{"b":"x"}}`},
		{"scalar on the way becomes a map", `{"a":1}`, []string{"a", "b"}, "x", `{"a":{"b":"x"}}`},
		{"null on the way becomes a map", `{"a":null}`, []string{"a", "b"}, "x", `{"a":{"b":"x"}}`},
		{"sets null", `{"a":1}`, []string{"a"}, nil, `{"a":null}`},
		{"empty path", `{"a":1}`, nil, "x", `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tree(t, tt.in)
			Set(m, tt.path, tt.v)
			if want := tree(t, tt.want); !reflect.DeepEqual(m, want) {
				t.Errorf("Set(%s, %v, %v) = %s, want %s", tt.in, tt.path, tt.v, show(m), tt.want)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		path   []string
		want   string
		wantOK bool
	}{
		{"leaf", `{"a":{"b":1,"c":2}}`, []string{"a", "b"}, `{"a":{"c":2}}`, true},
		{"leaves the empty map", `{"a":{"b":1}}`, []string{"a", "b"}, `{"a":{}}`, true},
		{"a null", `{"a":null}`, []string{"a"}, `{}`, true},
		{"missing", `{"a":{}}`, []string{"a", "b"}, `{"a":{}}`, false},
		{"through a scalar", `{"a":1}`, []string{"a", "b"}, `{"a":1}`, false},
		{"missing on the way", `{}`, []string{"a", "b"}, `{}`, false},
		{"empty path", `{"a":1}`, nil, `{"a":1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tree(t, tt.in)
			ok := Delete(m, tt.path)
			if want := tree(t, tt.want); !reflect.DeepEqual(m, want) || ok != tt.wantOK {
				t.Errorf("Delete(%s, %v) = %s, %v; want %s, %v", tt.in, tt.path, show(m), ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	type str string
	s := "p"
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"int", 2, int64(2)},
		{"int8", int8(-2), int64(-2)},
		{"uint8", uint8(7), int64(7)},
		{"uint64", uint64(7), int64(7)},
		{"uint64 beyond int64", uint64(math.MaxUint64), float64(math.MaxUint64)},
		{"integral float", 2.0, int64(2)},
		{"float32", float32(2.5), 2.5},
		{"fraction", 2.5, 2.5},
		{"2^53", float64(1 << 53), int64(1 << 53)},
		{"beyond 2^53", float64(1 << 54), float64(1 << 54)},
		{"json int", json.Number("3"), int64(3)},
		{"json float", json.Number("3.0"), int64(3)},
		{"json exponent", json.Number("1e3"), int64(1000)},
		{"json fraction", json.Number("0.5"), 0.5},
		{"nil", nil, nil},
		{"string", "s", "s"},
		{"named string", str("x"), "x"},
		{"pointer", &s, "p"},
		{"nil pointer", (*string)(nil), nil},
		{"string list", []string{"a"}, []any{"a"}},
		{"array", [2]int{1, 2}, []any{int64(1), int64(2)}},
		{"string map", map[string]string{"k": "v"}, map[string]any{"k": "v"}},
		{"nested", map[string]any{"l": []any{float64(1), int64(1)}, "m": map[string]int{"a": 1}}, map[string]any{"l": []any{int64(1), int64(1)}, "m": map[string]any{"a": int64(1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	if NormalizeMap(nil) != nil {
		t.Error("NormalizeMap(nil) is not nil")
	}
	in := map[string]any{"a": []any{1}}
	NormalizeMap(in)["a"].([]any)[0] = "x"
	if in["a"].([]any)[0] != 1 {
		t.Error("Normalize modified its input")
	}
}

// TestPlain: Plain keeps the kind a number was written with, where
// Normalize makes every integral number an int64.
func TestPlain(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"json int", json.Number("3"), int64(3)},
		{"json float stays a float", json.Number("3.0"), 3.0},
		{"json exponent stays a float", json.Number("1e3"), 1000.0},
		{"json int beyond int64", json.Number("18446744073709551616"), 18446744073709551616.0},
		{"yaml int", 2, int64(2)},
		{"yaml float stays a float", 2.0, 2.0},
		{"yaml uint64", uint64(7), int64(7)},
		{"yaml uint64 beyond int64", uint64(math.MaxUint64), float64(math.MaxUint64)},
		{"any-keyed map", map[any]any{1: "a", true: map[any]any{"k": 2}}, map[string]any{"1": "a", "true": map[string]any{"k": int64(2)}}},
		{"nested", map[string]any{"l": []any{json.Number("1"), nil, "s", true}}, map[string]any{"l": []any{int64(1), nil, "s", true}}},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plain(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Plain(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	in := map[string]any{"a": []any{json.Number("1")}}
	Plain(in)
	if in["a"].([]any)[0] != json.Number("1") {
		t.Error("Plain modified its input")
	}
}
