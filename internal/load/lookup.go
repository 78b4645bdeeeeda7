package load

import (
	"fmt"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// UnknownHubError is a hub name the federation does not have. Its message
// lists the hubs there are, so that the user sees which names work. It is
// the one "no hub named" error: every command that takes a hub name
// returns it (federation.Select for several names), wrapped with the
// caller's context where it has one ("--from: ...").
type UnknownHubError struct {
	// Name is the name asked for.
	Name string
	// Hubs are the federation's hub names, sorted.
	Hubs []string
}

// Error is `no hub named "NAME" (hubs: a, b, c)`.
func (e *UnknownHubError) Error() string {
	return fmt.Sprintf("no hub named %q (hubs: %s)", e.Name, strings.Join(e.Hubs, ", "))
}

// Lookup returns the hub called name, or an *UnknownHubError. The error
// of a federation LoadHub loaded lists every hub the hubs/ files declare.
func (f *Federation) Lookup(name string) (*hub.Hub, error) {
	if h := f.Hub(name); h != nil {
		return h, nil
	}
	if !f.Complete() {
		return nil, &UnknownHubError{Name: name, Hubs: f.declared}
	}
	return nil, &UnknownHubError{Name: name, Hubs: f.Names()}
}
