package gen

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"github.com/pangeo-data/pangeo-gen/internal/tfschema"
)

// terraformGenerators are the cluster generators that write Terraform, by
// provider, with the provider schema they are validated against.
var terraformGenerators = map[string]struct {
	generate func(Cluster) ([]File, error)
	schema   string // under ../shared/upstream/terraform/
	source   string
	// unchecked are the resource types the schema file does not hold.
	unchecked []string
}{
	"gcp":   {gkeClusterFiles, "google.schema.json", "registry.terraform.io/hashicorp/google", nil},
	"azure": {aksClusterFiles, "azurerm.schema.json", "registry.terraform.io/hashicorp/azurerm", []string{"azurerm_role_assignment"}},
}

// realClusters are the clusters of the federation's own hubs (hubs/*.cue)
// on GCP and Azure.
func realClusters(t *testing.T) []Cluster {
	t.Helper()
	fed, err := load.Load("..")
	if err != nil {
		t.Fatalf("load hubs/: %v", err)
	}
	clusters, conflicts := GroupClusters(fed.Hubs)
	if len(conflicts) > 0 {
		t.Fatalf("conflicts: %v", conflicts)
	}
	var out []Cluster
	providers := map[string]bool{}
	for _, c := range clusters {
		if _, ok := terraformGenerators[c.Cloud.Provider]; ok {
			out = append(out, c)
			providers[c.Cloud.Provider] = true
		}
	}
	if !providers["gcp"] || !providers["azure"] {
		t.Fatalf("hubs/ has no GCP or no Azure cluster (clusters of %v)", providers)
	}
	return out
}

// testCluster is a cluster of one hand-built hub.
func testCluster(provider string, edit func(*hub.Hub)) Cluster {
	h := &hub.Hub{Name: "ocean"}
	h.Cloud = hub.Cloud{Provider: provider, Cluster: "pangeo-ocean", KubernetesVersion: "1.33"}
	switch provider {
	case "gcp":
		h.Cloud.Project, h.Cloud.Location = "pangeo-ocean", "us-central1-b"
		h.Cloud.NodePools = hub.NodePools{
			Core: hub.NodePool{MachineType: "n2-standard-2", Min: 1, Max: 2},
			User: hub.NodePool{MachineType: "n2-highmem-8", Max: 20},
			Dask: hub.NodePool{MachineType: "n2-highmem-4", Max: 100, Spot: true},
		}
		h.Image.Repository = "us-central1-docker.pkg.dev/pangeo-ocean/hubs/ocean-notebook"
	case "azure":
		h.Cloud.ResourceGroup, h.Cloud.Location, h.Cloud.Registry = "pangeo-ocean", "westeurope", "pangeoocean"
		h.Cloud.NodePools = hub.NodePools{
			Core: hub.NodePool{MachineType: "Standard_D2s_v3", Min: 1, Max: 2},
			User: hub.NodePool{MachineType: "Standard_E8s_v3", Max: 20},
			Dask: hub.NodePool{MachineType: "Standard_E4s_v3", Max: 80, Spot: true},
		}
		h.Image.Repository = "pangeoocean.azurecr.io/ocean-notebook"
	}
	if edit != nil {
		edit(h)
	}
	return Cluster{Name: h.Cloud.Cluster, Cloud: h.Cloud, Hubs: []*hub.Hub{h}}
}

func generateTerraform(t *testing.T, c Cluster) []File {
	t.Helper()
	files, err := terraformGenerators[c.Cloud.Provider].generate(c)
	if err != nil {
		t.Fatalf("generate %s: %v", c.Name, err)
	}
	return files
}

// TestTerraformClusterFormat checks every generated file: it starts with
// the generated-file header, is formatted as terraform fmt formats it
// (formatting it again changes nothing), and holds no backend block.
func TestTerraformClusterFormat(t *testing.T) {
	clusters := append(realClusters(t), testCluster("gcp", nil), testCluster("azure", nil))
	for _, c := range clusters {
		for _, f := range generateTerraform(t, c) {
			if !strings.HasPrefix(string(f.Data), HashHeader(c.Sources())) {
				t.Errorf("%s does not start with the header %q", f.Path, HashHeader(c.Sources()))
			}
			if got := hclwrite.Format(f.Data); !bytes.Equal(got, f.Data) {
				t.Errorf("%s is not formatted:\n%s", f.Path, got)
			}
			file, diags := hclwrite.ParseConfig(f.Data, f.Path, hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("%s: %v", f.Path, diags)
			}
			for _, b := range file.Body().Blocks() {
				if b.Type() == "terraform" && len(b.Body().Blocks()) > 0 {
					for _, nb := range b.Body().Blocks() {
						if nb.Type() == "backend" || nb.Type() == "cloud" {
							t.Errorf("%s has a %s block: the operator configures it", f.Path, nb.Type())
						}
					}
				}
			}
			if f.Mode != 0o644 || !strings.HasPrefix(f.Path, ClusterDir(c.Name)+"/") {
				t.Errorf("%s: mode %o, want 0644 under %s", f.Path, f.Mode, ClusterDir(c.Name))
			}
		}
	}
}

