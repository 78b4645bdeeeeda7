// Package hub holds the hub model: the Go form of one hub of hubs/*.cue after
// CUE has unified it with schema/ and filled in every default. Generators read
// only this model; they never see CUE.
package hub

import (
	"encoding/json"
	"fmt"
)

// EnvNames are the environments every hub has, in the order they are written.
var EnvNames = []string{"staging", "prod"}

// Hub is one JupyterHub of the federation (schema #Hub).
type Hub struct {
	Name         string             `json:"name"`
	Title        string             `json:"title"`
	Description  string             `json:"description"`
	Owners       []string           `json:"owners"`
	Contact      string             `json:"contact"`
	Environments map[string]Env     `json:"environments"`
	Cloud        Cloud              `json:"cloud"`
	Image        Image              `json:"image"`
	Auth         Auth               `json:"auth"`
	Notebook     Notebook           `json:"notebook"`
	Storage      Storage            `json:"storage"`
	Culling      Culling            `json:"culling"`
	Dask         Dask               `json:"dask"`
	Catalogs     map[string]Catalog `json:"catalogs"`
	Chart        Chart              `json:"chart"`
	Values       map[string]any     `json:"values"`
	Secrets      Secrets            `json:"secrets"`
	Kustomize    Kustomize          `json:"kustomize"`

	// Source is the hub's file relative to the repo root, "hubs/<name>.cue".
	Source string `json:"-"`
}

// Env is one environment of a hub (schema #Environment).
type Env struct {
	Domain         string            `json:"domain"`
	LoadBalancerIP string            `json:"loadBalancerIP,omitempty"`
	HTTPS          bool              `json:"https"`
	Notebook       *NotebookOverride `json:"notebook,omitempty"`
	Culling        *CullingOverride  `json:"culling,omitempty"`
	Dask           *DaskOverride     `json:"dask,omitempty"`
	Values         map[string]any    `json:"values"`
	Kustomize      Kustomize         `json:"kustomize"`
}

// Kustomize is the kustomize layer render applies after Helm.
type Kustomize struct {
	Labels  map[string]string `json:"labels"`
	Patches []Patch           `json:"patches"`
}

// Patch is a strategic merge or JSON 6902 patch.
type Patch struct {
	Patch  string       `json:"patch"`
	Target *PatchTarget `json:"target,omitempty"`
}

// PatchTarget selects the objects a patch applies to.
type PatchTarget struct {
	Group              string `json:"group,omitempty"`
	Version            string `json:"version,omitempty"`
	Kind               string `json:"kind,omitempty"`
	Name               string `json:"name,omitempty"`
	LabelSelector      string `json:"labelSelector,omitempty"`
	AnnotationSelector string `json:"annotationSelector,omitempty"`
}

// Cloud is the provider, cluster and node pools (schema #GCP, #AWS, #Azure).
type Cloud struct {
	Provider string `json:"provider"` // gcp, aws or azure
	Cluster  string `json:"cluster"`
	// Location is the GCP zone or region, or the Azure region.
	Location string `json:"location,omitempty"`
	// Project is the GCP project id.
	Project string `json:"project,omitempty"`
	// AccountID, Region and RoleARN are AWS's.
	AccountID string `json:"accountId,omitempty"`
	Region    string `json:"region,omitempty"`
	RoleARN   string `json:"roleArn,omitempty"`
	// ResourceGroup and Registry are Azure's.
	ResourceGroup string    `json:"resourceGroup,omitempty"`
	Registry      string    `json:"registry,omitempty"`
	NodePools     NodePools `json:"nodePools"`
}

// NodePools are the cluster's three pools.
type NodePools struct {
	Core NodePool `json:"core"`
	User NodePool `json:"user"`
	Dask NodePool `json:"dask"`
}

