package hubfile

import (
	"testing"
	"time"

	"cuelang.org/go/cue/format"
)

// TestExprYAMLTypes: every type a YAML decoder gives becomes CUE, as Helm
// would read it (an unquoted timestamp is a string to Helm).
func TestExprYAMLTypes(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC), `"2019-08-26T00:00:00Z"`},
		{uint64(18446744073709551615), `"18446744073709551615"`},
		{int64(3), `3`},
		{"a", `"a"`},
		{nil, `null`},
	} {
		got, err := format.Node(expr(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("expr(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
