package gen

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// TestAutoscalerImageTag: a release of the cluster's own minor, or an
// error naming the minors known.
func TestAutoscalerImageTag(t *testing.T) {
	for _, tc := range []struct {
		version, tag, err string
	}{
		{"1.30", "v1.30.3", ""},
		{"1.33", "v1.33.6", ""},
		{"1.36", "v1.36.1", ""},
		{"1.29", "", "no cluster-autoscaler release is known for Kubernetes 1.29 (known: 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36)"},
		{"1.40", "", "no cluster-autoscaler release is known for Kubernetes 1.40"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			tag, err := AutoscalerImageTag(tc.version)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("AutoscalerImageTag(%s) = %q, %v; want error %q", tc.version, tag, err, tc.err)
				}
				return
			}
			if err != nil || tag != tc.tag {
				t.Fatalf("AutoscalerImageTag(%s) = %q, %v; want %q", tc.version, tag, err, tc.tag)
			}
		})
	}
	// Every known tag is of its own minor.
	for minor, tag := range autoscalerImageTags {
		if !strings.HasPrefix(tag, "v"+minor+".") {
			t.Errorf("Kubernetes %s: tag %s is of another minor", minor, tag)
		}
	}
}

// TestAutoscalerValues: the values an EKS cluster's cluster-autoscaler
// release gets from the cluster (region, name, Kubernetes minor, the
// core pool's placement), the service account of the EKS definition, and
// the auto-discovery tags the definition puts on every node group.
func TestAutoscalerValues(t *testing.T) {
	c := fxEKSCluster(func(h *hub.Hub) {
		h.Cloud.Region, h.Cloud.Cluster, h.Cloud.KubernetesVersion = "eu-west-1", "ice", "1.31"
	})
	c.Name = "ice"
	v, err := AutoscalerValues(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"cloudProvider"}, "aws"},
		{[]string{"awsRegion"}, "eu-west-1"},
		{[]string{"autoDiscovery", "clusterName"}, "ice"},
		{[]string{"rbac", "serviceAccount", "create"}, false},
		{[]string{"rbac", "serviceAccount", "name"}, AutoscalerServiceAccount},
		{[]string{"image", "repository"}, AutoscalerImageRepository},
		{[]string{"image", "tag"}, "v1.31.1"},
		{[]string{"nodeSelector"}, map[string]any{NodePurposeLabel: "core"}},
		{[]string{"extraArgs", "scale-down-unneeded-time"}, "5m"},
		{[]string{"extraArgs", "skip-nodes-with-local-storage"}, false},
		{[]string{"extraArgs", "expander"}, "least-waste"},
		{[]string{"podAnnotations", "cluster-autoscaler.kubernetes.io/safe-to-evict"}, "false"},
	} {
		if got := values.Lookup(v, tc.path...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
	// The auto-discovery tags are the keys of the tags every node group
	// of the EKS definition carries.
	tags := values.Lookup(v, "autoDiscovery", "tags").([]any)
	for _, pool := range PoolNames {
		groupTags := EKSAutoscalerTags(c.Name, c.Placement(pool))
		for _, tag := range tags {
			if _, ok := groupTags[tag.(string)]; !ok {
				t.Errorf("auto-discovery tag %s is not on node group %s (%v)", tag, pool, groupTags)
			}
		}
	}
	if len(tags) != 2 {
		t.Errorf("auto-discovery tags %v, want enabled and the cluster's", tags)
	}
}

// TestAutoscalerValuesRefused: only EKS clusters get values, and only for
// a Kubernetes minor with a known release.
func TestAutoscalerValuesRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Cluster
		err  string
	}{
		{"gke", clusterFor(fxGCP()), "the cluster-autoscaler is rendered for EKS clusters only, not gcp"},
		{"aks", clusterFor(fxAzure()), "the cluster-autoscaler is rendered for EKS clusters only, not azure"},
		{"old minor", fxEKSCluster(func(h *hub.Hub) { h.Cloud.KubernetesVersion = "1.29" }), "cluster pangeo-glaciers: no cluster-autoscaler release is known for Kubernetes 1.29"},
		{"no region", fxEKSCluster(func(h *hub.Hub) { h.Cloud.Region = "" }), "cluster pangeo-glaciers: no AWS region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := AutoscalerValues(tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("AutoscalerValues = %v, %v; want error %q", v, err, tc.err)
			}
		})
	}
}

// TestLookupCluster: a cluster with every hub on it, an unknown name with
// the clusters there are, and a cluster whose hubs disagree.
func TestLookupCluster(t *testing.T) {
	a, b := fxAWS(), fxAWS()
	b.Name = "bravo2"
	g := fxGCP()
	c, err := LookupCluster([]*hub.Hub{g, b, a}, "pangeo-glaciers")
	if err != nil || c.Name != "pangeo-glaciers" || len(c.Hubs) != 2 || c.Hubs[0] != a || c.Hubs[1] != b {
		t.Fatalf("LookupCluster = %+v, %v; want pangeo-glaciers with bravo and bravo2", c, err)
	}
	_, err = LookupCluster([]*hub.Hub{g, a}, "nosuch")
	if err == nil || err.Error() != `no cluster named "nosuch" (clusters: pangeo-glaciers, pangeo-ocean)` {
		t.Errorf("unknown cluster: %v", err)
	}
	b.Cloud.Region = "us-east-1"
	_, err = LookupCluster([]*hub.Hub{a, b}, "pangeo-glaciers")
	if err == nil || !strings.Contains(err.Error(), "hubs bravo and bravo2 differ at cloud.region") {
		t.Errorf("conflict: %v", err)
	}
}
