package placement

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

func testHub(provider string) *hub.Hub {
	h := &hub.Hub{
		Name: "test",
		Environments: map[string]hub.Env{
			"staging": {Domain: "staging.test.pangeo.io"},
			"prod":    {Domain: "test.pangeo.io"},
		},
		Cloud: hub.Cloud{Provider: provider, Cluster: "test", Location: "us-central1-b", Region: "us-west-2"},
		Notebook: hub.Notebook{
			CPU:    hub.CPU{Guarantee: 1, Limit: 2},
			Memory: hub.Memory{Guarantee: "4G", Limit: "8G"},
		},
		Auth:    hub.Auth{GitHub: &hub.GitHubAuth{Orgs: []string{"pangeo-data"}}},
		Storage: hub.Storage{Type: "dynamic"},
		Culling: hub.Culling{NotebookIdleTimeout: 3600, DaskIdleTimeout: 1800},
		Dask:    hub.Dask{Backend: hub.BackendGateway, Gateway: &hub.GatewayDask{ClusterMaxCores: 20, ClusterMaxMemoryGiB: 80}},
	}
	switch provider {
	case "aws":
		h.Cloud.NodePools = hub.NodePools{
			Core: hub.NodePool{MachineType: "m5.large", Min: 1, Max: 2},
			User: hub.NodePool{MachineType: "r5.2xlarge", Max: 10},
			Dask: hub.NodePool{MachineType: "r5.xlarge", Max: 20, Spot: true},
		}
	default:
		h.Cloud.NodePools = hub.NodePools{
			Core: hub.NodePool{MachineType: "n2-standard-2", Min: 1, Max: 2},
			User: hub.NodePool{MachineType: "n2-highmem-4", Max: 10},
			Dask: hub.NodePool{MachineType: "n2-highmem-4", Max: 100, Spot: true},
		}
	}
	w := &h.Dask.Gateway.Worker
	w.Cores = hub.Range{Min: 1, Max: 2, Default: 1}
	w.MemoryGiB = hub.Range{Min: 1, Max: 16, Default: 8}
	return h
}

// check builds the user and Dask pods from the hub's staging values, as
// edit changes them, and checks them on the hub's cluster.
func check(t *testing.T, h *hub.Hub, edit func(v map[string]any)) []string {
	t.Helper()
	vs, err := gen.Values(h, gen.ImageRef{Name: "example.org/test", Tag: "abc123def456"})
	if err != nil {
		t.Fatal(err)
	}
	v := vs.Merged("staging")
	if edit != nil {
		edit(v)
	}
	users, err := UserPods(v)
	if err != nil {
		t.Fatal(err)
	}
	dask, err := GatewayDaskPods(v)
	if err != nil {
		t.Fatal(err)
	}
	c := gen.Cluster{Name: h.Cloud.Cluster, Cloud: h.Cloud, Hubs: []*hub.Hub{h}}
	nodes := Nodes(c)
	pods := append(users, dask...)
	var out []string
	for _, p := range append(Check(nodes, pods), CheckTemplates(c, nodes, pods)...) {
		out = append(out, p.String()+" @ "+p.Source.String())
	}
	return out
}

