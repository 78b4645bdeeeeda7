package main

import (
	"io"
	"testing"
)

// TestGCPercentFor: vet, gen and ci plan, found as the root command finds
// them (so that their paths are the ones cobra gives setGC), run at
// federationGCPercent; the other commands at gcPercent.
func TestGCPercentFor(t *testing.T) {
	root := newRoot(io.Discard, io.Discard)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"vet"}, federationGCPercent},
		{[]string{"ci", "plan"}, federationGCPercent},
		{[]string{"gen"}, federationGCPercent},
		{[]string{"ci"}, gcPercent},
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
