package gen

import (
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// ImageRef is a container image split the way the charts take it.
type ImageRef struct {
	Name string
	Tag  string
}

// String is name:tag, or name@sha256:... for a digest.
func (r ImageRef) String() string {
	if strings.HasPrefix(r.Tag, "sha256:") {
		return r.Name + "@" + r.Tag
	}
	return r.Name + ":" + r.Tag
}

// ParseImageRef splits "name:tag" or "name@sha256:..." (a port in the
// registry host is not a tag).
func ParseImageRef(ref string) ImageRef {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ImageRef{Name: ref[:i], Tag: ref[i+1:]}
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ImageRef{Name: ref[:i], Tag: ref[i+1:]}
	}
	return ImageRef{Name: ref}
}

// Taint is a Kubernetes node taint (and the toleration that matches it).
type Taint struct {
	Key    string `yaml:"key" json:"key"`
	Value  string `yaml:"value" json:"value"`
	Effect string `yaml:"effect" json:"effect"`
}

// PoolPlacement is how pods are steered onto one node pool: the labels the
// pool's nodes carry (pods select them) and the taints they carry (pods
// tolerate them). The cluster's pools must be created with these; the hub
// README lists them.
type PoolPlacement struct {
	Labels map[string]string
	Taints []Taint
}

// Node labels and taints of the three pools. The jupyterhub chart's
// scheduling.corePods/userPods.nodeAffinity.matchNodePurpose selects
// hub.jupyter.org/node-purpose; Dask pods use dask's conventional
// k8s.dask.org labels and taint.
const (
	NodePurposeLabel = "hub.jupyter.org/node-purpose"
	DaskPurposeLabel = "k8s.dask.org/node-purpose"
	DaskTaintKey     = "k8s.dask.org/dedicated"
)

// Placement returns the labels and taints of a hub's pool ("core", "user"
// or "dask") on the hub's provider. A spot pool (user or dask; core is
// never spot) adds the provider's spot taint, so that nothing that does not
// tolerate eviction lands there: GKE spot VMs (cloud.google.com/gke-spot),
// EKS spot node groups (eks.amazonaws.com/capacityType, tainted by the
// cluster definition), AKS spot pools (kubernetes.azure.com/scalesetpriority,
// tainted by AKS itself). The pods meant for the pool tolerate it.
func Placement(h *hub.Hub, pool string) PoolPlacement {
	var p PoolPlacement
	var spot bool
	switch pool {
	case "core":
		return PoolPlacement{Labels: map[string]string{NodePurposeLabel: "core"}}
	case "user":
		p = PoolPlacement{Labels: map[string]string{NodePurposeLabel: "user"}}
		spot = h.Cloud.NodePools.User.Spot
	default:
		p = PoolPlacement{
			Labels: map[string]string{DaskPurposeLabel: "worker"},
			Taints: []Taint{{Key: DaskTaintKey, Value: "worker", Effect: "NoSchedule"}},
		}
		spot = h.Cloud.NodePools.Dask.Spot
	}
	if spot {
		if t, ok := spotTaint(h.Cloud.Provider); ok {
			p.Taints = append(p.Taints, t)
		}
	}
	return p
}

// spotTaint is the taint spot nodes carry on a provider.
func spotTaint(provider string) (Taint, bool) {
	switch provider {
	case "gcp":
		return Taint{Key: "cloud.google.com/gke-spot", Value: "true", Effect: "NoSchedule"}, true
	case "aws":
		return Taint{Key: "eks.amazonaws.com/capacityType", Value: "SPOT", Effect: "NoSchedule"}, true
	case "azure":
		return Taint{Key: "kubernetes.azure.com/scalesetpriority", Value: "spot", Effect: "NoSchedule"}, true
	}
	return Taint{}, false
}

// Tolerations are the pod tolerations of taints, in the Kubernetes form.
func Tolerations(taints []Taint) []any {
	out := make([]any, len(taints))
	for i, t := range taints {
		out[i] = map[string]any{"key": t.Key, "operator": "Equal", "value": t.Value, "effect": t.Effect}
	}
	return out
}

// Authenticator is the JupyterHub authenticator of a hub: the value of
// hub.config.JupyterHub.authenticator_class and the hub.config section that
// configures it (where the OAuth client id and secret go too).
func Authenticator(h *hub.Hub) (class, section string) {
	if h.Auth.GitHub != nil {
		return "github", "GitHubOAuthenticator"
	}
	return "generic-oauth", "GenericOAuthenticator"
}

// CallbackURL is the OAuth callback of a hub's environment.
func CallbackURL(h *hub.Hub, env string) string {
	return "https://" + h.Environments[env].Domain + "/hub/oauth_callback"
}

// Fractions of a Dask gateway worker's cores and memory that are
// requested (the rest is the limit only), so that a worker asking for a
// whole node still fits next to the node's system pods. The cluster options
// handler applies them; vet's fit check measures requests with them.
const (
	GatewayCoresRequest  = 0.88
	GatewayMemoryRequest = 0.95
)

// ClassicDaskKubernetesBefore is the first dask-kubernetes release without
// the classic KubeCluster, the one that reads kubernetes.worker-template
// (the kubernetes Dask backend); it was removed in 2024.1.0.
const ClassicDaskKubernetesBefore = "2024.1.0"
