package vet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strconv"
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
	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// chartLoad is the charts of a set of pins (charts.ChartRefs of a hub's
// chart field), loaded for the hub by: the chart with its dependencies,
// and workloads of it, or the error.
type chartLoad struct {
	by string
	ch *chart.Chart
	// workloads is workloads(ch), what the hubs are checked against, and
	// digest the hash of its content (nil when it cannot be hashed: its
	// hubs' checks are not cached).
	workloads *chart.Chart
	digest    []byte
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
		l.digest, _ = chartDigest(l.workloads)
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
	// cache keeps the checks of the hub's envs against workloads, whose
	// content hashes to chartDigest; nil when they are not kept.
	cache       *resultcache.Cache
	chartDigest []byte
	// hubDigest is the digest of the hub's generated output, made by the
	// first key.
	hubDigest []byte
	// chartProblems, chartNotes and chartPods are checkCharts', cached
	// how many of its envs came from the cache.
	chartProblems []*valueProblem
	chartNotes    []string
	chartPods     map[string][]placement.Pod
	cached        int
	placement     []hubProblem
	lacks         []secretsLack
}

// run checks the values of the hub against its charts (when it has
// them), then its placement and its secrets coverage, in the repository
// at root. It touches neither the checker nor CUE (checkCharts,
// placementProblems, secretsLacks).
func (j *hubJob) run(root string) {
	if j.workloads != nil {
		j.chartProblems, j.chartPods, j.chartNotes = checkCharts(j.out, j.check)
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
func (c *checker) chartValues(loads *chartLoads, selected map[string]bool, cache *resultcache.Cache) (jobs []*hubJob, uncached []string) {
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
			if l.digest != nil {
				j.cache, j.chartDigest = cache, l.digest
			}
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

// checkCharts gathers the checks of the envs of the hub of out against
// its charts (check, hubJob.check): a problem of both envs (a value of
// the hub's, not of one env's) is one problem. The notes of the check
// come first, then those of an env whose charts' pods cannot be read. It
// is safe to call concurrently (it touches no CUE value).
func checkCharts(out *gen.Output, check func(env string) envCheck) (problems []*valueProblem, pods map[string][]placement.Pod, notes []string) {
	h := out.Hub
	byKey := map[string]*valueProblem{}
	pods = map[string][]placement.Pod{}
	var placementNotes []string
	for _, env := range hub.EnvNames {
		c := check(env)
		if c.CheckErr != "" {
			notes = append(notes, fmt.Sprintf("cannot check the %s values of %s against its charts: %s", env, h.Name, c.CheckErr))
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
		pods[env] = c.Pods
		if c.PodsErr != "" {
			placementNotes = append(placementNotes, fmt.Sprintf("cannot check the placement of the %s chart pods of %s: %s", env, h.Name, c.PodsErr))
		}
	}
	return problems, pods, append(notes, placementNotes...)
}

// envCheck is what the check of a hub-env against its charts found
// (checkEnv): the error that kept the values from being checked, the
// problems the charts' schemas find in them and, when they have none, the
// charts' own pods or why they cannot be read (the render's error). It is
// what the result cache keeps of a hub-env, in JSON.
type envCheck struct {
	CheckErr string                     `json:"checkErr,omitempty"`
	Problems []helmengine.SchemaProblem `json:"problems,omitempty"`
	Pods     []placement.Pod            `json:"pods,omitempty"`
	PodsErr  string                     `json:"podsErr,omitempty"`
}

// checkEnv checks the values of env of the hub of out against chart ch
// (the hub's charts, or their workloads), as engine's Helm checks them,
// and, when the charts take them, renders the env to read the charts' own
// pods from the objects (placement.ObjectPods of its documents, or
// placement.ChartPods of its objects), both at once (release.CheckStub).
// It reads nothing but its arguments.
func checkEnv(out *gen.Output, env string, ch *chart.Chart, engine helmengine.Engine) envCheck {
	c := release.CheckStub(context.Background(), engine, out, env, ch, placesPods, placement.DecodeObject)
	var r envCheck
	if c.CheckErr != nil {
		r.CheckErr = c.CheckErr.Error()
	}
	if r.Problems = c.Problems; len(c.Problems) > 0 {
		return r
	}
	err := c.RenderErr
	if err == nil && c.Decoded {
		r.Pods, err = placement.ObjectPods(c.Documents, release.Release(out.Hub.Name, env))
	} else if err == nil {
		r.Pods, err = placement.ChartPods(c.Objects, release.Release(out.Hub.Name, env))
	}
	if err != nil {
		r.Pods, r.PodsErr = nil, err.Error()
	}
	return r
}

// check is checkEnv of the job's hub-env env, read from the job's cache
// when it holds it and kept there when not. The key is everything
// checkEnv reads: the binary (the cache's build ID), the Helm major, the
// content of the charts, and all of the hub's generated output (its
// model, values and files), env last.
func (j *hubJob) check(env string) envCheck {
	compute := func() envCheck { return checkEnv(j.out, env, j.workloads, j.engine) }
	key, ok := j.key(env)
	if !ok {
		return compute()
	}
	var r envCheck
	if j.cache.Get(key, &r) {
		j.cached++
		return r
	}
	r = compute()
	j.cache.Put(key, r) // best effort: an entry not kept is computed again
	return r
}

// key is the key of the check of env in the job's cache (hubJob.check);
// false when there is no cache or the hub's output does not encode.
func (j *hubJob) key(env string) (resultcache.Key, bool) {
	if j.cache == nil {
		return resultcache.Key{}, false
	}
	if j.hubDigest == nil {
		h := resultcache.NewDigest()
		if h.AddJSON(j.out.Hub) != nil || j.addValues(h) != nil {
			return resultcache.Key{}, false
		}
		for _, f := range j.out.Files {
			h.Add([]byte(f.Path)).Add([]byte(f.Mode.String())).Add(f.Data)
		}
		d := h.Key()
		j.hubDigest = d[:]
	}
	h := j.cache.NewHasher("vet: hub-env against its charts")
	return h.Add([]byte(j.engine.Major())).Add(j.chartDigest).Add(j.hubDigest).Add([]byte(env)).Key(), true
}

// chartDigest is the hash of the content of chart ch and its
// dependencies, in order: metadata, lock, values, schema, templates and
// files, each by name.
func chartDigest(ch *chart.Chart) ([]byte, error) {
	h := resultcache.NewDigest()
	var walk func(c *chart.Chart) error
	walk = func(c *chart.Chart) error {
		for _, v := range []any{c.Metadata, c.Lock} {
			if err := h.AddJSON(v); err != nil {
				return fmt.Errorf("chart %s: %w", c.Name(), err)
			}
		}
		if err := h.AddValue(c.Values); err != nil {
			return fmt.Errorf("chart %s: %w", c.Name(), err)
		}
		h.Add(c.Schema)
		for _, files := range [][]*chart.File{c.Templates, c.Files} {
			h.Add([]byte(strconv.Itoa(len(files))))
			for _, f := range files {
				h.Add([]byte(f.Name)).Add(f.Data)
			}
		}
		deps := c.Dependencies()
		h.Add([]byte(strconv.Itoa(len(deps))))
		for _, d := range deps {
			if err := walk(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(ch); err != nil {
		return nil, err
	}
	d := h.Key()
	return d[:], nil
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

// addValues adds the hub's Helm values to h, each part with its type
// (resultcache.Hasher.AddValue): the common values, then each env's
// overlay in the order of the envs' names.
func (j *hubJob) addValues(h *resultcache.Hasher) error {
	if err := h.AddValue(j.out.Values.Common); err != nil {
		return err
	}
	h.Add([]byte(strconv.Itoa(len(j.out.Values.Env))))
	for _, env := range slices.Sorted(maps.Keys(j.out.Values.Env)) {
		h.Add([]byte(env))
		if err := h.AddValue(j.out.Values.Env[env]); err != nil {
			return err
		}
	}
	return nil
}
