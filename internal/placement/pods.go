package placement

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// chartUserTolerations are the jupyterhub chart's (4.x) default
// scheduling.userPods.tolerations (values.yaml), which the values replace
// when they set the list.
var chartUserTolerations = []any{
	map[string]any{"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
	map[string]any{"key": "hub.jupyter.org_dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
}

// chartMatchNodePurpose is the chart's default
// scheduling.userPods.nodeAffinity.matchNodePurpose.
const chartMatchNodePurpose = "prefer"

// Paths of the values the user servers are built from.
var (
	singleuser        = Source{"jupyterhub", "singleuser"}
	kubeSpawnerConfig = Source{"jupyterhub", "hub", "config", "KubeSpawner"}
	userPodsSched     = Source{"jupyterhub", "scheduling", "userPods"}
)

func at(base Source, keys ...string) Source {
	return append(append(Source(nil), base...), keys...)
}

// UserPods are the user server pods KubeSpawner builds from the layered
// values v (the daskhub layout: jupyterhub, dask-gateway), as the
// jupyterhub chart's jupyterhub_config.py configures it (z2jh 4.x):
//
//   - node_selector from singleuser.nodeSelector;
//   - node_affinity_required from singleuser.extraNodeAffinity.required,
//     plus hub.jupyter.org/node-purpose In [user] when
//     scheduling.userPods.nodeAffinity.matchNodePurpose is "require" (the
//     chart's default is "prefer", which does not constrain); KubeSpawner
//     makes them the terms of one node selector, which the scheduler ORs;
//   - tolerations: scheduling.userPods.tolerations (the chart's default
//     hub.jupyter.org/dedicated=user and hub.jupyter.org_dedicated=user)
//     followed by singleuser.extraTolerations;
//   - requests from singleuser.cpu.guarantee, memory.guarantee and
//     extraResource.guarantees;
//   - hub.config.KubeSpawner, loaded last (c.KubeSpawner.update), replaces
//     node_selector, node_affinity_required, tolerations and profile_list;
//   - each profile_list entry's kubespawner_override: a dict merges into
//     the configured one (node_selector, extra_resource_guarantees), any
//     other value replaces it (tolerations, node_affinity_required,
//     cpu_guarantee, mem_guarantee), as KubeSpawner's _apply_overrides.
//
// Without profiles there is one pod, "user server"; else one per profile.
func UserPods(v map[string]any) ([]Pod, error) {
	su, _ := values.Lookup(v, singleuser...).(map[string]any)
	ks, _ := values.Lookup(v, kubeSpawnerConfig...).(map[string]any)
	base := spawner{selector: map[string]Source{}}
	// node_selector
	if sel, ok := su["nodeSelector"].(map[string]any); ok {
		base.addSelector(sel, at(singleuser, "nodeSelector"))
	}
	if sel, ok := ks["node_selector"].(map[string]any); ok {
		base.nodeSelector, base.selector = nil, map[string]Source{}
		base.addSelector(sel, at(kubeSpawnerConfig, "node_selector"))
	}
	// node_affinity_required
	purpose := chartMatchNodePurpose
	if p, ok := values.Get(v, at(userPodsSched, "nodeAffinity", "matchNodePurpose")...); ok {
		purpose, _ = p.(string)
	}
	var terms []any
	// Without a required term, matchNodePurpose is what would keep the
	// servers on their pool.
	base.affinity = at(userPodsSched, "nodeAffinity", "matchNodePurpose")
	if purpose == "require" {
		terms = append(terms, map[string]any{"matchExpressions": []any{map[string]any{
			"key": gen.NodePurposeLabel, "operator": "In", "values": []any{"user"},
		}}})
	}
	if extra, ok := values.Lookup(su, "extraNodeAffinity", "required").([]any); ok && len(extra) > 0 {
		terms = append(terms, extra...)
		base.affinity = at(singleuser, "extraNodeAffinity", "required")
	}
	if req, ok := ks["node_affinity_required"].([]any); ok {
		terms, base.affinity = req, at(kubeSpawnerConfig, "node_affinity_required")
	}
	base.terms = terms
	// tolerations
	tols, tolsAt := chartUserTolerations, Source(nil)
	if t, ok := values.Get(v, at(userPodsSched, "tolerations")...); ok {
		tols, _ = t.([]any)
		tolsAt = at(userPodsSched, "tolerations")
	}
	for i, t := range tols {
		base.tolerations = append(base.tolerations, t)
		base.tolSources = append(base.tolSources, indexed(tolsAt, i))
	}
	base.tolList = tolsAt
	if extra, ok := su["extraTolerations"].([]any); ok {
		for i, t := range extra {
			base.tolerations = append(base.tolerations, t)
			base.tolSources = append(base.tolSources, indexed(at(singleuser, "extraTolerations"), i))
		}
		if base.tolList == nil {
			base.tolList = at(singleuser, "extraTolerations")
		}
	}
	if t, ok := ks["tolerations"].([]any); ok {
		base.setTolerations(t, at(kubeSpawnerConfig, "tolerations"))
	}
	// requests
	base.cpu, base.mem = values.Lookup(su, "cpu", "guarantee"), values.Lookup(su, "memory", "guarantee")
	base.extra, _ = values.Lookup(su, "extraResource", "guarantees").(map[string]any)
	base.resources = at(singleuser, "cpu")
	// profiles
	profiles, _ := su["profileList"].([]any)
	profilesAt := at(singleuser, "profileList")
	if p, ok := ks["profile_list"].([]any); ok {
		profiles, profilesAt = p, at(kubeSpawnerConfig, "profile_list")
	}
	if len(profiles) == 0 {
		pod, err := base.pod("user server")
		if err != nil {
			return nil, err
		}
		return []Pod{pod}, nil
	}
	var pods []Pod
	for i, entry := range profiles {
		e, _ := entry.(map[string]any)
		name := fmt.Sprintf("user server (profile %d)", i)
		if slug, ok := e["slug"].(string); ok {
			name = fmt.Sprintf("user server (profile %q)", slug)
		} else if dn, ok := e["display_name"].(string); ok {
			name = fmt.Sprintf("user server (profile %q)", dn)
		}
		s := base.clone()
		override, _ := e["kubespawner_override"].(map[string]any)
		oAt := at(indexed(profilesAt, i), "kubespawner_override")
		if sel, ok := override["node_selector"].(map[string]any); ok {
			s.addSelector(sel, at(oAt, "node_selector"))
		}
		if req, ok := override["node_affinity_required"].([]any); ok {
			s.terms, s.affinity = req, at(oAt, "node_affinity_required")
		}
		if t, ok := override["tolerations"].([]any); ok {
			s.setTolerations(t, at(oAt, "tolerations"))
		}
		if c, ok := override["cpu_guarantee"]; ok {
			s.cpu, s.resources = c, at(oAt, "cpu_guarantee")
		}
		if m, ok := override["mem_guarantee"]; ok {
			s.mem, s.resources = m, at(oAt, "mem_guarantee")
		}
		if x, ok := override["extra_resource_guarantees"].(map[string]any); ok {
			merged := maps.Clone(s.extra)
			if merged == nil {
				merged = map[string]any{}
			}
			maps.Copy(merged, x)
			s.extra, s.resources = merged, at(oAt, "extra_resource_guarantees")
		}
		pod, err := s.pod(name)
		if err != nil {
			return nil, err
		}
		pods = append(pods, pod)
	}
	return pods, nil
}

// indexed is src with a list index appended.
func indexed(src Source, i int) Source {
	if src == nil {
		return nil
	}
	return at(src, "["+strconv.Itoa(i)+"]")
}

// spawner is what KubeSpawner's traits say about placement, and where
// each comes from.
type spawner struct {
	nodeSelector map[string]any
	selector     map[string]Source
	terms        []any
	affinity     Source
	tolerations  []any
	tolSources   []Source
	tolList      Source
	cpu, mem     any
	extra        map[string]any
	resources    Source
}

func (s *spawner) clone() spawner {
	c := *s
	c.nodeSelector = maps.Clone(s.nodeSelector)
	c.selector = maps.Clone(s.selector)
	c.tolerations = append([]any(nil), s.tolerations...)
	c.tolSources = append([]Source(nil), s.tolSources...)
	return c
}

func (s *spawner) addSelector(sel map[string]any, src Source) {
	if s.nodeSelector == nil {
		s.nodeSelector = map[string]any{}
	}
	for k, v := range sel {
		s.nodeSelector[k] = v
		s.selector[k] = at(src, k)
	}
}

func (s *spawner) setTolerations(t []any, src Source) {
	s.tolerations, s.tolSources, s.tolList = nil, nil, src
	for i, x := range t {
		s.tolerations = append(s.tolerations, x)
		s.tolSources = append(s.tolSources, indexed(src, i))
	}
}

// pod is the pod of the spawner's traits.
func (s *spawner) pod(name string) (Pod, error) {
	p := Pod{Name: name, Role: User, Selector: s.selector, Affinity: s.affinity, Tolerations: s.tolSources, TolerationList: s.tolList, Resources: s.resources}
	spec := map[string]any{}
	if len(s.nodeSelector) > 0 {
		spec["nodeSelector"] = s.nodeSelector
	}
	if len(s.terms) > 0 {
		spec["affinity"] = map[string]any{"nodeAffinity": map[string]any{
			"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": s.terms},
		}}
	}
	if len(s.tolerations) > 0 {
		spec["tolerations"] = s.tolerations
	}
	if err := decode(spec, &p.Spec); err != nil {
		return Pod{}, fmt.Errorf("%s: %w", name, err)
	}
	req := corev1.ResourceList{}
	if q, ok, err := cpuQuantity(s.cpu); err != nil {
		return Pod{}, fmt.Errorf("%s: cpu guarantee: %w", name, err)
	} else if ok {
		req[corev1.ResourceCPU] = q
	}
	if q, ok, err := byteQuantity(s.mem); err != nil {
		return Pod{}, fmt.Errorf("%s: memory guarantee: %w", name, err)
	} else if ok {
		req[corev1.ResourceMemory] = q
	}
	for k, v := range s.extra {
		q, err := resource.ParseQuantity(fmt.Sprint(v))
		if err != nil {
			return Pod{}, fmt.Errorf("%s: extra resource %s: %w", name, k, err)
		}
		req[corev1.ResourceName(k)] = q
	}
	p.Spec.Containers = []corev1.Container{{Name: "notebook", Resources: corev1.ResourceRequirements{Requests: req}}}
	return p, nil
}

// cpuQuantity is a KubeSpawner cpu_guarantee (a float of cores).
func cpuQuantity(v any) (resource.Quantity, bool, error) {
	if v == nil {
		return resource.Quantity{}, false, nil
	}
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	if err != nil {
		return resource.Quantity{}, false, err
	}
	return *resource.NewMilliQuantity(int64(f*1000+0.5), resource.DecimalSI), true, nil
}

// byteQuantity is a KubeSpawner mem_guarantee: a number of bytes, or a
// number with KubeSpawner's ByteSpecification suffix K, M, G or T, each a
// power of 1024.
func byteQuantity(v any) (resource.Quantity, bool, error) {
	if v == nil {
		return resource.Quantity{}, false, nil
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	mult := 1.0
	if s != "" {
		if i := strings.IndexByte("KMGT", s[len(s)-1]); i >= 0 {
			mult = float64(int64(1) << (10 * (i + 1)))
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return resource.Quantity{}, false, fmt.Errorf("%v is not a byte specification (a number with K, M, G or T)", v)
	}
	return *resource.NewQuantity(int64(f*mult), resource.BinarySI), true, nil
}

// decode turns a values tree into a typed Kubernetes object (through JSON,
// as the API server reads it).
func decode(v any, into any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// gatewayBackend is where the dask-gateway chart takes the Dask pods'
// configuration from.
var gatewayBackend = Source{"dask-gateway", "gateway", "backend"}

// GatewayDaskPods are the Dask scheduler and worker pods dask-gateway's
// Kubernetes backend builds from the layered values v: the chart forwards
// gateway.backend.{scheduler,worker}.extraPodConfig to
// c.KubeClusterConfig.{scheduler,worker}_extra_pod_config, which the
// backend merges into a pod that selects and tolerates nothing of its own.
// Requests are not counted: the cluster options handler sets them, and the
// fit check measures them.
func GatewayDaskPods(v map[string]any) ([]Pod, error) {
	var pods []Pod
	for _, part := range []struct {
		key, name string
		role      Role
	}{{"scheduler", "Dask scheduler", DaskScheduler}, {"worker", "Dask worker", DaskWorker}} {
		src := at(gatewayBackend, part.key, "extraPodConfig")
		cfg, _ := values.Lookup(v, src...).(map[string]any)
		p := Pod{Name: part.name, Role: part.role}
		if err := podFromSpec(&p, cfg, src); err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	return pods, nil
}

// ClassicWorkerPod is the Dask worker pod classic dask-kubernetes builds
// from the worker template (kubernetes.worker-template in the image's Dask
// config, a Pod), src where it comes from.
func ClassicWorkerPod(template map[string]any, src Source) (Pod, error) {
	spec, _ := template["spec"].(map[string]any)
	p := Pod{Name: "Dask worker", Role: DaskWorker}
	if err := podFromSpec(&p, spec, src); err != nil {
		return Pod{}, err
	}
	p.Resources = at(src, "containers")
	return p, nil
}

// podFromSpec fills p from a pod spec in values form at src.
func podFromSpec(p *Pod, spec map[string]any, src Source) error {
	if err := decode(spec, &p.Spec); err != nil {
		return fmt.Errorf("%s: %s: %w", p.Name, src, err)
	}
	p.Selector = map[string]Source{}
	for k := range p.Spec.NodeSelector {
		p.Selector[k] = at(src, "nodeSelector", k)
	}
	p.Affinity = at(src, "affinity")
	p.TolerationList = at(src, "tolerations")
	for i := range p.Spec.Tolerations {
		p.Tolerations = append(p.Tolerations, indexed(p.TolerationList, i))
	}
	return nil
}
