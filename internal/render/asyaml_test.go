package render

import (
	"bytes"
	"cmp"
	"fmt"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// TestAsYAMLIsKrusty: asYAML writes what krusty's Resource.AsYAML writes
// (the RNode's JSON through sigs.k8s.io/yaml's JSONToYAML), scalars of
// every kind included.
func TestAsYAMLIsKrusty(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"strings", `{kind: A, s: [plain, "123", "true", "null", "~", "", " lead", "trail ", "a: b", "#c", "<&>", "é ü 日本", "multi\nline\n", "0x1F", "1e3", "yes", "on", "2001-12-14"]}`},
		{"integers", `{kind: A, i: [0, -1, 42, 0x1F, 0o17, 9223372036854775807, -9223372036854775808, 18446744073709551615, 1_000]}`},
		{"floats", `{kind: A, f: [1.0, 1.5, -0.0, 0.1, 1e21, 1e20, 1e-7, 123456789.125, 3.0e2, .5, 1.7976931348623157e308]}`},
		{"other scalars", `{kind: A, b: [true, false, True], n: [null, ~, ], t: 2001-12-14T21:59:43.10-05:00, d: 2001-12-14}`},
		{"tagged", "kind: A\nbin: !!binary aGVsbG8=\nstr: !!str 123\nint: !!int \"7\"\nfloat: !!float 2\n"},
		{"collections", `{kind: A, e: {}, l: [], nested: [[1, [2]], {b: {c: [x]}}], "10": a, "9": b, a10: c, a9: d, "": empty}`},
		{"anchors and merges", "kind: A\nbase: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nref: *b\n"},
		{"long", "kind: A\ns: " + string(bytes.Repeat([]byte("word "), 40)) + "\n"},
		{"tags of their own", "kind: A\nm: !m {a: 1}\ns: !s [1]\nx: ! 12\ny: ! '12'\nq: !!str true\nn: !!null ~\n"},
		{"keys", "kind: A\n'<<': quoted\n\"1\": one\n? |\n  block\n: v\n"},
		{"key not a string", "kind: A\n1: a\ntrue: b\n"},
		{"untagged", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := kyaml.Parse(cmp.Or(tc.doc, "kind: A\n"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.doc == "" {
				// Nodes made in code, not parsed: no tag, any style.
				for i, v := range []string{"123", "true", "abc", "~", "", "1.5", "2001-12-14"} {
					for j, style := range []kyaml.Style{0, kyaml.DoubleQuotedStyle, kyaml.LiteralStyle} {
						n.YNode().Content = append(n.YNode().Content,
							&kyaml.Node{Kind: kyaml.ScalarNode, Value: fmt.Sprintf("k%d-%d", i, j), Style: style},
							&kyaml.Node{Kind: kyaml.ScalarNode, Value: v, Style: style})
					}
				}
			}
			j, err := n.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			want, err := yaml.JSONToYAML(j)
			if err != nil {
				t.Fatal(err)
			}
			got, err := asYAML(n)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("asYAML:\n%s\nkrusty:\n%s", got, want)
			}
		})
	}
}
