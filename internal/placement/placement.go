// Package placement proves where the pods of a hub can run: with the
// scheduler's own rules (k8s.io/component-helpers: required node affinity
// and node selectors, untolerated NoSchedule and NoExecute taints) and
// resource fit against the machine catalog's allocatable capacity, it
// checks every pod against one node of each of the cluster's pools, built
// from the same cluster model gen writes the cluster's definition from
// (gen.Cluster, gen.Placement) plus the labels and taints the cloud gives
// its nodes itself. Every pod must fit its intended pool, and no pool it
// must not use: user servers never on core or dask, Dask workers only on
// dask, nothing of the core on spot nodes.
//
// It is pure: the pods come from the hub's layered values (UserPods,
// GatewayDaskPods, ClassicWorkerPod) or from the rendered chart objects
// (ChartPods); the caller says where in the hub each came from.
package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	schedcorev1 "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/machines"
)

// Role is what a pod is for, which decides the pools it must and must not
// run on.
type Role string

// The roles of a hub's pods.
const (
	// Core pods (hub, proxy, autohttps, user-scheduler, the dask-gateway
	// api, controller and traefik) run on core, never on a spot node.
	Core Role = "core"
	// User servers run on user, never on core or dask.
	User Role = "user"
	// ImagePuller pods (the continuous image puller) run on user.
	ImagePuller Role = "image-puller"
	// DaskScheduler pods run on dask.
	DaskScheduler Role = "dask-scheduler"
	// DaskWorker pods run on dask and nowhere else.
	DaskWorker Role = "dask-worker"
)

// intended is the pool a role's pods must fit.
func (r Role) intended() string {
	switch r {
	case Core:
		return "core"
	case User, ImagePuller:
		return "user"
	}
	return "dask"
}

// forbidden says whether a role's pods must not be able to run on a node.
func (r Role) forbidden(n Node) bool {
	switch r {
	case Core:
		return n.Spot
	case User:
		return n.Pool == "core" || n.Pool == "dask"
	case DaskWorker:
		return n.Pool != "dask"
	}
	return false
}

// Source is where something about a pod comes from: a path in the hub's
// layered Helm values (jupyterhub, singleuser, extraTolerations), with
// list indexes as "[i]".
type Source []string

// String is the path joined with dots.
func (s Source) String() string { return strings.ReplaceAll(strings.Join(s, "."), ".[", "[") }

// Pod is one pod a hub makes, with where its placement comes from.
type Pod struct {
	// Name says which pod it is ("user server", "user server (profile
	// \"large\")", "Dask worker", "Deployment/hub").
	Name string
	// Object is Kind/name of the chart object that makes the pod, empty
	// for the pods pangeo-gen builds from the values.
	Object string
	// Role decides where it must and must not run.
	Role Role
	// Spec is the pod as the chart or the spawner builds it: node
	// selector, affinity, tolerations and the containers' requests.
	Spec corev1.PodSpec
	// Selector is the source of each key of Spec.NodeSelector.
	Selector map[string]Source
	// Affinity is the source of Spec.Affinity's required node affinity.
	Affinity Source
	// Tolerations is the source of each of Spec.Tolerations, and
	// TolerationList where the list as a whole is set (what drops a
	// toleration).
	Tolerations    []Source
	TolerationList Source
	// Resources is the source of the containers' requests.
	Resources Source
}

// Node is the node a pool adds: its labels (the pool's and the cloud's),
// taints and allocatable capacity.
type Node struct {
	// Pool is "core", "user" or "dask".
	Pool string
	// MachineType is the pool's machine type.
	MachineType string
	// Spot says whether the pool is spot (preemptible).
	Spot bool
	// Node is the Kubernetes node.
	Node *corev1.Node
}

// Pods a node takes (the kubelet's default max-pods).
const maxPods = 110

// Nodes are the nodes of a cluster's pools, in gen.PoolNames order: the
// pool's labels and taints (gen.Cluster.Placement, as its definition
// carries them), the labels the cloud adds (CloudLabels) and the
// allocatable capacity of the pool's machine (machines.PoolMachine,
// machines.Allocatable). A pool whose machine is unknown gets no
// capacity, so that resources are not checked on it (the fit check says
// why).
func Nodes(c gen.Cluster) []Node {
	var nodes []Node
	for _, pool := range gen.PoolNames {
		np, _ := c.Pool(pool)
		pl := c.Placement(pool)
		labels := CloudLabels(c, pool)
		maps.Copy(labels, pl.Labels)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: c.Name + "-" + pool, Labels: labels},
		}
		for _, t := range pl.Taints {
			node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
		}
		if m, err := machines.PoolMachine(c.Cloud.Provider, np); err == nil {
			cpu, mem := machines.Allocatable(m)
			node.Status.Allocatable = corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(cpu, resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(mem, resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(maxPods, resource.DecimalSI),
			}
		}
		nodes = append(nodes, Node{Pool: pool, MachineType: np.MachineType, Spot: np.Spot, Node: node})
	}
	return nodes
}

