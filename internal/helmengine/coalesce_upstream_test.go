package helmengine_test

import (
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// coalesceInput is a chart whose dependencies were processed and the
// values to coalesce over its defaults.
type coalesceInput struct {
	name string
	c    *chart.Chart
	vals map[string]any
}

// upstreamCoalesceInputs are the coalesce inputs of every hub-env of the
// repository, its values as vet checks them (release.StubValues), on the
// generated umbrella and on the daskhub chart with the real charts, the
// dependencies processed as the install processes them. Skipped without
// ../shared.
func upstreamCoalesceInputs(t testing.TB) []coalesceInput {
	t.Helper()
	fed := releasetest.Federation(t)
	var inputs []coalesceInput
	for _, u := range []struct{ name, dir string }{
		{"pangeo-deploy", releasetest.UpstreamUmbrella(t, fed.Root)},
		{"daskhub", releasetest.UpstreamDaskhub(t)},
	} {
		ch, err := loader.Load(u.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range fed.Hubs {
			out, err := gen.GenerateHub(h)
			if err != nil {
				t.Fatal(err)
			}
			for _, env := range hub.EnvNames {
				name := u.name + "/" + h.Name + "-" + env
				vals, err := release.StubValues(out, env)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				c, vals := charts.Copy(ch), values.CopyMap(vals)
				if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(c.Dependencies()) == 0 {
					t.Fatalf("%s: no dependencies enabled", name)
				}
				inputs = append(inputs, coalesceInput{name, c, vals})
			}
		}
	}
	return inputs
}

// TestV3CoalesceValuesUpstream: the Helm 3 engine's coalescing is
// chartutil.CoalesceValues (the same values, Go types included, and
// warnings), without leaving the values to Helm, for every hub-env of the
// repository with the real charts (upstreamCoalesceInputs).
func TestV3CoalesceValuesUpstream(t *testing.T) {
	for _, in := range upstreamCoalesceInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			if !helmengine.PlainValues(in.c, in.vals) {
				t.Error("the values are not plain: the engine leaves them to Helm")
			}
			helmengine.CompareCoalesce(t, in.c, in.vals)
		})
	}
}

// BenchmarkV3CoalesceValues: Helm's chartutil.CoalesceValues and the
// engine's coalescing of every hub-env of the repository with the real
// charts (upstreamCoalesceInputs), one op coalescing them all.
func BenchmarkV3CoalesceValues(b *testing.B) {
	inputs := upstreamCoalesceInputs(b)
	for _, f := range []struct {
		name     string
		coalesce func(*chart.Chart, map[string]any) (chartutil.Values, error)
	}{
		{"helm", chartutil.CoalesceValues},
		{"engine", helmengine.V3CoalesceValues},
	} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				for _, in := range inputs {
					if _, err := f.coalesce(in.c, in.vals); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
