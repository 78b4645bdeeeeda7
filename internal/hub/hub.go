// Package hub holds the hub model: the Go form of one hub of hubs/*.cue after
// CUE has unified it with schema/ and filled in every default. Generators read
// only this model; they never see CUE.
//
// The model has one source of truth, the schema. schema_gen.go is generated
// from schema/ by cue exp gengotypes (go generate ./internal/hub), shaped by
// the @go attributes of schema/hub.cue; TestGeneratedModel fails when it is
// not what the schema generates. This file holds what Go cannot express and
// is written by hand: the types of the schema's disjunctions and
// conditional definitions (#Cloud, #Image, #Auth, #Storage, #Dask,
// #Secrets), which Go has no sum type for, and the map of the two
// environments. Decode is strict: a field the schema has and the model
// does not is an error, never dropped.
package hub

//go:generate go tool -modfile=../../tools/go.mod cue exp gengotypes -o schema_gen.go ../../schema

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// EnvNames are the environments every hub has, in the order they are written.
var EnvNames = []string{"staging", "prod"}

// Environments are a hub's two environments, by name (EnvNames); schema
// #Hub.environments.
type Environments map[string]Env

// keys are the only names an Environments map may hold.
func (Environments) keys() []string { return EnvNames }

// UnmarshalJSON decodes the environments strictly: a name other than
// EnvNames has no home in the generators, so it is refused.
func (e *Environments) UnmarshalJSON(b []byte) error {
	var m map[string]Env
	if err := decodeStrict(b, &m); err != nil {
		return err
	}
	for name := range m {
		if !slices.Contains(EnvNames, name) {
			return fmt.Errorf("environments: unknown environment %q (the model has %s)", name, strings.Join(EnvNames, ", "))
		}
	}
	*e = m
	return nil
}

// Cloud is the provider, cluster and node pools (schema #Cloud): the fields
// of #GCP, #AWS or #Azure, as Provider says, in one struct. It has a field
// for every field of GCP, AWS and Azure (TestUnionsCoverVariants).
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
	ResourceGroup string `json:"resourceGroup,omitempty"`
	Registry      string `json:"registry,omitempty"`
	// KubernetesVersion is the cluster's Kubernetes minor version ("1.33").
	KubernetesVersion string    `json:"kubernetesVersion"`
	NodePools         NodePools `json:"nodePools"`
	// Autoscaler is AWS's: the pinned cluster-autoscaler chart, which
	// render --cluster renders for an EKS cluster (GKE and AKS run their
	// own autoscaler). Empty for the other providers.
	Autoscaler Pin `json:"autoscaler,omitzero"`
}

// Image is the user image, which Dask workers also run (schema #Image): the
// fields of PrebuiltImage or BuiltImage in one struct
// (TestUnionsCoverVariants).
type Image struct {
	// Prebuilt is set when the image is used as is; nothing else is.
	Prebuilt      string            `json:"prebuilt,omitempty"`
	Repository    string            `json:"repository,omitempty"`
	Base          string            `json:"base,omitempty"`
	Conda         Conda             `json:"conda"`
	Apt           []string          `json:"apt"`
	PostBuild     []string          `json:"postBuild"`
	Start         map[string]string `json:"start"`
	StartCommands []string          `json:"startCommands,omitempty"`
	Workspace     map[string]any    `json:"workspace,omitempty"`
	Files         map[string]string `json:"files"`
}

// Built reports whether the image is built from deployments/<hub>/image/.
func (i Image) Built() bool { return i.Prebuilt == "" }

// Auth says who may log in (schema #Auth, whose matchN Go cannot express);
// exactly one of GitHub and OAuth2 is set.
type Auth struct {
	GitHub       *GitHubAuth `json:"github,omitempty"`
	OAuth2       *OAuth2Auth `json:"oauth2,omitempty"`
	Admins       []string    `json:"admins"`
	AllowedUsers []string    `json:"allowedUsers"`
}

// Storage is where home directories live (schema #Storage): the fields of
// DynamicStorage or NFSStorage in one struct (TestUnionsCoverVariants).
type Storage struct {
	Type string `json:"type"` // dynamic or nfs
	// Capacity and StorageClass are for dynamic volumes.
	Capacity     string `json:"capacity,omitempty"`
	StorageClass string `json:"storageClass,omitempty"`
	// Server, Path and Shared are for NFS.
	Server string        `json:"server,omitempty"`
	Path   string        `json:"path,omitempty"`
	Shared *SharedFolder `json:"shared,omitempty"`
	// SubPath is each user's folder in the NFS export; Claim the
	// PersistentVolumeClaim the generated chart makes for it ("": none).
	SubPath string `json:"subPath,omitempty"`
	Claim   string `json:"claim,omitempty"`
}

// SharedFolder is an NFS folder mounted into every server (schema
// #NFSStorage.shared).
type SharedFolder struct {
	Path      string `json:"path"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
}

// Dask backends.
const (
	BackendGateway    = "gateway"
	BackendKubernetes = "kubernetes"
	// BackendNone is a hub without Dask (schema #NoDask).
	BackendNone = "none"
)

// Dask is the Dask backend (schema #Dask): the one of Gateway, Kubernetes
// and None that Backend says is set.
type Dask struct {
	Backend    string
	Gateway    *GatewayDask
	Kubernetes *KubernetesDask
	None       *NoDask
}

// Enabled reports whether the hub runs Dask at all.
func (d Dask) Enabled() bool { return d.Backend != BackendNone }

// variant is the value the backend named in obj decodes into.
func (*Dask) variant(obj map[string]any) (any, error) {
	backend, _ := obj["backend"].(string)
	switch backend {
	case BackendGateway:
		return new(GatewayDask), nil
	case BackendKubernetes:
		return new(KubernetesDask), nil
	case BackendNone:
		return new(NoDask), nil
	}
	return nil, fmt.Errorf("unknown Dask backend %q (the model has %s, %s and %s)", backend, BackendGateway, BackendKubernetes, BackendNone)
}

// UnmarshalJSON decodes the backend chosen by "backend", strictly.
func (d *Dask) UnmarshalJSON(b []byte) error {
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	v, err := d.variant(obj)
	if err != nil {
		return err
	}
	if err := decodeStrict(b, v); err != nil {
		return err
	}
	switch v := v.(type) {
	case *GatewayDask:
		*d = Dask{Backend: v.Backend, Gateway: v}
	case *KubernetesDask:
		*d = Dask{Backend: v.Backend, Kubernetes: v}
	case *NoDask:
		*d = Dask{Backend: v.Backend, None: v}
	}
	return nil
}

// GeneratedChart is the name of the umbrella chart pangeo-gen writes itself.
const GeneratedChart = "pangeo-deploy"

// Secrets selects the encryption of deployments/<hub>/secrets/ (schema
// #Secrets): the fields of GitCrypt or Sops in one struct
// (TestUnionsCoverVariants).
type Secrets struct {
	Backend       string   `json:"backend"` // git-crypt or sops
	Key           string   `json:"key,omitempty"`
	Age           []string `json:"age,omitempty"`
	GCPKMS        []string `json:"gcpKms,omitempty"`
	AWSKMS        []string `json:"awsKms,omitempty"`
	AzureKeyVault []string `json:"azureKeyVault,omitempty"`
}

// Source is the hub's file relative to the repo root, "hubs/<name>.cue"
// (load refuses a hub declared anywhere else).
func (h *Hub) Source() string { return path.Join("hubs", h.Name+".cue") }

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
