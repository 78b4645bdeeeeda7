package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Test hubs shaped like the federation's three (hubs/*.cue after CUE filled
// in the defaults), plus a prebuilt one. Each call returns a fresh copy.

func fxPin(v, repo string) hub.Pin { return hub.Pin{Version: v, Repository: repo} }

func fxChart() hub.Chart {
	return hub.Chart{
		Name:        hub.GeneratedChart,
		JupyterHub:  fxPin("4.4.0", "https://jupyterhub.github.io/helm-chart/"),
		DaskGateway: fxPin("2026.3.0", "https://helm.dask.org/"),
	}
}

func fxGateway() hub.Dask {
	g := &hub.GatewayDask{ClusterMaxCores: 100, ClusterMaxMemoryGiB: 600}
	g.Worker.Cores = hub.Range{Min: 1, Max: 8, Default: 2}
	g.Worker.MemoryGiB = hub.Range{Min: 1, Max: 28, Default: 8}
	return hub.Dask{Backend: hub.BackendGateway, Gateway: g}
}

func fxNotebook() hub.Notebook {
	return hub.Notebook{
		CPU:    hub.CPU{Guarantee: 1, Limit: 2},
		Memory: hub.Memory{Guarantee: "4G", Limit: "8G"},
		Profiles: []hub.Profile{{
			Slug: "small", DisplayName: "Small (2 cores, 8 GB)", Default: true,
			CPU: hub.CPU{Guarantee: 1, Limit: 2}, Memory: hub.Memory{Guarantee: "4G", Limit: "8G"},
		}},
		StartTimeout: 600,
		DefaultURL:   "/lab",
	}
}

var fxStack = []string{
	"python=3.12", "dask=2025.11.0", "distributed=2025.11.0", "dask-gateway=2026.3.0",
	"xarray=2025.11.0", "intake=0.7.0", "intake-stac=0.4.0", "jupyterlab=4.4.10",
	"dask-labextension=7.0.0",
}

// fxGCP is like alpha: GCP, gateway, built image with a notebook, NFS, git-crypt.
func fxGCP() *hub.Hub {
	five := 20.0
	return &hub.Hub{
		Name:        "alpha",
		Title:       "Pangeo Ocean",
		Description: "Synoptic ocean state from MODIS, Argo and altimetry.",
		Owners:      []string{"jhamman", "rabernat"},
		Contact:     "hub-admins@pangeo.io",
		Environments: map[string]hub.Env{
			"staging": {Domain: "staging.ocean.pangeo.io", LoadBalancerIP: "34.69.173.244", HTTPS: true,
				Dask: &hub.DaskOverride{ClusterMaxCores: &five}},
			"prod": {Domain: "ocean.pangeo.io", LoadBalancerIP: "35.238.103.127", HTTPS: true},
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
			Conda: hub.Conda{
				Channels:     []string{"conda-forge"},
				Dependencies: append(slices.Clone(fxStack), "earthaccess=0.15.1", "gsw=3.6.19"),
			},
			Apt:       []string{"graphviz", "vim"},
			PostBuild: []string{"jupyter lab build --minimize=False"},
			Start:     map[string]string{"DASK_DISTRIBUTED__DASHBOARD__LINK": "/user/{JUPYTERHUB_USER}/proxy/{port}/status"},
			Files: map[string]string{
				"notebooks/modis-sst.ipynb": "{\n \"cells\": [],\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n",
				"README.md":                 "# Welcome\n",
			},
		},
		Auth:     hub.Auth{GitHub: &hub.GitHubAuth{Orgs: []string{"pangeo-data"}}, Admins: []string{"jhamman"}},
		Notebook: fxNotebook(),
		Storage:  hub.Storage{Type: "nfs", Server: "10.126.142.50", Path: "/homes", Shared: &hub.SharedFolder{Path: "/shared", MountPath: "/home/jovyan/shared", ReadOnly: true}},
		Culling:  hub.Culling{NotebookIdleTimeout: 3600, DaskIdleTimeout: 1800},
		Dask:     fxGateway(),
		Catalogs: map[string]hub.Catalog{
			"podaac": {Description: "PO.DAAC collections through CMR STAC", URL: "https://cmr.earthdata.nasa.gov/stac/POCLOUD"},
			"cmr":    {Description: "NASA Common Metadata Repository (CMR) STAC", URL: "https://cmr.earthdata.nasa.gov/stac"},
		},
		Chart:   fxChart(),
		Secrets: hub.Secrets{Backend: "git-crypt", Key: "default"},
	}
}