// NodePool is one autoscaling pool.
type NodePool struct {
	MachineType string `json:"machineType"`
	// CPU and Memory describe a machine type pangeo-gen does not know.
	CPU    int    `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
	Min    int    `json:"min"`
	Max    int    `json:"max"`
	Spot   bool   `json:"spot"`
}

// Image is the user image, which Dask workers also run (schema #Image).
type Image struct {
	// Prebuilt is set when the image is used as is; nothing else is.
	Prebuilt   string            `json:"prebuilt,omitempty"`
	Repository string            `json:"repository,omitempty"`
	Base       string            `json:"base,omitempty"`
	Conda      Conda             `json:"conda"`
	Apt        []string          `json:"apt"`
	PostBuild  []string          `json:"postBuild"`
	Start      map[string]string `json:"start"`
	Workspace  map[string]any    `json:"workspace,omitempty"`
	Files      map[string]string `json:"files"`
}

// Built reports whether the image is built from deployments/<hub>/image/.
func (i Image) Built() bool { return i.Prebuilt == "" }

// Conda is the conda environment of a built image.
type Conda struct {
	Channels     []string `json:"channels"`
	Dependencies []string `json:"dependencies"`
	Pip          []string `json:"pip"`
}

// Auth says who may log in (schema #Auth); exactly one of GitHub and OAuth2
// is set.
type Auth struct {
	GitHub       *GitHubAuth `json:"github,omitempty"`
	OAuth2       *OAuth2Auth `json:"oauth2,omitempty"`
	Admins       []string    `json:"admins"`
	AllowedUsers []string    `json:"allowedUsers"`
}

// GitHubAuth is GitHub OAuth.
type GitHubAuth struct {
	Orgs  []string `json:"orgs"`
	Teams []string `json:"teams"`
}

// OAuth2Auth is a generic OAuth2 provider.
type OAuth2Auth struct {
	LoginService  string   `json:"loginService"`
	AuthorizeURL  string   `json:"authorizeURL"`
	TokenURL      string   `json:"tokenURL"`
	UserdataURL   string   `json:"userdataURL"`
	UsernameClaim string   `json:"usernameClaim"`
	Scopes        []string `json:"scopes"`
}

// Notebook is the user server (schema #Notebook).
type Notebook struct {
	CPU          CPU       `json:"cpu"`
	Memory       Memory    `json:"memory"`
	Profiles     []Profile `json:"profiles"`
	StartTimeout int       `json:"startTimeout"`
	DefaultURL   string    `json:"defaultURL"`
}

// NotebookOverride replaces the fields it sets in one environment.
type NotebookOverride struct {
	CPU          *CPU       `json:"cpu,omitempty"`
	Memory       *Memory    `json:"memory,omitempty"`
	Profiles     *[]Profile `json:"profiles,omitempty"`
	StartTimeout *int       `json:"startTimeout,omitempty"`
}

// CPU is a guarantee and limit in cores.
type CPU struct {
	Guarantee float64 `json:"guarantee"`
	Limit     float64 `json:"limit"`
}

// Memory is a guarantee and limit as Kubernetes quantities ("4G").
type Memory struct {
	Guarantee string `json:"guarantee"`
	Limit     string `json:"limit"`
}

// Profile is a server size users pick at spawn.
type Profile struct {
	Slug        string `json:"slug"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
	CPU         CPU    `json:"cpu"`
	Memory      Memory `json:"memory"`
}

// Storage is where home directories live (schema #Storage).
type Storage struct {
	Type string `json:"type"` // dynamic or nfs
	// Capacity and StorageClass are for dynamic volumes.
	Capacity     string `json:"capacity,omitempty"`
	StorageClass string `json:"storageClass,omitempty"`
	// Server, Path and Shared are for NFS.
	Server string        `json:"server,omitempty"`
	Path   string        `json:"path,omitempty"`
	Shared *SharedFolder `json:"shared,omitempty"`
}

// SharedFolder is an NFS folder mounted into every server.
type SharedFolder struct {
	Path      string `json:"path"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
}

// Culling stops idle servers and clusters; times in seconds.
type Culling struct {
	NotebookIdleTimeout int `json:"notebookIdleTimeout"`
	NotebookMaxAge      int `json:"notebookMaxAge"`
	DaskIdleTimeout     int `json:"daskIdleTimeout"`
}

// CullingOverride replaces the fields it sets in one environment.
type CullingOverride struct {
	NotebookIdleTimeout *int `json:"notebookIdleTimeout,omitempty"`
	NotebookMaxAge      *int `json:"notebookMaxAge,omitempty"`
	DaskIdleTimeout     *int `json:"daskIdleTimeout,omitempty"`
}

// Dask backends.
const (
	BackendGateway    = "gateway"
	BackendKubernetes = "kubernetes"
)

// Dask is the Dask backend (schema #Dask): Gateway or Kubernetes is set,
// as Backend says.
type Dask struct {
	Backend    string
	Gateway    *GatewayDask
	Kubernetes *KubernetesDask
}

// GatewayDask is dask-gateway.
type GatewayDask struct {
	Worker struct {
		Cores     Range `json:"cores"`
		MemoryGiB Range `json:"memoryGiB"`
	} `json:"worker"`
	ClusterMaxCores     float64 `json:"clusterMaxCores"`
	ClusterMaxMemoryGiB float64 `json:"clusterMaxMemoryGiB"`
}

// KubernetesDask is classic dask-kubernetes.
type KubernetesDask struct {
	Worker struct {
		Cores   float64 `json:"cores"`
		Memory  string  `json:"memory"`
		Threads int     `json:"threads"`
	} `json:"worker"`
	MaxWorkers int `json:"maxWorkers"`
}

// Range bounds a user's choice.
type Range struct {
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Default float64 `json:"default"`
}

// UnmarshalJSON decodes the backend chosen by "backend".
func (d *Dask) UnmarshalJSON(b []byte) error {
	var head struct {
		Backend string `json:"backend"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	*d = Dask{Backend: head.Backend}
	switch head.Backend {
	case BackendGateway:
		d.Gateway = new(GatewayDask)
		return json.Unmarshal(b, d.Gateway)
	case BackendKubernetes:
		d.Kubernetes = new(KubernetesDask)
		return json.Unmarshal(b, d.Kubernetes)
	}
	return fmt.Errorf("dask: unknown backend %q", head.Backend)
}

