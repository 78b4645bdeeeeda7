package gen

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// EksctlFile is the name of an EKS cluster's definition in its folder
// (clusters/<name>/eksctl.yaml).
const EksctlFile = "eksctl.yaml"

// The cluster-autoscaler's service account, which the EKS definition
// creates with its IAM role (IRSA): the autoscaler's release must use it
// (rbac.serviceAccount.create false, rbac.serviceAccount.name this).
const (
	AutoscalerNamespace      = "kube-system"
	AutoscalerServiceAccount = "cluster-autoscaler"
)

// Cluster-autoscaler tags of an Auto Scaling group: auto-discovery finds
// the groups tagged enabled and owned by the cluster; a zero-sized group's
// labels and taints are known to it only from the node-template tags.
const (
	autoscalerEnabledTag = "k8s.io/cluster-autoscaler/enabled"
	autoscalerTagPrefix  = "k8s.io/cluster-autoscaler/"
	nodeTemplateLabelTag = "k8s.io/cluster-autoscaler/node-template/label/"
	nodeTemplateTaintTag = "k8s.io/cluster-autoscaler/node-template/taint/"
)

// NodeTemplateLabelTag and NodeTemplateTaintTag prefix the node-template
// tags of a node group (EKSAutoscalerTags): label/<key>: <value> and
// taint/<key>: <value>:<Effect>.
const (
	NodeTemplateLabelTag = nodeTemplateLabelTag
	NodeTemplateTaintTag = nodeTemplateTaintTag
)

// eksctlConfig is the part of eksctl's ClusterConfig (eksctl.io/v1alpha5)
// pangeo-gen writes, fields in the order eksctl's documentation shows them.
type eksctlConfig struct {
	APIVersion        string            `yaml:"apiVersion"`
	Kind              string            `yaml:"kind"`
	Metadata          eksctlMetadata    `yaml:"metadata"`
	AvailabilityZones []string          `yaml:"availabilityZones"`
	IAM               eksctlIAM         `yaml:"iam"`
	Addons            []eksctlAddon     `yaml:"addons"`
	ManagedNodeGroups []eksctlNodeGroup `yaml:"managedNodeGroups"`
}

type eksctlMetadata struct {
	Name    string `yaml:"name"`
	Region  string `yaml:"region"`
	Version string `yaml:"version"`
}

type eksctlIAM struct {
	WithOIDC        bool                   `yaml:"withOIDC"`
	ServiceAccounts []eksctlServiceAccount `yaml:"serviceAccounts"`
}

type eksctlServiceAccount struct {
	Metadata          eksctlObjectMeta        `yaml:"metadata"`
	WellKnownPolicies eksctlWellKnownPolicies `yaml:"wellKnownPolicies"`
}

type eksctlObjectMeta struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

type eksctlWellKnownPolicies struct {
	AutoScaler       bool `yaml:"autoScaler,omitempty"`
	EBSCSIController bool `yaml:"ebsCSIController,omitempty"`
}

type eksctlAddon struct {
	Name              string                   `yaml:"name"`
	WellKnownPolicies *eksctlWellKnownPolicies `yaml:"wellKnownPolicies,omitempty"`
}

type eksctlNodeGroup struct {
	Name              string            `yaml:"name"`
	InstanceType      string            `yaml:"instanceType"`
	MinSize           int               `yaml:"minSize"`
	MaxSize           int               `yaml:"maxSize"`
	DesiredCapacity   int               `yaml:"desiredCapacity"`
	Spot              bool              `yaml:"spot,omitempty"`
	AvailabilityZones []string          `yaml:"availabilityZones,omitempty"`
	Labels            map[string]string `yaml:"labels"`
	Taints            []Taint           `yaml:"taints,omitempty"`
	Tags              map[string]string `yaml:"tags"`
	PropagateASGTags  bool              `yaml:"propagateASGTags"`
}

// eksClusterFiles returns clusters/<name>/eksctl.yaml, the EKS cluster as
// an eksctl ClusterConfig: region and Kubernetes version, OIDC with the
// cluster-autoscaler's IAM service account, the default addons and the EBS
// CSI driver (with its IAM role), and one managed node group per pool
// (eksNodeGroup).
func eksClusterFiles(c Cluster) ([]File, error) {
	cl := c.Cloud
	if cl.Region == "" {
		return nil, fmt.Errorf("cluster %s: no AWS region", c.Name)
	}
	if cl.KubernetesVersion == "" {
		return nil, fmt.Errorf("cluster %s: no Kubernetes version", c.Name)
	}
	cfg := eksctlConfig{
		APIVersion:        "eksctl.io/v1alpha5",
		Kind:              "ClusterConfig",
		Metadata:          eksctlMetadata{Name: c.Name, Region: cl.Region, Version: cl.KubernetesVersion},
		AvailabilityZones: eksZones(cl.Region),
		IAM: eksctlIAM{WithOIDC: true, ServiceAccounts: []eksctlServiceAccount{{
			Metadata:          eksctlObjectMeta{Name: AutoscalerServiceAccount, Namespace: AutoscalerNamespace},
			WellKnownPolicies: eksctlWellKnownPolicies{AutoScaler: true},
		}}},
		Addons: []eksctlAddon{
			{Name: "vpc-cni"},
			{Name: "coredns"},
			{Name: "kube-proxy"},
			{Name: "aws-ebs-csi-driver", WellKnownPolicies: &eksctlWellKnownPolicies{EBSCSIController: true}},
		},
	}
	for _, pool := range PoolNames {
		ng, err := eksNodeGroup(c, pool)
		if err != nil {
			return nil, err
		}
		cfg.ManagedNodeGroups = append(cfg.ManagedNodeGroups, ng)
	}
	var buf bytes.Buffer
	buf.WriteString(HashHeader(c.Sources()))
	fmt.Fprintf(&buf, "#\n")
	for _, line := range eksComment(c) {
		fmt.Fprintf(&buf, "%s\n", strings.TrimSpace("# "+line))
	}
	if err := encodeYAML(&buf, cfg); err != nil {
		return nil, fmt.Errorf("cluster %s: %s: %w", c.Name, EksctlFile, err)
	}
	return []File{{Path: path.Join(ClusterDir(c.Name), EksctlFile), Mode: 0o644, Data: buf.Bytes()}}, nil
}

