package vet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/placement"
	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// cacheCases are the hubs of the repository's federation as they are and
// each with a value the jupyterhub chart's schema refuses, generated.
func cacheCases(t *testing.T, hubs []*hub.Hub) []*gen.Output {
	t.Helper()
	var outs []*gen.Output
	for _, h := range hubs {
		bad := *h
		bad.Values = values.Merge(h.Values, map[string]any{"jupyterhub": map[string]any{"bogus": true}})
		for _, hh := range []*hub.Hub{h, &bad} {
			out, err := gen.GenerateHub(hh)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}
	}
	return outs
}

// hashedWorkloads is upstreamFederation with the workloads of its chart
// and their chartDigest.
func hashedWorkloads(t *testing.T) (*load.Federation, *chart.Chart, []byte) {
	t.Helper()
	fed, ch := upstreamFederation(t)
	w := workloads(ch)
	digest, err := chartDigest(w)
	if err != nil {
		t.Fatal(err)
	}
	return fed, w, digest
}

// TestCheckCached: what the check of each hub-env against the real charts
// finds is the same read back from the result cache as computed afresh,
// down to the placement problems of the charts' pods, and the second job
// reads every env from the cache; an entry is what the job reads (a
// doctored one is believed), and its key changes with every input of the
// check.
func TestCheckCached(t *testing.T) {
	fed, w, digest := hashedWorkloads(t)
	cache := resultcache.New(t.TempDir(), "test build")
	engine := helmengine.NewV3()
	for _, out := range cacheCases(t, fed.Hubs) {
		fresh := &hubJob{out: out, workloads: w, engine: engine}
		cold := &hubJob{out: out, workloads: w, engine: engine, cache: cache, chartDigest: digest}
		warm := &hubJob{out: out, workloads: w, engine: engine, cache: cache, chartDigest: digest}
		p0, pods0, n0 := checkCharts(out, fresh.check)
		p1, pods1, n1 := checkCharts(out, cold.check)
		p2, pods2, n2 := checkCharts(out, warm.check)
		if cold.cached != 0 || warm.cached != len(hub.EnvNames) {
			t.Errorf("%s: %d envs of the first job and %d of the second from the cache, want 0 and %d", out.Hub.Name, cold.cached, warm.cached, len(hub.EnvNames))
		}
		for i, got := range []struct {
			p    []*valueProblem
			pods map[string][]placement.Pod
			n    []string
		}{{p1, pods1, n1}, {p2, pods2, n2}} {
			if !reflect.DeepEqual(got.p, p0) || !reflect.DeepEqual(got.n, n0) {
				t.Errorf("%s, job %d: problems %v notes %q, afresh %v %q", out.Hub.Name, i+1, got.p, got.n, p0, n0)
			}
			for _, env := range hub.EnvNames {
				if !reflect.DeepEqual(placementOf(got.pods[env]), placementOf(pods0[env])) {
					t.Errorf("%s %s, job %d: pods %v, afresh %v", out.Hub.Name, env, i+1, placementOf(got.pods[env]), placementOf(pods0[env]))
				}
			}
			if got, want := placementProblems(out, got.pods), placementProblems(out, pods0); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, job %d: placement %v, afresh %v", out.Hub.Name, i+1, got, want)
			}
		}
		if _, bogus := values.Get(out.Hub.Values, "jupyterhub", "bogus"); bogus && len(p0) == 0 {
			t.Errorf("%s with jupyterhub.bogus: no problem", out.Hub.Name)
		} else if !bogus && (len(pods0[hub.EnvNames[0]]) == 0 || len(pods0[hub.EnvNames[1]]) == 0) {
			t.Errorf("%s: no chart pods to compare: %v", out.Hub.Name, pods0)
		}
	}

	out := cacheCases(t, fed.Hubs[:1])[0]
	job := &hubJob{out: out, workloads: w, engine: engine, cache: cache, chartDigest: digest}
	env := hub.EnvNames[0]
	key, ok := job.key(env)
	if !ok {
		t.Fatal("no key")
	}
	// A doctored entry is what the check says: the cache is read.
	doctored := envCheck{Problems: []helmengine.SchemaProblem{{Chart: "jupyterhub", Version: "4.4.0", Path: []string{"jupyterhub", "doctored"}, Message: "read from the cache"}}}
	if err := cache.Put(key, doctored); err != nil {
		t.Fatal(err)
	}
	if got := job.check(env); !reflect.DeepEqual(got, doctored) {
		t.Errorf("check with a doctored entry = %+v, want it", got)
	}

	otherChart := *w
	otherChart.Templates = append([]*chart.File{{Name: "templates/extra.yaml", Data: []byte("# one more\n")}}, w.Templates...)
	otherDigest, err := chartDigest(&otherChart)
	if err != nil {
		t.Fatal(err)
	}
	retitled := *out.Hub
	retitled.Title += " (renamed)"
	edited := *out
	edited.Files = append([]gen.File(nil), out.Files...)
	edited.Files[0].Data = append(append([]byte(nil), edited.Files[0].Data...), '\n')
	revalued := *out
	revalued.Values = gen.ValueSet{Common: values.Merge(out.Values.Common, map[string]any{"extra": 1}), Env: out.Values.Env}
	for _, tc := range []struct {
		name string
		job  *hubJob
		env  string
	}{
		{"other env", job, hub.EnvNames[1]},
		{"other binary", &hubJob{out: out, engine: engine, cache: resultcache.New(t.TempDir(), "other build"), chartDigest: digest}, env},
		{"other Helm major", &hubJob{out: out, engine: helmengine.NewV4(), cache: cache, chartDigest: digest}, env},
		{"other chart", &hubJob{out: out, engine: engine, cache: cache, chartDigest: otherDigest}, env},
		{"other hub model", &hubJob{out: &gen.Output{Hub: &retitled, Image: out.Image, Values: out.Values, Files: out.Files}, engine: engine, cache: cache, chartDigest: digest}, env},
		{"other generated file", &hubJob{out: &edited, engine: engine, cache: cache, chartDigest: digest}, env},
		{"other values", &hubJob{out: &revalued, engine: engine, cache: cache, chartDigest: digest}, env},
	} {
		k, ok := tc.job.key(tc.env)
		if !ok || k == key {
			t.Errorf("%s: key %v (%v), the same as the check's", tc.name, k, ok)
		}
	}
	// A value that JSON writes alike but a chart's typeOf tells apart (int
	// 1, float 1.0), and an env's overlay, are inputs too.
	refloated := *out
	refloated.Values = gen.ValueSet{Common: values.Merge(out.Values.Common, map[string]any{"extra": 1.0}), Env: out.Values.Env}
	reoverlaid := *out
	reoverlaid.Values = gen.ValueSet{Common: out.Values.Common, Env: map[string]map[string]any{env: values.Merge(out.Values.Env[env], map[string]any{"extra": 1})}}
	keyOf := func(o *gen.Output) resultcache.Key {
		k, _ := (&hubJob{out: o, engine: engine, cache: cache, chartDigest: digest}).key(env)
		return k
	}
	if keyOf(&revalued) == keyOf(&refloated) {
		t.Error("values 1 and 1.0: one key")
	}
	if keyOf(&reoverlaid) == key {
		t.Error("other env overlay: the same key as the check's")
	}
	if k, _ := (&hubJob{out: out, engine: engine, cache: cache, chartDigest: digest}).key(env); k != key {
		t.Error("the same inputs: another key")
	}
}