func TestCheck(t *testing.T) {
	daskTol := map[string]any{"key": gen.DaskTaintKey, "operator": "Equal", "value": "worker", "effect": "NoSchedule"}
	profile := func(override map[string]any) []any {
		return []any{map[string]any{"slug": "gpu", "display_name": "GPU", "kubespawner_override": override}}
	}
	for _, tc := range []struct {
		name     string
		provider string
		edit     func(v map[string]any)
		want     []string
	}{
		{name: "generated values place every pod", provider: "gcp"},
		{name: "generated values place every pod on EKS, zero-sized groups included", provider: "aws"},
		{
			name: "raw worker tolerations drop the dask toleration", provider: "gcp",
			edit: func(v map[string]any) {
				values.Set(v, []string{"dask-gateway", "gateway", "backend", "worker", "extraPodConfig", "tolerations"}, []any{})
			},
			want: []string{"Dask worker cannot run on node pool dask (n2-highmem-4): node(s) had untolerated taint {k8s.dask.org/dedicated: worker} @ dask-gateway.gateway.backend.worker.extraPodConfig.tolerations"},
		},
		{
			name: "a profile selects a label no pool has", provider: "gcp",
			edit: func(v map[string]any) {
				values.Set(v, []string{"jupyterhub", "singleuser", "profileList"}, profile(map[string]any{"node_selector": map[string]any{"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}}))
			},
			want: []string{`user server (profile "gpu") cannot run on node pool user (n2-highmem-4): node(s) didn't match Pod's node affinity/selector @ jupyterhub.singleuser.profileList[0].kubespawner_override.node_selector.cloud.google.com/gke-accelerator`},
		},
		{
			name: "a profile asks for a GPU the pool has not", provider: "gcp",
			edit: func(v map[string]any) {
				values.Set(v, []string{"jupyterhub", "singleuser", "profileList"}, profile(map[string]any{"extra_resource_guarantees": map[string]any{"nvidia.com/gpu": 1}}))
			},
			want: []string{`user server (profile "gpu") cannot run on node pool user (n2-highmem-4): Insufficient nvidia.com/gpu @ jupyterhub.singleuser.profileList[0].kubespawner_override.extra_resource_guarantees`},
		},
		{
			name: "user pods that tolerate the dask taint", provider: "gcp",
			edit: func(v map[string]any) {
				values.Set(v, []string{"jupyterhub", "singleuser", "extraTolerations"}, []any{daskTol, map[string]any{"key": "cloud.google.com/gke-spot", "operator": "Exists"}})
				values.Set(v, []string{"jupyterhub", "scheduling", "userPods", "nodeAffinity", "matchNodePurpose"}, "prefer")
			},
			want: []string{
				"user server can run on node pool core (n2-standard-2): the pool has no taint and the pod's node selector and affinity do not keep it off; user servers must never run on core or dask @ jupyterhub.scheduling.userPods.nodeAffinity.matchNodePurpose",
				"user server can run on node pool dask (n2-highmem-4): it tolerates the pool's taint {k8s.dask.org/dedicated: worker} (toleration key k8s.dask.org/dedicated Equal worker NoSchedule); user servers must never run on core or dask @ jupyterhub.singleuser.extraTolerations[0]"},
		},
		{
			name: "user pods without node purpose run on core", provider: "gcp",
			edit: func(v map[string]any) {
				values.Set(v, []string{"jupyterhub", "scheduling", "userPods", "nodeAffinity", "matchNodePurpose"}, "ignore")
			},
			want: []string{"user server can run on node pool core (n2-standard-2): the pool has no taint and the pod's node selector and affinity do not keep it off; user servers must never run on core or dask @ jupyterhub.scheduling.userPods.nodeAffinity.matchNodePurpose"},
		},
		{
			name: "a spot user pool whose profile override drops the spot toleration", provider: "aws",
			edit: func(v map[string]any) {
				values.Set(v, []string{"jupyterhub", "singleuser", "profileList"}, profile(map[string]any{"tolerations": []any{}}))
			},
			want: nil, // the user pool is not spot here: nothing to drop
		},
		{
			name: "a Dask worker that may run on user", provider: "gcp",
			edit: func(v map[string]any) {
				values.Set(v, []string{"dask-gateway", "gateway", "backend", "worker", "extraPodConfig", "nodeSelector"}, map[string]any{})
				values.Set(v, []string{"dask-gateway", "gateway", "backend", "worker", "extraPodConfig", "tolerations"}, []any{map[string]any{"operator": "Exists"}})
			},
			want: []string{
				"Dask worker can run on node pool core (n2-standard-2): the pool has no taint and the pod's node selector and affinity do not keep it off; Dask workers must run on dask only @ dask-gateway.gateway.backend.worker.extraPodConfig.affinity",
				"Dask worker can run on node pool user (n2-highmem-4): the pool has no taint and the pod's node selector and affinity do not keep it off; Dask workers must run on dask only @ dask-gateway.gateway.backend.worker.extraPodConfig.affinity",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(t, testHub(tc.provider), tc.edit)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestSpotUserPool(t *testing.T) {
	h := testHub("aws")
	h.Cloud.NodePools.User.Spot = true
	if got := check(t, h, nil); got != nil {
		t.Fatalf("generated values: %q", got)
	}
	got := check(t, h, func(v map[string]any) {
		values.Set(v, []string{"jupyterhub", "singleuser", "profileList"}, []any{map[string]any{"slug": "s", "kubespawner_override": map[string]any{"tolerations": []any{}}}})
	})
	want := []string{
		`user server (profile "s") cannot run on node pool user (r5.2xlarge): node(s) had untolerated taint {eks.amazonaws.com/capacityType: SPOT} @ jupyterhub.singleuser.profileList[0].kubespawner_override.tolerations`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCoreOnSpot(t *testing.T) {
	h := testHub("gcp")
	c := gen.Cluster{Name: "test", Cloud: h.Cloud, Hubs: []*hub.Hub{h}}
	stream := []byte(`# Source: jupyterhub/templates/hub/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: hub}
spec:
  template:
    metadata: {labels: {component: hub}}
    spec:
      nodeSelector: {hub.jupyter.org/node-purpose: core}
      containers: [{name: hub}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-test-staging-dask-gateway}
spec:
  template:
    metadata: {labels: {app.kubernetes.io/component: gateway}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: gateway}]
---
apiVersion: v1
kind: Service
metadata: {name: hub}
`)
	pods, err := ChartPods(stream, "test-staging")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Check(Nodes(c), pods) {
		got = append(got, p.String()+" @ "+p.Source.String())
	}
	want := []string{"Deployment/api-<release>-dask-gateway can run on node pool dask (n2-highmem-4): it tolerates the pool's taint {k8s.dask.org/dedicated: worker} (toleration key (any) Exists); nothing of the core may run on spot nodes @ dask-gateway.gateway.tolerations[0]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTemplateNode(t *testing.T) {
	h := testHub("aws")
	c := gen.Cluster{Name: "test", Cloud: h.Cloud, Hubs: []*hub.Hub{h}}
	nodes := Nodes(c)
	dask := nodes[2]
	tmpl := TemplateNode(dask, map[string]string{gen.NodeTemplateLabelTag + gen.DaskPurposeLabel: "worker"})
	if tmpl.Node.Labels[gen.DaskPurposeLabel] != "worker" || tmpl.Node.Labels[InstanceTypeLabel] != "r5.xlarge" {
		t.Errorf("template labels = %v", tmpl.Node.Labels)
	}
	if _, ok := tmpl.Node.Labels["eks.amazonaws.com/capacityType"]; ok {
		t.Errorf("template has a label no tag gives: %v", tmpl.Node.Labels)
	}
	if len(tmpl.Node.Spec.Taints) != 0 || len(dask.Node.Spec.Taints) != 2 {
		t.Errorf("taints: template %v, node %v", tmpl.Node.Spec.Taints, dask.Node.Spec.Taints)
	}
	// A Dask worker that selects the capacity type: the real node has the
	// label, the template (tags without it) not.
	pods, err := GatewayDaskPods(map[string]any{"dask-gateway": map[string]any{"gateway": map[string]any{"backend": map[string]any{"worker": map[string]any{"extraPodConfig": map[string]any{
		"nodeSelector": map[string]any{"eks.amazonaws.com/capacityType": "SPOT", gen.DaskPurposeLabel: "worker"},
		"tolerations":  gen.Tolerations(c.Placement("dask").Taints),
	}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range CheckTemplates(c, nodes, pods[1:]) {
		got = append(got, p.String()+" @ "+p.Source.String())
	}
	want := []string{"Dask worker cannot make node pool dask (r5.xlarge) scale up from zero: the node the cluster-autoscaler builds from the node group's node-template tags: node(s) didn't match Pod's node affinity/selector @ dask-gateway.gateway.backend.worker.extraPodConfig.nodeSelector.eks.amazonaws.com/capacityType"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestByteQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
		err  bool
	}{
		{"4G", 4 << 30, false}, {"512M", 512 << 20, false}, {1000, 1000, false}, {"1.5K", 1536, false}, {"4Gi", 0, true},
	} {
		q, _, err := byteQuantity(tc.in)
		if (err != nil) != tc.err || (!tc.err && q.Value() != tc.want) {
			t.Errorf("byteQuantity(%v) = %v, %v; want %d (error %v)", tc.in, q.Value(), err, tc.want, tc.err)
		}
	}
}

func TestArch(t *testing.T) {
	for _, tc := range []struct{ provider, mt, want string }{
		{"aws", "m6g.large", "arm64"}, {"aws", "r5.xlarge", "amd64"}, {"aws", "c7gn.2xlarge", "arm64"},
		{"gcp", "t2a-standard-4", "arm64"}, {"gcp", "n2-highmem-4", "amd64"},
		{"azure", "Standard_D4ps_v5", "arm64"}, {"azure", "Standard_E8s_v3", "amd64"},
	} {
		if got := arch(tc.provider, tc.mt); got != tc.want {
			t.Errorf("arch(%s, %s) = %s, want %s", tc.provider, tc.mt, got, tc.want)
		}
	}
}
