package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Hubs built in Go with every CUE default filled in, as the loader decodes
// them.

func valuesTestProfiles() []hub.Profile {
	return []hub.Profile{{
		Slug: "small", DisplayName: "Small (2 cores, 8 GB)", Default: true,
		CPU: hub.CPU{Guarantee: 0.5, Limit: 2}, Memory: hub.Memory{Guarantee: "4G", Limit: "8G"},
	}, {
		Slug: "large", DisplayName: "Large (8 cores, 48 GB)", Description: "For big reductions",
		CPU: hub.CPU{Guarantee: 4, Limit: 8}, Memory: hub.Memory{Guarantee: "40G", Limit: "48G"},
	}}
}

func valuesTestChart() hub.Chart {
	return hub.Chart{
		Name:        hub.GeneratedChart,
		JupyterHub:  hub.Pin{Version: "4.4.0", Repository: "https://jupyterhub.github.io/helm-chart/"},
		DaskGateway: hub.Pin{Version: "2026.3.0", Repository: "https://helm.dask.org/"},
	}
}

func valuesTestGateway(maxCores, maxMemGiB float64) *hub.GatewayDask {
	g := &hub.GatewayDask{ClusterMaxCores: maxCores, ClusterMaxMemoryGiB: maxMemGiB}
	g.Worker.Cores = hub.Range{Min: 1, Max: 8, Default: 2}
	g.Worker.MemoryGiB = hub.Range{Min: 1, Max: 28, Default: 8}
	return g
}

// valuesTestGCP is GitHub login, dask-gateway, NFS homes, on GKE.
func valuesTestGCP() *hub.Hub {
	small := valuesTestProfiles()[:1]
	maxCores := 20.0
	return &hub.Hub{
		Name: "alpha", Title: "Pangeo Ocean", Owners: []string{"rabernat"},
		Contact: "hub-admins@pangeo.io",
		Environments: map[string]hub.Env{
			"staging": {
				Domain: "staging.ocean.pangeo.io", LoadBalancerIP: "34.69.173.244", HTTPS: true,
				Notebook: &hub.NotebookOverride{Profiles: &small},
				Dask:     &hub.DaskOverride{ClusterMaxCores: &maxCores},
				Values:   map[string]any{},
			},
			"prod": {Domain: "ocean.pangeo.io", LoadBalancerIP: "35.238.103.127", HTTPS: true, Values: map[string]any{}},
		},
		Cloud: hub.Cloud{
			Provider: "gcp", Project: "pangeo-ocean", Location: "us-central1-b", Cluster: "pangeo-ocean",
			NodePools: hub.NodePools{
				Core: hub.NodePool{MachineType: "n2-standard-2", Min: 1, Max: 2},
				User: hub.NodePool{MachineType: "n2-highmem-8", Max: 20},
				Dask: hub.NodePool{MachineType: "n2-highmem-4", Max: 100, Spot: true},
			},
		},
		Image: hub.Image{
			Repository: "us-central1-docker.pkg.dev/pangeo-ocean/hubs/alpha-notebook",
			Conda:      hub.Conda{Channels: []string{"conda-forge"}, Dependencies: []string{"python=3.12"}},
		},
		Auth: hub.Auth{
			GitHub: &hub.GitHubAuth{Orgs: []string{"pangeo-data"}, Teams: []string{"pangeo-data:ocean"}},
			Admins: []string{"jhamman", "rabernat"}, AllowedUsers: []string{},
		},
		Notebook: hub.Notebook{
			CPU: hub.CPU{Guarantee: 1, Limit: 2}, Memory: hub.Memory{Guarantee: "4G", Limit: "8G"},
			Profiles: valuesTestProfiles(), StartTimeout: 600, DefaultURL: "/lab",
		},
		Storage: hub.Storage{
			Type: "nfs", Server: "10.126.142.50", Path: "/homes",
			Shared: &hub.SharedFolder{Path: "/shared", MountPath: "/home/jovyan/shared", ReadOnly: true},
		},
		Culling:  hub.Culling{NotebookIdleTimeout: 3600, DaskIdleTimeout: 1800},
		Dask:     hub.Dask{Backend: hub.BackendGateway, Gateway: valuesTestGateway(100, 600)},
		Catalogs: map[string]hub.Catalog{},
		Chart:    valuesTestChart(),
		Values:   map[string]any{},
		Secrets:  hub.Secrets{Backend: "git-crypt", Key: "default"},
	}
}

