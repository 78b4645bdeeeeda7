package vet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/placement"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// chartLoad is the charts of a set of pins (charts.ChartRefs of a hub's
// chart field), loaded for the hub by: the chart with its dependencies,
// and workloads of it, or the error.
type chartLoad struct {
	by string
	ch *chart.Chart
	// workloads is workloads(ch), what the hubs are checked against.
	workloads *chart.Chart
	err       error
}

// pinsKey is what tells the pin sets of hubs apart: hubs with the same
// key share their loaded charts.
func pinsKey(h *hub.Hub) string { return fmt.Sprint(charts.ChartRefs(h.Chart)) }

// loadHubCharts loads the charts of hub h through cache, never going to
// the network.
func loadHubCharts(cache *charts.Cache, fed *load.Federation, h *hub.Hub) *chartLoad {
	ch, err := release.LoadChart(context.Background(), cache, fed, h, "")
	l := &chartLoad{by: h.Name, ch: ch, err: err}
	if err == nil {
		l.workloads = workloads(ch)
	}
	return l
}

// chartLoads is what loadCharts found: the chart cache (or why there is
// none), which hubs have their charts there, and the charts of each pin
// set, loaded for its first hub in fed.Hubs.
type chartLoads struct {
	cache    *charts.Cache
	cacheErr error
	cached   map[string]bool
	byPins   map[string]*chartLoad
}

// loadCharts loads the charts of the hubs of fed selected, once per pin
// set, for chartValues. It touches neither the checker nor CUE, so that
// it runs beside GenerateHubs (RunWith).
func loadCharts(fed *load.Federation, selected map[string]bool) *chartLoads {
	cache, err := release.NewCache(fed.Root, true)
	if err != nil {
		return &chartLoads{cacheErr: err}
	}
	l := &chartLoads{cache: cache, cached: map[string]bool{}, byPins: map[string]*chartLoad{}}
	for _, h := range fed.Hubs {
		if !selected[h.Name] || !release.ChartsCached(cache, h) {
			continue
		}
		l.cached[h.Name] = true
		if key := pinsKey(h); l.byPins[key] == nil {
			l.byPins[key] = loadHubCharts(cache, fed, h)
		}
	}
	return l
}

// hubJob is the work on one selected hub that runs side by side with the
// other hubs' (hubJob.run), and what it finds, reported in hub order.
type hubJob struct {
	out *gen.Output
	// ch is the hub's loaded chart and workloads its workloads, engine
	// the engine that checks its values; all nil when its charts are not
	// checked.
	ch, workloads *chart.Chart
	engine        helmengine.Engine
	// chartProblems, chartNotes and chartPods are checkCharts'.
	chartProblems []*valueProblem
	chartNotes    []string
	chartPods     map[string][]placement.Pod
	placement     []hubProblem
	lacks         []secretsLack
}

// run checks the values of the hub against its charts (when it has
// them), then its placement and its secrets coverage, in the repository
// at root. It touches neither the checker nor CUE (checkCharts,
// placementProblems, secretsLacks).
func (j *hubJob) run(root string) {
	if j.workloads != nil {
		j.chartProblems, j.chartPods, j.chartNotes = checkCharts(j.out, j.workloads, j.engine)
	}
	j.placement = placementProblems(j.out, j.chartPods)
	j.lacks = secretsLacks(root, j.out, j.ch)
}

// runJobs starts the jobs in the repository at root, as many at a time
// as there are CPUs, and returns what waits for them all.
func runJobs(jobs []*hubJob, root string) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(len(jobs))
	go func() {
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for _, j := range jobs {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				j.run(root)
			}()
		}
	}()
	return wg.Wait
}

