package gen

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// Clusters is the folder, relative to the repository root, that holds one
// folder per Kubernetes cluster of the federation.
const Clusters = "clusters"

// ClusterDir is the folder of a cluster's generated definition.
func ClusterDir(name string) string { return path.Join(Clusters, name) }

// Cluster is one Kubernetes cluster of the federation: the cloud settings
// (provider, account or project, location, node pools, Kubernetes version)
// that every hub on it states alike, and those hubs.
type Cluster struct {
	// Name is the cluster's name (cloud.cluster of its hubs).
	Name string
	// Cloud is the hubs' cloud section; all of them agree on it.
	Cloud hub.Cloud
	// Hubs are the hubs deployed on the cluster, by name.
	Hubs []*hub.Hub
}

// Sources are the hub files the cluster's definition is generated from.
func (c Cluster) Sources() Sources {
	var s Sources
	for _, h := range c.Hubs {
		s = append(s, h.Source())
	}
	return s
}

// Placement is the labels and taints of one of the cluster's pools ("core",
// "user" or "dask"), the same for every hub on it (see Placement).
func (c Cluster) Placement(pool string) PoolPlacement { return Placement(c.Hubs[0], pool) }

// PoolNames are the node pools of a cluster, in the order generated
// definitions list them.
var PoolNames = []string{"core", "user", "dask"}

// Pool is the cluster's node pool of that name ("core", "user" or
// "dask").
func (c Cluster) Pool(name string) (hub.NodePool, bool) {
	switch name {
	case "core":
		return c.Cloud.NodePools.Core, true
	case "user":
		return c.Cloud.NodePools.User, true
	case "dask":
		return c.Cloud.NodePools.Dask, true
	}
	return hub.NodePool{}, false
}

// ClusterFiles returns the files of a cluster's definition under
// ClusterDir(c.Name), by provider: an eksctl ClusterConfig for EKS
// (eksClusterFiles), Terraform for GKE (gkeClusterFiles) and AKS
// (aksClusterFiles).
func ClusterFiles(c Cluster) ([]File, error) {
	switch c.Cloud.Provider {
	case "aws":
		return eksClusterFiles(c)
	case "gcp":
		return gkeClusterFiles(c)
	case "azure":
		return aksClusterFiles(c)
	}
	return nil, fmt.Errorf("cluster %s: unknown cloud provider %q", c.Name, c.Cloud.Provider)
}

// clusterFor is the cluster of one hub alone, as its README describes it.
func clusterFor(h *hub.Hub) Cluster {
	return Cluster{Name: h.Cloud.Cluster, Cloud: h.Cloud, Hubs: []*hub.Hub{h}}
}

// checkPoolSize is the rule every generated cluster definition keeps: the
// core pool has at least one node (always on, the idle floor), the others
// may go down to zero; max is at least min and at least one.
func checkPoolSize(pool string, minNodes, maxNodes int) error {
	switch {
	case pool == "core" && minNodes < 1:
		return fmt.Errorf("node pool core: min %d: the core pool needs at least one node, always on", minNodes)
	case minNodes < 0:
		return fmt.Errorf("node pool %s: min %d is negative", pool, minNodes)
	case maxNodes < 1 || maxNodes < minNodes:
		return fmt.Errorf("node pool %s: max %d is below min %d or below 1", pool, maxNodes, minNodes)
	}
	return nil
}

// IdleFloor is what a cluster runs when nobody uses it: each pool's
// minimum node count with its machine type ("1 × m5.large (core)"), pools
// at zero left out.
func IdleFloor(c Cluster) string {
	var parts []string
	for _, pool := range PoolNames {
		np, _ := c.Pool(pool)
		if np.Min > 0 {
			parts = append(parts, fmt.Sprintf("%d × `%s` (%s)", np.Min, np.MachineType, pool))
		}
	}
	return strings.Join(parts, ", ")
}

// ClusterConflict is two hubs that name the same cluster but state its
// cloud settings differently.
type ClusterConflict struct {
	// Cluster is the name both use.
	Cluster string
	// Hub is the later hub (by name), Other the first hub on the cluster.
	Hub, Other *hub.Hub
	// Path is the first field below cloud where they differ
	// ("nodePools", "dask", "max").
	Path []string
	// Value and OtherValue are the two values there.
	Value, OtherValue any
}