// valuesTestAWS is generic OAuth2, dask-kubernetes, dynamic volumes, on
// EKS, with overrides and raw values in both environments.
func valuesTestAWS() *hub.Hub {
	startTimeout, maxAge, idle, maxWorkers := 1200, 172800, 7200, 10
	prodProfiles := valuesTestProfiles()
	return &hub.Hub{
		Name: "bravo", Title: "Pangeo Glaciers", Owners: []string{"scottyhq"},
		Contact: "glaciers-admins@pangeo.io",
		Environments: map[string]hub.Env{
			"staging": {
				Domain: "staging.glaciers.pangeo.io", HTTPS: false,
				Dask:    &hub.DaskOverride{MaxWorkers: &maxWorkers},
				Culling: &hub.CullingOverride{NotebookIdleTimeout: &idle},
				Values: map[string]any{"jupyterhub": map[string]any{
					"hub": map[string]any{"extraConfig": map[string]any{"prometheus": nil}},
				}},
			},
			"prod": {
				Domain: "glaciers.pangeo.io", HTTPS: true,
				Notebook: &hub.NotebookOverride{StartTimeout: &startTimeout, Profiles: &prodProfiles},
				Culling:  &hub.CullingOverride{NotebookMaxAge: &maxAge},
				Values: map[string]any{"jupyterhub": map[string]any{
					"hub": map[string]any{
						"resources": map[string]any{"requests": map[string]any{"cpu": "0.5", "memory": "1Gi"}},
						"extraConfig": map[string]any{
							"prometheus": "c.JupyterHub.authenticate_prometheus = True\n",
						},
					},
				}},
			},
		},
		Cloud: hub.Cloud{
			Provider: "aws", AccountID: "783380859522", Region: "us-west-2", Cluster: "pangeo-glaciers",
			RoleARN: "arn:aws:iam::783380859522:role/pangeo-glaciers-deployer",
			NodePools: hub.NodePools{
				Core: hub.NodePool{MachineType: "m5.large", Min: 1, Max: 2},
				User: hub.NodePool{MachineType: "r5.2xlarge", Max: 30},
				Dask: hub.NodePool{MachineType: "r5.xlarge", Max: 200, Spot: true},
			},
		},
		Image: hub.Image{
			Repository: "783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers",
			Base:       "pangeo/pangeo-notebook-onbuild:2025.11.13",
		},
		Auth: hub.Auth{
			OAuth2: &hub.OAuth2Auth{
				LoginService: "NASA Earthdata", AuthorizeURL: "https://urs.earthdata.nasa.gov/oauth/authorize",
				TokenURL: "https://urs.earthdata.nasa.gov/oauth/token", UserdataURL: "https://urs.earthdata.nasa.gov/oauth/userInfo",
				UsernameClaim: "uid", Scopes: []string{},
			},
			Admins: []string{"scottyhq"}, AllowedUsers: []string{"scottyhq", "glacier-lab"},
		},
		Notebook: hub.Notebook{
			CPU: hub.CPU{Guarantee: 2, Limit: 4}, Memory: hub.Memory{Guarantee: "16G", Limit: "30G"},
			Profiles: []hub.Profile{}, StartTimeout: 900, DefaultURL: "/lab",
		},
		Storage: hub.Storage{Type: "dynamic", Capacity: "20Gi", StorageClass: "gp3"},
		Culling: hub.Culling{NotebookIdleTimeout: 5400, DaskIdleTimeout: 1800},
		Dask: func() hub.Dask {
			k := &hub.KubernetesDask{MaxWorkers: 100}
			k.Worker.Cores, k.Worker.Memory, k.Worker.Threads = 2, "14G", 2
			return hub.Dask{Backend: hub.BackendKubernetes, Kubernetes: k}
		}(),
		Chart: valuesTestChart(),
		// Raw values the typed fields do not cover; numbers as JSON
		// decoding gives them.
		Values: map[string]any{"jupyterhub": map[string]any{
			"hub": map[string]any{
				"extraConfig": map[string]any{"prometheus": "c.JupyterHub.authenticate_prometheus = False\n"},
				"resources":   map[string]any{"limits": map[string]any{"memory": "2Gi"}},
			},
			"singleuser": map[string]any{"extraEnv": map[string]any{"SCRATCH": "s3://glaciers-scratch"}},
			"cull":       map[string]any{"concurrency": float64(5)},
		}},
		Secrets: hub.Secrets{Backend: "sops", Age: []string{"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}},
	}
}

// valuesTestAzure is a prebuilt image, GitHub login, dask-gateway on
// on-demand nodes, default dynamic volumes, on AKS.
func valuesTestAzure() *hub.Hub {
	return &hub.Hub{
		Name: "charlie", Title: "Pangeo Atmosphere", Owners: []string{"jhamman"},
		Contact: "hub-admins@pangeo.io",
		Environments: map[string]hub.Env{
			"staging": {Domain: "staging.atmos.pangeo.io", HTTPS: true, Values: map[string]any{}},
			"prod":    {Domain: "atmos.pangeo.io", HTTPS: true, Values: map[string]any{}},
		},
		Cloud: hub.Cloud{
			Provider: "azure", ResourceGroup: "pangeo-atmos", Cluster: "pangeo-atmos", Registry: "pangeoatmos", Location: "westeurope",
			NodePools: hub.NodePools{
				Core: hub.NodePool{MachineType: "Standard_D2s_v3", Min: 1, Max: 2},
				User: hub.NodePool{MachineType: "Standard_E8s_v3", Max: 20},
				Dask: hub.NodePool{MachineType: "Standard_E4s_v3", Max: 80},
			},
		},
		Image: hub.Image{Prebuilt: "pangeo/pangeo-notebook:2025.11.13"},
		Auth: hub.Auth{
			GitHub: &hub.GitHubAuth{Orgs: []string{"pangeo-data"}, Teams: []string{}},
			Admins: []string{"jhamman"}, AllowedUsers: []string{},
		},
		Notebook: hub.Notebook{
			CPU: hub.CPU{Guarantee: 1, Limit: 2}, Memory: hub.Memory{Guarantee: "2G", Limit: "4G"},
			Profiles: []hub.Profile{}, StartTimeout: 600, DefaultURL: "/lab",
		},
		Storage:  hub.Storage{Type: "dynamic", Capacity: "10Gi"},
		Culling:  hub.Culling{NotebookIdleTimeout: 3600, NotebookMaxAge: 86400, DaskIdleTimeout: 1800},
		Dask:     hub.Dask{Backend: hub.BackendGateway, Gateway: valuesTestGateway(200, 1200.5)},
		Catalogs: map[string]hub.Catalog{},
		Chart:    valuesTestChart(),
		Values:   map[string]any{},
		Secrets:  hub.Secrets{Backend: "git-crypt", Key: "default"},
	}
}

var valuesTestImage = ImageRef{Name: "us-central1-docker.pkg.dev/pangeo-ocean/hubs/alpha-notebook", Tag: "3f9a2c1b7d4e"}

// valuesTestHubs are the three test hubs with the image each runs.
func valuesTestHubs() []struct {
	name string
	h    *hub.Hub
	img  ImageRef
} {
	return []struct {
		name string
		h    *hub.Hub
		img  ImageRef
	}{
		{"gcp-github-gateway-nfs", valuesTestGCP(), valuesTestImage},
		{"aws-oauth2-kubernetes-dynamic", valuesTestAWS(), ImageRef{Name: "783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers", Tag: "a1b2c3d4e5f6"}},
		{"azure-prebuilt", valuesTestAzure(), ParseImageRef("pangeo/pangeo-notebook:2025.11.13")},
		{"azure-spot-users", func() *hub.Hub { h := valuesTestAzure(); h.Cloud.NodePools.User.Spot = true; return h }(), ParseImageRef("pangeo/pangeo-notebook:2025.11.13")},
	}
}

// TestSpotUserPool: a spot user pool carries the provider's spot taint in
// its cluster definition, and user servers tolerate it (on AKS, which
// taints spot nodes itself, they would stay Pending otherwise); an
// on-demand user pool has no taint and no extra toleration.
func TestSpotUserPool(t *testing.T) {
	for _, tc := range []struct {
		provider string
		h        func() *hub.Hub
		taint    string // the spot taint as the cluster file writes it
	}{
		{"gcp", fxGCP, "cloud.google.com/gke-spot"},
		{"aws", fxAWS, "eks.amazonaws.com/capacityType"},
		{"azure", fxAzure, "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"},
	} {
		for _, spot := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/spot=%v", tc.provider, spot), func(t *testing.T) {
				h := tc.h()
				h.Cloud.NodePools.User.Spot = spot
				taints := Placement(h, "user").Taints
				if spot != (len(taints) == 1) {
					t.Fatalf("user pool taints = %v", taints)
				}
				out, err := GenerateHub(h)
				if err != nil {
					t.Fatal(err)
				}
				got := values.Lookup(out.Values.Common, "jupyterhub", "singleuser", "extraTolerations")
				if !spot {
					if got != nil {
						t.Errorf("on-demand user pool: extraTolerations = %v", got)
					}
					return
				}
				want := []any{map[string]any{"key": taints[0].Key, "operator": "Equal", "value": taints[0].Value, "effect": "NoSchedule"}}
				if !reflect.DeepEqual(values.Normalize(got), values.Normalize(want)) {
					t.Errorf("extraTolerations = %v, want %v", got, want)
				}
				files, err := ClusterFiles(clusterFor(h))
				if err != nil {
					t.Fatal(err)
				}
				var all string
				for _, f := range files {
					all += string(f.Data)
				}
				if !strings.Contains(all, tc.taint) {
					t.Errorf("the cluster definition has no %s taint for the user pool:\n%s", tc.taint, all)
				}
			})
		}
	}
}

