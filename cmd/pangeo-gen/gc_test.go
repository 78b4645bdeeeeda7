package main

import (
	"io"
	"testing"
)

// TestGCPercentFor: vet and ci plan, found as the root command finds them
// (so that their paths are the ones cobra gives setGC), run at
// vetGCPercent; the other commands at gcPercent.
func TestGCPercentFor(t *testing.T) {
	root := newRoot(io.Discard, io.Discard)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"vet"}, vetGCPercent},
		{[]string{"ci", "plan"}, vetGCPercent},
		{[]string{"ci"}, gcPercent},
		{[]string{"gen"}, gcPercent},
		{[]string{"render"}, gcPercent},
	} {
		cmd, _, err := root.Find(tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := gcPercentFor(cmd.CommandPath()); got != tc.want {
			t.Errorf("%v (%s): GOGC %d, want %d", tc.args, cmd.CommandPath(), got, tc.want)
		}
	}
}
