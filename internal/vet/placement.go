package vet

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/placement"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// placement: every pod the hub makes fits its pool and no pool it must
// not use, with the scheduler's rules (internal/placement), in every env:
// the user servers as KubeSpawner builds them from the layered values, the
// Dask scheduler and workers (dask-gateway's backend from the values, or
// the classic worker template of the image's Dask config), and the charts'
// own pods from the rendered objects when the charts are cached (chart,
// nil when they are not). On EKS, the zero-sized node groups' node-template
// tags must carry what the pods need. A problem of both envs is one
// finding. Requests of the typed notebook and Dask fields that do not fit
// are the fit check's findings, not repeated here. It reports the
// problems placementProblems found with hub h.
func (c *checker) placement(h *hub.Hub, problems []hubProblem) {
	for _, p := range problems {
		c.add(c.at("placement", h, p.elems, "%s", p.text))
	}
}

// hubProblem is a problem with a hub: where in the hub, and what.
type hubProblem struct {
	elems []string
	text  string
}

// placementProblems are the problems of the placement check with the hub
// of out (chart its chart pods by env, nil when its charts are not
// cached), in the order they are reported.
// It touches neither the checker nor CUE, so that hubs are checked side
// by side (RunWith).
func placementProblems(out *gen.Output, chart map[string][]placement.Pod) []hubProblem {
	h := out.Hub
	cl := gen.Cluster{Name: h.Cloud.Cluster, Cloud: h.Cloud, Hubs: []*hub.Hub{h}}
	nodes := placement.Nodes(cl)
	type problem struct {
		elems []string
		text  string
		envs  []string
	}
	var found []hubProblem
	var problems []*problem
	byKey := map[string]*problem{}
	for _, env := range hub.EnvNames {
		pods, err := podsOf(out, env)
		if err != nil {
			found = append(found, hubProblem{[]string{"values"}, fmt.Sprintf("%s: cannot build the hub's pods: %v", env, err)})
			continue
		}
		pods = append(pods, chart[env]...)
		for _, p := range append(placement.Check(nodes, pods), placement.CheckTemplates(cl, nodes, pods)...) {
			elems, raw := sourceElems(h, env, p)
			if patch, ok := patchElems(h, env, p.Object); ok {
				elems, raw = patch, true
			}
			if !raw && !p.Forbidden && (p.Reason == "Insufficient cpu" || p.Reason == "Insufficient memory") {
				continue // the fit check's
			}
			text := p.String()
			if p.Source != nil && !raw { // a raw value's path is the finding's
				text += " (" + p.Source.String() + ")"
			}
			key := strings.Join(elems, "\x00") + "\x00" + text
			if byKey[key] == nil {
				byKey[key] = &problem{elems: elems, text: text}
				problems = append(problems, byKey[key])
			}
			byKey[key].envs = append(byKey[key].envs, env)
		}
	}
	for _, p := range problems {
		found = append(found, hubProblem{p.elems, strings.Join(p.envs, " and ") + ": " + p.text})
	}
	return found
}