// Labels the cloud puts on every node.
const (
	InstanceTypeLabel = "node.kubernetes.io/instance-type"
	ZoneLabel         = "topology.kubernetes.io/zone"
	RegionLabel       = "topology.kubernetes.io/region"
	OSLabel           = "kubernetes.io/os"
	ArchLabel         = "kubernetes.io/arch"
	HostnameLabel     = "kubernetes.io/hostname"
)

// CloudLabels are the labels the provider gives a node of a pool itself:
// instance type, region and zone, os and arch, hostname, the node pool's
// name (GKE cloud.google.com/gke-nodepool, EKS eks.amazonaws.com/nodegroup,
// AKS kubernetes.azure.com/agentpool and agentpool) and the capacity type
// (GKE cloud.google.com/gke-spot=true on spot nodes, EKS
// eks.amazonaws.com/capacityType SPOT or ON_DEMAND, AKS
// kubernetes.azure.com/scalesetpriority=spot on spot nodes).
func CloudLabels(c gen.Cluster, pool string) map[string]string {
	np, _ := c.Pool(pool)
	l := map[string]string{
		InstanceTypeLabel: np.MachineType,
		OSLabel:           "linux",
		ArchLabel:         arch(c.Cloud.Provider, np.MachineType),
		HostnameLabel:     c.Name + "-" + pool,
	}
	switch c.Cloud.Provider {
	case "gcp":
		region, zone := c.Cloud.Location, c.Cloud.Location+"-a"
		if strings.Count(c.Cloud.Location, "-") == 2 { // a zone: us-central1-b
			region, zone = c.Cloud.Location[:strings.LastIndex(c.Cloud.Location, "-")], c.Cloud.Location
		}
		l[RegionLabel], l[ZoneLabel] = region, zone
		l["cloud.google.com/gke-nodepool"] = pool
		if np.Spot {
			l["cloud.google.com/gke-spot"] = "true"
		}
	case "aws":
		l[RegionLabel], l[ZoneLabel] = c.Cloud.Region, c.Cloud.Region+"a"
		l["eks.amazonaws.com/nodegroup"] = pool
		l["eks.amazonaws.com/capacityType"] = "ON_DEMAND"
		if np.Spot {
			l["eks.amazonaws.com/capacityType"] = "SPOT"
		}
	case "azure":
		l[RegionLabel], l[ZoneLabel] = c.Cloud.Location, c.Cloud.Location+"-1"
		l["kubernetes.azure.com/agentpool"] = pool
		l["agentpool"] = pool
		if np.Spot {
			l["kubernetes.azure.com/scalesetpriority"] = "spot"
		}
	}
	return l
}

// arch is the CPU architecture of a machine type: arm64 for the Arm
// families (AWS Graviton m6g, c7gn, r8g...; GCP t2a, c4a; Azure's "p"
// sizes such as Standard_D4ps_v5), else amd64.
func arch(provider, machineType string) string {
	mt := strings.ToLower(machineType)
	switch provider {
	case "aws":
		family, _, _ := strings.Cut(mt, ".")
		if i := strings.IndexAny(family, "0123456789"); i >= 0 && strings.Contains(family[i:], "g") {
			return "arm64"
		}
	case "gcp":
		if strings.HasPrefix(mt, "t2a-") || strings.HasPrefix(mt, "c4a-") || strings.HasPrefix(mt, "n4a-") {
			return "arm64"
		}
	case "azure":
		size := strings.TrimPrefix(mt, "standard_")
		size, _, _ = strings.Cut(size, "_")
		if i := strings.IndexAny(size, "0123456789"); i >= 0 && strings.Contains(size[i:], "p") {
			return "arm64"
		}
	}
	return "amd64"
}

// Problem is a pod that cannot run on its pool, or can run on a pool it
// must not use.
type Problem struct {
	// Pod is the pod's name, Role its role, Object the chart object
	// that makes it (Pod.Object).
	Pod    string
	Role   Role
	Object string
	// Pool is the node pool, MachineType its machine type.
	Pool, MachineType string
	// Reason is why, in the scheduler's words ("node(s) didn't match Pod's
	// node affinity/selector", "node(s) had untolerated taint {k: v}",
	// "Insufficient cpu") or, for a pool it must not use, what lets it
	// run there.
	Reason string
	// Forbidden is set when the pod can run on a pool it must not use.
	Forbidden bool
	// Template is set when the problem is with the node the
	// cluster-autoscaler builds from a zero-sized group's tags
	// (CheckTemplates).
	Template bool
	// Source is the value that causes it (may be nil: nothing in the
	// values, the chart's own default).
	Source Source
}