// valuesJSON decodes JSON into a values tree as the loader would.
func valuesJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// TestValuesRoundTrip checks that each environment's overlay on Common
// gives exactly that environment's full values, and what lands where.
func TestValuesRoundTrip(t *testing.T) {
	for _, tc := range valuesTestHubs() {
		t.Run(tc.name, func(t *testing.T) {
			vs, full, err := valCompute(tc.h, tc.img)
			if err != nil {
				t.Fatal(err)
			}
			for _, env := range hub.EnvNames {
				if got := values.Apply(vs.Common, vs.Env[env]); !reflect.DeepEqual(got, full[env]) {
					t.Errorf("%s: values.Apply(Common, Env) differs from the full values:\n got %s\nwant %s", env, valJSON(got), valJSON(full[env]))
				}
				if got := vs.Merged(env); !reflect.DeepEqual(got, full[env]) {
					t.Errorf("%s: Merged differs from the full values", env)
				}
				// Per-environment values are only in the overlay.
				e := tc.h.Environments[env]
				https, _ := values.Get(vs.Env[env], "jupyterhub", "proxy", "https", "enabled")
				if https != e.HTTPS {
					t.Errorf("%s: proxy.https.enabled = %v, want %v", env, https, e.HTTPS)
				}
				hosts, ok := values.Get(vs.Env[env], "jupyterhub", "proxy", "https", "hosts")
				if e.HTTPS && !reflect.DeepEqual(hosts, []any{e.Domain}) || !e.HTTPS && ok {
					t.Errorf("%s: proxy.https.hosts = %v", env, hosts)
				}
				_, section := Authenticator(tc.h)
				cb, _ := values.Get(vs.Env[env], "jupyterhub", "hub", "config", section, "oauth_callback_url")
				if cb != CallbackURL(tc.h, env) {
					t.Errorf("%s: oauth_callback_url = %v", env, cb)
				}
			}
			if _, ok := values.Get(vs.Common, "jupyterhub", "proxy"); ok {
				t.Errorf("common values hold per-environment proxy settings")
			}
		})
	}
}

