package gen

import (
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// TestRealHubsValuesValidateAgainstUpstream generates the federation's own
// hubs (hubs/*.cue through CUE) and validates config/common.yaml merged
// with each env's file against the real charts' schemas and defaults, the
// way Helm does: jupyterhub: against jupyterhub 4.4.0, dask-gateway:
// against dask-gateway 2026.3.0.
func TestRealHubsValuesValidateAgainstUpstream(t *testing.T) {
	fed, err := load.Load("..")
	if err != nil {
		t.Fatalf("load hubs/: %v", err)
	}
	for _, h := range fed.Hubs {
		out, err := GenerateHub(h)
		if err != nil {
			t.Fatalf("generate %s: %v", h.Name, err)
		}
		for _, env := range hub.EnvNames {
			t.Run(h.Name+"/"+env, func(t *testing.T) {
				ValidateAgainstUpstream(t, out.Values.Merged(env))
			})
		}
	}
}
