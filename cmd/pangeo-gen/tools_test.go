package main

import (
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/tooltest"
)

// toolCondition is the scripts' [sops] condition: sops, the tools module's
// tool dependency, can be built (go tool -modfile=tools/go.mod -n sops).
// Under CI (CI=true) a sops that cannot be built fails the script instead
// of making it skip.
func toolCondition(cond string) (bool, error) {
	switch cond {
	case "sops":
		_, err := tooltest.SopsPath()
		if err != nil && tooltest.CI() {
			return false, fmt.Errorf("sops, the tools module's tool dependency, is unavailable (CI=true: a script may not skip for it): %w", err)
		}
		return err == nil, nil
	case "reference":
		// The hand-kept monorepo of ../shared/reference (the import tests).
		p, ok := shareddata.Locate("reference/pangeo-cloud-federation")
		if !ok && tooltest.CI() {
			return false, fmt.Errorf("CI=true: a script may not skip for it: %s", shareddata.Message(p))
		}
		return ok, nil
	case "upstream":
		// The real jupyterhub, dask-gateway and cluster-autoscaler charts
		// of ../shared/upstream/charts (testchart, testvendor,
		// upstreamchart).
		for _, name := range []string{releasetest.JupyterHub, releasetest.DaskGateway, releasetest.ClusterAutoscaler} {
			p, ok := shareddata.Locate(releasetest.UpstreamDir(name))
			if !ok && tooltest.CI() {
				return false, fmt.Errorf("CI=true: a script may not skip for it: %s", shareddata.Message(p))
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// useSops puts sops (the tools module's tool dependency) first on the script's
// PATH, as a user installs it: usesops.
func useSops(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: usesops")
	}
	bin := ts.MkAbs(".bin")
	ts.Check(tooltest.LinkSops(bin))
	ts.Setenv("PATH", bin+string(os.PathListSeparator)+ts.Getenv("PATH"))
}

// ageKey makes an age key pair and sets the environment variable IDENTITY
// to the identity (AGE-SECRET-KEY-1..., for SOPS_AGE_KEY) and RECIPIENT to
// its recipient (age1..., for sops --encrypt --age): agekey IDENTITY RECIPIENT.
func ageKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: agekey IDENTITY RECIPIENT")
	}
	id, rcpt, err := tooltest.AgeIdentity()
	ts.Check(err)
	ts.Setenv(args[0], id)
	ts.Setenv(args[1], rcpt)
}
