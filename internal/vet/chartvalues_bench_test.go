package vet

import (
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
)

// BenchmarkChartValues is the per-hub work of vet's chart-values and
// placement checks with the real charts: checkCharts of every hub of the
// repository (both envs each), as chartValues runs it on one goroutine
// per hub. Run with -cpu 1 to read ns/op as CPU time.
func BenchmarkChartValues(b *testing.B) {
	fed, ch := upstreamFederation(b)
	var outs []*gen.Output
	for _, h := range fed.Hubs {
		out, err := gen.GenerateHub(h)
		if err != nil {
			b.Fatal(err)
		}
		outs = append(outs, out)
	}
	engine := helmengine.NewV3()
	w := workloads(ch)
	for b.Loop() {
		for _, out := range outs {
			j := &hubJob{out: out, workloads: w, engine: engine}
			_, pods, notes := checkCharts(out, j.check)
			if len(notes) > 0 || len(pods) == 0 {
				b.Fatalf("%s: %d envs with pods, notes %v", out.Hub.Name, len(pods), notes)
			}
		}
	}
}