// podsOf are the user and Dask pods of a hub-env.
func podsOf(out *gen.Output, env string) ([]placement.Pod, error) {
	v := out.Values.Merged(env)
	pods, err := placement.UserPods(v)
	if err != nil {
		return nil, err
	}
	switch out.Hub.Dask.Backend {
	case hub.BackendGateway:
		dask, err := placement.GatewayDaskPods(v)
		if err != nil {
			return nil, err
		}
		pods = append(pods, dask...)
	case hub.BackendKubernetes:
		tmpl, err := workerTemplate(out)
		if err != nil {
			return nil, err
		}
		p, err := placement.ClassicWorkerPod(tmpl, placement.Source{"dask"})
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	return pods, nil
}

// workerTemplate is kubernetes.worker-template of the image's generated
// Dask config (gen writes it; no value can replace it, see workerImage).
func workerTemplate(out *gen.Output) (map[string]any, error) {
	for _, f := range out.Files {
		if !strings.HasSuffix(f.Path, "/image/.dask/config.yaml") {
			continue
		}
		var cfg struct {
			Kubernetes struct {
				WorkerTemplate map[string]any `yaml:"worker-template"`
			} `yaml:"kubernetes"`
		}
		if err := yaml.Unmarshal(f.Data, &cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		return cfg.Kubernetes.WorkerTemplate, nil
	}
	return nil, fmt.Errorf("no Dask config in the image of %s", out.Hub.Name)
}

// typedSources are the typed fields the generated values at a path come
// from, where no raw value sets them.
var typedSources = []struct {
	prefix []string
	elems  func(h *hub.Hub, env string, rest []string) []string
}{
	{[]string{"jupyterhub", "singleuser", "extraTolerations"}, pool("user", "spot")},
	{[]string{"jupyterhub", "singleuser", "profileList"}, func(h *hub.Hub, env string, rest []string) []string {
		elems := []string{"notebook", "profiles"}
		if e, ok := h.Environments[env]; ok && e.Notebook != nil && e.Notebook.Profiles != nil {
			elems = []string{"environments", env, "notebook", "profiles"}
		}
		if len(rest) > 0 {
			elems = append(elems, rest[0])
		}
		return elems
	}},
	{[]string{"jupyterhub", "singleuser", "cpu"}, notebook("cpu")},
	{[]string{"jupyterhub", "singleuser", "memory"}, notebook("memory")},
	{[]string{"jupyterhub", "scheduling", "userPods"}, pool("user")},
	{[]string{"jupyterhub", "scheduling", "corePods"}, pool("core")},
	{[]string{"dask-gateway", "gateway", "backend"}, pool("dask")},
	{[]string{"dask-gateway"}, pool("core")},
	{[]string{"dask"}, pool("dask")},
}

func pool(name string, field ...string) func(*hub.Hub, string, []string) []string {
	return func(*hub.Hub, string, []string) []string {
		return append([]string{"cloud", "nodePools", name}, field...)
	}
}

func notebook(field string) func(*hub.Hub, string, []string) []string {
	return func(h *hub.Hub, env string, _ []string) []string {
		if e, ok := h.Environments[env]; ok && e.Notebook != nil {
			return []string{"environments", env, "notebook", field}
		}
		return []string{"notebook", field}
	}
}

// sourceElems is where in the hub a placement problem comes from, and
// whether that is a raw value: the raw value (env's, else hub's) that
// sets the problem's source or a map above it, else the typed field the
// generated value comes from, else the raw values where it could be set;
// a problem without a source is at its pool.
func sourceElems(h *hub.Hub, env string, p placement.Problem) ([]string, bool) {
	path := []string(p.Source)
	if len(path) == 0 {
		return []string{"cloud", "nodePools", p.Pool}, false
	}
	for n := len(path); n > 0; n-- {
		if _, ok := values.Get(h.Environments[env].Values, path[:n]...); ok {
			return append([]string{"environments", env, "values"}, path...), true
		}
		if _, ok := values.Get(h.Values, path[:n]...); ok {
			return append([]string{"values"}, path...), true
		}
	}
	for _, t := range typedSources {
		if len(path) >= len(t.prefix) && slices.Equal(path[:len(t.prefix)], t.prefix) {
			return t.elems(h, env, path[len(t.prefix):]), false
		}
	}
	return append([]string{"values"}, path...), false
}

// patchElems is the kustomize patch (the env's, else the hub's; the last
// that applies) that changes the placement of the pods of chart object
// "Kind/name": one that selects the object (a strategic merge patch
// naming it, or a target whose kind and name match) and sets a node
// selector, affinity or tolerations. A patched pod's placement is the
// patch's doing, not the values'.
func patchElems(h *hub.Hub, env, pod string) ([]string, bool) {
	kind, name, ok := strings.Cut(pod, "/")
	if !ok {
		return nil, false
	}
	find := func(patches []hub.Patch, at []string) ([]string, bool) {
		for i := len(patches) - 1; i >= 0; i-- {
			if patchSelects(patches[i], kind, name) && placementPatch.MatchString(patches[i].Patch) {
				return append(append([]string(nil), at...), "patches", fmt.Sprintf("[%d]", i)), true
			}
		}
		return nil, false
	}
	if elems, ok := find(h.Environments[env].Kustomize.Patches, []string{"environments", env, "kustomize"}); ok {
		return elems, true
	}
	return find(h.Kustomize.Patches, []string{"kustomize"})
}

var placementPatch = regexp.MustCompile(`(?i)nodeSelector|affinity|tolerations`)

// patchSelects says whether a patch applies to the object kind/name.
func patchSelects(p hub.Patch, kind, name string) bool {
	if t := p.Target; t != nil {
		if t.Kind != "" && t.Kind != kind {
			return false
		}
		if t.Name != "" {
			re, err := regexp.Compile("^(?:" + t.Name + ")$")
			if err != nil || !re.MatchString(name) {
				return false
			}
		}
		return true
	}
	var obj struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(p.Patch), &obj); err != nil {
		return false
	}
	return obj.Kind == kind && obj.Metadata.Name == name
}