// TestTerraformClusterValidates is terraform validate, offline: every file
// of the federation's GCP and Azure clusters, and of variants (a regional
// cluster, spot user pools, an image outside Artifact Registry), against
// the real provider schemas.
func TestTerraformClusterValidates(t *testing.T) {
	clusters := append(realClusters(t),
		testCluster("gcp", func(h *hub.Hub) {
			h.Cloud.Location = "europe-west4"
			h.Cloud.NodePools.User.Spot = true
			h.Cloud.NodePools.Dask.Spot = false
			h.Image.Repository = "quay.io/pangeo/ocean"
		}),
		testCluster("azure", func(h *hub.Hub) {
			h.Cloud.NodePools.User.Spot = true
			h.Cloud.NodePools.Dask.Spot = false
		}))
	schemas := map[string]*tfschema.Schema{}
	for _, c := range clusters {
		t.Run(c.Cloud.Provider+"/"+c.Cloud.Location, func(t *testing.T) {
			g := terraformGenerators[c.Cloud.Provider]
			s, ok := schemas[g.schema]
			if !ok {
				data, err := os.ReadFile(shareddata.Path(t, "upstream/terraform/"+g.schema))
				if err != nil {
					t.Fatal(err)
				}
				if s, err = tfschema.Load(data, g.source); err != nil {
					t.Fatal(err)
				}
				schemas[g.schema] = s
			}
			module := map[string][]byte{}
			for _, f := range generateTerraform(t, c) {
				module[f.Path] = f.Data
			}
			res, err := tfschema.Validator{Schemas: []*tfschema.Schema{s}, Unchecked: g.unchecked}.Validate(module)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Problems {
				t.Error(p)
			}
			if strings.Join(res.Unchecked, ",") != strings.Join(g.unchecked, ",") {
				t.Errorf("unchecked resource types %v, want %v", res.Unchecked, g.unchecked)
			}
		})
	}
}

// TestTerraformClusterVariants checks what each hub setting becomes in
// main.tf (the goldens show the whole of the federation's clusters).
func TestTerraformClusterVariants(t *testing.T) {
	for _, tc := range []struct {
		name     string
		c        Cluster
		want     []string // in main.tf
		dontWant []string
		err      string
	}{
		{"gke zonal: per-zone limits are the pool's", testCluster("gcp", nil),
			[]string{"location                 = \"us-central1-b\"", "region  = \"us-central1\"", "min_node_count  = 0\n    max_node_count  = 100", "spot         = true", `key    = "cloud.google.com/gke-spot"`},
			[]string{"total_max_node_count"}, ""},
		{"gke regional: totals over the zones", testCluster("gcp", func(h *hub.Hub) { h.Cloud.Location = "europe-west4" }),
			[]string{`region  = "europe-west4"`, "total_min_node_count = 1\n    total_max_node_count = 2"},
			[]string{"    min_node_count"}, ""},
		{"gke: on-demand dask pool has no spot taint", testCluster("gcp", func(h *hub.Hub) { h.Cloud.NodePools.Dask.Spot = false }),
			[]string{`key    = "k8s.dask.org/dedicated"`},
			[]string{"spot", "gke-spot"}, ""},
		{"gke: the repository of each hub once, in its own project", func() Cluster {
			c := testCluster("gcp", func(h *hub.Hub) { h.Image.Repository = "europe-docker.pkg.dev/shared-images/pangeo/ocean" })
			two := *c.Hubs[0]
			two.Name, two.Image.Repository = "bravo", "europe-docker.pkg.dev/shared-images/pangeo/bravo"
			c.Hubs = append(c.Hubs, &two)
			return c
		}(),
			[]string{`resource "google_artifact_registry_repository" "pangeo" {`, `project       = "shared-images"`, `location      = "europe"`, `Images of the hubs bravo, ocean (pangeo-gen)`, "roles/artifactregistry.reader there"},
			nil, ""},
		{"gke: no repository for an image elsewhere", testCluster("gcp", func(h *hub.Hub) { h.Image.Repository = "quay.io/pangeo/ocean" }),
			nil, []string{"google_artifact_registry_repository"}, ""},
		{"gke: an Artifact Registry image without its repository", testCluster("gcp", func(h *hub.Hub) { h.Image.Repository = "us-docker.pkg.dev/proj/ocean" }),
			nil, nil, `hub ocean: image.repository "us-docker.pkg.dev/proj/ocean": an Artifact Registry image is LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE`},
		{"aks spot user pool: AKS's label and taint stated", testCluster("azure", func(h *hub.Hub) { h.Cloud.NodePools.User.Spot = true; h.Cloud.NodePools.Dask.Spot = false }),
			[]string{"\"hub.jupyter.org/node-purpose\"          = \"user\"\n    \"kubernetes.azure.com/scalesetpriority\" = \"spot\"", `node_taints     = ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]`},
			[]string{`node_taints     = ["k8s.dask.org/dedicated=worker:NoSchedule", "kubernetes`}, ""},
		{"aks spot dask pool: its taint once", testCluster("azure", nil),
			[]string{`node_taints     = ["k8s.dask.org/dedicated=worker:NoSchedule", "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]`, `priority        = "Spot"`, `eviction_policy = "Delete"`, "spot_max_price  = -1", "min_count            = 1"},
			nil, ""},
		{"aks: no registry name", testCluster("azure", func(h *hub.Hub) { h.Cloud.Registry = "" }),
			nil, nil, "cluster pangeo-ocean: cloud.resourceGroup, cloud.location and cloud.registry are required on azure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := terraformGenerators[tc.c.Cloud.Provider].generate(tc.c)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var main string
			for _, f := range files {
				if f.Path == ClusterDir(tc.c.Name)+"/main.tf" {
					main = string(f.Data)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(main, w) {
					t.Errorf("main.tf lacks %q:\n%s", w, main)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(main, w) {
					t.Errorf("main.tf has %q:\n%s", w, main)
				}
			}
		})
	}
}