// TestValuesEnvOverrides follows the environment overrides of the AWS hub
// into the overlays.
func TestValuesEnvOverrides(t *testing.T) {
	vs, err := Values(valuesTestAWS(), valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  string
		keys []string
		want any // nil: absent from the overlay
	}{
		{"prod", []string{"jupyterhub", "singleuser", "startTimeout"}, int64(1200)},
		{"prod", []string{"jupyterhub", "cull", "maxAge"}, int64(172800)},
		{"prod", []string{"jupyterhub", "hub", "resources", "requests", "cpu"}, "0.5"},
		{"prod", []string{"jupyterhub", "hub", "extraConfig", "prometheus"}, "c.JupyterHub.authenticate_prometheus = True\n"},
		{"prod", []string{"jupyterhub", "cull", "timeout"}, nil},
		{"staging", []string{"jupyterhub", "cull", "timeout"}, int64(7200)},
		{"staging", []string{"jupyterhub", "cull", "every"}, nil}, // min(300, timeout/2) either way
		{"staging", []string{"jupyterhub", "singleuser", "extraEnv", "DASK_KUBERNETES__COUNT__MAX"}, "10"},
		{"staging", []string{"jupyterhub", "singleuser", "startTimeout"}, nil},
		{"staging", []string{"jupyterhub", "proxy", "https"}, map[string]any{"enabled": false}},
	}
	for _, tt := range tests {
		got, ok := values.Get(vs.Env[tt.env], tt.keys...)
		if tt.want == nil {
			if ok {
				t.Errorf("%s overlay: %s = %v, want it absent", tt.env, strings.Join(tt.keys, "."), got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s overlay: %s = %#v, want %#v", tt.env, strings.Join(tt.keys, "."), got, tt.want)
		}
	}
	// prod's profiles replace the empty list of common whole.
	pl, _ := values.Get(vs.Env["prod"], "jupyterhub", "singleuser", "profileList")
	if l, _ := pl.([]any); len(l) != 2 {
		t.Errorf("prod profileList = %v, want 2 profiles", pl)
	}
	// staging deletes the hub's raw extraConfig with a null.
	if v, ok := values.Get(vs.Env["staging"], "jupyterhub", "hub", "extraConfig", "prometheus"); !ok || v != nil {
		t.Errorf("staging overlay extraConfig.prometheus = %v (present %v), want null", v, ok)
	}
	if _, ok := values.Get(vs.Merged("staging"), "jupyterhub", "hub", "extraConfig", "prometheus"); ok {
		t.Errorf("staging still has the hub's raw extraConfig.prometheus")
	}
	// Raw values merge into typed maps.
	for _, k := range [][]string{
		{"jupyterhub", "hub", "resources", "limits", "memory"},
		{"jupyterhub", "singleuser", "extraEnv", "SCRATCH"},
		{"jupyterhub", "singleuser", "extraEnv", "DASK_LABEXTENSION__FACTORY__CLASS"},
	} {
		if _, ok := values.Get(vs.Common, k...); !ok {
			t.Errorf("common lacks %s", strings.Join(k, "."))
		}
	}
}

// TestValuesTyped checks what the typed fields become.
func TestValuesTyped(t *testing.T) {
	gcp, err := Values(valuesTestGCP(), valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	aws, err := Values(valuesTestAWS(), valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	azure, err := Values(valuesTestAzure(), ParseImageRef("pangeo/pangeo-notebook:2025.11.13"))
	if err != nil {
		t.Fatal(err)
	}
	gcpStaging := gcp.Merged("staging")
	daskNodes := map[string]any{DaskPurposeLabel: "worker"}
	coreNodes := map[string]any{NodePurposeLabel: "core"}
	gcpTolerations := []any{
		map[string]any{"key": DaskTaintKey, "operator": "Equal", "value": "worker", "effect": "NoSchedule"},
		map[string]any{"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
	}
	homeMount := map[string]any{"name": "home", "mountPath": "/home/jovyan", "subPath": "{username}"}
	tests := []struct {
		name string
		vals map[string]any
		keys string // dot-separated; "|" separates keys that hold dots
		want any
	}{
		{"rbac", gcp.Common, "rbac.enabled", true},
		{"image name", gcp.Common, "jupyterhub.singleuser.image.name", valuesTestImage.Name},
		{"image tag", gcp.Common, "jupyterhub.singleuser.image.tag", valuesTestImage.Tag},
		{"prebuilt image tag is a string", azure.Common, "jupyterhub.singleuser.image.tag", "2025.11.13"},
		{"cpu", gcp.Common, "jupyterhub.singleuser.cpu", map[string]any{"guarantee": int64(1), "limit": int64(2)}},
		{"memory", gcp.Common, "jupyterhub.singleuser.memory", map[string]any{"guarantee": "4G", "limit": "8G"}},
		{"startTimeout", gcp.Common, "jupyterhub.singleuser.startTimeout", int64(600)},
		{"defaultUrl", gcp.Common, "jupyterhub.singleuser.defaultUrl", "/lab"},
		{"profiles", gcp.Common, "jupyterhub.singleuser.profileList", []any{
			map[string]any{"display_name": "Small (2 cores, 8 GB)", "slug": "small", "default": true,
				"kubespawner_override": map[string]any{"cpu_guarantee": 0.5, "cpu_limit": int64(2), "mem_guarantee": "4G", "mem_limit": "8G"}},
			map[string]any{"display_name": "Large (8 cores, 48 GB)", "slug": "large", "description": "For big reductions",
				"kubespawner_override": map[string]any{"cpu_guarantee": int64(4), "cpu_limit": int64(8), "mem_guarantee": "40G", "mem_limit": "48G"}},
		}},
		{"staging profiles", gcpStaging, "jupyterhub.singleuser.profileList", []any{
			map[string]any{"display_name": "Small (2 cores, 8 GB)", "slug": "small", "default": true,
				"kubespawner_override": map[string]any{"cpu_guarantee": 0.5, "cpu_limit": int64(2), "mem_guarantee": "4G", "mem_limit": "8G"}},
		}},
		{"gateway env", gcp.Common, "jupyterhub.singleuser.extraEnv", map[string]any{
			"DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE": "{JUPYTER_IMAGE_SPEC}",
			"DASK_DISTRIBUTED__DASHBOARD__LINK":     "/user/{JUPYTERHUB_USER}/proxy/{port}/status",
			"DASK_LABEXTENSION__FACTORY__MODULE":    "dask_gateway",
			"DASK_LABEXTENSION__FACTORY__CLASS":     "GatewayCluster",
		}},
		{"kubernetes env module", aws.Common, "jupyterhub.singleuser.extraEnv.DASK_LABEXTENSION__FACTORY__MODULE", "dask_kubernetes"},
		{"kubernetes env class", aws.Common, "jupyterhub.singleuser.extraEnv.DASK_LABEXTENSION__FACTORY__CLASS", "KubeCluster"},
		{"kubernetes max workers", aws.Common, "jupyterhub.singleuser.extraEnv.DASK_KUBERNETES__COUNT__MAX", "100"},
		{"kubernetes service account", aws.Common, "jupyterhub.singleuser.serviceAccountName", "daskkubernetes"},
		{"gateway: user pods may reach traefik", gcp.Common, "jupyterhub.singleuser.networkPolicy", map[string]any{"egress": []any{map[string]any{
			"to": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{
				"app.kubernetes.io/name": "dask-gateway", "app.kubernetes.io/component": "traefik"}}}},
			"ports": []any{map[string]any{"port": int64(8000), "protocol": "TCP"}},
		}}}},
		{"kubernetes: user pods may reach private IPs", aws.Common, "jupyterhub.singleuser.networkPolicy", map[string]any{
			"egressAllowRules": map[string]any{"privateIPs": true}}},
		{"kubernetes backend: gateway off", aws.Common, "dask-gateway", map[string]any{"enabled": false}},
		{"kubernetes backend: dask-kubernetes on", aws.Common, "dask-kubernetes", map[string]any{"enabled": true}},
		{"gateway backend: dask-kubernetes off", gcp.Common, "dask-kubernetes", map[string]any{"enabled": false}},
		{"dynamic storage", aws.Common, "jupyterhub.singleuser.storage", map[string]any{
			"type": "dynamic", "capacity": "20Gi", "dynamic": map[string]any{"storageClass": "gp3"}}},
		{"dynamic storage, default class", azure.Common, "jupyterhub.singleuser.storage", map[string]any{"type": "dynamic", "capacity": "10Gi"}},
		{"nfs storage", gcp.Common, "jupyterhub.singleuser.storage", map[string]any{
			"type": "none",
			"extraVolumes": []any{
				map[string]any{"name": "home", "nfs": map[string]any{"server": "10.126.142.50", "path": "/homes"}},
				map[string]any{"name": "shared", "nfs": map[string]any{"server": "10.126.142.50", "path": "/shared"}},
			},
			"extraVolumeMounts": []any{
				homeMount,
				map[string]any{"name": "shared", "mountPath": "/home/jovyan/shared", "readOnly": true},
			},
		}},
		{"nfs init container", gcp.Common, "jupyterhub.singleuser.initContainers", []any{map[string]any{
			"name": "volume-mount-hack", "image": valMountHackImage,
			"command":         []any{"sh", "-c", "id && chown 1000:1000 /home/jovyan && ls -lhd /home/jovyan"},
			"securityContext": map[string]any{"runAsUser": int64(0)},
			"volumeMounts":    []any{homeMount},
		}}},
		{"scheduling", gcp.Common, "jupyterhub.scheduling", map[string]any{
			"userScheduler":   map[string]any{"enabled": true},
			"podPriority":     map[string]any{"enabled": true},
			"userPlaceholder": map[string]any{"enabled": false},
			"corePods":        map[string]any{"nodeAffinity": map[string]any{"matchNodePurpose": "require"}},
			"userPods":        map[string]any{"nodeAffinity": map[string]any{"matchNodePurpose": "require"}},
		}},
		{"prePuller", gcp.Common, "jupyterhub.prePuller", map[string]any{"hook": map[string]any{"enabled": false}}},
		{"cull", gcp.Common, "jupyterhub.cull", map[string]any{"enabled": true, "timeout": int64(3600), "every": int64(300), "maxAge": int64(0)}},
		{"cull max age", azure.Common, "jupyterhub.cull.maxAge", int64(86400)},
		{"github class", gcp.Common, "jupyterhub.hub.config.JupyterHub", map[string]any{"authenticator_class": "github"}},
		{"github admins", gcp.Common, "jupyterhub.hub.config.Authenticator", map[string]any{"admin_users": []any{"jhamman", "rabernat"}}},
		{"github orgs and teams", gcp.Common, "jupyterhub.hub.config.GitHubOAuthenticator", map[string]any{
			"allowed_organizations": []any{"pangeo-data", "pangeo-data:ocean"}, "scope": []any{"read:org"}}},
		{"github callback", gcp.Env["prod"], "jupyterhub.hub.config.GitHubOAuthenticator.oauth_callback_url", "https://ocean.pangeo.io/hub/oauth_callback"},
		{"generic class", aws.Common, "jupyterhub.hub.config.JupyterHub.authenticator_class", "generic-oauth"},
		{"generic allowed users", aws.Common, "jupyterhub.hub.config.Authenticator.allowed_users", []any{"scottyhq", "glacier-lab"}},
		{"generic provider", aws.Common, "jupyterhub.hub.config.GenericOAuthenticator", map[string]any{
			"login_service": "NASA Earthdata", "authorize_url": "https://urs.earthdata.nasa.gov/oauth/authorize",
			"token_url": "https://urs.earthdata.nasa.gov/oauth/token", "userdata_url": "https://urs.earthdata.nasa.gov/oauth/userInfo",
			"username_claim": "uid", "scope": []any{}}},
		{"https", gcp.Env["prod"], "jupyterhub.proxy", map[string]any{
			"https":   map[string]any{"enabled": true, "hosts": []any{"ocean.pangeo.io"}, "letsencrypt": map[string]any{"contactEmail": "hub-admins@pangeo.io"}},
			"service": map[string]any{"loadBalancerIP": "35.238.103.127"},
		}},
		{"no dask-gateway service for dask-kubernetes", aws.Common, "jupyterhub.hub.services", nil},
		{"dask-gateway service", gcp.Common, "jupyterhub.hub.services", map[string]any{"dask-gateway": map[string]any{"display": false}}},
		{"gateway prefix", gcp.Common, "dask-gateway.gateway.prefix", "/services/dask-gateway"},
		{"gateway auth", gcp.Common, "dask-gateway.gateway.auth", map[string]any{"type": "jupyterhub"}},
		{"gateway on core nodes", gcp.Common, "dask-gateway.gateway.nodeSelector", coreNodes},
		{"controller on core nodes", gcp.Common, "dask-gateway.controller.nodeSelector", coreNodes},
		{"traefik", gcp.Common, "dask-gateway.traefik", map[string]any{"nodeSelector": coreNodes, "service": map[string]any{"type": "ClusterIP"}}},
		{"worker image is the notebook's", gcp.Common, "dask-gateway.gateway.backend.image", map[string]any{"name": valuesTestImage.Name, "tag": valuesTestImage.Tag}},
		{"scheduler placement", gcp.Common, "dask-gateway.gateway.backend.scheduler.extraPodConfig", map[string]any{"nodeSelector": daskNodes, "tolerations": gcpTolerations}},
		{"worker placement", gcp.Common, "dask-gateway.gateway.backend.worker.extraPodConfig", map[string]any{"nodeSelector": daskNodes, "tolerations": gcpTolerations}},
		{"on-demand dask pool", azure.Common, "dask-gateway.gateway.backend.worker.extraPodConfig.tolerations", []any{
			map[string]any{"key": DaskTaintKey, "operator": "Equal", "value": "worker", "effect": "NoSchedule"}}},
		{"worker user", gcp.Common, "dask-gateway.gateway.backend.worker.extraContainerConfig", map[string]any{
			"securityContext": map[string]any{"runAsUser": int64(1000), "runAsGroup": int64(1000)}}},
		{"idle", gcp.Common, "dask-gateway.gateway.extraConfig.idle", "# Shut clusters down after 1800 seconds idle.\nc.ClusterConfig.idle_timeout = 1800\n"},
		{"limits", gcp.Common, "dask-gateway.gateway.extraConfig.limits",
			"# Limits of one Dask cluster.\nc.ClusterConfig.cluster_max_cores = 100.0\nc.ClusterConfig.cluster_max_memory = \"600G\"\n"},
		{"staging limits", gcpStaging, "dask-gateway.gateway.extraConfig.limits",
			"# Limits of one Dask cluster.\nc.ClusterConfig.cluster_max_cores = 20.0\nc.ClusterConfig.cluster_max_memory = \"600G\"\n"},
		{"fractional limits", azure.Common, "dask-gateway.gateway.extraConfig.limits",
			"# Limits of one Dask cluster.\nc.ClusterConfig.cluster_max_cores = 200.0\nc.ClusterConfig.cluster_max_memory = \"1200.5G\"\n"},
		{"glue", gcp.Common, "jupyterhub.hub.extraConfig", map[string]any{valDaskhubGlueKey: valDaskhubGlue}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := values.Get(tt.vals, strings.Split(tt.keys, ".")...)
			if tt.want == nil {
				if ok {
					t.Errorf("%s = %s, want it absent", tt.keys, valJSON(got))
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s =\n%s\nwant\n%s", tt.keys, valJSON(got), valJSON(tt.want))
			}
		})
	}
}

// TestValuesNFSShared covers a shared folder inside the export (a sub path
// of the home volume) and at the export itself.
func TestValuesNFSShared(t *testing.T) {
	tests := []struct {
		export, shared string
		wantMount      map[string]any
		wantVolumes    int
	}{
		{"/homes", "/homes/shared/data", map[string]any{"name": "home", "mountPath": "/srv/shared", "readOnly": false, "subPath": "shared/data"}, 1},
		{"/homes/", "/homes", map[string]any{"name": "home", "mountPath": "/srv/shared", "readOnly": false}, 1},
		{"/", "/shared", map[string]any{"name": "home", "mountPath": "/srv/shared", "readOnly": false, "subPath": "shared"}, 1},
		{"/homes", "/homesick", map[string]any{"name": "shared", "mountPath": "/srv/shared", "readOnly": false}, 2},
	}
	for _, tt := range tests {
		h := valuesTestGCP()
		h.Storage.Path = tt.export
		h.Storage.Shared = &hub.SharedFolder{Path: tt.shared, MountPath: "/srv/shared"}
		vs, err := Values(h, valuesTestImage)
		if err != nil {
			t.Fatal(err)
		}
		mounts, _ := values.Get(vs.Common, "jupyterhub", "singleuser", "storage", "extraVolumeMounts")
		if l, _ := mounts.([]any); len(l) != 2 || !reflect.DeepEqual(l[1], tt.wantMount) {
			t.Errorf("export %s, shared %s: mounts %s, want second %s", tt.export, tt.shared, valJSON(mounts), valJSON(tt.wantMount))
		}
		vols, _ := values.Get(vs.Common, "jupyterhub", "singleuser", "storage", "extraVolumes")
		if l, _ := vols.([]any); len(l) != tt.wantVolumes {
			t.Errorf("export %s, shared %s: volumes %s, want %d", tt.export, tt.shared, valJSON(vols), tt.wantVolumes)
		}
	}
}

func TestValuesConflicts(t *testing.T) {
	tests := []struct {
		name    string
		hubRaw  string            // h.Values as JSON
		envRaw  map[string]string // env name → Values as JSON
		want    []string          // ConflictError.Error() of each, in order
		wantEnv map[string]string // for no conflicts: env → JSON of expected subtrees of Merged(env)
	}{{
		name:   "hub raw contradicts a typed leaf",
		hubRaw: `{"jupyterhub":{"singleuser":{"image":{"tag":"x"}}}}`,
		want:   []string{`values.jupyterhub.singleuser.image.tag: raw value "x" contradicts the typed value "3f9a2c1b7d4e"`},
	}, {
		name:   "env raw contradicts a typed leaf",
		envRaw: map[string]string{"prod": `{"jupyterhub":{"cull":{"timeout":60}}}`},
		want:   []string{`environments.prod.values.jupyterhub.cull.timeout: raw value 60 contradicts the typed value 3600`},
	}, {
		name:   "env raw contradicts an env typed value",
		envRaw: map[string]string{"staging": `{"jupyterhub":{"proxy":{"https":{"hosts":["example.org"]}}}}`},
		want:   []string{`environments.staging.values.jupyterhub.proxy.https.hosts: raw value ["example.org"] contradicts the typed value ["staging.ocean.pangeo.io"]`},
	}, {
		name:   "hub raw contradicts an environment's override",
		hubRaw: `{"dask-gateway":{"gateway":{"extraConfig":{"limits":"c.ClusterConfig.cluster_max_cores = 100\n"}}}}`,
		want:   []string{`values."dask-gateway".gateway.extraConfig.limits: raw value "c.ClusterConfig.cluster_max_cores = 100\n" contradicts the typed value "# Limits of one Dask cluster.\nc.ClusterConfig.cluster_max_cores = 100.0\nc.ClusterConfig.cluster_max_memory = \"600G\"\n"`},
	}, {
		name:   "hub raw contradicts a typed value of one environment only",
		hubRaw: `{"jupyterhub":{"proxy":{"service":{"loadBalancerIP":"10.0.0.1"}}}}`,
		want:   []string{`values.jupyterhub.proxy.service.loadBalancerIP: raw value "10.0.0.1" contradicts the typed value "34.69.173.244" of environment staging`},
	}, {
		name:   "raw map on a typed leaf, raw leaf on a typed map, raw null on a typed leaf",
		hubRaw: `{"jupyterhub":{"cull":{"every":{"x":1}},"scheduling":{"corePods":"yes"},"singleuser":{"defaultUrl":null}}}`,
		want: []string{
			`values.jupyterhub.cull.every: raw value {"x":1} contradicts the typed value 300`,
			`values.jupyterhub.scheduling.corePods: raw value "yes" contradicts the typed value {"nodeAffinity":{"matchNodePurpose":"require"}}`,
			`values.jupyterhub.singleuser.defaultUrl: raw value null contradicts the typed value "/lab"`,
		},
	}, {
		name:   "several together, hub first, then by env and path",
		hubRaw: `{"rbac":{"enabled":false},"jupyterhub":{"singleuser":{"startTimeout":60}}}`,
		envRaw: map[string]string{
			"prod":    `{"jupyterhub":{"singleuser":{"cpu":{"limit":8}}}}`,
			"staging": `{"jupyterhub":{"singleuser":{"cpu":{"limit":8},"memory":{"limit":"1G"}}}}`,
		},
		want: []string{
			`values.jupyterhub.singleuser.startTimeout: raw value 60 contradicts the typed value 600`,
			`values.rbac.enabled: raw value false contradicts the typed value true`,
			`environments.staging.values.jupyterhub.singleuser.cpu.limit: raw value 8 contradicts the typed value 2`,
			`environments.staging.values.jupyterhub.singleuser.memory.limit: raw value "1G" contradicts the typed value "8G"`,
			`environments.prod.values.jupyterhub.singleuser.cpu.limit: raw value 8 contradicts the typed value 2`,
		},
	}, {
		name:   "raw tolerations join the typed ones as a set",
		hubRaw: `{"dask-gateway":{"gateway":{"backend":{"worker":{"extraPodConfig":{"tolerations":[{"key":"cloud.google.com/gke-preemptible","operator":"Equal","value":"true","effect":"NoSchedule"},{"key":"k8s.dask.org/dedicated","operator":"Equal","value":"worker","effect":"NoSchedule"}]}}}}}}`,
		wantEnv: map[string]string{
			"prod": `{"dask-gateway":{"gateway":{"backend":{"worker":{"extraPodConfig":{"tolerations":[` +
				`{"effect":"NoSchedule","key":"k8s.dask.org/dedicated","operator":"Equal","value":"worker"},` +
				`{"effect":"NoSchedule","key":"cloud.google.com/gke-spot","operator":"Equal","value":"true"},` +
				`{"effect":"NoSchedule","key":"cloud.google.com/gke-preemptible","operator":"Equal","value":"true"}]}}}}}}`,
		},
	}, {
		name:   "a tolerations key that is not a list of tolerations still conflicts",
		hubRaw: `{"dask-gateway":{"gateway":{"backend":{"worker":{"extraPodConfig":{"tolerations":["x"]}}}}}}`,
		want:   []string{`values."dask-gateway".gateway.backend.worker.extraPodConfig.tolerations: raw value ["x"] contradicts the typed value [{"effect":"NoSchedule","key":"k8s.dask.org/dedicated","operator":"Equal","value":"worker"},{"effect":"NoSchedule","key":"cloud.google.com/gke-spot","operator":"Equal","value":"true"}]`},
	}, {
		name:   "equal raw values are fine, 2 equals 2.0",
		hubRaw: `{"jupyterhub":{"singleuser":{"startTimeout":600.0,"cpu":{"guarantee":1.0}},"cull":{"enabled":true}}}`,
		envRaw: map[string]string{"prod": `{"jupyterhub":{"proxy":{"https":{"enabled":true,"hosts":["ocean.pangeo.io"]}}}}`},
		wantEnv: map[string]string{
			"prod": `{"jupyterhub":{"singleuser":{"startTimeout":600}}}`,
		},
	}, {
		name:   "env raw overrides hub raw",
		hubRaw: `{"jupyterhub":{"hub":{"extraConfig":{"prometheus":"a"},"resources":{"limits":{"memory":"1Gi"}}}}}`,
		envRaw: map[string]string{"prod": `{"jupyterhub":{"hub":{"extraConfig":{"prometheus":"b"},"resources":{"limits":null}}}}`},
		wantEnv: map[string]string{
			"prod":    `{"jupyterhub":{"hub":{"extraConfig":{"prometheus":"b"},"resources":{}}}}`,
			"staging": `{"jupyterhub":{"hub":{"extraConfig":{"prometheus":"a"},"resources":{"limits":{"memory":"1Gi"}}}}}`,
		},
	}, {
		name:   "raw nulls of new keys stay in common for Helm",
		hubRaw: `{"jupyterhub":{"proxy":{"chp":{"networkPolicy":null}}}}`,
		wantEnv: map[string]string{
			"prod": `{"jupyterhub":{"proxy":{"chp":{"networkPolicy":null}}}}`,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := valuesTestGCP()
			if tt.hubRaw != "" {
				h.Values = valuesJSON(t, tt.hubRaw)
			}
			for env, raw := range tt.envRaw {
				e := h.Environments[env]
				e.Values = valuesJSON(t, raw)
				h.Environments[env] = e
			}
			vs, full, err := valCompute(h, valuesTestImage)
			if len(tt.want) > 0 {
				var ces ConflictErrors
				if !errors.As(err, &ces) {
					t.Fatalf("err = %v, want ConflictErrors", err)
				}
				var got []string
				for _, ce := range ces {
					got = append(got, ce.Error())
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("conflicts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
				var one *ConflictError
				if !errors.As(err, &one) || one != ces[0] {
					t.Errorf("errors.As does not find the first *ConflictError")
				}
				if err.Error() != strings.Join(tt.want, "\n") {
					t.Errorf("Error() = %q", err.Error())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for env, want := range tt.wantEnv {
				merged := vs.Merged(env)
				if !reflect.DeepEqual(merged, full[env]) {
					t.Errorf("%s: Merged differs from the full values", env)
				}
				if diff := valuesMissing(merged, values.NormalizeMap(valuesJSON(t, want))); diff != "" {
					t.Errorf("%s: %s", env, diff)
				}
			}
		})
	}
}

// valuesMissing reports the first leaf of want that got lacks or has
// otherwise; a want map that is empty must be empty in got.
func valuesMissing(got, want map[string]any, at ...string) string {
	if len(want) == 0 && len(got) != 0 {
		return strings.Join(at, ".") + " = " + valJSON(got) + ", want {}"
	}
	for k, wv := range want {
		p := append(append([]string(nil), at...), k)
		gv, ok := got[k]
		if !ok {
			return strings.Join(p, ".") + " is missing"
		}
		wm, wIsMap := wv.(map[string]any)
		gm, gIsMap := gv.(map[string]any)
		if wIsMap && gIsMap {
			if d := valuesMissing(gm, wm, p...); d != "" {
				return d
			}
			continue
		}
		if !reflect.DeepEqual(gv, wv) {
			return strings.Join(p, ".") + " = " + valJSON(gv) + ", want " + valJSON(wv)
		}
	}
	return ""
}

func TestValuesConflictErrorCUEPath(t *testing.T) {
	tests := []struct {
		e    ConflictError
		want string
	}{
		{ConflictError{Path: []string{"jupyterhub", "singleuser"}}, "values.jupyterhub.singleuser"},
		{ConflictError{Env: "prod", Path: []string{"dask-gateway", "gateway"}}, `environments.prod.values."dask-gateway".gateway`},
		{ConflictError{Path: []string{"jupyterhub", "hub", "extraConfig", "00-glue"}}, `values.jupyterhub.hub.extraConfig."00-glue"`},
		{ConflictError{Path: []string{"a", "hub.jupyter.org/x", "_h", "#d"}}, `values.a."hub.jupyter.org/x"."_h"."#d"`},
	}
	for _, tt := range tests {
		if got := tt.e.CUEPath(); got != tt.want {
			t.Errorf("CUEPath() = %s, want %s", got, tt.want)
		}
	}
}

func TestValuesErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(h *hub.Hub)
		img    ImageRef
		want   string
	}{
		{"missing environment", func(h *hub.Hub) { delete(h.Environments, "prod") }, valuesTestImage, `no environment "prod"`},
		{"unknown storage", func(h *hub.Hub) { h.Storage.Type = "ceph" }, valuesTestImage, `storage: unknown type "ceph"`},
		{"nfs without server", func(h *hub.Hub) { h.Storage.Server = "" }, valuesTestImage, "nfs needs a server"},
		{"no auth", func(h *hub.Hub) { h.Auth.GitHub = nil }, valuesTestImage, "neither github nor oauth2"},
		{"unknown backend", func(h *hub.Hub) { h.Dask.Backend = "ray" }, valuesTestImage, `unknown backend "ray"`},
		{"no image", func(h *hub.Hub) {}, ImageRef{}, "no name or tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := valuesTestGCP()
			tt.modify(h)
			_, err := Values(h, tt.img)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "alpha") {
				t.Errorf("err = %v does not name the hub", err)
			}
		})
	}
}

// TestValuesUpstreamSchemas validates every environment of the test hubs
// against the real charts, as Helm would.
func TestValuesUpstreamSchemas(t *testing.T) {
	for _, tc := range valuesTestHubs() {
		vs, err := Values(tc.h, tc.img)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, env := range hub.EnvNames {
			t.Run(tc.name+"/"+env, func(t *testing.T) {
				ValidateAgainstUpstream(t, vs.Merged(env))
			})
		}
	}
}

// TestValuesUpstreamRejects proves the validation bites: values the charts
// do not know fail.
func TestValuesUpstreamRejects(t *testing.T) {
	tests := []struct {
		name, raw, chart string
	}{
		{"unknown singleuser key", `{"jupyterhub":{"singleuser":{"bogus":1}}}`, "jupyterhub"},
		{"wrong type", `{"jupyterhub":{"cull":{"users":"yes"}}}`, "jupyterhub"},
		{"unknown gateway key", `{"dask-gateway":{"gateway":{"bogus":true}}}`, "dask-gateway"},
		{"bad gateway node selector", `{"dask-gateway":{"traefik":{"nodeSelector":{"a":1}}}}`, "dask-gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := valuesTestGCP()
			h.Values = valuesJSON(t, tt.raw)
			vs, err := Values(h, valuesTestImage)
			if err != nil {
				t.Fatal(err)
			}
			errs, err := upstreamValidationErrors(t, vs.Merged("prod"))
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tt.chart+":") {
				t.Errorf("validation errors = %v, want one for %s", errs, tt.chart)
			}
		})
	}
}

