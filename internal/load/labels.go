package load

import (
	"maps"
	"slices"
)

// Labels are the names of the hubs the hubs/ files declare (hubs: <name>:
// at top level), sorted, whether or not they unify and validate: what a
// federation that Load refuses still names (shell completion offers them).
// Names lists only the hubs that loaded.
func (f *Federation) Labels() []string {
	return slices.Sorted(maps.Keys(f.labels))
}