// fxAWS is like bravo: AWS with a role, kubernetes backend, a base image,
// pip and apt packages, OAuth2, sops.
func fxAWS() *hub.Hub {
	maxAge := 172800
	k := &hub.KubernetesDask{MaxWorkers: 100}
	k.Worker.Cores, k.Worker.Memory, k.Worker.Threads = 2, "14G", 2
	return &hub.Hub{
		Name:        "bravo",
		Title:       "Pangeo Glaciers",
		Description: "Glacier velocity | acceleration from GoLIVE and ITS_LIVE.",
		Owners:      []string{"scottyhq", "fperez"},
		Contact:     "glaciers-admins@pangeo.io",
		Environments: map[string]hub.Env{
			"staging": {Domain: "staging.glaciers.pangeo.io", HTTPS: true},
			"prod": {Domain: "glaciers.pangeo.io", HTTPS: true,
				Culling: &hub.CullingOverride{NotebookMaxAge: &maxAge}},
		},
		Cloud: hub.Cloud{
			Provider: "aws", AccountID: "783380859522", Region: "us-west-2", Cluster: "pangeo-glaciers", KubernetesVersion: "1.33",
			RoleARN:    "arn:aws:iam::783380859522:role/pangeo-glaciers-deployer",
			Autoscaler: hub.Pin{Version: "9.59.0", Repository: "https://kubernetes.github.io/autoscaler"},
			NodePools: hub.NodePools{
				Core: hub.NodePool{MachineType: "m5.large", Min: 1, Max: 2},
				User: hub.NodePool{MachineType: "r5.2xlarge", Max: 30},
				Dask: hub.NodePool{MachineType: "r5.xlarge", Max: 200, Spot: true},
			},
		},
		Image: hub.Image{
			Repository: "783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers",
			Base:       "pangeo/pangeo-notebook-onbuild:2025.11.13",
			Conda: hub.Conda{
				Channels:     []string{"conda-forge"},
				Dependencies: []string{"dask-kubernetes=2025.7.0", "rioxarray=0.19.0", "intake-stac=0.4.0"},
				Pip:          []string{"golive-tools==0.3.2"},
			},
			Apt:   []string{"gdal-bin"},
			Start: map[string]string{},
			Files: map[string]string{},
		},
		Auth: hub.Auth{
			OAuth2: &hub.OAuth2Auth{
				LoginService: "NASA Earthdata", AuthorizeURL: "https://urs.earthdata.nasa.gov/oauth/authorize",
				TokenURL: "https://urs.earthdata.nasa.gov/oauth/token", UserdataURL: "https://urs.earthdata.nasa.gov/oauth/userInfo",
				UsernameClaim: "uid",
			},
			Admins:       []string{"scottyhq"},
			AllowedUsers: []string{"scottyhq", "glacier-lab"},
		},
		Notebook: fxNotebook(),
		Storage:  hub.Storage{Type: "dynamic", Capacity: "20Gi", StorageClass: "gp3"},
		Culling:  hub.Culling{NotebookIdleTimeout: 5400, DaskIdleTimeout: 1800},
		Dask:     hub.Dask{Backend: hub.BackendKubernetes, Kubernetes: k},
		Catalogs: map[string]hub.Catalog{"its_live": {Description: "ITS_LIVE glacier velocity mosaics", URL: "https://stac.itslive.cloud"}},
		Chart:    fxChart(),
		Secrets: hub.Secrets{
			Backend: "sops",
			Age:     []string{"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"},
			AWSKMS:  []string{"arn:aws:kms:us-west-2:783380859522:key/5b7e6c1e-6f0a-4c43-9f3e-2b0c8c1d9a77"},
		},
	}
}

// fxAzure is like charlie: Azure, gateway, a stack without intake-stac or
// dask-gateway listed, a workspace, a named git-crypt key.
func fxAzure() *hub.Hub {
	h := fxGCP()
	h.Name, h.Title = "charlie", "Pangeo Atmosphere"
	h.Environments = map[string]hub.Env{
		"staging": {Domain: "staging.atmos.pangeo.io", HTTPS: true},
		"prod":    {Domain: "atmos.pangeo.io", HTTPS: true},
	}
	h.Cloud = hub.Cloud{
		Provider: "azure", ResourceGroup: "pangeo-atmos", Cluster: "pangeo-atmos", Registry: "pangeoatmos", Location: "westeurope",
		NodePools: hub.NodePools{
			Core: hub.NodePool{MachineType: "Standard_D2s_v3", Min: 1, Max: 2},
			User: hub.NodePool{MachineType: "Standard_E8s_v3", Max: 20},
			Dask: hub.NodePool{MachineType: "Standard_E4s_v3", Max: 80, Spot: true},
		},
	}
	h.Image.Repository = "pangeoatmos.azurecr.io/charlie-notebook"
	h.Image.Conda.Dependencies = []string{"python=3.12", "xarray=2025.11.0", "metpy=1.7.1"}
	h.Image.Files = map[string]string{}
	h.Image.Workspace = map[string]any{"data": map[string]any{"layout-restorer:data": map[string]any{}}}
	h.Image.Start = map[string]string{"GREETING": "it's $HOME; `x` \"y\"", "A_FIRST": "1"}
	h.Catalogs = map[string]hub.Catalog{"gesdisc": {Description: "GES DISC", URL: "https://cmr.earthdata.nasa.gov/stac/GES_DISC"}}
	h.Secrets = hub.Secrets{Backend: "git-crypt", Key: "atmos"}
	h.Storage = hub.Storage{Type: "dynamic", Capacity: "10Gi"}
	return h
}

// fxPrebuilt uses an image as is, on GCP, without catalogs.
func fxPrebuilt() *hub.Hub {
	h := fxGCP()
	h.Name = "delta"
	h.Image = hub.Image{Prebuilt: "pangeo/pangeo-notebook:2025.11.13"}
	h.Catalogs = map[string]hub.Catalog{}
	return h
}

// fxHubs are the built test hubs by name.
func fxHubs() map[string]*hub.Hub {
	return map[string]*hub.Hub{"gcp": fxGCP(), "aws": fxAWS(), "azure": fxAzure()}
}

func fxImageFiles(t *testing.T, h *hub.Hub) map[string]File {
	t.Helper()
	files, err := ImageFiles(h)
	if err != nil {
		t.Fatalf("ImageFiles(%s): %v", h.Name, err)
	}
	if !sort.SliceIsSorted(files, func(i, j int) bool { return files[i].Path < files[j].Path }) {
		t.Errorf("ImageFiles(%s) not sorted by path", h.Name)
	}
	out := map[string]File{}
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, "deployments/"+h.Name+"/image/")
		if !ok {
			t.Errorf("file %s outside deployments/%s/image/", f.Path, h.Name)
		}
		if _, dup := out[rel]; dup {
			t.Errorf("file %s twice", f.Path)
		}
		if f.Stub {
			t.Errorf("image file %s is a stub", f.Path)
		}
		out[rel] = f
	}
	return out
}

func fxKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestImageFilesLayout(t *testing.T) {
	tests := []struct {
		name string
		h    *hub.Hub
		want []string
	}{
		{"gcp", fxGCP(), []string{
			".dask/config.yaml", ".intake/conf.yaml", "README.md", "binder/apt.txt", "binder/environment.yml",
			"binder/postBuild", "binder/start", "catalogs/pangeo.yaml", "notebooks/modis-sst.ipynb",
		}},
		{"aws", fxAWS(), []string{
			".dask/config.yaml", ".intake/conf.yaml", "binder/Dockerfile", "binder/apt.txt", "binder/environment.yml",
			"binder/postBuild", "binder/start", "catalogs/pangeo.yaml",
		}},
		{"azure", fxAzure(), []string{
			".dask/config.yaml", ".intake/conf.yaml", "binder/apt.txt", "binder/environment.yml",
			"binder/jupyterlab-workspace.json", "binder/postBuild", "binder/start", "catalogs/pangeo.yaml",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := fxImageFiles(t, tt.h)
			if got := fxKeys(files); !slices.Equal(got, tt.want) {
				t.Fatalf("files\n got %v\nwant %v", got, tt.want)
			}
			header := HashHeader(tt.h)
			for rel, f := range files {
				wantMode := os.FileMode(0o644)
				if rel == "binder/postBuild" || rel == "binder/start" {
					wantMode = 0o755
				}
				if f.Mode != wantMode {
					t.Errorf("%s: mode %o, want %o", rel, f.Mode, wantMode)
				}
				if content, ok := tt.h.Image.Files[rel]; ok {
					if string(f.Data) != content {
						t.Errorf("%s: not verbatim", rel)
					}
					continue
				}
				switch {
				case strings.HasSuffix(rel, ".json"):
					if !json.Valid(f.Data) {
						t.Errorf("%s: invalid JSON", rel)
					}
				case rel == "binder/postBuild" || rel == "binder/start":
					if !strings.HasPrefix(string(f.Data), "#!/bin/bash\n"+header) {
						t.Errorf("%s: want shebang then header, got %q", rel, fxFirstLines(f.Data, 2))
					}
				case rel == "binder/apt.txt" && tt.h.Image.Base != "":
					// xargs -a apt.txt in the onbuild images: no comment.
					if bytes.Contains(f.Data, []byte("#")) {
						t.Errorf("%s: a comment breaks the onbuild image's xargs: %q", rel, f.Data)
					}
				default:
					if !strings.HasPrefix(string(f.Data), header) {
						t.Errorf("%s: want header first, got %q", rel, fxFirstLines(f.Data, 1))
					}
				}
			}
			again := fxImageFiles(t, tt.h)
			for rel, f := range files {
				if !bytes.Equal(f.Data, again[rel].Data) {
					t.Errorf("%s: output differs between runs", rel)
				}
			}
		})
	}
}

func fxFirstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func TestImageFilesPrebuilt(t *testing.T) {
	files, err := ImageFiles(fxPrebuilt())
	if err != nil || files != nil {
		t.Fatalf("ImageFiles(prebuilt) = %v, %v; want nil, nil", files, err)
	}
}

func TestDockerfileAndApt(t *testing.T) {
	files := fxImageFiles(t, fxAWS())
	df := string(files["binder/Dockerfile"].Data)
	if !strings.HasSuffix(df, "\nFROM pangeo/pangeo-notebook-onbuild:2025.11.13\n") {
		t.Errorf("Dockerfile does not end with the FROM line:\n%s", df)
	}
	if got := string(files["binder/apt.txt"].Data); got != "gdal-bin\n" {
		t.Errorf("apt.txt (base image) = %q", got)
	}
	gcp := fxImageFiles(t, fxGCP())
	if got, want := string(gcp["binder/apt.txt"].Data), HashHeader(fxGCP())+"graphviz\nvim\n"; got != want {
		t.Errorf("apt.txt = %q, want %q", got, want)
	}
}

func fxSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile(file)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return s
}

// yamlToJSONValue decodes YAML into the plain JSON values jsonschema takes.
func fxJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("yaml: %v\n%s", err, data)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	return out
}

type fxCondaEnv struct {
	Name         *string  `yaml:"name"`
	Channels     []string `yaml:"channels"`
	Dependencies []any    `yaml:"dependencies"`
}