// TestValuesDaskhubGlue checks that the embedded daskhub glue is the
// daskhub chart's, verbatim.
func TestValuesDaskhubGlue(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "upstream/daskhub/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	upstream, _ := values.Get(v, "jupyterhub", "hub", "extraConfig", valDaskhubGlueKey)
	if upstream != valDaskhubGlue {
		t.Errorf("valDaskhubGlue differs from daskhub's:\n%s", upstream)
	}
	// The other daskhub glue values are in the typed values too.
	vs, err := Values(valuesTestGCP(), valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	for _, keys := range [][]string{
		{"jupyterhub", "hub", "services", "dask-gateway", "display"},
		{"dask-gateway", "enabled"},
		{"dask-gateway", "gateway", "prefix"},
		{"dask-gateway", "gateway", "auth", "type"},
		{"dask-gateway", "traefik", "service", "type"},
		{"rbac", "enabled"},
	} {
		want, _ := values.Get(v, keys...)
		if got, _ := values.Get(vs.Common, keys...); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, daskhub has %v", strings.Join(keys, "."), got, want)
		}
	}
}

// valuesPythonDriver runs the gateway's extraConfig against a stand-in of
// dask_gateway_server.options and prints what the option handler gives.
const valuesPythonDriver = `
import ast, json, sys, types

snippets = json.load(sys.stdin)
for name, code in snippets.items():
    ast.parse(code, name)

class Config:
    def __getattr__(self, name):
        section = types.SimpleNamespace()
        setattr(self, name, section)
        return section

c = Config()
for name in ("idle", "limits", "optionHandler"):
    exec(compile(snippets[name], name, "exec"), {"c": c})

options = c.Backend.cluster_options(types.SimpleNamespace(name="Jane Doe@example.org"))
fields = {f.field: f.kwargs for f in options.fields}
picked = types.SimpleNamespace(worker_cores=3.0, worker_memory=10.0, image="repo/nb:v1", environment={"A": "1"})
config = options.handler(picked)
try:
    options.handler(types.SimpleNamespace(worker_cores=1.0, worker_memory=1.0, image="registry:5000/nb", environment={}))
    untagged = "accepted"
except ValueError:
    untagged = "refused"
print(json.dumps({
    "fields": fields,
    "config": config,
    "untagged": untagged,
    "idle": c.ClusterConfig.idle_timeout,
    "max_cores": c.ClusterConfig.cluster_max_cores,
    "max_memory": c.ClusterConfig.cluster_max_memory,
}, sort_keys=True))
`

