package release

import (
	"context"
	"path/filepath"
	"sort"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// Pulled is one chart in the cache.
type Pulled struct {
	Ref    charts.Ref
	Digest string
	// Cached is true when the cache held the chart already (nothing was
	// downloaded).
	Cached bool
}

// ClusterChartRefs are the charts hub h's cluster pins: the
// cluster-autoscaler (cloud.autoscaler) for EKS, which render --cluster
// renders; none for GKE and AKS, whose autoscaler is the cloud's.
func ClusterChartRefs(h *hub.Hub) []charts.Ref {
	if h.Cloud.Provider != "aws" {
		return nil
	}
	return []charts.Ref{charts.PinRef(gen.AutoscalerChart, h.Cloud.Autoscaler)}
}

// pinnedRefs are the charts the selected hubs pin (charts.ChartRefs) and
// their clusters pin (ClusterChartRefs), each once, in hub order.
func pinnedRefs(fed *load.Federation, selected map[string]bool) []charts.Ref {
	type key struct{ name, version, repo string }
	seen := map[key]bool{}
	var refs []charts.Ref
	for _, h := range fed.Hubs {
		if selected != nil && !selected[h.Name] {
			continue
		}
		for _, r := range append(charts.ChartRefs(h.Chart), ClusterChartRefs(h)...) {
			k := key{r.Name, r.Version, r.Source()}
			if !seen[k] {
				seen[k] = true
				refs = append(refs, r)
			}
		}
	}
	return refs
}

// Pull gets every chart the selected hubs (all when selected is nil) and
// their clusters pin into cache, checking pinned digests, and returns them sorted by name,
// version and source. A pulled (not generated) umbrella chart is loaded
// too, so that the dependencies it does not bundle are cached as well.
// progress, when not nil, is called with each pinned chart once it is in
// the cache, in the order they are got.
func Pull(ctx context.Context, cache *charts.Cache, fed *load.Federation, selected map[string]bool, progress func(Pulled)) ([]Pulled, error) {
	var out []Pulled
	for _, ref := range pinnedRefs(fed, selected) {
		cached := cache.Has(ref)
		_, digest, err := cache.Get(ctx, ref)
		if err != nil {
			return nil, err
		}
		p := Pulled{Ref: ref, Digest: digest, Cached: cached}
		if progress != nil {
			progress(p)
		}
		out = append(out, p)
	}
	for _, h := range fed.Hubs {
		if (selected == nil || selected[h.Name]) && h.Chart.Name != hub.GeneratedChart {
			if _, err := cache.Load(ctx, "", UmbrellaRef(h)); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Ref, out[j].Ref
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Source() < b.Source()
	})
	return out, nil
}

// Vendor writes every chart the hubs and their clusters pin, and the
// dependencies the hubs' charts do not bundle, into <root>/vendor/charts
// with its lock (charts.Cache.Vendor).
func Vendor(ctx context.Context, cache *charts.Cache, fed *load.Federation, update bool) (charts.Lock, error) {
	dir := filepath.Join(fed.Root, filepath.FromSlash(VendorDir))
	return cache.Vendor(ctx, dir, pinnedRefs(fed, nil), charts.VendorOptions{Update: update})
}