// eksComment is the explanation at the top of eksctl.yaml, below the
// header.
func eksComment(c Cluster) []string {
	file := path.Join(ClusterDir(c.Name), EksctlFile)
	return []string{
		"The EKS cluster " + c.Name + ". Create it with: eksctl create cluster -f " + file,
		"Applying a change is the operator's decision; the hubs' READMEs say how.",
		"",
		"One managed node group per pool. The labels and taints are those the Helm",
		"values select on and tolerate. The tags are the cluster-autoscaler's:",
		"auto-discovery (enabled, owned by the cluster), and node-template/label and",
		"node-template/taint (value:Effect) for every label and taint, without which",
		"a group at zero nodes is never scaled up. Managed node group tags reach the",
		"Auto Scaling group only through propagateASGTags, which copies them after its",
		"own node-template tags (whose taint values lack the effect), so these win.",
		"",
		"EBS volumes are zonal: a pool whose pods mount one is pinned to " + eksVolumeZone(c.Cloud.Region) + ",",
		"the zone the volumes are made in. That is core (the hub's database volume)",
		"and, with dynamic home storage, user; dask spans the cluster's zones.",
		"",
		"EKS runs no autoscaler: the cluster-autoscaler (chart " + AutoscalerChart + " " + c.Cloud.Autoscaler.Version + ",",
		"pinned by cloud.autoscaler) uses the service account " + AutoscalerNamespace + "/" + AutoscalerServiceAccount + " below.",
		"Install it once the cluster exists: pangeo-gen render --cluster " + c.Name + " | kubectl apply -f -",
	}
}

// eksZones are the cluster's availability zones: the region's first three
// (eksctl needs at least two; the node groups' zones must be among them).
func eksZones(region string) []string {
	return []string{region + "a", region + "b", region + "c"}
}

// eksVolumeZone is the zone of the pools whose pods mount EBS volumes.
func eksVolumeZone(region string) string { return region + "a" }

// eksNodeGroup is the managed node group of a pool: the pool's instance
// type and sizes (core at least one node, always on; user and dask from
// their min, zero by default, so that they scale to zero), spot, the zone
// when its pods mount EBS volumes (eksPinned), the pool's labels and
// taints, and the cluster-autoscaler tags (EKSAutoscalerTags).
func eksNodeGroup(c Cluster, pool string) (eksctlNodeGroup, error) {
	np, ok := c.Pool(pool)
	if !ok {
		return eksctlNodeGroup{}, fmt.Errorf("cluster %s: no node pool %q", c.Name, pool)
	}
	if err := checkPoolSize(pool, np.Min, np.Max); err != nil {
		return eksctlNodeGroup{}, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if pool == "core" && np.Spot {
		return eksctlNodeGroup{}, fmt.Errorf("cluster %s: the core pool cannot be spot", c.Name)
	}
	pl := c.Placement(pool)
	ng := eksctlNodeGroup{
		Name:             pool,
		InstanceType:     np.MachineType,
		MinSize:          np.Min,
		MaxSize:          np.Max,
		DesiredCapacity:  np.Min,
		Spot:             np.Spot,
		Labels:           pl.Labels,
		Taints:           pl.Taints,
		Tags:             EKSAutoscalerTags(c.Name, pl),
		PropagateASGTags: true,
	}
	if eksPinned(c, pool) {
		ng.AvailabilityZones = []string{eksVolumeZone(c.Cloud.Region)}
	}
	return ng, nil
}

// eksPinned says whether a pool's pods mount zonal EBS volumes, so that
// its nodes must be in the volumes' zone (a volume cannot be attached in
// another): core runs the hub, whose database is a volume (the chart's
// sqlite-pvc); user runs the servers, whose home directories are volumes
// when every hub on the cluster does not use NFS for them.
func eksPinned(c Cluster, pool string) bool {
	switch pool {
	case "core":
		return true
	case "user":
		for _, h := range c.Hubs {
			if h.Storage.Type != "nfs" {
				return true
			}
		}
	}
	return false
}

// EKSAutoscalerTags are the tags of a node group of cluster for the
// cluster-autoscaler: auto-discovery's (enabled, and owned by the cluster)
// and a node-template tag for every label (value) and every taint
// (value:Effect) of its placement, from which the autoscaler builds the
// node a zero-sized group would add.
func EKSAutoscalerTags(cluster string, pl PoolPlacement) map[string]string {
	tags := map[string]string{
		autoscalerEnabledTag:          "true",
		autoscalerTagPrefix + cluster: "owned",
	}
	for k, v := range pl.Labels {
		tags[nodeTemplateLabelTag+k] = v
	}
	for _, t := range pl.Taints {
		tags[nodeTemplateTaintTag+t.Key] = t.Value + ":" + t.Effect
	}
	return tags
}
