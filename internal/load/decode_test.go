package load

import (
	"reflect"
	"testing"

	"cuelang.org/go/cue/cuecontext"
)

// TestDecodeNumbers: the free-form trees of the hub model keep each
// number's kind as CUE has it (values.Plain): an int is int64, a float
// float64 even when whole (2.0), so that what reads the model can tell
// them apart; gen normalises them itself.
func TestDecodeNumbers(t *testing.T) {
	v := cuecontext.New().CompileString(`{
		name: "x"
		values: {whole: 2.0, int: 3, frac: 0.5, big: 12345678901234567890, list: [1, 1.0], none: null}
		environments: staging: values: {a: 1.0}
		image: workspace: {w: 4.0}
	}`)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	data, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	h, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"whole": 2.0, "int": int64(3), "frac": 0.5, "big": 12345678901234567890.0, "list": []any{int64(1), 1.0}, "none": nil}
	if !reflect.DeepEqual(h.Values, want) {
		t.Errorf("values = %#v, want %#v", h.Values, want)
	}
	if got := h.Environments["staging"].Values; !reflect.DeepEqual(got, map[string]any{"a": 1.0}) {
		t.Errorf("staging values = %#v", got)
	}
	if got := h.Image.Workspace; !reflect.DeepEqual(got, map[string]any{"w": 4.0}) {
		t.Errorf("workspace = %#v", got)
	}
}
