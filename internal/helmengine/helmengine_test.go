package helmengine

import (
	"bytes"
	"context"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// The test chart lives with the render tests, which use it most.
const testChart = "../render/testdata/hubchart"

func loadChart(t testing.TB) *chart.Chart {
	t.Helper()
	c, err := loader.Load(testChart)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(c *chart.Chart) Request {
	return Request{
		Chart:       c,
		ReleaseName: "alpha-staging",
		Namespace:   "alpha-staging",
		KubeVersion: "1.33.0",
		IncludeCRDs: true,
		Values: map[string]any{
			"jupyterhub": map[string]any{
				"hub":   map[string]any{"cookieSecret": "c00k1e"},
				"proxy": map[string]any{"secretToken": "t0ken"},
			},
			"dask-gateway": map[string]any{
				"gateway": map[string]any{"auth": map[string]any{"jupyterhub": map[string]any{"apiToken": "ap1"}}},
			},
		},
	}
}

var kindRE = regexp.MustCompile(`(?m)^kind: (\S+)$`)

func kinds(manifest string) map[string]int {
	m := map[string]int{}
	for _, k := range kindRE.FindAllStringSubmatch(manifest, -1) {
		m[k[1]]++
	}
	return m
}

func TestRenderManifestHooksCRDs(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		c := loadChart(t)
		res, err := e.Render(context.Background(), request(c))
		if err != nil {
			t.Fatal(err)
		}
		got := kinds(res.Manifest)
		want := map[string]int{
			"CustomResourceDefinition": 3, // once each: not added again from chart.CRDObjects()
			"PriorityClass":            1,
			"ServiceAccount":           2,
			"Secret":                   2,
			"ConfigMap":                3,
			"ClusterRole":              2,
			"ClusterRoleBinding":       2,
			"Role":                     1,
			"RoleBinding":              1,
			"Service":                  2,
			"Deployment":               2,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("kinds in manifest:\n got %v\nwant %v", got, want)
		}
		if strings.Contains(res.Manifest, "hook-image-awaiter") {
			t.Error("hook in the manifest")
		}
		if strings.Contains(res.Manifest, "Hub alpha-staging in namespace") {
			t.Error("NOTES.txt in the manifest")
		}
		if !strings.Contains(res.Manifest, "# Source: hubchart/charts/jupyterhub/templates/hub-deployment.yaml") {
			t.Error("no Source comment")
		}
		if len(res.Hooks) != 1 {
			t.Fatalf("hooks: %+v", res.Hooks)
		}
		h := res.Hooks[0]
		if h.Name != "hook-image-awaiter" || h.Kind != "Job" || h.Weight != 10 ||
			!reflect.DeepEqual(h.Events, []string{"pre-install", "pre-upgrade"}) ||
			h.Path != "hubchart/charts/jupyterhub/templates/image-puller-hook.yaml" ||
			!strings.Contains(h.Manifest, "k8s-image-awaiter") {
			t.Errorf("hook: %+v", h)
		}

		req := request(c)
		req.IncludeCRDs = false
		res, err = e.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if n := kinds(res.Manifest)["CustomResourceDefinition"]; n != 0 {
			t.Errorf("%d CRDs without IncludeCRDs", n)
		}
	})
}

func TestRenderKubeVersion(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		c := loadChart(t)
		req := request(c)
		req.KubeVersion = ""
		if _, err := e.Render(context.Background(), req); err == nil || !strings.Contains(err.Error(), "Kubernetes version") {
			t.Errorf("no KubeVersion: %v", err)
		}
		req.KubeVersion = "1.29.3" // the chart wants >=1.30.0-0
		_, err := e.Render(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), "kubeVersion") || !strings.Contains(err.Error(), "v1.29.3") {
			t.Errorf("too old a Kubernetes: %v", err)
		}
		req.KubeVersion = "1.33.0"
		req.Chart.Templates = append(req.Chart.Templates, &chart.File{
			Name: "templates/kv.yaml",
			Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kv\ndata:\n  kv: {{ .Capabilities.KubeVersion.Version }}\n"),
		})
		res, err := e.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Manifest, "kv: v1.33.0") {
			t.Errorf("Capabilities.KubeVersion not set:\n%s", res.Manifest)
		}
	})
}

