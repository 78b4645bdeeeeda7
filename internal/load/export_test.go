package load

import (
	"bytes"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// exportOf is the JSON checkSize gives for v (nil: none) and whether it
// is the same as v.MarshalJSON(), which loadHubs calls else.
func exportOf(t *testing.T, v cue.Value) (got, want []byte, same bool) {
	t.Helper()
	limits := Limits{Nodes: DefaultNodes, Bytes: DefaultBytes, CPU: DefaultCPU, Memory: DefaultMemory}
	got, err := limits.checkSize("x", v, token.NoPos)
	if err != nil {
		t.Fatalf("checkSize: %v", err)
	}
	want, werr := v.MarshalJSON()
	if got == nil {
		return nil, want, true // loadHubs exports the hub itself
	}
	return got, want, werr == nil && bytes.Equal(got, want)
}

// TestExportIsMarshalJSON: the JSON the size walk builds is byte for byte
// what cue.Value.MarshalJSON writes, or none where the walk cannot tell
// (loadHubs calls MarshalJSON then).
func TestExportIsMarshalJSON(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		exported  bool // the walk gives the JSON
	}{
		{"scalars", `{s: "a", i: 3, f: 2.0, g: 0.1, e: 1e100, n: -0, big: 12345678901234567890, t: true, z: null}`, true},
		{"strings", `{html: "<a href=\"x\">&</a>", u: "é ☃ \u2028 \u2029", c: "\t\n\u0001", q: "\"\\"}`, true},
		{"labels", `{"a-b": 1, "<x>": 2, "é": 3, "\"": 4, "": 5}`, true},
		{"order", `{z: 1, a: 2, m: {y: 1, b: 2}}`, true},
		{"lists", `{l: [1, "a", [true, null], {k: "v"}, []], e: {}}`, true},
		{"bytes", `{b: 'abc', e: ''}`, true},
		{"definitions, hidden and optional fields are not exported", `{#d: {a: 1}, _h: 2, o?: 3, a: #d, let x = 4, y: x, [=~"^p"]: int, p: 5}`, true},
		{"defaults", `{s: *"a" | "b", n: *1 | 2, st: *{a: 1} | {b: 2}, l: *[1] | [2]}`, true},
		{"a default of another kind", `{v: *{a: 1} | "s", w: *[1] | 3}`, true},
		{"comprehensions", `{for k, v in {a: 1, b: 2} {"\(k)x": v}, if true {c: 3}}`, true},
		{"an ambiguous disjunction", `{d: {a: 1} | {b: 2}}`, false},
		{"a required field", `{r!: int, a: 1}`, false},
		{"an incomplete value", `{i: int, a: 1}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := cuecontext.New().CompileString(tc.src)
			if err := v.Err(); err != nil {
				t.Fatal(err)
			}
			got, want, same := exportOf(t, v)
			if !same {
				t.Errorf("walk JSON\n%s\nMarshalJSON\n%s", got, want)
			}
			if (got != nil) != tc.exported {
				t.Errorf("walk JSON %s, want it given: %v", got, tc.exported)
			}
		})
	}
}

// TestExportOfRepositoryHubs: for the repository's hubs, the size walk
// gives each hub's JSON, MarshalJSON's byte for byte (the hubs evaluated
// in one evaluation, which keeps the hubs: struct).
func TestExportOfRepositoryHubs(t *testing.T) {
	fed, err := loadHubs(repoRoot(t), "", 1)
	if err != nil {
		t.Fatal(errors.Details(err, nil))
	}
	it, err := fed.hubs.Fields()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		got, want, same := exportOf(t, it.Value())
		if got == nil || !same {
			t.Errorf("%s: walk JSON\n%s\nMarshalJSON\n%s", it.Selector(), got, want)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d hubs", n)
	}
}
