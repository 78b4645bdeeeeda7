package vet

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// chartValues: the values of every hub-env (as render layers them, with
// placeholder secrets) meet the values.schema.json files of the charts the
// hub pins, as Helm checks them, once those charts are vendored or cached.
// It never goes to the network: a hub whose charts are not there is named
// in a note instead (deciding that reads no package, so that it costs next
// to nothing), and so is a hub whose charts cannot be loaded.
func (c *checker) chartValues(selected map[string]bool) {
	cache, err := release.NewCache(c.fed.Root, true)
	if err != nil {
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("cannot check values against the charts: %v", err))
		return
	}
	type loaded struct {
		ch  *chart.Chart
		err error
	}
	byPins := map[string]*loaded{}
	type job struct {
		out      *gen.Output
		ch       *chart.Chart
		problems []*valueProblem
		notes    []string
	}
	var jobs []job
	var uncached []string
	for _, out := range c.r.Outputs {
		h := out.Hub
		if !selected[h.Name] {
			continue
		}
		if !release.ChartsCached(cache, h) {
			uncached = append(uncached, h.Name)
			continue
		}
		key := fmt.Sprint(charts.ChartRefs(h.Chart))
		l := byPins[key]
		if l == nil {
			ch, err := release.LoadChart(context.Background(), cache, c.fed, h, "")
			l = &loaded{ch, err}
			byPins[key] = l
		}
		switch {
		case errors.Is(l.err, charts.ErrOffline):
			// A pulled umbrella chart whose dependencies are not cached.
			uncached = append(uncached, h.Name)
		case l.err != nil:
			c.r.Notes = append(c.r.Notes, fmt.Sprintf("cannot check the values of %s against its charts: %v", h.Name, l.err))
		default:
			jobs = append(jobs, job{out: out, ch: l.ch})
			c.charts[h.Name] = l.ch
		}
	}
	// Helm's coalescing copies the values over and over: check the hubs
	// side by side, then report in hub order.
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func(j *job) {
			defer func() { <-sem; wg.Done() }()
			j.problems, j.notes = checkValues(j.out, j.ch)
		}(&jobs[i])
	}
	wg.Wait()
	for _, j := range jobs {
		for _, p := range j.problems {
			c.add(c.at("chart-values", j.out.Hub, p.elems, "%s: %s", strings.Join(p.envs, " and "), p.text))
		}
		c.r.Notes = append(c.r.Notes, j.notes...)
	}
	if len(uncached) > 0 {
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("charts of %s not cached: run pangeo-gen charts pull to check values against them", hubList(uncached)))
	}
}

// valueProblem is a value of a hub that a chart's schema refuses: where
// it is set, what is wrong, and in which envs.
type valueProblem struct {
	elems []string
	text  string
	envs  []string
}

// checkValues checks the values of each env of a hub against chart ch. A
// problem of both envs (a value of the hub's, not of one env's) is one
// problem. It is safe to call concurrently (it touches no CUE value).
func checkValues(out *gen.Output, ch *chart.Chart) (problems []*valueProblem, notes []string) {
	h := out.Hub
	byKey := map[string]*valueProblem{}
	for _, env := range hub.EnvNames {
		values, err := release.StubValues(out, env)
		if err == nil {
			var ps []helmengine.SchemaProblem
			if ps, err = helmengine.CheckValues(ch, values); err == nil {
				for _, p := range ps {
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
				continue
			}
		}
		notes = append(notes, fmt.Sprintf("cannot check the %s values of %s against its charts: %v", env, h.Name, err))
	}
	return problems, notes
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