func TestRenderSchemaError(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		for _, tc := range []struct {
			name string
			vals map[string]any
			want []string
		}{
			{"unknown key at the top", map[string]any{"bogus": 1}, []string{"jupyterhub", "bogus"}},
			{"wrong type", map[string]any{"hub": map[string]any{"replicas": "two"}}, []string{"jupyterhub", "/hub/replicas"}},
			{"not in enum", map[string]any{"proxy": map[string]any{"service": map[string]any{"type": "Ingress"}}}, []string{"jupyterhub", "/proxy/service/type"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := request(loadChart(t))
				req.Values = map[string]any{"jupyterhub": tc.vals}
				_, err := e.Render(context.Background(), req)
				if err == nil {
					t.Fatal("no error")
				}
				t.Log(err)
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not mention %q: %v", w, err)
					}
				}
			})
		}
	})
}

func TestRenderTemplateErrors(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		t.Run("execution", func(t *testing.T) {
			req := request(loadChart(t))
			req.Values = map[string]any{"dask-gateway": map[string]any{"gateway": map[string]any{"auth": map[string]any{"type": ""}}}}
			_, err := e.Render(context.Background(), req)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range []string{"hubchart/charts/dask-gateway/templates/gateway.yaml:16:", "gateway.auth.type is required", "release alpha-staging"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q: %v", w, err)
				}
			}
		})
		t.Run("parse", func(t *testing.T) {
			c := loadChart(t)
			c.Templates = append(c.Templates, &chart.File{Name: "templates/broken.yaml", Data: []byte("a: 1\nb: {{ .Values.x \n")})
			_, err := e.Render(context.Background(), request(c))
			if err == nil || !strings.Contains(err.Error(), "hubchart/templates/broken.yaml:2") {
				t.Errorf("parse error without file and line: %v", err)
			}
		})
	})
}

// An install prunes disabled subcharts and imports values into the chart it
// is given: the engine must render a copy, or one render changes the next.
func TestRenderLeavesChartAndValuesAlone(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		c := loadChart(t)
		req := request(c)
		req.Values["dask-gateway"].(map[string]any)["enabled"] = false
		before := snapshot(c)
		valsBefore := values.CopyMap(req.Values)
		res, err := e.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(res.Manifest, "dask-gateway") {
			t.Error("dask-gateway rendered though disabled")
		}
		if got := snapshot(c); !reflect.DeepEqual(got, before) {
			t.Errorf("chart changed by Render:\n got %v\nwant %v", got, before)
		}
		if !reflect.DeepEqual(req.Values, valsBefore) {
			t.Errorf("values changed by Render: %v", req.Values)
		}
		res, err = e.Render(context.Background(), request(c))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Manifest, "dask-gateway") {
			t.Error("dask-gateway missing from a render after one that disabled it")
		}
	})
}

type chartSnapshot struct {
	Deps         []string
	Values       map[string]any
	Dependencies []chart.Dependency
}

func snapshot(c *chart.Chart) chartSnapshot {
	s := chartSnapshot{Values: values.CopyMap(c.Values)}
	for _, d := range c.Dependencies() {
		s.Deps = append(s.Deps, d.Name())
	}
	for _, d := range c.Metadata.Dependencies {
		s.Dependencies = append(s.Dependencies, *d)
	}
	return s
}

func TestRenderConcurrent(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		c := loadChart(t)
		first, err := e.Render(context.Background(), request(c))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := request(c)
				if i%2 == 1 {
					req.Values["dask-gateway"].(map[string]any)["enabled"] = false
				}
				res, err := e.Render(context.Background(), req)
				if err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 && res.Manifest != first.Manifest {
					t.Error("concurrent render differs")
				}
			}()
		}
		wg.Wait()
	})
}

func TestRenderContextCancelled(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.Render(ctx, request(loadChart(t))); err == nil {
			t.Error("no error with a cancelled context")
		}
	})
}