func TestEnvironmentYML(t *testing.T) {
	schema := fxSchema(t, shareddata.Path(t, "upstream/conda/environment.schema.json"))
	noCatalogs := fxGCP()
	noCatalogs.Catalogs = nil
	noCatalogs.Image.Conda.Dependencies = []string{"python=3.12", "xarray"}
	pipOnly := fxAzure()
	pipOnly.Image.Conda.Pip = []string{"golive-tools==0.3.2", "git+https://github.com/x/y@v1"}
	pipOnly.Image.Conda.Dependencies = []string{"pip=25.0", "python=3.12"}
	pinnedKube := fxAWS()
	pinnedKube.Image.Conda.Dependencies = []string{"dask-kubernetes >=2024.1", "intake-stac"}
	pinnedKube.Image.Conda.Pip = nil
	oldGateway := fxGCP()
	oldGateway.Image.Conda.Dependencies = []string{"python=3.12", "dask-gateway>=2024.1.0"}

	tests := []struct {
		name     string
		h        *hub.Hub
		wantDeps []string // conda specs, in order
		wantPip  []string
	}{
		{"gateway", fxGCP(), append(slices.Clone(fxStack), "earthaccess=0.15.1", "gsw=3.6.19"), nil},
		{"gateway adds client and intake-stac", fxAzure(),
			[]string{"python=3.12", "xarray=2025.11.0", "metpy=1.7.1", "intake-stac", "dask-gateway=2026.3.0"}, nil},
		{"gateway without catalogs", noCatalogs, []string{"python=3.12", "xarray", "dask-gateway=2026.3.0"}, nil},
		{"gateway keeps the hub's own dask-gateway spec", oldGateway,
			[]string{"python=3.12", "dask-gateway>=2024.1.0", "intake-stac"}, nil},
		{"kubernetes, base image, pip", fxAWS(),
			[]string{"dask-kubernetes=2025.7.0", "rioxarray=0.19.0", "intake-stac=0.4.0", "pip"}, []string{"golive-tools==0.3.2"}},
		{"kubernetes spec with spaces", pinnedKube, []string{"dask-kubernetes >=2024.1", "intake-stac"}, nil},
		{"pip with pip listed", pipOnly,
			[]string{"pip=25.0", "python=3.12", "intake-stac", "dask-gateway=2026.3.0"}, []string{"golive-tools==0.3.2", "git+https://github.com/x/y@v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := fxImageFiles(t, tt.h)["binder/environment.yml"].Data
			if err := schema.Validate(fxJSONValue(t, data)); err != nil {
				t.Fatalf("environment.yml does not validate against the conda schema: %v\n%s", err, data)
			}
			var env fxCondaEnv
			if err := yaml.Unmarshal(data, &env); err != nil {
				t.Fatal(err)
			}
			if env.Name != nil && *env.Name != "notebook" {
				t.Errorf("name = %q, want absent or notebook", *env.Name)
			}
			if !slices.Equal(env.Channels, tt.h.Image.Conda.Channels) {
				t.Errorf("channels = %v", env.Channels)
			}
			var deps []string
			var pip []string
			for i, d := range env.Dependencies {
				switch d := d.(type) {
				case string:
					deps = append(deps, d)
				case map[string]any:
					if i != len(env.Dependencies)-1 {
						t.Errorf("pip: is not last")
					}
					for _, p := range d["pip"].([]any) {
						pip = append(pip, p.(string))
					}
				default:
					t.Errorf("dependency %v of type %T", d, d)
				}
			}
			if !slices.Equal(deps, tt.wantDeps) {
				t.Errorf("dependencies\n got %q\nwant %q", deps, tt.wantDeps)
			}
			if !slices.Equal(pip, tt.wantPip) {
				t.Errorf("pip = %q, want %q", pip, tt.wantPip)
			}
		})
	}
}