// DaskOverride replaces the limits it sets in one environment.
type DaskOverride struct {
	ClusterMaxCores     *float64 `json:"clusterMaxCores,omitempty"`
	ClusterMaxMemoryGiB *float64 `json:"clusterMaxMemoryGiB,omitempty"`
	MaxWorkers          *int     `json:"maxWorkers,omitempty"`
}

// Catalog is an intake-STAC catalog.
type Catalog struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

// Chart pins the umbrella chart and its dependencies.
type Chart struct {
	Name        string `json:"name"`
	Repository  string `json:"repository,omitempty"`
	Version     string `json:"version,omitempty"`
	Digest      string `json:"digest,omitempty"`
	JupyterHub  Pin    `json:"jupyterhub"`
	DaskGateway Pin    `json:"daskGateway"`
}

// GeneratedChart is the name of the umbrella chart pangeo-gen writes itself.
const GeneratedChart = "pangeo-deploy"

// Pin is one chart dependency.
type Pin struct {
	Version    string `json:"version"`
	Repository string `json:"repository"`
	Digest     string `json:"digest,omitempty"`
}

// Secrets selects the encryption of deployments/<hub>/secrets/.
type Secrets struct {
	Backend       string   `json:"backend"` // git-crypt or sops
	Key           string   `json:"key,omitempty"`
	Age           []string `json:"age,omitempty"`
	GCPKMS        []string `json:"gcpKms,omitempty"`
	AWSKMS        []string `json:"awsKms,omitempty"`
	AzureKeyVault []string `json:"azureKeyVault,omitempty"`
}

// ForEnv returns the hub as deployed in env: the environment's notebook,
// culling and Dask overrides replace the hub's fields they set. Raw values
// are not merged here; generators layer them.
func (h *Hub) ForEnv(env string) *Hub {
	e := h.Environments[env]
	out := *h
	if o := e.Notebook; o != nil {
		if o.CPU != nil {
			out.Notebook.CPU = *o.CPU
		}
		if o.Memory != nil {
			out.Notebook.Memory = *o.Memory
		}
		if o.Profiles != nil {
			out.Notebook.Profiles = *o.Profiles
		}
		if o.StartTimeout != nil {
			out.Notebook.StartTimeout = *o.StartTimeout
		}
	}
	if o := e.Culling; o != nil {
		if o.NotebookIdleTimeout != nil {
			out.Culling.NotebookIdleTimeout = *o.NotebookIdleTimeout
		}
		if o.NotebookMaxAge != nil {
			out.Culling.NotebookMaxAge = *o.NotebookMaxAge
		}
		if o.DaskIdleTimeout != nil {
			out.Culling.DaskIdleTimeout = *o.DaskIdleTimeout
		}
	}
	if o := e.Dask; o != nil {
		if g := h.Dask.Gateway; g != nil {
			gw := *g
			if o.ClusterMaxCores != nil {
				gw.ClusterMaxCores = *o.ClusterMaxCores
			}
			if o.ClusterMaxMemoryGiB != nil {
				gw.ClusterMaxMemoryGiB = *o.ClusterMaxMemoryGiB
			}
			out.Dask.Gateway = &gw
		}
		if k := h.Dask.Kubernetes; k != nil && o.MaxWorkers != nil {
			kd := *k
			kd.MaxWorkers = *o.MaxWorkers
			out.Dask.Kubernetes = &kd
		}
	}
	return &out
}
