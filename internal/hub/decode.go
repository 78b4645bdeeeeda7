package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// FieldError is a field of a hub's JSON that the model cannot hold: one it
// has no Go field for, or a value its Go field's type cannot take.
type FieldError struct {
	// Path is the field's path below the hub, as CUE names it:
	// "cloud", "nodePools", "core", "cpu"; "[2]" is a list index.
	Path []string
	// Msg says what is wrong, without the path.
	Msg string
}

func (e *FieldError) Error() string {
	return JoinPath(e.Path) + ": " + e.Msg
}

// JoinPath writes path elements as a CUE path: cloud.nodePools.core,
// profiles[2].cpu; a label that is not an identifier is quoted.
func JoinPath(elems []string) string {
	var b strings.Builder
	for i, e := range elems {
		switch {
		case strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]"):
			b.WriteString(e)
			continue
		case i > 0:
			b.WriteByte('.')
		}
		if isIdent(e) {
			b.WriteString(e)
		} else {
			b.WriteString(strconv.Quote(e))
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r == '$' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// Decode decodes one hub, as CUE exports it to JSON, into the model,
// strictly: every field must have a home in the Go types, so a field the
// schema gained without the model following (internal/hub not
// regenerated, or a hand-written union type without the field) is a
// *FieldError naming it, never silently dropped. Numbers in free-form trees
// (raw values, workspace) decode as json.Number.
func Decode(data []byte) (*Hub, error) {
	var tree any
	if err := decodeStrict(data, &tree); err != nil {
		return nil, fmt.Errorf("decode hub: %w", err)
	}
	if err := check(tree, reflect.TypeFor[Hub](), nil); err != nil {
		return nil, err
	}
	h := new(Hub)
	if err := decodeStrict(data, h); err != nil {
		// check accepts only what decodes, so this is a bug in check.
		return nil, fmt.Errorf("decode hub: %w", err)
	}
	return h, nil
}

// decodeStrict decodes one JSON value into v, refusing fields v has no
// home for; numbers in any-typed trees stay json.Number.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// union is implemented by the model's hand-written types of a CUE
// disjunction whose variants do not share one shape (Dask): the value the
// fields of obj decode into, chosen by its discriminator.
type union interface {
	variant(obj map[string]any) (any, error)
}

// keyed is implemented by a map type whose keys are fixed (Environments).
type keyed interface {
	keys() []string
}

var (
	unionType = reflect.TypeFor[union]()
	keyedType = reflect.TypeFor[keyed]()
)

// check walks a decoded JSON tree beside the Go type it is decoded into
// and returns the first field, in sorted order, the type has no home for
// or whose value it cannot hold.
func check(x any, t reflect.Type, path []string) error {
	fail := func(format string, args ...any) error {
		return &FieldError{Path: slices.Clone(path), Msg: fmt.Sprintf(format, args...)}
	}
	if reflect.PointerTo(t).Implements(unionType) {
		obj, ok := x.(map[string]any)
		if !ok {
			return fail("is %s, but the Go hub model holds a struct here", jsonKind(x))
		}
		v, err := reflect.New(t).Interface().(union).variant(obj)
		if err != nil {
			return fail("%v", err)
		}
		return check(x, reflect.TypeOf(v).Elem(), path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		if x == nil {
			return nil
		}
		return check(x, t.Elem(), path)
	case reflect.Interface:
		return nil
	case reflect.Struct:
		obj, ok := x.(map[string]any)
		if !ok {
			return fail("is %s, but the Go hub model holds a struct here", jsonKind(x))
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			f, ok := fields[k]
			if !ok {
				return &FieldError{Path: append(slices.Clone(path), k), Msg: fmt.Sprintf(
					"the schema has this field but the Go hub model does not (no field of hub.%s is %s), so gen would ignore it: run go generate ./internal/hub, or add the field to hub.%s in internal/hub/hub.go if that type is hand-written", t.Name(), k, t.Name())}
			}
			if err := check(obj[k], f, append(path, k)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		obj, ok := x.(map[string]any)
		if !ok {
			return fail("is %s, but the Go hub model holds a map here", jsonKind(x))
		}
		var allowed []string
		if t.Implements(keyedType) {
			allowed = reflect.Zero(t).Interface().(keyed).keys()
		}
		for _, k := range sortedKeys(obj) {
			if allowed != nil && !slices.Contains(allowed, k) {
				return &FieldError{Path: append(slices.Clone(path), k), Msg: fmt.Sprintf(
					"the schema has this field but the Go hub model does not (hub.%s holds %s only), so gen would ignore it", t.Name(), strings.Join(allowed, ", "))}
			}
			if err := check(obj[k], t.Elem(), append(path, k)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		list, ok := x.([]any)
		if !ok {
			return fail("is %s, but the Go hub model holds a list here", jsonKind(x))
		}
		for i, e := range list {
			if err := check(e, t.Elem(), append(path, "["+strconv.Itoa(i)+"]")); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if _, ok := x.(string); !ok {
			return fail("is %s, but the Go hub model holds a string here", jsonKind(x))
		}
		return nil
	case reflect.Bool:
		if _, ok := x.(bool); !ok {
			return fail("is %s, but the Go hub model holds a bool here", jsonKind(x))
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := x.(json.Number)
		if !ok {
			return fail("is %s, but the Go hub model holds a whole number here", jsonKind(x))
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || reflect.Zero(t).OverflowInt(i) {
			return fail("is %s, which the Go hub model's %s cannot hold (a whole number from %d to %d)", n, t, minInt(t), maxInt(t))
		}
		return nil
	case reflect.Float32, reflect.Float64:
		n, ok := x.(json.Number)
		if !ok {
			return fail("is %s, but the Go hub model holds a number here", jsonKind(x))
		}
		if f, err := strconv.ParseFloat(n.String(), t.Bits()); err != nil {
			return fail("is %s, which the Go hub model's %s cannot hold (%v)", n, t, errors.Unwrap(err))
		} else if reflect.Zero(t).OverflowFloat(f) {
			return fail("is %s, which the Go hub model's %s cannot hold", n, t)
		}
		return nil
	}
	return fail("has no JSON form in the Go hub model (%s)", t)
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonKind names the kind of a decoded JSON value for a message.
func jsonKind(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "a bool"
	case string:
		return "a string"
	case json.Number:
		return "the number " + x.String()
	case []any:
		return "a list"
	case map[string]any:
		return "a struct"
	}
	return fmt.Sprintf("%T", x)
}

func minInt(t reflect.Type) int64 { return -1 << (t.Bits() - 1) }
func maxInt(t reflect.Type) int64 { return 1<<(t.Bits()-1) - 1 }