const valuesPythonStub = `
class Field:
    def __init__(self, field, **kwargs):
        self.field = field
        self.kwargs = kwargs

class Float(Field):
    pass

class String(Field):
    pass

class Mapping(Field):
    pass

class Options:
    def __init__(self, *fields, handler=None):
        self.fields = fields
        self.handler = handler
`

// TestValuesPython runs the Python the values embed: it must parse, and
// the option handler must bound and shape worker requests.
func TestValuesPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	vs, err := Values(valuesTestGCP(), valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	snippets := map[string]any{"glue": valDaskhubGlue}
	extra, _ := values.Get(vs.Merged("staging"), "dask-gateway", "gateway", "extraConfig")
	for k, v := range extra.(map[string]any) {
		snippets[k] = v
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "dask_gateway_server")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "__init__.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "options.py"), []byte(valuesPythonStub), 0o644); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(snippets)
	cmd := exec.Command(python, "-c", valuesPythonDriver)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %s: %v", out, err)
	}
	want := valuesJSON(t, `{
		"fields": {
			"worker_cores": {"default": 2.0, "min": 1.0, "max": 8.0, "label": "Worker cores"},
			"worker_memory": {"default": 8.0, "min": 1.0, "max": 28.0, "label": "Worker memory (GiB)"},
			"image": {"default": "us-central1-docker.pkg.dev/pangeo-ocean/hubs/alpha-notebook:3f9a2c1b7d4e", "label": "Image"},
			"environment": {"default": {}, "label": "Environment variables"}
		},
		"config": {
			"image": "repo/nb:v1",
			"worker_cores": 2.64,
			"worker_cores_limit": 3.0,
			"worker_threads": 3,
			"worker_memory": 10200547328,
			"worker_memory_limit": 10737418240,
			"environment": {"A": "1"},
			"scheduler_extra_pod_annotations": {"hub.jupyter.org/username": "Jane Doe@example.org", "prometheus.io/port": "8787", "prometheus.io/scrape": "true"},
			"worker_extra_pod_annotations": {"hub.jupyter.org/username": "Jane Doe@example.org", "prometheus.io/port": "8787", "prometheus.io/scrape": "true"},
			"scheduler_extra_pod_labels": {"hub.jupyter.org/username": "Jane-Doe-example.org"},
			"worker_extra_pod_labels": {"hub.jupyter.org/username": "Jane-Doe-example.org"}
		},
		"untagged": "refused",
		"idle": 1800,
		"max_cores": 20.0,
		"max_memory": "600G"
	}`)
	if diff := valuesMissing(got, want); diff != "" || len(got) != len(want) {
		t.Errorf("python gave %s\n%s", out, diff)
	}
	// 0.88 * 3 is not exactly 2.64 in floating point; compare loosely.
	if c, _ := values.Get(got, "config", "worker_cores"); c != nil {
		if f, _ := c.(float64); f < 2.639 || f > 2.641 {
			t.Errorf("worker_cores = %v", c)
		}
	}
}

