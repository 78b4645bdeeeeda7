package gen

import (
	"reflect"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// TestClusterFilesWith: the definition of every cluster of the repository's
// hubs (one hub each, GCP, AWS and Azure) and of a cluster of two hubs,
// through ClusterFilesWith, is ClusterFiles' own; a one-hub cluster's
// comes from the hub's output (which GenerateHub filled), the two-hub
// cluster's, or a cluster whose cloud section is not the hub's, is
// generated.
func TestClusterFilesWith(t *testing.T) {
	fed, err := load.Load("..")
	if err != nil {
		t.Fatalf("load hubs/: %v", err)
	}
	var outs []*Output
	for _, h := range fed.Hubs {
		out, err := GenerateHub(h)
		if err != nil {
			t.Fatalf("generate %s: %v", h.Name, err)
		}
		if out.cluster == nil {
			t.Errorf("%s: GenerateHub kept no cluster definition", h.Name)
		}
		outs = append(outs, out)
	}
	byHub := OutputsByHub(outs)
	clusters, _ := GroupClusters(fed.Hubs)
	first := fed.Hubs[0]
	other := *first
	other.Name = first.Name + "-two"
	pair := Cluster{Name: first.Cloud.Cluster, Cloud: first.Cloud, Hubs: []*hub.Hub{first, &other}}
	changed := Cluster{Name: first.Cloud.Cluster, Cloud: first.Cloud, Hubs: []*hub.Hub{first}}
	changed.Cloud.NodePools.Dask.Max++
	tests := []struct {
		name   string
		c      Cluster
		cached bool
	}{
		{"two hubs", pair, false},
		{"another cloud section", changed, false},
	}
	for _, c := range clusters {
		tests = append(tests, struct {
			name   string
			c      Cluster
			cached bool
		}{c.Name, c, len(c.Hubs) == 1})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, werr := ClusterFiles(tc.c)
			got, gerr := ClusterFilesWith(tc.c, byHub)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("ClusterFilesWith = %d files, %v; ClusterFiles = %d files, %v", len(got), gerr, len(want), werr)
			}
			o := byHub[tc.c.Hubs[0]]
			if cached := len(got) > 0 && &got[0].Data[0] == &o.cluster[0].Data[0]; cached != tc.cached {
				t.Errorf("taken from the output: %v, want %v", cached, tc.cached)
			}
		})
	}
}
