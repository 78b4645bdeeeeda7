package release

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render"
	"github.com/pangeo-data/pangeo-gen/internal/render/rendertest"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

// upstreamAutoscaler writes the real cluster-autoscaler chart of
// ../shared/upstream/charts (skipping without it, failing under CI=true)
// and returns its folder.
func upstreamAutoscaler(t *testing.T) string {
	t.Helper()
	shareddata.Path(t, releasetest.UpstreamDir(releasetest.ClusterAutoscaler))
	dir := filepath.Join(t.TempDir(), "cluster-autoscaler")
	if err := releasetest.Upstream.WriteChart(dir, releasetest.ClusterAutoscaler); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRenderClusterStrictDecode renders the cluster-autoscaler of every EKS
// cluster of the federation with the real chart and decodes every object
// strictly into its k8s.io/api type. The stream has no ServiceAccount (the
// EKS definition's, with the IAM role, is used) and no Namespace
// (kube-system exists); its objects are all in kube-system or
// cluster-scoped, labelled with the cluster; the Deployment runs as that
// service account, on the core pool, with the cluster's region,
// auto-discovery tags and an image of its Kubernetes minor.
func TestRenderClusterStrictDecode(t *testing.T) {
	dec := rendertest.StrictDecoder(t)
	f := federation(t)
	chart := upstreamAutoscaler(t)
	clusters, _ := gen.GroupClusters(f.Hubs)
	n := 0
	for _, c := range clusters {
		if c.Cloud.Provider != "aws" {
			continue
		}
		n++
		y, err := RenderCluster(context.Background(), ClusterRequest{
			Fed: f, Cluster: c.Name, Chart: chart,
			Cache: &charts.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Offline: true},
		})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		kinds := map[string]int{}
		var deploy *appsv1.Deployment
		for _, doc := range strings.Split(string(y), "\n---\n") {
			o, gvk, err := dec.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Errorf("%s: %v in\n%s", c.Name, err, doc)
				continue
			}
			kinds[gvk.Kind]++
			if d, ok := o.(*appsv1.Deployment); ok {
				deploy = d
			}
			m, err := meta.Accessor(o)
			if err != nil {
				t.Fatal(err)
			}
			if l := m.GetLabels(); l[ClusterLabel] != c.Name || l[render.PartOfLabel] != render.PartOfValue {
				t.Errorf("%s: %s %s labels %v, want %s: %s and %s: %s", c.Name, gvk.Kind, m.GetName(), l, ClusterLabel, c.Name, render.PartOfLabel, render.PartOfValue)
			}
			if ns := m.GetNamespace(); ns != "" && ns != gen.AutoscalerNamespace {
				t.Errorf("%s: %s %s is in %q, not %s", c.Name, gvk.Kind, m.GetName(), ns, gen.AutoscalerNamespace)
			}
		}
		for _, kind := range []string{"ServiceAccount", "Namespace"} {
			if kinds[kind] != 0 {
				t.Errorf("%s: %d %s rendered, want none", c.Name, kinds[kind], kind)
			}
		}
		for _, kind := range []string{"Deployment", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
			if kinds[kind] != 1 {
				t.Errorf("%s: %d %s rendered, want 1", c.Name, kinds[kind], kind)
			}
		}
		if deploy == nil {
			continue
		}
		spec := deploy.Spec.Template.Spec
		if spec.ServiceAccountName != gen.AutoscalerServiceAccount {
			t.Errorf("%s: service account %q, want %q", c.Name, spec.ServiceAccountName, gen.AutoscalerServiceAccount)
		}
		if got, want := spec.NodeSelector[gen.NodePurposeLabel], "core"; got != want {
			t.Errorf("%s: node selector %v, want %s=%s", c.Name, spec.NodeSelector, gen.NodePurposeLabel, want)
		}
		ctr := spec.Containers[0]
		tag, err := gen.AutoscalerImageTag(c.Cloud.KubernetesVersion)
		if err != nil {
			t.Fatal(err)
		}
		if want := gen.AutoscalerImageRepository + ":" + tag; ctr.Image != want || !strings.HasPrefix(tag, "v"+c.Cloud.KubernetesVersion+".") {
			t.Errorf("%s: image %s, want %s (Kubernetes %s)", c.Name, ctr.Image, want, c.Cloud.KubernetesVersion)
		}
		args := strings.Join(ctr.Command, " ")
		for _, want := range []string{
			"--cloud-provider=aws",
			"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/" + c.Name,
			"--scale-down-unneeded-time=5m",
			"--skip-nodes-with-local-storage=false",
		} {
			if !strings.Contains(args, want) {
				t.Errorf("%s: command lacks %s: %s", c.Name, want, args)
			}
		}
		region := ""
		for _, e := range ctr.Env {
			if e.Name == "AWS_REGION" {
				region = e.Value
			}
		}
		if region != c.Cloud.Region {
			t.Errorf("%s: AWS_REGION %q, want %q", c.Name, region, c.Cloud.Region)
		}
	}
	if n == 0 {
		t.Fatal("the federation has no EKS cluster")
	}
}

// TestRenderClusterRefusals: a GKE or AKS cluster has nothing to render
// (CloudAutoscalerError), an unknown cluster is named with the ones there
// are, and a chart other than the cluster-autoscaler is refused.
func TestRenderClusterRefusals(t *testing.T) {
	f := federation(t)
	cache := &charts.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Offline: true}
	umbrellaDir := umbrella(t, f)
	for _, tc := range []struct {
		cluster, chart string
		cloud          string // the provider of a CloudAutoscalerError
		msg            string
	}{
		{cluster: "pangeo-ocean", cloud: "gcp", msg: "cluster pangeo-ocean is GKE: its autoscaler is the cloud's; nothing to render"},
		{cluster: "pangeo-atmos", cloud: "azure", msg: "cluster pangeo-atmos is AKS: its autoscaler is the cloud's; nothing to render"},
		{cluster: "nosuch", msg: `no cluster named "nosuch" (clusters: pangeo-atmos, pangeo-glaciers, pangeo-ocean)`},
		{cluster: "pangeo-glaciers", chart: umbrellaDir, msg: "cluster pangeo-glaciers: the chart is pangeo-deploy, not cluster-autoscaler"},
		{cluster: "pangeo-glaciers", msg: "chart cluster-autoscaler 9.59.0 from https://kubernetes.github.io/autoscaler: not in the chart cache, and offline"},
	} {
		t.Run(tc.cluster+" "+filepath.Base(tc.chart), func(t *testing.T) {
			y, err := RenderCluster(context.Background(), ClusterRequest{Fed: f, Cluster: tc.cluster, Chart: tc.chart, Cache: cache})
			if err == nil || !strings.Contains(err.Error(), tc.msg) || y != nil {
				t.Fatalf("RenderCluster: %q, %v; want an error containing %q", y, err, tc.msg)
			}
			var cloud *CloudAutoscalerError
			if got := errors.As(err, &cloud); got != (tc.cloud != "") || got && cloud.Provider != tc.cloud {
				t.Errorf("CloudAutoscalerError %v (%v), want one for %q", got, err, tc.cloud)
			}
			var unknown *gen.UnknownClusterError
			if errors.As(err, &unknown) != (tc.cluster == "nosuch") {
				t.Errorf("UnknownClusterError: %v", err)
			}
		})
	}
}