// chartValues: the values of every hub-env (as render layers them, with
// placeholder secrets) meet the values.schema.json files of the charts the
// hub pins, as Helm checks them, once those charts are vendored or cached.
// It never goes to the network: a hub whose charts are not there is named
// in a note instead (deciding that reads no package, so that it costs next
// to nothing), and so is a hub whose charts cannot be loaded.
//
// It makes the job of each selected hub, in output order, with the
// charts loadCharts loaded (the hub's charts are loaded again when they
// were loaded for another hub than the first of its pins in output order,
// as after a hub that did not generate), notes the hubs whose charts
// cannot be checked, and returns the hubs whose charts are not cached:
// the jobs check the charts' values and render each hub-env whose values
// they take (release.CheckStub), for the placement check, and
// reportCharts reports what they found.
func (c *checker) chartValues(loads *chartLoads, selected map[string]bool) (jobs []*hubJob, uncached []string) {
	for _, out := range c.r.Outputs {
		if selected[out.Hub.Name] {
			jobs = append(jobs, &hubJob{out: out})
		}
	}
	if loads.cacheErr != nil {
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("cannot check values against the charts: %v", loads.cacheErr))
		return jobs, nil
	}
	byPins := map[string]*chartLoad{}
	// One engine per Helm major for the run, memoized: the hubs of a
	// chart share the processing of its dependencies.
	engines := map[string]helmengine.Engine{}
	for _, j := range jobs {
		h := j.out.Hub
		if !loads.cached[h.Name] {
			uncached = append(uncached, h.Name)
			continue
		}
		key := pinsKey(h)
		l := byPins[key]
		if l == nil {
			if l = loads.byPins[key]; l == nil || l.by != h.Name {
				l = loadHubCharts(loads.cache, c.fed, h)
			}
			byPins[key] = l
		}
		switch {
		case errors.Is(l.err, charts.ErrOffline):
			// A pulled umbrella chart whose dependencies are not cached.
			uncached = append(uncached, h.Name)
		case l.err != nil:
			c.r.Notes = append(c.r.Notes, fmt.Sprintf("cannot check the values of %s against its charts: %v", h.Name, l.err))
		default:
			engine, err := release.Engine(h, c.helm)
			if err != nil {
				c.r.Notes = append(c.r.Notes, fmt.Sprintf("cannot check the values of %s against its charts: %v", h.Name, err))
				continue
			}
			if engines[engine.Major()] == nil {
				engines[engine.Major()] = helmengine.Memoized(engine)
			}
			j.ch, j.workloads, j.engine = l.ch, l.workloads, engines[engine.Major()]
		}
	}
	return jobs, uncached
}

// reportCharts reports what the jobs found of the hubs' values against
// their charts, and the notes of chartValues about the hubs whose charts
// are not cached (uncached), after the jobs'.
func (c *checker) reportCharts(jobs []*hubJob, uncached []string) {
	for _, j := range jobs {
		for _, p := range j.chartProblems {
			c.add(c.at("chart-values", j.out.Hub, p.elems, "%s: %s", strings.Join(p.envs, " and "), p.text))
		}
		c.r.Notes = append(c.r.Notes, j.chartNotes...)
	}
	if len(uncached) > 0 {
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("charts of %s not cached: run pangeo-gen charts pull to check values against them", hubList(uncached)))
	}
}

// placesPods says whether a kustomize patch may change where a pod runs:
// it names a node selector, affinity or tolerations, or a pod template (a
// strategic merge patch of a pod's spec goes through its template, a JSON
// patch's path names it).
func placesPods(p hub.Patch) bool {
	return placementPatch.MatchString(p.Patch) || strings.Contains(p.Patch, "template")
}

// checkCharts checks the values of each env of a hub against chart ch
// (the hub's charts, or their workloads), as engine's Helm checks them,
// and renders each env whose values the charts take to read the charts'
// own pods from the objects (placement.ObjectPods of its documents, or
// placement.ChartPods of its objects), both at once
// (release.CheckStub). A problem of both envs (a value of the hub's, not
// of one env's) is one problem. The notes of the check come first, then
// those of an env that does not render. It is safe to call concurrently
// (it touches no CUE value).
func checkCharts(out *gen.Output, ch *chart.Chart, engine helmengine.Engine) (problems []*valueProblem, pods map[string][]placement.Pod, notes []string) {
	h := out.Hub
	byKey := map[string]*valueProblem{}
	pods = map[string][]placement.Pod{}
	var placementNotes []string
	for _, env := range hub.EnvNames {
		c := release.CheckStub(context.Background(), engine, out, env, ch, placesPods, placement.DecodeObject)
		if c.CheckErr != nil {
			notes = append(notes, fmt.Sprintf("cannot check the %s values of %s against its charts: %v", env, h.Name, c.CheckErr))
		}
		for _, p := range c.Problems {
			elems := valueElems(h, env, p.Path)
			path := strings.Join(p.Path, ".")
			if path == "" {
				path = "(the values)"
			}
			text := fmt.Sprintf("%s: %s (the values.schema.json of chart %s %s)", path, p.Message, p.Chart, p.Version)
			key := strings.Join(elems, "\x00") + "\x00" + text
			if byKey[key] == nil {
				byKey[key] = &valueProblem{elems: elems, text: text}
				problems = append(problems, byKey[key])
			}
			byKey[key].envs = append(byKey[key].envs, env)
		}
		if len(c.Problems) > 0 {
			continue
		}
		err := c.RenderErr
		if err == nil && c.Decoded {
			pods[env], err = placement.ObjectPods(c.Documents, release.Release(h.Name, env))
		} else if err == nil {
			pods[env], err = placement.ChartPods(c.Objects, release.Release(h.Name, env))
		}
		if err != nil {
			placementNotes = append(placementNotes, fmt.Sprintf("cannot check the placement of the %s chart pods of %s: %v", env, h.Name, err))
		}
	}
	return problems, pods, append(notes, placementNotes...)
}