func TestCondaName(t *testing.T) {
	for spec, want := range map[string]string{
		"dask-gateway=2026.3.0": "dask-gateway", "xmitgcm>=0.4.1": "xmitgcm", "Python": "python",
		"dask-kubernetes >=2024.1": "dask-kubernetes", "conda-forge::intake-stac=0.4": "intake-stac", "pip": "pip",
		"numpy!=2.0": "numpy", "scipy~=1.1": "scipy", "x<2": "x",
	} {
		if got := condaName(spec); got != want {
			t.Errorf("condaName(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestScriptsShape(t *testing.T) {
	for name, h := range fxHubs() {
		t.Run(name, func(t *testing.T) {
			files := fxImageFiles(t, h)
			post := string(files["binder/postBuild"].Data)
			start := string(files["binder/start"].Data)
			if !strings.Contains(post, "\nset -euo pipefail\n") {
				t.Errorf("postBuild without set -euo pipefail")
			}
			for _, want := range []string{
				`"${NB_PYTHON_PREFIX}/etc/dask/`,
				`"${NB_PYTHON_PREFIX}/share/intake/pangeo.yaml"`,
				`"${NB_PYTHON_PREFIX}/etc/intake/conf.yaml"`,
				`files_dir="${NB_PYTHON_PREFIX}/share/pangeo/files"`,
			} {
				if !strings.Contains(post, want) {
					t.Errorf("postBuild lacks %s", want)
				}
			}
			for _, line := range h.Image.PostBuild {
				if !strings.Contains(post, "\n"+line+"\n") {
					t.Errorf("postBuild lacks the hub's line %q", line)
				}
			}
			if h.Image.Workspace != nil && !strings.Contains(post, "jupyter lab workspaces import") {
				t.Errorf("postBuild does not import the workspace")
			}
			if !strings.HasSuffix(start, "\nexec \"$@\"\n") {
				t.Errorf("start does not end with exec \"$@\":\n%s", start)
			}
			if !strings.Contains(start, "cp -rn ") || !strings.Contains(start, "|| true") {
				t.Errorf("start does not copy starter files best effort")
			}
			if !strings.Contains(start, "export INTAKE_CONF_DIR=") {
				t.Errorf("start does not export INTAKE_CONF_DIR")
			}
			// start variables in sorted order
			last := -1
			for _, k := range fxKeys(h.Image.Start) {
				i := strings.Index(start, "\nexport "+k+"=")
				if i < 0 || i < last {
					t.Errorf("start: export %s missing or out of order", k)
				}
				last = i
			}
		})
	}
}

func fxBash(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	return p
}

func TestScriptsBashSyntax(t *testing.T) {
	bash := fxBash(t)
	for name, h := range fxHubs() {
		for _, s := range []string{"binder/postBuild", "binder/start"} {
			t.Run(name+"/"+s, func(t *testing.T) {
				cmd := exec.Command(bash, "-n")
				cmd.Stdin = bytes.NewReader(fxImageFiles(t, h)[s].Data)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("bash -n: %v\n%s", err, out)
				}
			})
		}
	}
}

// writeImage writes an image folder into dir and returns it.
func fxWriteImage(t *testing.T, h *hub.Hub, dir string) map[string]File {
	t.Helper()
	files := fxImageFiles(t, h)
	for rel, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestPostBuildRuns runs binder/postBuild the two ways images run it
// (repo2docker: ./binder/postBuild from the folder; pangeo onbuild:
// ./postBuild from binder/) against a fake prefix and a fake jupyter.
func TestPostBuildRuns(t *testing.T) {
	bash := fxBash(t)
	for _, mode := range []string{"repo2docker", "onbuild"} {
		for name, h := range fxHubs() {
			t.Run(mode+"/"+name, func(t *testing.T) {
				tmp := t.TempDir()
				repo, prefix, bin := filepath.Join(tmp, "repo"), filepath.Join(tmp, "prefix"), filepath.Join(tmp, "bin")
				files := fxWriteImage(t, h, repo)
				log := filepath.Join(tmp, "jupyter.log")
				fake := "#!/bin/bash\necho \"$PWD|${JUPYTERLAB_WORKSPACES_DIR:-}|$*\" >> " + shellQuote(log) + "\n"
				if err := os.MkdirAll(bin, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(bin, "jupyter"), []byte(fake), 0o755); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(bash, "./binder/postBuild")
				cmd.Dir = repo
				if mode == "onbuild" {
					cmd = exec.Command(bash, "./postBuild")
					cmd.Dir = filepath.Join(repo, "binder")
				}
				cmd.Env = append(os.Environ(), "NB_PYTHON_PREFIX="+prefix, "PATH="+bin+":"+os.Getenv("PATH"))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("postBuild: %v\n%s", err, out)
				}
				want := map[string]string{
					"etc/dask/pangeo.yaml":     ".dask/config.yaml",
					"share/intake/pangeo.yaml": "catalogs/pangeo.yaml",
					"etc/intake/conf.yaml":     ".intake/conf.yaml",
				}
				for p := range h.Image.Files {
					want["share/pangeo/files/"+p] = p
				}
				for dst, src := range want {
					got, err := os.ReadFile(filepath.Join(prefix, dst))
					if err != nil {
						t.Errorf("postBuild did not install %s: %v", dst, err)
						continue
					}
					if !bytes.Equal(got, files[src].Data) {
						t.Errorf("%s differs from %s", dst, src)
					}
				}
				logged, _ := os.ReadFile(log)
				if h.Image.Workspace != nil {
					wantLine := "|" + filepath.Join(prefix, "share/pangeo/files/.jupyter/lab/workspaces") +
						"|lab workspaces import " + filepath.Join(repo, "binder/jupyterlab-workspace.json") + "\n"
					if !strings.Contains(string(logged), wantLine) {
						t.Errorf("workspace import not run as %q; log:\n%s", wantLine, logged)
					}
				}
				for _, line := range h.Image.PostBuild {
					wantLine := repo + "||" + strings.TrimPrefix(line, "jupyter ") + "\n"
					if !strings.Contains(string(logged), wantLine) {
						t.Errorf("hub postBuild line not run from the image folder (%q); log:\n%s", wantLine, logged)
					}
				}
			})
		}
	}
}

// TestStartRuns runs binder/start: starter files land in $HOME without
// overwriting the user's, variables are exported verbatim, and the command
// runs with them.
func TestStartRuns(t *testing.T) {
	bash := fxBash(t)
	h := fxAzure()
	h.Image.Files = map[string]string{"notebooks/a.ipynb": "{}", "notebooks/b.ipynb": "{\"b\": 1}"}
	tmp := t.TempDir()
	repo, prefix, home := filepath.Join(tmp, "repo"), filepath.Join(tmp, "prefix"), filepath.Join(tmp, "home")
	fxWriteImage(t, h, repo)
	for p, content := range h.Image.Files {
		dst := filepath.Join(prefix, "share/pangeo/files", p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(home, "notebooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "notebooks/a.ipynb"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, filepath.Join(repo, "binder/start"), "env", "-0")
	cmd.Env = []string{"NB_PYTHON_PREFIX=" + prefix, "HOME=" + home, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range h.Image.Start {
		if env[k] != v {
			t.Errorf("start exported %s=%q, want %q", k, env[k], v)
		}
	}
	if got, want := env["INTAKE_CONF_DIR"], path.Join(prefix, "etc/intake"); got != want {
		t.Errorf("INTAKE_CONF_DIR = %q, want %q", got, want)
	}
	if got, _ := os.ReadFile(filepath.Join(home, "notebooks/a.ipynb")); string(got) != "mine" {
		t.Errorf("start overwrote the user's file: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(home, "notebooks/b.ipynb")); string(got) != "{\"b\": 1}" {
		t.Errorf("start did not copy a starter file: %q", got)
	}
	// Without a starter folder or HOME, start still runs its command.
	cmd = exec.Command(bash, filepath.Join(repo, "binder/start"), "true")
	cmd.Env = []string{"NB_PYTHON_PREFIX=" + filepath.Join(tmp, "nothing"), "PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("start without starter files: %v\n%s", err, out)
	}
}

func TestShellQuote(t *testing.T) {
	bash := fxBash(t)
	for _, s := range []string{"", "plain", "it's", "$HOME `x` \"y\" \\n", "'''", "a\nb"} {
		out, err := exec.Command(bash, "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) printed %q (%v)", s, out, err)
		}
	}
}

// yamlPaths lists the key paths of a YAML mapping, "a.b.c", down to depth.
func fxYAMLPaths(v any, prefix string, depth int, out map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok || depth == 0 {
		return
	}
	for k, c := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out[p] = true
		fxYAMLPaths(c, p, depth-1, out)
	}
}

func fxReadYAML(t *testing.T, file string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

func TestDaskConfigKubernetes(t *testing.T) {
	h := fxAWS()
	var cfg map[string]any
	if err := yaml.Unmarshal(fxImageFiles(t, h)[".dask/config.yaml"].Data, &cfg); err != nil {
		t.Fatal(err)
	}
	// Every key we set under kubernetes: is one dask-kubernetes knows.
	defaults := fxReadYAML(t, shareddata.Path(t, "upstream/dask/dask-kubernetes-defaults.yaml"))
	known, ours := map[string]bool{}, map[string]bool{}
	fxYAMLPaths(defaults, "", 3, known)
	fxYAMLPaths(map[string]any{"kubernetes": cfg["kubernetes"]}, "", 3, ours)
	for p := range ours {
		if strings.HasPrefix(p, "kubernetes.worker-template.") {
			continue // a pod spec, not dask config
		}
		if !known[p] {
			t.Errorf("kubernetes config key %s is not in dask-kubernetes' defaults", p)
		}
	}
	if got := values.Lookup(cfg, "kubernetes", "count", "max"); got != 100 {
		t.Errorf("count.max = %v", got)
	}
	if got := values.Lookup(cfg, "kubernetes", "idle-timeout"); got != "1800s" {
		t.Errorf("idle-timeout = %v", got)
	}
	spec := values.Lookup(cfg, "kubernetes", "worker-template", "spec").(map[string]any)
	c := spec["containers"].([]any)[0].(map[string]any)
	if c["image"] != "${JUPYTER_IMAGE_SPEC}" {
		t.Errorf("worker image = %v, want the notebook's", c["image"])
	}
	args := []string{}
	for _, a := range c["args"].([]any) {
		args = append(args, a.(string))
	}
	if want := []string{"dask-worker", "--nthreads", "2", "--memory-limit", "14G", "--death-timeout", "60"}; !slices.Equal(args, want) {
		t.Errorf("args = %q, want %q", args, want)
	}
	res := c["resources"].(map[string]any)
	for _, k := range []string{"requests", "limits"} {
		r := res[k].(map[string]any)
		if r["cpu"] != "2" || r["memory"] != "14G" {
			t.Errorf("resources.%s = %v", k, r)
		}
	}
	p := Placement(h, "dask")
	for k, v := range p.Labels {
		if values.Lookup(spec, "nodeSelector", k) != v {
			t.Errorf("nodeSelector lacks %s=%s", k, v)
		}
	}
	tol := spec["tolerations"].([]any)
	if len(tol) != len(p.Taints) {
		t.Fatalf("tolerations %v, taints %v", tol, p.Taints)
	}
	for i, tt := range p.Taints {
		got := tol[i].(map[string]any)
		if got["key"] != tt.Key || got["value"] != tt.Value || got["effect"] != tt.Effect || got["operator"] != "Equal" {
			t.Errorf("toleration %d = %v, want %v", i, got, tt)
		}
	}
	if values.Lookup(cfg, "labextension", "factory", "module") != "dask_kubernetes" || values.Lookup(cfg, "labextension", "factory", "class") != "KubeCluster" {
		t.Errorf("labextension.factory = %v", values.Lookup(cfg, "labextension", "factory"))
	}
	if cfg["gateway"] != nil {
		t.Errorf("kubernetes backend has a gateway section")
	}
}

func TestDaskConfigGateway(t *testing.T) {
	h := fxGCP()
	var cfg map[string]any
	if err := yaml.Unmarshal(fxImageFiles(t, h)[".dask/config.yaml"].Data, &cfg); err != nil {
		t.Fatal(err)
	}
	defaults := fxReadYAML(t, shareddata.Path(t, "upstream/dask/dask-gateway-client-defaults.yaml"))
	known, ours := map[string]bool{}, map[string]bool{}
	fxYAMLPaths(defaults, "", 4, known)
	fxYAMLPaths(map[string]any{"gateway": cfg["gateway"]}, "", 4, ours)
	for p := range ours {
		if !known[p] {
			t.Errorf("gateway config key %s is not in dask-gateway's defaults", p)
		}
	}
	if values.Lookup(cfg, "gateway", "address") != nil || values.Lookup(cfg, "gateway", "proxy-address") != nil {
		t.Errorf("the image sets gateway addresses; the hub does")
	}
	if values.Lookup(cfg, "labextension", "factory", "module") != "dask_gateway" || values.Lookup(cfg, "labextension", "factory", "class") != "GatewayCluster" {
		t.Errorf("labextension.factory = %v", values.Lookup(cfg, "labextension", "factory"))
	}
	schema := fxReadYAML(t, shareddata.Path(t, "upstream/dask/distributed-schema.yaml"))
	if values.Lookup(schema, "properties", "distributed", "properties", "dashboard", "properties", "link") == nil {
		t.Fatalf("distributed schema has no dashboard.link")
	}
	if got := values.Lookup(cfg, "distributed", "dashboard", "link"); got != "/user/{JUPYTERHUB_USER}/proxy/{port}/status" {
		t.Errorf("distributed.dashboard.link = %v", got)
	}
	if cfg["kubernetes"] != nil {
		t.Errorf("gateway backend has a kubernetes section")
	}
}

func TestCatalogAndIntakeConf(t *testing.T) {
	files := fxImageFiles(t, fxGCP())
	var cat struct {
		Sources map[string]struct {
			Description string            `yaml:"description"`
			Driver      string            `yaml:"driver"`
			Args        map[string]string `yaml:"args"`
		} `yaml:"sources"`
	}
	data := files["catalogs/pangeo.yaml"].Data
	if err := yaml.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	if got := fxKeys(cat.Sources); !slices.Equal(got, []string{"cmr", "podaac"}) {
		t.Fatalf("sources %v", got)
	}
	if bytes.Index(data, []byte("  cmr:")) > bytes.Index(data, []byte("  podaac:")) {
		t.Errorf("sources not sorted")
	}
	s := cat.Sources["podaac"]
	if s.Driver != "stac_catalog" || s.Args["stac_obj"] != "https://cmr.earthdata.nasa.gov/stac/POCLOUD" || s.Description == "" {
		t.Errorf("podaac = %+v", s)
	}
	var conf struct {
		CatalogPath []string `yaml:"catalog_path"`
	}
	if err := yaml.Unmarshal(files[".intake/conf.yaml"].Data, &conf); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(conf.CatalogPath, []string{"/srv/conda/envs/notebook/share/intake"}) {
		t.Errorf("catalog_path = %v", conf.CatalogPath)
	}
}

func TestNoCatalogs(t *testing.T) {
	h := fxGCP()
	h.Catalogs = nil
	files := fxImageFiles(t, h)
	for _, p := range []string{"catalogs/pangeo.yaml", ".intake/conf.yaml"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s written without catalogs", p)
		}
	}
	if s := string(files["binder/start"].Data); strings.Contains(s, "INTAKE_CONF_DIR") {
		t.Errorf("start exports INTAKE_CONF_DIR without catalogs")
	}
}

func TestWorkspace(t *testing.T) {
	tests := []struct {
		ws     map[string]any
		wantID string
	}{
		{map[string]any{"data": map[string]any{}}, "default"},
		{map[string]any{"data": map[string]any{}, "metadata": map[string]any{"id": "/lab", "last_modified": "x"}}, "/lab"},
	}
	for _, tt := range tests {
		h := fxAzure()
		h.Image.Workspace = tt.ws
		data := fxImageFiles(t, h)["binder/jupyterlab-workspace.json"].Data
		var got map[string]any
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("workspace: %v\n%s", err, data)
		}
		if id := values.Lookup(got, "metadata", "id"); id != tt.wantID {
			t.Errorf("metadata.id = %v, want %s", id, tt.wantID)
		}
		if _, ok := got["data"]; !ok {
			t.Errorf("workspace lost its data")
		}
		if _, ok := tt.ws["metadata"]; !ok && tt.wantID == "default" {
			// the hub's map is not modified
			if _, added := h.Image.Workspace["metadata"]; added {
				t.Errorf("ImageFiles modified the hub's workspace")
			}
		}
	}
	h := fxAzure()
	h.Image.Workspace = map[string]any{"metadata": "nope"}
	if _, err := ImageFiles(h); err == nil {
		t.Errorf("workspace metadata of the wrong type accepted")
	}
}

func TestImageFilesErrors(t *testing.T) {
	tests := map[string]func(h *hub.Hub){
		"generated path":   func(h *hub.Hub) { h.Image.Files["binder/postBuild"] = "x" },
		"generated folder": func(h *hub.Hub) { h.Image.Files["catalogs/more.yaml"] = "x" },
		"dot dask":         func(h *hub.Hub) { h.Image.Files[".dask/other.yaml"] = "x" },
		"escape":           func(h *hub.Hub) { h.Image.Files["../x"] = "x" },
		"absolute":         func(h *hub.Hub) { h.Image.Files["/etc/passwd"] = "x" },
		"unclean":          func(h *hub.Hub) { h.Image.Files["a//b"] = "x" },
		"file and folder":  func(h *hub.Hub) { h.Image.Files["notebooks"] = "x" },
		"start variable":   func(h *hub.Hub) { h.Image.Start["BAD-NAME"] = "x" },
		"start injection":  func(h *hub.Hub) { h.Image.Start["X=1; rm -rf /; Y"] = "x" },
		"dask backend":     func(h *hub.Hub) { h.Dask = hub.Dask{Backend: "yarn"} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			h := fxGCP()
			mutate(h)
			if _, err := ImageFiles(h); err == nil {
				t.Errorf("ImageFiles accepted it")
			} else if !strings.Contains(err.Error(), "alpha") {
				t.Errorf("error %q does not name the hub", err)
			}
		})
	}
}

// TestRealHubs runs the generators of this package on the federation's own
// hubs (hubs/*.cue through CUE): the image folders build, environment.yml
// validates against the conda schema, the scripts parse, every stub is a
// stub, and all of it is deterministic.
func TestRealHubs(t *testing.T) {
	fed, err := load.Load("..")
	if err != nil {
		t.Fatalf("load hubs/: %v", err)
	}
	if len(fed.Hubs) < 3 {
		t.Fatalf("want the federation's hubs, got %d", len(fed.Hubs))
	}
	schema := fxSchema(t, shareddata.Path(t, "upstream/conda/environment.schema.json"))
	bash, _ := exec.LookPath("bash")
	for _, h := range fed.Hubs {
		t.Run(h.Name, func(t *testing.T) {
			files, err := ImageFiles(h)
			if err != nil {
				t.Fatal(err)
			}
			byPath := map[string]File{}
			for _, f := range files {
				byPath[strings.TrimPrefix(f.Path, "deployments/"+h.Name+"/image/")] = f
			}
			if h.Image.Built() {
				env := byPath["binder/environment.yml"].Data
				if err := schema.Validate(fxJSONValue(t, env)); err != nil {
					t.Errorf("environment.yml: %v\n%s", err, env)
				}
				if bash != "" {
					for _, s := range []string{"binder/postBuild", "binder/start"} {
						cmd := exec.Command(bash, "-n")
						cmd.Stdin = bytes.NewReader(byPath[s].Data)
						if out, err := cmd.CombinedOutput(); err != nil {
							t.Errorf("%s: bash -n: %v\n%s", s, err, out)
						}
					}
				}
			}
			img := NotebookImage(h, files)
			if h.Image.Built() && !safeTag(img.Tag) {
				t.Errorf("tag %q", img.Tag)
			}
			if _, err := HubployFile(h); err != nil {
				t.Error(err)
			}
			secrets, err := SecretFiles(h)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range secrets {
				if f.Stub != IsStub(f.Data) {
					t.Errorf("%s: Stub %v, IsStub %v", f.Path, f.Stub, IsStub(f.Data))
				}
			}
			if _, err := ReadmeFile(h, img); err != nil {
				t.Error(err)
			}
			again, _ := ImageFiles(h)
			if ImageTag(again) != img.Tag && h.Image.Built() {
				t.Errorf("tag not deterministic")
			}
		})
	}
	if _, _, err := SopsConfig(fed.Hubs); err != nil {
		t.Error(err)
	}
}

// TestDaskConfigKubernetesExtra: a CPU limit above the request, more
// worker arguments, and the hub's own Dask configuration merged in; a
// configuration key that changes one gen writes is refused.
func TestDaskConfigKubernetesExtra(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config map[string]any
		err    string
	}{
		{"added keys", map[string]any{"distributed": map[string]any{"admin": map[string]any{"tick": map[string]any{"limit": "5s"}}, "logging": map[string]any{"bokeh": "critical"}}}, ""},
		{"a key gen writes", map[string]any{"kubernetes": map[string]any{"count": map[string]any{"max": 3}}}, "dask.config.kubernetes.count.max: 3 contradicts what gen writes, 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := fxAWS()
			limit := 16.0
			h.Dask.Kubernetes.Worker.CoresLimit = &limit
			h.Dask.Kubernetes.Worker.Args = []string{"--no-dashboard"}
			h.Dask.Kubernetes.Config = tc.config
			data, err := daskConfig(h)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cfg map[string]any
			if err := yaml.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			if got := values.Lookup(cfg, "distributed", "admin", "tick", "limit"); got != "5s" {
				t.Errorf("distributed.admin.tick.limit = %v", got)
			}
			if got := values.Lookup(cfg, "distributed", "dashboard", "link"); got != daskDashboardLink {
				t.Errorf("dashboard link = %v, gen's is kept", got)
			}
			c := values.Lookup(cfg, "kubernetes", "worker-template", "spec", "containers").([]any)[0]
			if got := values.Lookup(c, "resources", "limits", "cpu"); got != "16" {
				t.Errorf("limits.cpu = %v", got)
			}
			if got := values.Lookup(c, "resources", "requests", "cpu"); got != "2" {
				t.Errorf("requests.cpu = %v", got)
			}
			args := values.Lookup(c, "args").([]any)
			if args[len(args)-1] != "--no-dashboard" {
				t.Errorf("args %v do not end with the hub's", args)
			}
		})
	}
}

// TestWorkerStorage: the workers mount what the notebook mounts as its
// home (valStorage): the same claim or export, the same mount path and,
// once KubeSpawner expands {username} and dask-kubernetes the notebook's
// ${JUPYTERHUB_USER}, the same sub path. Dynamic storage is refused at
// dask.worker.mountStorage.
func TestWorkerStorage(t *testing.T) {
	shared := &hub.SharedFolder{Path: "/homes/shared", MountPath: "/home/jovyan/shared", ReadOnly: true}
	for _, tc := range []struct {
		name    string
		storage hub.Storage
		err     string
	}{
		{"claim", hub.Storage{Type: "nfs", Server: "10.0.0.2", Path: "/homes/", SubPath: "home/{username}", Claim: "home-nfs", Shared: shared}, ""},
		{"export", hub.Storage{Type: "nfs", Server: "10.0.0.2", Path: "/homes/", SubPath: "{username}", Shared: shared}, ""},
		{"default sub path", hub.Storage{Type: "nfs", Server: "fs.example.org", Path: "/export"}, ""},
		{"deep sub path", hub.Storage{Type: "nfs", Server: "10.0.0.2", Path: "/", SubPath: "home/ocean.pangeo.io/{username}/work"}, ""},
		{"dynamic", hub.Storage{Type: "dynamic", Capacity: "10Gi"}, "dask.worker.mountStorage: the workers cannot mount dynamic storage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			volume, mount, err := WorkerStorage(tc.storage)
			if tc.err != "" {
				var fe *hub.FieldError
				if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want a FieldError %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			su := map[string]any{}
			if err := valStorage(tc.storage, su); err != nil {
				t.Fatal(err)
			}
			st := su["storage"].(map[string]any)
			// The notebook's home mount is the volume-mount-hack's.
			home := values.Lookup(su, "initContainers").([]any)[0].(map[string]any)["volumeMounts"].([]any)[0].(map[string]any)
			nbSub := strings.ReplaceAll(home["subPath"].(string), "{username}", "alice")
			wSub := strings.ReplaceAll(mount["subPath"].(string), workerUserVar, "alice")
			if nbSub != wSub || strings.Contains(wSub, "{") {
				t.Errorf("worker sub path %q (as alice %q), the notebook's %q", mount["subPath"], wSub, nbSub)
			}
			if mount["mountPath"] != home["mountPath"] || mount["name"] != volume["name"] {
				t.Errorf("worker mount %v of volume %v, the notebook's %v", mount, volume, home)
			}
			if tc.storage.Claim != "" {
				if got := values.Lookup(volume, "persistentVolumeClaim", "claimName"); got != values.Lookup(st, "static", "pvcName") || volume["nfs"] != nil {
					t.Errorf("worker volume %v, the notebook's claim %v", volume, values.Lookup(st, "static", "pvcName"))
				}
				return
			}
			nb := st["extraVolumes"].([]any)[0].(map[string]any)
			if !reflect.DeepEqual(volume["nfs"], nb["nfs"]) || volume["persistentVolumeClaim"] != nil {
				t.Errorf("worker volume %v, the notebook's %v", volume, nb)
			}
		})
	}
}
