package release

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render"
	"github.com/pangeo-data/pangeo-gen/internal/render/rendertest"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// upstreamAutoscaler writes the real cluster-autoscaler chart of
// ../shared/upstream/charts (skipping without it, failing under CI=true)
// and returns its folder.
func upstreamAutoscaler(t testing.TB) string {
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

// TestPullClusterChart: charts pull and charts vendor get the chart an EKS
// cluster pins (cloud.autoscaler) with the hubs' charts, its digest
// checked when pinned, and render --cluster then finds it offline, in the
// cache or in vendor/charts; a GKE hub's pull has no autoscaler. The
// repository serves the real cluster-autoscaler chart and the stand-ins of
// the hubs' charts.
func TestPullClusterChart(t *testing.T) {
	dir := upstreamAutoscaler(t)
	ca, err := releasetest.PackageDir(dir, releasetest.ClusterAutoscaler, releasetest.ClusterAutoscalerVersion)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := releasetest.Subcharts()
	if err != nil {
		t.Fatal(err)
	}
	repo := testserver.NewChartRepo(t, append(subs, ca)...)
	f := federation(t)
	local := &load.Federation{Root: t.TempDir()}
	for _, h := range f.Hubs {
		c := *h
		c.Chart.JupyterHub.Repository, c.Chart.DaskGateway.Repository = repo.URL, repo.URL
		if c.Cloud.Provider == "aws" {
			c.Cloud.Autoscaler = hub.Pin{Version: releasetest.ClusterAutoscalerVersion, Repository: repo.URL, Digest: ca.Digest}
		}
		local.Hubs = append(local.Hubs, &c)
	}
	names := func(ps []Pulled) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Ref.Name)
		}
		return out
	}

	cache := &charts.Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	got, err := Pull(context.Background(), cache, local, map[string]bool{"alpha": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dask-gateway", "jupyterhub"}; !reflect.DeepEqual(names(got), want) {
		t.Errorf("pull alpha (GKE): %v, want %v", names(got), want)
	}
	got, err = Pull(context.Background(), cache, local, map[string]bool{"bravo": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cluster-autoscaler", "dask-gateway", "jupyterhub"}; !reflect.DeepEqual(names(got), want) {
		t.Fatalf("pull bravo (EKS): %v, want %v", names(got), want)
	}
	if got[0].Digest != ca.Digest || got[0].Ref.Version != "9.59.0" {
		t.Errorf("pulled %+v, want cluster-autoscaler 9.59.0 %s", got[0], ca.Digest)
	}
	want, err := RenderCluster(context.Background(), ClusterRequest{Fed: local, Cluster: "pangeo-glaciers", Chart: dir, Cache: &charts.Cache{Dir: t.TempDir(), Offline: true}})
	if err != nil {
		t.Fatal(err)
	}
	cache.Offline = true
	y, err := RenderCluster(context.Background(), ClusterRequest{Fed: local, Cluster: "pangeo-glaciers", Cache: cache})
	if err != nil {
		t.Fatalf("render from the cache, offline: %v", err)
	}
	// The package is the folder's files: the same objects.
	if string(y) != string(want) {
		t.Errorf("render from the cache differs from render of the chart folder:\n%s\n---- want\n%s", y, want)
	}

	// Vendored: render needs no cache.
	cache.Offline = false
	if _, err := Vendor(context.Background(), cache, local, false); err != nil {
		t.Fatal(err)
	}
	vendored := &charts.Cache{Dir: filepath.Join(t.TempDir(), "empty"), Offline: true, VendorDir: filepath.Join(local.Root, filepath.FromSlash(VendorDir))}
	if y, err := RenderCluster(context.Background(), ClusterRequest{Fed: local, Cluster: "pangeo-glaciers", Cache: vendored}); err != nil || string(y) != string(want) {
		t.Errorf("render from vendor/charts: %v", err)
	}

	// A pinned digest that the package does not have is refused.
	bad := *local.Hub("bravo")
	bad.Cloud.Autoscaler.Digest = "sha256:" + strings.Repeat("0", 64)
	other := &load.Federation{Root: local.Root, Hubs: []*hub.Hub{&bad}}
	if _, err := Pull(context.Background(), &charts.Cache{Dir: t.TempDir()}, other, nil, nil); !errors.Is(err, charts.ErrDigest) {
		t.Errorf("pull with a wrong digest: %v, want %v", err, charts.ErrDigest)
	}
}

// BenchmarkRenderCluster renders the cluster-autoscaler of the EKS cluster
// from the real chart's folder.
func BenchmarkRenderCluster(b *testing.B) {
	f := federation(b)
	r := ClusterRequest{Fed: f, Cluster: "pangeo-glaciers", Chart: upstreamAutoscaler(b), Cache: &charts.Cache{Dir: b.TempDir(), Offline: true}}
	for b.Loop() {
		if _, err := RenderCluster(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}