// String is the problem as a message.
func (p Problem) String() string {
	if p.Template {
		if p.Role == "" {
			return fmt.Sprintf("%s (%s) cannot scale up from zero: %s", p.Pod, p.MachineType, p.Reason)
		}
		return fmt.Sprintf("%s cannot make node pool %s (%s) scale up from zero: the node the cluster-autoscaler builds from the node group's node-template tags: %s", p.Pod, p.Pool, p.MachineType, p.Reason)
	}
	if p.Forbidden {
		return fmt.Sprintf("%s can run on node pool %s (%s): %s; %s", p.Pod, p.Pool, p.MachineType, p.Reason, rule(p.Role))
	}
	return fmt.Sprintf("%s cannot run on node pool %s (%s): %s", p.Pod, p.Pool, p.MachineType, p.Reason)
}

// rule is the rule a role's pods keep.
func rule(r Role) string {
	switch r {
	case Core:
		return "nothing of the core may run on spot nodes"
	case User:
		return "user servers must never run on core or dask"
	}
	return "Dask workers must run on dask only"
}

// Check checks every pod against the node of every pool: it must fit the
// node of its role's pool, and must not be able to run on a node its role
// forbids. Problems are in pod order, then pool order.
func Check(nodes []Node, pods []Pod) []Problem {
	var out []Problem
	for i := range pods {
		p := &pods[i]
		for _, n := range nodes {
			switch {
			case n.Pool == p.Role.intended():
				out = append(out, unfit(p, n)...)
			case p.Role.forbidden(n):
				if len(unfit(p, n)) == 0 {
					out = append(out, allowed(p, n))
				}
			}
		}
	}
	return out
}

// Scheduler messages (kube-scheduler's NodeAffinity, TaintToleration and
// NodeResourcesFit plugins).
const (
	ErrNodeAffinity = "node(s) didn't match Pod's node affinity/selector"
	errTaintFormat  = "node(s) had untolerated taint {%s: %s}"
	errInsufficient = "Insufficient %s"
)

// unfit are the reasons the scheduler would not put pod on node.
func unfit(p *Pod, n Node) []Problem {
	problem := func(reason string, src Source) Problem {
		return Problem{Pod: p.Name, Role: p.Role, Object: p.Object, Pool: n.Pool, MachineType: n.MachineType, Reason: reason, Source: src}
	}
	var out []Problem
	pod := &corev1.Pod{Spec: p.Spec}
	if ok, _ := nodeaffinity.GetRequiredNodeAffinity(pod).Match(n.Node); !ok {
		out = append(out, problem(ErrNodeAffinity, p.affinitySource(n.Node)))
	}
	if t, untolerated := schedcorev1.FindMatchingUntoleratedTaint(klog.Background(), n.Node.Spec.Taints, p.Spec.Tolerations, scheduling, false); untolerated {
		out = append(out, problem(fmt.Sprintf(errTaintFormat, t.Key, t.Value), p.TolerationList))
	}
	if n.Node.Status.Allocatable != nil {
		req := requests(p.Spec)
		for _, name := range slices.Sorted(maps.Keys(req)) {
			q := req[name]
			alloc, ok := n.Node.Status.Allocatable[name]
			if !ok || q.Cmp(alloc) > 0 {
				out = append(out, problem(fmt.Sprintf(errInsufficient, name), p.Resources))
			}
		}
	}
	return out
}

