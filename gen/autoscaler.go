package gen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// The cluster-autoscaler's Helm release of an EKS cluster: one per
// cluster (not per hub), in the namespace of the service account the EKS
// definition creates with the autoscaler's IAM role.
const (
	// AutoscalerRelease is the release name.
	AutoscalerRelease = "cluster-autoscaler"
	// AutoscalerChart is the chart's name (schema #AWS.autoscaler pins
	// its version and repository).
	AutoscalerChart = "cluster-autoscaler"
)

// AutoscalerImageRepository is the cluster-autoscaler's image (the
// chart's default repository).
const AutoscalerImageRepository = "registry.k8s.io/autoscaling/cluster-autoscaler"

// autoscalerImageTags are the cluster-autoscaler releases by the
// Kubernetes minor version they are built for: the newest patch release
// of each minor published by kubernetes/autoscaler as of 2026-07-23
// (cluster-autoscaler-1.33.6, 1.34.5, 1.35.2, 1.36.1 were released that
// day; 1.30.3, 1.31.1 and 1.32.5 are those minors' later patches). The
// autoscaler simulates the scheduler of its own Kubernetes version, so its
// minor must be the cluster's (the chart's README says so; its default,
// v1.35.0, fits only 1.35).
var autoscalerImageTags = map[string]string{
	"1.30": "v1.30.3",
	"1.31": "v1.31.1",
	"1.32": "v1.32.5",
	"1.33": "v1.33.6",
	"1.34": "v1.34.5",
	"1.35": "v1.35.2",
	"1.36": "v1.36.1",
}

// AutoscalerImageTag is the cluster-autoscaler image tag for a cluster of
// Kubernetes minor version kubernetesVersion ("1.33"): a release of the
// same minor. A minor pangeo-gen knows no release for is an error naming
// the ones it knows.
func AutoscalerImageTag(kubernetesVersion string) (string, error) {
	if tag, ok := autoscalerImageTags[kubernetesVersion]; ok {
		return tag, nil
	}
	var known []string
	for minor := range autoscalerImageTags {
		known = append(known, minor)
	}
	slices.Sort(known)
	return "", fmt.Errorf("no cluster-autoscaler release is known for Kubernetes %s (known: %s): the autoscaler's minor version must be the cluster's", kubernetesVersion, strings.Join(known, ", "))
}

// Cluster-autoscaler settings of every EKS cluster, chosen to match how
// the federation's clusters scale down elsewhere: the AKS definition's
// autoscaler profile removes idle nodes after 5 minutes and lets nodes
// with local storage go, GKE's profile is OPTIMIZE_UTILIZATION.
const (
	// autoscalerScaleDownSeconds is scale-down-unneeded-time,
	// scale-down-delay-after-add and scale-down-unready-time (defaults
	// 10m, 10m, 20m): a user or Dask node left empty, when its server was
	// culled or its Dask cluster shut down, is already idle by the hub's
	// own culling timeouts; the big user and Dask instances cost by the
	// minute, and the AKS clusters wait 5 minutes as well.
	autoscalerScaleDownSeconds = 5 * 60
)

// autoscalerScaleDownTime is autoscalerScaleDownSeconds as the
// autoscaler's flags take it.
var autoscalerScaleDownTime = fmt.Sprintf("%dm", autoscalerScaleDownSeconds/60)

// AutoscalerValues are the Helm values of cluster c's cluster-autoscaler
// release (chart cluster-autoscaler, AutoscalerRelease in
// AutoscalerNamespace), over the chart's defaults. Each setting says why
// it is there. Only an EKS cluster has one: GKE and AKS run the
// autoscaler themselves.
func AutoscalerValues(c Cluster) (map[string]any, error) {
	cl := c.Cloud
	if cl.Provider != "aws" {
		return nil, fmt.Errorf("cluster %s: the cluster-autoscaler is rendered for EKS clusters only, not %s", c.Name, cl.Provider)
	}
	if cl.Region == "" {
		return nil, fmt.Errorf("cluster %s: no AWS region", c.Name)
	}
	tag, err := AutoscalerImageTag(cl.KubernetesVersion)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	core := c.Placement("core")
	v := map[string]any{
		// The AWS provider, which scales Auto Scaling groups.
		"cloudProvider": "aws",
		"awsRegion":     cl.Region,
		// Auto-discovery of the node groups by the very tags the EKS
		// definition gives them (EKSAutoscalerTags): enabled, and owned
		// by this cluster. No group is listed by name, so that a node
		// group created again (new ASG name) is found all the same.
		"autoDiscovery": map[string]any{
			"clusterName": c.Name,
			"tags":        []any{autoscalerEnabledTag, autoscalerTagPrefix + c.Name},
		},
		// The service account eksctl creates with the autoscaler's IAM
		// role (IRSA, wellKnownPolicies.autoScaler): the chart must use
		// it and not make one of its own, which would have no role.
		"rbac": map[string]any{
			"serviceAccount": map[string]any{
				"create": false,
				"name":   AutoscalerServiceAccount,
			},
		},
		// Objects named cluster-autoscaler, like the service account,
		// rather than the chart's <release>-aws-cluster-autoscaler.
		"fullnameOverride": AutoscalerRelease,
		// A release of the cluster's own Kubernetes minor
		// (AutoscalerImageTag).
		"image": map[string]any{
			"repository": AutoscalerImageRepository,
			"tag":        tag,
		},
		// On the core pool, always on: the autoscaler must not run on a
		// user or Dask node, which it would then never remove (a
		// kube-system pod blocks scale-down, skip-nodes-with-system-pods),
		// nor on a spot node that goes away under it.
		"nodeSelector": core.Labels,
		// It evicts no pod of its own to free the node it runs on.
		"podAnnotations": map[string]any{
			"cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
		},
		// Requests so that the scheduler counts it on the small core
		// nodes it shares with the hubs; the memory limit is its request
		// (the sizes of the autoscaler's AWS documentation).
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "600Mi"},
			"limits":   map[string]any{"memory": "600Mi"},
		},
		"extraArgs": map[string]any{
			// See autoscalerScaleDownSeconds.
			"scale-down-unneeded-time":   autoscalerScaleDownTime,
			"scale-down-delay-after-add": autoscalerScaleDownTime,
			"scale-down-unready-time":    autoscalerScaleDownTime,
			// The pods on these nodes keep nothing in emptyDir that
			// outlives them (a Dask worker's spill space, caches), so a
			// node with such a pod may go. User servers and Dask pods are
			// not owned by a ReplicaSet, Job or StatefulSet, which keeps
			// their nodes up while they run whatever this says. The AKS
			// profile sets the same.
			"skip-nodes-with-local-storage": false,
			// Of the groups that fit a pending pod, the one that wastes
			// least CPU and memory. Each pool is one node group and its
			// labels and taints let a pod onto one pool only, so this
			// decides only when an operator adds a second group to a pool
			// (another instance type); the default, random, would pick
			// either.
			"expander": "least-waste",
			// Not balance-similar-node-groups: each pool is one node
			// group, and eksctl's Auto Scaling group balances its own
			// zones; EBS-backed pools are pinned to one zone on purpose.
		},
	}
	if len(core.Taints) > 0 {
		v["tolerations"] = Tolerations(core.Taints)
	}
	return values.NormalizeMap(v), nil
}
