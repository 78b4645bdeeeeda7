package finding

import (
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/token"
)

func TestAt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		elems []string
		want  string
	}{
		{"hub", nil, "hubs.alpha"},
		{"field", []string{"environments", "prod", "domain"}, "hubs.alpha.environments.prod.domain"},
		{"list index", []string{"image", "conda", "dependencies", "[1]"}, "hubs.alpha.image.conda.dependencies[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := At("values", "alpha", tc.elems, token.NoPos, "%s is %d", "x", 1)
			if got := strings.Join(f.Path(), "."); got != tc.want {
				t.Errorf("path %s, want %s", got, tc.want)
			}
			if f.Message != "x is 1" || f.Check != "values" || f.Hub != "alpha" {
				t.Errorf("got %+v", f)
			}
		})
	}
}

func TestFilterAndSort(t *testing.T) {
	fs := []*Finding{
		{Check: "c", Hub: "bravo", Message: "b"},
		{Check: "c", Hub: "", Message: "federation"},
		{Check: "c", Hub: "alpha", Message: "a2"},
		{Check: "c", Hub: "alpha", Message: "a1"},
	}
	got := Filter(fs, map[string]bool{"alpha": true})
	Sort(got)
	var msgs []string
	for _, f := range got {
		msgs = append(msgs, f.Message)
	}
	if want := []string{"a1", "a2", "federation"}; !slices.Equal(msgs, want) {
		t.Errorf("got %v, want %v", msgs, want)
	}
}
