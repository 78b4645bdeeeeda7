package gen

import (
	"reflect"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

func TestGroupClusters(t *testing.T) {
	h := func(name, cluster string, daskMax int) *hub.Hub {
		x := &hub.Hub{Name: name}
		x.Cloud = hub.Cloud{Provider: "gcp", Cluster: cluster, Project: "pangeo-123", Location: "us-central1", KubernetesVersion: "1.33"}
		x.Cloud.NodePools.Core = hub.NodePool{MachineType: "n2-standard-2", Min: 1, Max: 3}
		x.Cloud.NodePools.Dask = hub.NodePool{MachineType: "n2-highmem-8", Max: daskMax, Spot: true}
		return x
	}
	for _, tc := range []struct {
		name      string
		hubs      []*hub.Hub
		clusters  map[string][]string
		conflicts []string
	}{
		{"one hub each", []*hub.Hub{h("b", "two", 10), h("a", "one", 10)},
			map[string][]string{"one": {"a"}, "two": {"b"}}, nil},
		{"shared, in name order", []*hub.Hub{h("c", "one", 10), h("a", "one", 10)},
			map[string][]string{"one": {"a", "c"}}, nil},
		{"pools disagree: the later hub is a conflict", []*hub.Hub{h("a", "one", 10), h("b", "one", 20)},
			map[string][]string{"one": {"a"}},
			[]string{"cluster one: hubs a and b differ at cloud.nodePools.dask.max (10, 20)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clusters, conflicts := GroupClusters(tc.hubs)
			got := map[string][]string{}
			for _, c := range clusters {
				for _, x := range c.Hubs {
					got[c.Name] = append(got[c.Name], x.Name)
				}
			}
			if !reflect.DeepEqual(got, tc.clusters) {
				t.Errorf("clusters = %v, want %v", got, tc.clusters)
			}
			var msgs []string
			for _, c := range conflicts {
				msgs = append(msgs, c.String())
			}
			if !reflect.DeepEqual(msgs, tc.conflicts) {
				t.Errorf("conflicts = %q, want %q", msgs, tc.conflicts)
			}
		})
	}
}