// TestValuesFiles checks the files: paths, mode, header, and that they
// decode back to the values, deterministically.
func TestValuesFiles(t *testing.T) {
	h := valuesTestAWS()
	vs, err := Values(h, valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	files, err := ValuesFiles(h, vs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"deployments/bravo/config/common.yaml":  vs.Common,
		"deployments/bravo/config/staging.yaml": vs.Env["staging"],
		"deployments/bravo/config/prod.yaml":    vs.Env["prod"],
	}
	if len(files) != len(want) {
		t.Fatalf("got %d files, want %d", len(files), len(want))
	}
	for _, f := range files {
		w, ok := want[f.Path]
		if !ok {
			t.Errorf("unexpected file %s", f.Path)
			continue
		}
		if f.Mode != 0o644 || f.Stub {
			t.Errorf("%s: mode %o stub %v", f.Path, f.Mode, f.Stub)
		}
		if !bytes.HasPrefix(f.Data, []byte(HashHeader(h))) {
			t.Errorf("%s: no header:\n%s", f.Path, f.Data)
		}
		var back map[string]any
		if err := yaml.Unmarshal(f.Data, &back); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if back = values.NormalizeMap(back); !reflect.DeepEqual(back, w) {
			t.Errorf("%s decodes to\n%s\nwant\n%s", f.Path, valJSON(back), valJSON(w))
		}
	}
	common := string(files[0].Data)
	for _, s := range []string{
		"\n    startTimeout: 900\n",  // an integer prints as one
		"cpu:\n      guarantee: 2\n", // even when it came in as a float
		"\n    concurrency: 5\n",     // also a raw one
		"      prometheus: |\n        c.JupyterHub.authenticate_prometheus = False\n", // code as a block
	} {
		if !strings.Contains(common, s) {
			t.Errorf("common.yaml lacks %q:\n%s", s, common)
		}
	}
	again, err := Values(valuesTestAWS(), valuesTestImage)
	if err != nil {
		t.Fatal(err)
	}
	files2, err := ValuesFiles(h, again)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(files, files2) {
		t.Errorf("ValuesFiles is not deterministic")
	}
}

// TestValuesDigestImage checks that a digest reference survives the
// charts' "name:tag" join.
func TestValuesDigestImage(t *testing.T) {
	const ref = "pangeo/pangeo-notebook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h := valuesTestAzure()
	h.Image.Prebuilt = ref
	vs, err := Values(h, ParseImageRef(ref))
	if err != nil {
		t.Fatal(err)
	}
	for _, keys := range [][]string{
		{"jupyterhub", "singleuser", "image"},
		{"dask-gateway", "gateway", "backend", "image"},
	} {
		img, _ := values.Get(vs.Common, keys...)
		m, _ := img.(map[string]any)
		if joined := m["name"].(string) + ":" + m["tag"].(string); joined != ref {
			t.Errorf("%s joins to %s, want %s", strings.Join(keys, "."), joined, ref)
		}
	}
	handler, _ := values.Get(vs.Common, "dask-gateway", "gateway", "extraConfig", "optionHandler")
	if !strings.Contains(handler.(string), `String("image", default="`+ref+`"`) {
		t.Errorf("option handler's default image is not %s:\n%s", ref, handler)
	}
	ValidateAgainstUpstream(t, vs.Merged("prod"))
}

// TestValuesNFSClaim: storage.claim mounts the generated chart's claim
// (static storage, the user's sub path) and gives the chart its export; a
// shared folder outside the export stays an NFS volume of its own.
func TestValuesNFSClaim(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(h *hub.Hub)
		storage map[string]any
		initSub string
		err     string
	}{
		{"claim", func(h *hub.Hub) { h.Storage.Shared = nil }, map[string]any{
			"type": "static", "static": map[string]any{"pvcName": "home-nfs", "subPath": "home/ocean.pangeo.io/{username}"}}, "home/ocean.pangeo.io/{username}", ""},
		{"claim and a shared folder outside the export", nil, map[string]any{
			"type": "static", "static": map[string]any{"pvcName": "home-nfs", "subPath": "home/ocean.pangeo.io/{username}"},
			"extraVolumes":      []any{map[string]any{"name": "shared", "nfs": map[string]any{"server": "10.126.142.50", "path": "/shared"}}},
			"extraVolumeMounts": []any{map[string]any{"name": "shared", "mountPath": "/home/jovyan/shared", "readOnly": true}},
		}, "home/ocean.pangeo.io/{username}", ""},
		{"a pulled chart makes no claim", func(h *hub.Hub) { h.Chart.Name = "daskhub" }, nil, "", "storage.claim: the claim is made by the generated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := valuesTestGCP()
			h.Storage.Claim = "home-nfs"
			h.Storage.SubPath = "home/ocean.pangeo.io/{username}"
			h.Storage.Path = "/homes/"
			if tt.edit != nil {
				tt.edit(h)
			}
			vs, err := Values(h, valuesTestImage)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, _ := values.Get(vs.Common, "jupyterhub", "singleuser", "storage")
			if !reflect.DeepEqual(st, tt.storage) {
				t.Errorf("storage %s, want %s", valJSON(st), valJSON(tt.storage))
			}
			sub, _ := values.Get(vs.Common, "jupyterhub", "singleuser", "initContainers")
			if l, _ := sub.([]any); len(l) != 1 || values.Lookup(l[0], "volumeMounts") == nil ||
				!reflect.DeepEqual(values.Lookup(l[0].(map[string]any)["volumeMounts"].([]any)[0], "subPath"), tt.initSub) {
				t.Errorf("init container %s, want the home mount at %s", valJSON(sub), tt.initSub)
			}
			nfs, _ := values.Get(vs.Common, "homeDirectories", "nfs")
			want := map[string]any{"enabled": true, "claimName": "home-nfs", "serverIP": "10.126.142.50", "serverPath": "/homes"}
			if !reflect.DeepEqual(nfs, want) {
				t.Errorf("homeDirectories.nfs %s, want %s", valJSON(nfs), valJSON(want))
			}
		})
	}
}