// The real daskhub umbrella with the real subcharts' values and schemas
// (their templates are not in ../shared): Helm's validator takes the real
// schemas and the defaults, and rejects what they forbid.
func TestUpstreamSchemasThroughHelm(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		// ../shared/upstream: the real charts' Chart.yaml, values and schemas
		// (no templates).
		upstreamDir := shareddata.Path(t, "upstream")
		var files []*loader.BufferedFile
		add := func(from, to string, edit func([]byte) []byte) {
			b, err := os.ReadFile(filepath.Join(upstreamDir, from))
			if err != nil {
				t.Fatal(err)
			}
			if edit != nil {
				b = edit(b)
			}
			files = append(files, &loader.BufferedFile{Name: to, Data: b})
		}
		add("daskhub/Chart.yaml", "Chart.yaml", nil)
		add("daskhub/values.yaml", "values.yaml", nil)
		for _, sub := range []string{"jupyterhub", "dask-gateway"} {
			add(sub+"/Chart.yaml", "charts/"+sub+"/Chart.yaml", func(b []byte) []byte {
				// The jupyterhub chart's version is a placeholder until release.
				return bytes.Replace(b, []byte("version: 0.0.1-set.by.chartpress"), []byte("version: 4.4.0"), 1)
			})
			add(sub+"/values.yaml", "charts/"+sub+"/values.yaml", nil)
			add(sub+"/values.schema.json", "charts/"+sub+"/values.schema.json", nil)
		}
		c, err := loader.LoadFiles(files)
		if err != nil {
			t.Fatal(err)
		}
		req := Request{Chart: c, ReleaseName: "alpha-staging", Namespace: "alpha-staging", KubeVersion: "1.33.0", IncludeCRDs: true}
		if _, err := e.Render(context.Background(), req); err != nil {
			t.Fatalf("defaults: %v", err)
		}
		req.Values = map[string]any{
			"jupyterhub":   map[string]any{"hub": map[string]any{"bogus": 1}},
			"dask-gateway": map[string]any{"gateway": map[string]any{"replicas": "two"}},
		}
		_, err = e.Render(context.Background(), req)
		if err == nil {
			t.Fatal("values against the schemas accepted")
		}
		t.Log(err)
		for _, w := range []string{"jupyterhub:", "/hub", "bogus", "dask-gateway:", "/gateway/replicas"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error does not mention %q", w)
			}
		}
		// CheckValues (vet) finds the same, value by value.
		problems, err := e.CheckValues(c, req.Values)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, p := range problems {
			paths = append(paths, p.Chart+": "+strings.Join(p.Path, "."))
		}
		if want := []string{"dask-gateway: dask-gateway.gateway.replicas", "jupyterhub: jupyterhub.hub.bogus"}; !reflect.DeepEqual(paths, want) {
			t.Errorf("CheckValues: %v, want %v (%+v)", paths, want, problems)
		}
	})
}

// forEngines runs f as a subtest with the Engine of every Helm major.
func forEngines(t *testing.T, f func(t *testing.T, e Engine)) {
	t.Helper()
	for _, major := range Majors {
		e, err := New(major)
		if err != nil {
			t.Fatal(err)
		}
		if e.Major() != major {
			t.Fatalf("New(%q).Major() = %q", major, e.Major())
		}
		t.Run(major, func(t *testing.T) { f(t, e) })
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		major, want, err string
	}{
		{"", Default, ""},
		{"v3", "v3", ""},
		{"v4", "v4", ""},
		{"v5", "", `unknown Helm major version "v5" (want one of v3, v4)`},
		{"3", "", `unknown Helm major version "3"`},
	} {
		e, err := New(tc.major)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q): error %v, want %q", tc.major, err, tc.err)
			}
		case err != nil:
			t.Errorf("New(%q): %v", tc.major, err)
		case e.Major() != tc.want:
			t.Errorf("New(%q).Major() = %q, want %q", tc.major, e.Major(), tc.want)
		}
	}
}