// valueProblem is a value of a hub that a chart's schema refuses: where
// it is set, what is wrong, and in which envs.
type valueProblem struct {
	elems []string
	text  string
	envs  []string
}

// valueElems is where a chart value is set in the hub: in the env's raw
// values, else the hub's, when either sets it or, failing that, the
// nearest object above it; else the hub's raw values (where a value the
// typed fields make can be changed).
func valueElems(h *hub.Hub, env string, path []string) []string {
	for n := len(path); n > 0; n-- {
		if _, ok := values.Get(h.Environments[env].Values, path[:n]...); ok {
			return append([]string{"environments", env, "values"}, path...)
		}
		if _, ok := values.Get(h.Values, path[:n]...); ok {
			return append([]string{"values"}, path...)
		}
	}
	return append([]string{"values"}, path...)
}

// hubList names hubs: "alpha are", "alpha, bravo and charlie are", or the
// first three and how many more.
func hubList(names []string) string {
	const show = 3
	switch {
	case len(names) == 1:
		return names[0] + " are"
	case len(names) <= show:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " are"
	}
	return fmt.Sprintf("%s and %d more hubs are", strings.Join(names[:show], ", "), len(names)-show)
}

// workloads is a shallow copy of chart ch (and its dependencies) whose
// templates are only those that can make a pod: the ones that write a
// Deployment, StatefulSet or DaemonSet or that name no kind, the helpers
// (_*.tpl, *.tpl) and
// every template those include by path (the checksum annotations of the
// jupyterhub chart's hub and proxy include their ConfigMap and Secret).
// A template that the others include by path only to hash it, as
// `include (print .Template.BasePath "/hub/secret.yaml") . | sha256sum`
// (a checksum annotation of a pod template, which no placement reads),
// is kept empty: only the annotation's hash changes, and the Secret with
// all the values in YAML is neither rendered nor parsed. Rendering it
// gives the same workloads as the whole chart, but for those hashes, for
// a part of the cost; its values, dependencies and values.schema.json
// files are ch's, so that checking values against it is checking them
// against ch. The copy shares everything else with ch, which is not
// modified.
func workloads(ch *chart.Chart) *chart.Chart {
	out := *ch
	// full are the templates kept whole, hashed those only hashed.
	full, hashed := map[string]bool{}, map[string]bool{}
	for _, t := range ch.Templates {
		base := path.Base(t.Name)
		// A template that names no kind of its own (one that includes a
		// helper writing the object, as the image puller's DaemonSets) is
		// kept: only those that write other kinds alone go.
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, ".tpl") || workloadKind.Match(t.Data) || !anyKind.Match(t.Data) {
			full[t.Name] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, t := range ch.Templates {
			if full[t.Name] {
				continue
			}
			// A template is included by its path below templates/.
			rel := strings.TrimPrefix(t.Name, "templates")
			quoted := []byte(`"` + rel + `"`)
			for _, k := range ch.Templates {
				if !full[k.Name] {
					continue
				}
				n := bytes.Count(k.Data, quoted)
				if n == 0 {
					continue
				}
				if n == len(hashedInclude(rel).FindAll(k.Data, -1)) {
					hashed[t.Name] = true
					continue
				}
				full[t.Name], changed = true, true
				delete(hashed, t.Name)
				break
			}
		}
	}
	out.Templates = nil
	for _, t := range ch.Templates {
		switch {
		case full[t.Name]:
			out.Templates = append(out.Templates, t)
		case hashed[t.Name]:
			out.Templates = append(out.Templates, &chart.File{Name: t.Name})
		}
	}
	var deps []*chart.Chart
	for _, d := range ch.Dependencies() {
		deps = append(deps, workloads(d))
	}
	out.SetDependencies(deps...)
	return &out
}

// hashedInclude matches the include of the template at rel (its path
// below templates/) whose output is only hashed.
func hashedInclude(rel string) *regexp.Regexp {
	return regexp.MustCompile(`include\s+\(\s*print\s+\$?\.Template\.BasePath\s+"` + regexp.QuoteMeta(rel) + `"\s*\)\s+\.\s*\|\s*sha256sum\b`)
}

var (
	workloadKind = regexp.MustCompile(`(?m)^kind:\s*(Deployment|StatefulSet|DaemonSet)\s*$`)
	anyKind      = regexp.MustCompile(`(?m)^kind:`)
)