func (c ClusterConflict) String() string {
	return fmt.Sprintf("cluster %s: hubs %s and %s differ at cloud.%s (%v, %v)", c.Cluster, c.Other.Name, c.Hub.Name, hub.JoinPath(c.Path), c.OtherValue, c.Value)
}

// GroupClusters groups hubs by cloud.cluster, in name order. A hub whose
// cloud section differs from the first hub on its cluster is a conflict
// (and is left out of the cluster): hubs share a cluster only when they
// agree on all of it, node pools included.
func GroupClusters(hubs []*hub.Hub) ([]Cluster, []ClusterConflict) {
	sorted := append([]*hub.Hub(nil), hubs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	byName := map[string]int{}
	var clusters []Cluster
	var conflicts []ClusterConflict
	for _, h := range sorted {
		i, ok := byName[h.Cloud.Cluster]
		if !ok {
			byName[h.Cloud.Cluster] = len(clusters)
			clusters = append(clusters, Cluster{Name: h.Cloud.Cluster, Cloud: h.Cloud, Hubs: []*hub.Hub{h}})
			continue
		}
		c := &clusters[i]
		if p, a, b, differ := firstDifference(c.Cloud, h.Cloud); differ {
			conflicts = append(conflicts, ClusterConflict{Cluster: c.Name, Hub: h, Other: c.Hubs[0], Path: p, Value: b, OtherValue: a})
			continue
		}
		c.Hubs = append(c.Hubs, h)
	}
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	return clusters, conflicts
}

// firstDifference compares two cloud sections as their JSON trees (the
// schema's field names) and returns the first path, in key order, where
// they differ, and the two values there.
func firstDifference(a, b hub.Cloud) (path []string, av, bv any, differ bool) {
	tree := func(c hub.Cloud) any {
		data, err := json.Marshal(c)
		if err != nil { // a plain struct of strings, ints and bools: never
			panic(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			panic(err)
		}
		return v
	}
	return diffTree(nil, tree(a), tree(b))
}

func diffTree(at []string, a, b any) ([]string, any, any, bool) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if reflect.DeepEqual(a, b) {
			return nil, nil, nil, false
		}
		return at, a, b, true
	}
	keys := maps.Clone(am)
	maps.Copy(keys, bm)
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if p, x, y, d := diffTree(append(append([]string(nil), at...), k), am[k], bm[k]); d {
			return p, x, y, true
		}
	}
	return nil, nil, nil, false
}

// UnknownClusterError is a cluster name no hub of the federation names in
// cloud.cluster. Its message lists the clusters there are, as
// load.UnknownHubError lists the hubs.
type UnknownClusterError struct {
	// Name is the name asked for.
	Name string
	// Clusters are the federation's cluster names, sorted.
	Clusters []string
}

// Error is `no cluster named "NAME" (clusters: a, b)`.
func (e *UnknownClusterError) Error() string {
	return fmt.Sprintf("no cluster named %q (clusters: %s)", e.Name, strings.Join(e.Clusters, ", "))
}

// ClusterNames are the names of the clusters the hubs name, sorted, each
// once.
func ClusterNames(hubs []*hub.Hub) []string {
	var names []string
	for _, h := range hubs {
		names = append(names, h.Cloud.Cluster)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// LookupCluster is the cluster called name with every hub on it
// (GroupClusters): an *UnknownClusterError when no hub names it, and an
// error naming the first conflict when its hubs state its cloud section
// differently.
func LookupCluster(hubs []*hub.Hub, name string) (Cluster, error) {
	clusters, conflicts := GroupClusters(hubs)
	for _, c := range conflicts {
		if c.Cluster == name {
			return Cluster{}, fmt.Errorf("%s: hubs on one cluster must state its cloud section alike (pangeo-gen vet says where)", c)
		}
	}
	for _, c := range clusters {
		if c.Name == name {
			return c, nil
		}
	}
	return Cluster{}, &UnknownClusterError{Name: name, Clusters: ClusterNames(hubs)}
}