// scheduling keeps the taints the scheduler filters on.
func scheduling(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// affinitySource is what makes the pod's node selector or affinity miss
// the node: the first key of the node selector the node does not carry
// as selected, else the affinity.
func (p *Pod) affinitySource(node *corev1.Node) Source {
	for _, k := range slices.Sorted(maps.Keys(p.Spec.NodeSelector)) {
		if node.Labels[k] != p.Spec.NodeSelector[k] {
			return p.Selector[k]
		}
	}
	return p.Affinity
}

// allowed is the problem of a pod that can run on n, which it must not:
// the toleration that lets it past the node's taint or, on an untainted
// node, its selection that the node matches.
func allowed(p *Pod, n Node) Problem {
	pr := Problem{Pod: p.Name, Role: p.Role, Object: p.Object, Pool: n.Pool, MachineType: n.MachineType, Forbidden: true}
	for _, t := range n.Node.Spec.Taints {
		if !scheduling(&t) {
			continue
		}
		for i, tol := range p.Spec.Tolerations {
			if tol.ToleratesTaint(klog.Background(), &t, false) {
				pr.Reason = fmt.Sprintf("it tolerates the pool's taint {%s: %s} (toleration %s)", t.Key, t.Value, describeToleration(tol))
				if i < len(p.Tolerations) {
					pr.Source = p.Tolerations[i]
				}
				return pr
			}
		}
	}
	pr.Reason = "the pool has no taint and the pod's node selector and affinity do not keep it off"
	pr.Source = p.Affinity
	if len(p.Spec.NodeSelector) > 0 {
		pr.Source = p.Selector[slices.Sorted(maps.Keys(p.Spec.NodeSelector))[0]]
	}
	return pr
}

// describeToleration is a toleration as the values write it.
func describeToleration(t corev1.Toleration) string {
	var b strings.Builder
	b.WriteString("key " + cmpOr(t.Key, "(any)"))
	op := cmpOr(string(t.Operator), string(corev1.TolerationOpEqual))
	b.WriteString(" " + op)
	if op == string(corev1.TolerationOpEqual) {
		b.WriteString(" " + t.Value)
	}
	if t.Effect != "" {
		b.WriteString(" " + string(t.Effect))
	}
	return b.String()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// requests are a pod's requests as the scheduler counts them: the sum of
// its containers', or the largest init container's where that is more.
func requests(spec corev1.PodSpec) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for _, c := range spec.Containers {
		for name, q := range c.Resources.Requests {
			v := sum[name]
			v.Add(q)
			sum[name] = v
		}
	}
	for _, c := range spec.InitContainers {
		for name, q := range c.Resources.Requests {
			if v, ok := sum[name]; !ok || q.Cmp(v) > 0 {
				sum[name] = q.DeepCopy()
			}
		}
	}
	for name, q := range sum {
		if q.IsZero() {
			delete(sum, name)
		}
	}
	return sum
}

// TemplateNode is the node the cluster-autoscaler builds for an EKS node
// group that has no node to copy (scaled to zero): the labels it knows
// from the instance type (instance type, os, arch, region, zone,
// hostname), and the labels and taints of the group's node-template tags
// (gen.NodeTemplateLabelTag, gen.NodeTemplateTaintTag); the allocatable
// capacity is the pool node's.
func TemplateNode(n Node, tags map[string]string) Node {
	labels := map[string]string{}
	for _, k := range []string{InstanceTypeLabel, OSLabel, ArchLabel, RegionLabel, ZoneLabel, HostnameLabel} {
		if v, ok := n.Node.Labels[k]; ok {
			labels[k] = v
		}
	}
	var taints []corev1.Taint
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v := tags[k]
		if key, ok := strings.CutPrefix(k, gen.NodeTemplateLabelTag); ok {
			labels[key] = v
		}
		if key, ok := strings.CutPrefix(k, gen.NodeTemplateTaintTag); ok {
			value, effect, _ := strings.Cut(v, ":")
			taints = append(taints, corev1.Taint{Key: key, Value: value, Effect: corev1.TaintEffect(effect)})
		}
	}
	t := n
	t.Node = n.Node.DeepCopy()
	t.Node.Labels = labels
	t.Node.Spec.Taints = taints
	return t
}

// CheckTemplates checks the zero-sized node groups of an EKS cluster: a
// pod pending for a pool at zero nodes makes the cluster-autoscaler add a
// node only when it fits the group's template node (TemplateNode), so
// every label its selection needs must be in the tags, and every taint the
// pool's nodes carry must be there too (else the autoscaler adds nodes for
// pods that then cannot run on them). Each pod is checked against its
// intended pool's template where that pool's min is 0; a problem names
// what the tags miss. Other providers read the labels and taints from the
// pool itself: nothing to check.
func CheckTemplates(c gen.Cluster, nodes []Node, pods []Pod) []Problem {
	if c.Cloud.Provider != "aws" {
		return nil
	}
	var out []Problem
	for _, n := range nodes {
		np, _ := c.Pool(n.Pool)
		if np.Min > 0 {
			continue
		}
		tmpl := TemplateNode(n, gen.EKSAutoscalerTags(c.Name, c.Placement(n.Pool)))
		for _, t := range n.Node.Spec.Taints {
			if !slices.ContainsFunc(tmpl.Node.Spec.Taints, func(x corev1.Taint) bool { return x.MatchTaint(&t) && x.Value == t.Value }) {
				out = append(out, Problem{Pod: "node group " + n.Pool, Pool: n.Pool, MachineType: n.MachineType, Template: true,
					Reason: fmt.Sprintf("its node-template tags lack the taint {%s: %s} its nodes carry", t.Key, t.Value)})
			}
		}
		for i := range pods {
			p := &pods[i]
			if p.Role.intended() != n.Pool || len(unfit(p, n)) > 0 {
				continue // a problem of the pool itself, reported as such
			}
			for _, pr := range unfit(p, tmpl) {
				pr.Template = true
				out = append(out, pr)
			}
		}
	}
	return out
}