// TestCheckCacheCorrupt: an entry that does not decode is a miss,
// computed afresh and kept anew.
func TestCheckCacheCorrupt(t *testing.T) {
	fed, w, digest := hashedWorkloads(t)
	dir := t.TempDir()
	cache := resultcache.New(dir, "test build")
	out := cacheCases(t, fed.Hubs[:1])[0]
	job := &hubJob{out: out, workloads: w, engine: helmengine.NewV3(), cache: cache, chartDigest: digest}
	env := hub.EnvNames[0]
	want := job.check(env)
	entries, err := filepath.Glob(filepath.Join(dir, "*", "*-r"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %v, %v; want one", entries, err)
	}
	if err := os.WriteFile(entries[0], []byte(`{"pods": [{"Spec": `), 0o644); err != nil {
		t.Fatal(err)
	}
	again := &hubJob{out: out, workloads: w, engine: helmengine.NewV3(), cache: cache, chartDigest: digest}
	if got := again.check(env); !reflect.DeepEqual(mustJSON(t, got), mustJSON(t, want)) || again.cached != 0 {
		t.Errorf("with a corrupt entry: %d from the cache, result differs: %v", again.cached, !reflect.DeepEqual(got, want))
	}
	var kept envCheck
	if key, _ := job.key(env); !cache.Get(key, &kept) || !reflect.DeepEqual(mustJSON(t, kept), mustJSON(t, want)) {
		t.Error("the corrupt entry was not replaced")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