// TestValuesProfileOverrides checks a profile's image and env in its
// kubespawner_override: env on top of the hub's extraEnv, nothing when unset.
func TestValuesProfileOverrides(t *testing.T) {
	img := "pangeo/ml-notebook:2025.11.13"
	tests := []struct {
		name    string
		profile func(*hub.Profile)
		key     string
		want    any
	}{
		{"image", func(p *hub.Profile) { p.Image = &img }, "image", img},
		{"no image", func(p *hub.Profile) {}, "image", nil},
		{"no env", func(p *hub.Profile) {}, "environment", nil},
		{"env over hub env", func(p *hub.Profile) {
			p.Env = map[string]string{"OMP_NUM_THREADS": "4", "DASK_LABEXTENSION__FACTORY__CLASS": "Mine"}
		}, "environment", map[string]any{
			"OMP_NUM_THREADS":                       "4",
			"DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE": "{JUPYTER_IMAGE_SPEC}",
			"DASK_DISTRIBUTED__DASHBOARD__LINK":     "/user/{JUPYTERHUB_USER}/proxy/{port}/status",
			"DASK_LABEXTENSION__FACTORY__MODULE":    "dask_gateway",
			"DASK_LABEXTENSION__FACTORY__CLASS":     "Mine",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := valuesTestGCP()
			ps := valuesTestProfiles()
			tt.profile(&ps[1])
			h.Notebook.Profiles = ps
			vs, err := Values(h, valuesTestImage)
			if err != nil {
				t.Fatal(err)
			}
			pl, _ := values.Get(vs.Common, "jupyterhub", "singleuser", "profileList")
			l, _ := pl.([]any)
			if len(l) != 2 {
				t.Fatalf("profileList = %v, want 2 profiles", pl)
			}
			o, _ := values.Lookup(l[1].(map[string]any), "kubespawner_override").(map[string]any)
			if got := o[tt.key]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kubespawner_override.%s = %#v, want %#v", tt.key, got, tt.want)
			}
			if _, ok := values.Lookup(l[0].(map[string]any), "kubespawner_override").(map[string]any)["environment"]; ok {
				t.Errorf("profile without env has an environment override")
			}
		})
	}
}
