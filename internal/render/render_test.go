package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/releaseutil"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/render/rendertest"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

const testChart = "testdata/hubchart"

func loadChart(t testing.TB) *chart.Chart {
	t.Helper()
	c, err := loader.Load(testChart)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// secretValues pins what the charts would otherwise generate at random.
func secretValues() map[string]any {
	return map[string]any{
		"jupyterhub": map[string]any{
			"hub":   map[string]any{"cookieSecret": "c00k1e"},
			"proxy": map[string]any{"secretToken": "t0ken"},
		},
		"dask-gateway": map[string]any{
			"gateway": map[string]any{"auth": map[string]any{"jupyterhub": map[string]any{"apiToken": "ap1"}}},
		},
	}
}

func options(c *chart.Chart, hub, env string) Options {
	return Options{
		Release:   hub + "-" + env,
		Namespace: hub + "-" + env,
		Chart:     c,
		Values:    []map[string]any{secretValues()},
		Labels:    map[string]string{"pangeo.io/hub": hub, "pangeo.io/env": env},
	}
}

func render(t testing.TB, o Options) []byte {
	t.Helper()
	out, err := Render(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// obj is a rendered object, decoded loosely.
type obj struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	raw map[string]any
	doc []byte
}

func (o obj) String() string { return o.Kind + "/" + o.Metadata.Name }

func documents(t testing.TB, out []byte) [][]byte {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\n")) {
		t.Error("output does not end in a newline")
	}
	docs := bytes.Split(out, []byte("\n---\n"))
	for i := range docs[:len(docs)-1] {
		docs[i] = append(docs[i], '\n')
	}
	return docs
}

func objects(t testing.TB, out []byte) []obj {
	t.Helper()
	var objs []obj
	for _, d := range documents(t, out) {
		var o obj
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatalf("%v in\n%s", err, d)
		}
		if err := yaml.Unmarshal(d, &o.raw); err != nil {
			t.Fatal(err)
		}
		o.doc = d
		objs = append(objs, o)
	}
	return objs
}

func find(t testing.TB, objs []obj, kind, name string) obj {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return obj{}
}

// path walks the raw tree of o.
func path(o obj, keys ...string) any { return values.Lookup(o.raw, keys...) }

// clusterScoped are the cluster-scoped kinds the test chart renders.
var clusterScoped = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "PriorityClass": true,
}

// The objects of the test chart, in the order they must come out.
var wantOrder = []string{
	"Namespace/alpha-staging",
	"CustomResourceDefinition/daskclusters.gateway.dask.org",
	"CustomResourceDefinition/ingressroutes.traefik.io",
	"CustomResourceDefinition/middlewares.traefik.io",
	"PriorityClass/alpha-staging-user-placeholder",
	"ServiceAccount/api-alpha-staging-dask-gateway",
	"ServiceAccount/hub",
	"Secret/api-alpha-staging-dask-gateway",
	"Secret/hub",
	"ConfigMap/api-alpha-staging-dask-gateway",
	"ConfigMap/hub",
	"ConfigMap/hub-extra",
	"ClusterRole/alpha-staging-dask-gateway-controller",
	"ClusterRole/alpha-staging-user-scheduler",
	"ClusterRoleBinding/alpha-staging-dask-gateway-controller",
	"ClusterRoleBinding/alpha-staging-user-scheduler",
	"Role/hub",
	"RoleBinding/hub",
	"Service/api-alpha-staging-dask-gateway",
	"Service/hub",
	"Deployment/api-alpha-staging-dask-gateway",
	"Deployment/hub",
}

func TestRenderOrder(t *testing.T) {
	objs := objects(t, render(t, options(loadChart(t), "alpha", "staging")))
	var got []string
	for _, o := range objs {
		got = append(got, o.String())
	}
	if !slices.Equal(got, wantOrder) {
		t.Errorf("objects:\n got %q\nwant %q", got, wantOrder)
	}
	// The same, from the rule: Namespace, CRDs, install order, names.
	idx := func(kind string) int {
		switch kind {
		case "Namespace":
			return -2
		case "CustomResourceDefinition":
			return -1
		}
		i := slices.Index(releaseutil.InstallOrder, kind)
		if i < 0 {
			t.Fatalf("kind %s not in install order", kind)
		}
		return i
	}
	for i := 1; i < len(objs); i++ {
		a, b := objs[i-1], objs[i]
		if ia, ib := idx(a.Kind), idx(b.Kind); ia > ib || ia == ib && a.Metadata.Name >= b.Metadata.Name {
			t.Errorf("%s before %s", a, b)
		}
	}
}

func TestRenderNamespaces(t *testing.T) {
	objs := objects(t, render(t, options(loadChart(t), "alpha", "staging")))
	var nNamespaced, nCluster int
	for _, o := range objs {
		if clusterScoped[o.Kind] {
			nCluster++
			if o.Metadata.Namespace != "" {
				t.Errorf("cluster-scoped %s has namespace %s", o, o.Metadata.Namespace)
			}
			continue
		}
		nNamespaced++
		if o.Metadata.Namespace != "alpha-staging" {
			t.Errorf("%s in namespace %q", o, o.Metadata.Namespace)
		}
	}
	if nNamespaced < 10 || nCluster < 5 {
		t.Errorf("%d namespaced and %d cluster-scoped objects", nNamespaced, nCluster)
	}
	// Subjects of role bindings point at the hub's service accounts.
	for _, o := range objs {
		if o.Kind != "RoleBinding" && o.Kind != "ClusterRoleBinding" {
			continue
		}
		for _, s := range path(o, "subjects").([]any) {
			if ns := s.(map[string]any)["namespace"]; ns != "alpha-staging" {
				t.Errorf("%s: subject namespace %v", o, ns)
			}
		}
	}
}

func TestRenderLabels(t *testing.T) {
	objs := objects(t, render(t, options(loadChart(t), "alpha", "staging")))
	want := map[string]string{PartOfLabel: PartOfValue, "pangeo.io/hub": "alpha", "pangeo.io/env": "staging"}
	for _, o := range objs {
		if o.Kind == "CustomResourceDefinition" {
			// Shared by every hub and env: only the part-of label.
			if o.Metadata.Labels[PartOfLabel] != PartOfValue || o.Metadata.Labels["pangeo.io/hub"] != "" || o.Metadata.Labels["pangeo.io/env"] != "" {
				t.Errorf("%s: labels %v, want only %s of ours", o, o.Metadata.Labels, PartOfLabel)
			}
			continue
		}
		for k, v := range want {
			if o.Metadata.Labels[k] != v {
				t.Errorf("%s: label %s = %q", o, k, o.Metadata.Labels[k])
			}
		}
	}
	// Not added to selectors nor pod templates; the charts' own labels kept.
	for _, o := range []obj{find(t, objs, "Deployment", "hub"), find(t, objs, "Deployment", "api-alpha-staging-dask-gateway")} {
		for _, p := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
			m := path(o, p...).(map[string]any)
			for k := range want {
				if _, ok := m[k]; ok {
					t.Errorf("%s: label %s in %s", o, k, strings.Join(p, "."))
				}
			}
		}
	}
	hub := find(t, objs, "Deployment", "hub")
	if got := path(hub, "spec", "selector", "matchLabels"); !reflect.DeepEqual(got, map[string]any{"app": "jupyterhub", "release": "alpha-staging", "component": "hub"}) {
		t.Errorf("hub selector: %v", got)
	}
	if hub.Metadata.Labels["app"] != "jupyterhub" || hub.Metadata.Labels["component"] != "hub" {
		t.Errorf("chart labels lost: %v", hub.Metadata.Labels)
	}
	svc := find(t, objs, "Service", "hub")
	if got := path(svc, "spec", "selector"); !reflect.DeepEqual(got, map[string]any{"app": "jupyterhub", "release": "alpha-staging", "component": "hub"}) {
		t.Errorf("hub service selector: %v", got)
	}

	// Options.Labels may override part-of; invalid labels are refused.
	o := options(loadChart(t), "alpha", "staging")
	o.Labels[PartOfLabel] = "other"
	if objs := objects(t, render(t, o)); objs[0].Metadata.Labels[PartOfLabel] != "other" {
		t.Errorf("part-of not overridden: %v", objs[0].Metadata.Labels)
	}
	o.Labels = map[string]string{"pangeo.io/hub": "not a label value"}
	if _, err := Render(context.Background(), o); err == nil || !strings.Contains(err.Error(), "pangeo.io/hub") {
		t.Errorf("bad label value: %v", err)
	}
}

func TestRenderNoHooks(t *testing.T) {
	// The chart has a hook (the image-puller Job); Helm returns it.
	c := loadChart(t)
	res, err := helmengine.NewV3().Render(context.Background(), helmengine.Request{
		Chart: c, ReleaseName: "alpha-staging", Namespace: "alpha-staging",
		Values: secretValues(), KubeVersion: DefaultKubeVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hooks) == 0 {
		t.Fatal("the test chart has no hook")
	}
	out := render(t, options(c, "alpha", "staging"))
	for _, s := range []string{"hook-image-awaiter", "kind: Job", "helm.sh/hook"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	a := render(t, options(loadChart(t), "alpha", "staging"))
	b := render(t, options(loadChart(t), "alpha", "staging"))
	if !bytes.Equal(a, b) {
		t.Errorf("two renders differ:\n%s\n----\n%s", a, b)
	}
	// Without the secret values the charts make random ones: this is why
	// the hub's secrets must be given.
	o := options(loadChart(t), "alpha", "staging")
	o.Values = nil
	if c, d := render(t, o), render(t, o); bytes.Equal(c, d) {
		t.Error("renders without secret values are equal: the test chart lost its random fallback")
	}
}

func TestRenderSchemaError(t *testing.T) {
	o := options(loadChart(t), "alpha", "staging")
	o.Values = append(o.Values, map[string]any{"jupyterhub": map[string]any{"hub": map[string]any{"replicas": "two"}}})
	_, err := Render(context.Background(), o)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"render alpha-staging", "jupyterhub", "/hub/replicas"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q: %v", w, err)
		}
	}
}

func TestRenderTemplateError(t *testing.T) {
	o := options(loadChart(t), "alpha", "staging")
	o.Values = append(o.Values, map[string]any{"dask-gateway": map[string]any{"gateway": map[string]any{"auth": map[string]any{"type": ""}}}})
	_, err := Render(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "hubchart/charts/dask-gateway/templates/gateway.yaml:16:") {
		t.Errorf("template error without file and line: %v", err)
	}
}

func TestRenderPatches(t *testing.T) {
	o := options(loadChart(t), "alpha", "staging")
	o.Patches = []Patch{
		// Strategic merge, naming its object; the containers list merges
		// by name.
		{Patch: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hub
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: hub
          resources:
            requests:
              memory: 1Gi
`},
		// Strategic merge on an object whose template sets its namespace.
		{Patch: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hub\n  annotations:\n    pangeo.io/patched: \"yes\"\n"},
		// Strategic merge with a target.
		{
			Patch:  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\n  annotations:\n    pangeo.io/gateway: \"true\"\n",
			Target: &Target{Kind: "Deployment", LabelSelector: "app.kubernetes.io/name=dask-gateway"},
		},
		// JSON 6902.
		{
			Patch:  "- op: replace\n  path: /spec/type\n  value: LoadBalancer\n- op: add\n  path: /metadata/annotations\n  value: {pangeo.io/lb: \"1\"}\n",
			Target: &Target{Version: "v1", Kind: "Service", Name: "hub"},
		},
	}
	objs := objects(t, render(t, o))
	hub := find(t, objs, "Deployment", "hub")
	if r := path(hub, "spec", "replicas"); r != float64(3) {
		t.Errorf("replicas %v", r)
	}
	ctr := path(hub, "spec", "template", "spec", "containers").([]any)
	if len(ctr) != 1 || ctr[0].(map[string]any)["image"] == nil ||
		!reflect.DeepEqual(ctr[0].(map[string]any)["resources"], map[string]any{"requests": map[string]any{"memory": "1Gi"}}) {
		t.Errorf("containers not merged: %v", ctr)
	}
	if sec := find(t, objs, "Secret", "hub"); sec.Metadata.Annotations["pangeo.io/patched"] != "yes" || sec.Metadata.Namespace != "alpha-staging" {
		t.Errorf("secret: %v %v", sec.Metadata.Annotations, sec.Metadata.Namespace)
	}
	if gw := find(t, objs, "Deployment", "api-alpha-staging-dask-gateway"); gw.Metadata.Annotations["pangeo.io/gateway"] != "true" {
		t.Errorf("gateway: %v", gw.Metadata.Annotations)
	}
	if hub.Metadata.Annotations["pangeo.io/gateway"] != "" {
		t.Error("targeted patch applied beyond its target")
	}
	svc := find(t, objs, "Service", "hub")
	if path(svc, "spec", "type") != "LoadBalancer" || svc.Metadata.Annotations["pangeo.io/lb"] != "1" {
		t.Errorf("service: %v %v", path(svc, "spec", "type"), svc.Metadata.Annotations)
	}
	// Labels are still added to patched objects, and not to selectors.
	if hub.Metadata.Labels["pangeo.io/hub"] != "alpha" {
		t.Error("labels lost on a patched object")
	}

	// A patch that matches nothing is an error.
	o.Patches = []Patch{{Patch: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nope\ndata:\n  a: b\n"}}
	if _, err := Render(context.Background(), o); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("patch without a target object: %v", err)
	}
	o.Patches = []Patch{{Patch: "  "}}
	if _, err := Render(context.Background(), o); err == nil {
		t.Error("empty patch accepted")
	}
}

// Two hubs or two environments of one hub share a cluster: their
// cluster-scoped objects must not collide (CRDs are shared by design).
func TestRenderTwoReleases(t *testing.T) {
	c := loadChart(t)
	names := func(env string) (cluster, crds []string) {
		for _, o := range objects(t, render(t, options(c, "alpha", env))) {
			switch {
			case o.Kind == "CustomResourceDefinition":
				crds = append(crds, o.Metadata.Name)
			case clusterScoped[o.Kind]:
				if !strings.Contains(o.Metadata.Name, "alpha-"+env) {
					t.Errorf("cluster-scoped %s does not name release alpha-%s", o, env)
				}
				cluster = append(cluster, o.Kind+"/"+o.Metadata.Name)
			}
		}
		return cluster, crds
	}
	staging, crdsStaging := names("staging")
	prod, crdsProd := names("prod")
	if len(staging) < 4 {
		t.Fatalf("cluster-scoped objects: %v", staging)
	}
	for _, s := range staging {
		if slices.Contains(prod, s) {
			t.Errorf("%s in both releases", s)
		}
	}
	if !slices.Equal(crdsStaging, crdsProd) || len(crdsStaging) != 3 {
		t.Errorf("CRDs differ: %v %v", crdsStaging, crdsProd)
	}
}

func TestRenderConcurrent(t *testing.T) {
	c := loadChart(t)
	envs := []string{"staging", "prod", "dev", "test"}
	want := map[string][]byte{}
	for _, e := range envs {
		want[e] = render(t, options(c, "alpha", e))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		e := envs[i%len(envs)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := Render(context.Background(), options(c, "alpha", e))
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(out, want[e]) {
				t.Errorf("concurrent render of %s differs", e)
			}
		}()
	}
	wg.Wait()
}

// kustomize's OpenAPI schema is set up by its first run in a process, and
// concurrent first runs race: the renders here must be the process's first,
// so the test runs itself in a child process (built with -race when the
// test is).
func TestRenderConcurrentColdStart(t *testing.T) {
	if os.Getenv("RENDER_COLD_START") == "" {
		if testing.Short() {
			t.Skip("runs a child process")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestRenderConcurrentColdStart$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "RENDER_COLD_START=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestRenderConcurrentColdStart")) {
			t.Fatalf("child process: %v\n%s", err, out)
		}
		return
	}
	c := loadChart(t)
	envs := []string{"staging", "prod"}
	outs := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := options(c, "alpha", envs[i%len(envs)])
			// A strategic merge patch makes kustomize parse its OpenAPI
			// schema.
			o.Patches = []Patch{{Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hub\nspec:\n  template:\n    spec:\n      containers:\n        - name: hub\n          env:\n            - name: A\n              value: b\n"}}
			out, err := Render(context.Background(), o)
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	for i := range outs[2:] {
		if !bytes.Equal(outs[i], outs[i+2]) {
			t.Errorf("renders %d and %d differ", i, i+2)
		}
	}
}

func TestRenderStrictDecode(t *testing.T) {
	dec := rendertest.StrictDecoder(t)
	out := render(t, options(loadChart(t), "alpha", "staging"))
	for _, d := range documents(t, out) {
		o, gvk, err := dec.Decode(d, nil, nil)
		if err != nil {
			t.Errorf("%v in\n%s", err, d)
			continue
		}
		if _, ok := o.(*runtime.Unknown); ok {
			t.Errorf("%s decoded as unknown", gvk)
		}
		if gvk.Kind == "CustomResourceDefinition" {
			if _, ok := o.(*apiextensionsv1.CustomResourceDefinition); !ok {
				t.Errorf("CRD decoded as %T", o)
			}
		}
	}
	// The decoder is strict indeed.
	if _, _, err := dec.Decode([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbogus: 1\n"), nil, nil); err == nil || !runtime.IsStrictDecodingError(err) {
		t.Errorf("strict decoding accepted an unknown field: %v", err)
	}
}

// addTemplate adds a template file to the chart or subchart named sub.
func addTemplate(t testing.TB, c *chart.Chart, sub, name, text string) {
	t.Helper()
	if sub != "" {
		for _, d := range c.Dependencies() {
			if d.Name() == sub {
				c = d
			}
		}
	}
	c.Templates = append(c.Templates, &chart.File{Name: "templates/" + name, Data: []byte(text)})
}

func TestRenderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, sub, file, text string
		want                  []string
	}{
		{
			"duplicate", "jupyterhub", "dup.yaml",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hub\n",
			[]string{"ConfigMap hub twice", "hubchart/charts/jupyterhub/templates/dup.yaml", "hubchart/charts/jupyterhub/templates/hub-configmap.yaml"},
		},
		{
			"duplicate, other API version", "", "dup.yaml",
			"apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: hub\n",
			[]string{"Deployment hub twice"},
		},
		{
			"other namespace", "", "ns.yaml",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: kube-system\n",
			[]string{"ConfigMap elsewhere", "kube-system", "hubchart/templates/ns.yaml"},
		},
		{
			"a Namespace", "", "ns.yaml",
			"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: alpha-staging\n",
			[]string{"renders a Namespace"},
		},
		{
			"no name", "", "noname.yaml",
			"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n",
			[]string{"hubchart/templates/noname.yaml", "metadata.name"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := loadChart(t)
			addTemplate(t, c, tc.sub, tc.file, tc.text)
			_, err := Render(context.Background(), options(c, "alpha", "staging"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q: %v", w, err)
				}
			}
		})
	}
}

func TestRenderOptions(t *testing.T) {
	c := loadChart(t)
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no release", func(o *Options) { o.Release = "" }, "no release"},
		{"no namespace", func(o *Options) { o.Namespace = "" }, "no namespace"},
		{"bad namespace", func(o *Options) { o.Namespace = "Alpha_Staging" }, "Alpha_Staging"},
		{"no chart", func(o *Options) { o.Chart = nil }, "no chart"},
		{"old kube", func(o *Options) { o.KubeVersion = "1.29.0" }, "kubeVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(c, "alpha", "staging")
			tc.edit(&o)
			if _, err := Render(context.Background(), o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	// An explicit engine and version are used.
	o := options(c, "alpha", "staging")
	o.Engine = helmengine.NewV3()
	o.KubeVersion = "1.34.1"
	if !bytes.Equal(render(t, o), render(t, options(c, "alpha", "staging"))) {
		t.Error("the test chart depends on the Kubernetes version")
	}
}

func TestRenderValuesLayers(t *testing.T) {
	o := options(loadChart(t), "alpha", "staging")
	o.Values = append(o.Values,
		map[string]any{"jupyterhub": map[string]any{"hub": map[string]any{"replicas": 2, "image": "example.org/hub:1"}}},
		map[string]any{"jupyterhub": map[string]any{"hub": map[string]any{"replicas": 4}}},
	)
	hub := find(t, objects(t, render(t, o)), "Deployment", "hub")
	if r := path(hub, "spec", "replicas"); r != float64(4) {
		t.Errorf("replicas %v, want the last layer's 4", r)
	}
	img := path(hub, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)["image"]
	if img != "example.org/hub:1" {
		t.Errorf("image %v, want the earlier layer's example.org/hub:1", img)
	}
}

func TestSortUnknownKinds(t *testing.T) {
	out := []*kustomized{}
	for _, s := range []string{"Zeta/b", "Deployment/a", "Alpha/z", "Namespace/n", "Alpha/a", "CustomResourceDefinition/c", "PriorityClass/p"} {
		kind, name, _ := strings.Cut(s, "/")
		k := &kustomized{}
		k.id.Kind, k.id.Name = kind, name
		out = append(out, k)
	}
	sortObjects(out)
	var got []string
	for _, k := range out {
		got = append(got, k.id.Kind+"/"+k.id.Name)
	}
	want := []string{"Namespace/n", "CustomResourceDefinition/c", "PriorityClass/p", "Deployment/a", "Alpha/a", "Alpha/z", "Zeta/b"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func BenchmarkRender(b *testing.B) {
	c := loadChart(b)
	o := options(c, "alpha", "staging")
	for b.Loop() {
		if _, err := Render(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHelmLoadAndRender(b *testing.B) {
	for b.Loop() {
		c := loadChart(b)
		if _, err := helmengine.NewV3().Render(context.Background(), helmengine.Request{
			Chart: c, ReleaseName: "alpha-staging", Namespace: "alpha-staging",
			Values: secretValues(), KubeVersion: DefaultKubeVersion, IncludeCRDs: true,
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKustomize(b *testing.B) {
	c := loadChart(b)
	res, err := helmengine.NewV3().Render(context.Background(), helmengine.Request{
		Chart: c, ReleaseName: "alpha-staging", Namespace: "alpha-staging",
		Values: secretValues(), KubeVersion: DefaultKubeVersion, IncludeCRDs: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	labels := map[string]string{PartOfLabel: PartOfValue}
	for b.Loop() {
		objs, err := splitManifest(res.Manifest)
		if err != nil {
			b.Fatal(err)
		}
		if err := prepare(objs, "alpha-staging"); err != nil {
			b.Fatal(err)
		}
		if _, err := kustomize(append([]*object{namespaceObject("alpha-staging")}, objs...), "alpha-staging", labels, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransform is BenchmarkKustomize's work with kustomize's
// filters, as render does it without patches.
func BenchmarkTransform(b *testing.B) {
	c := loadChart(b)
	res, err := helmengine.NewV3().Render(context.Background(), helmengine.Request{
		Chart: c, ReleaseName: "alpha-staging", Namespace: "alpha-staging",
		Values: secretValues(), KubeVersion: DefaultKubeVersion, IncludeCRDs: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	labels := map[string]string{PartOfLabel: PartOfValue}
	for b.Loop() {
		objs, err := splitManifest(res.Manifest)
		if err != nil {
			b.Fatal(err)
		}
		if err := prepare(objs, "alpha-staging"); err != nil {
			b.Fatal(err)
		}
		if _, err := transform(append([]*object{namespaceObject("alpha-staging")}, objs...), "alpha-staging", labels); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSplitManifest(t *testing.T) {
	manifest := `---
# Source: c/templates/empty.yaml
---
# only a comment
---
~
---
{}
---
# Source: c/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: ns
--- # a separator with a comment
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
data:
  script: |
    ---
    not a separator: indented
...
---
# Source: c/templates/c.yaml

apiVersion: v1
kind: Secret
metadata:
  name: c
`
	objs, err := splitManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ob := range objs {
		got = append(got, ob.String())
	}
	want := []string{"ConfigMap a (from c/templates/a.yaml)", "ConfigMap b (from c/templates/a.yaml)", "Secret c (from c/templates/c.yaml)"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if s := objs[1].node.MustString(); !strings.Contains(s, "    ---\n    not a separator") {
		t.Errorf("block scalar mangled:\n%s", s)
	}
	for _, bad := range []string{"- a\n- b\n", "just a string\n", "apiVersion: v1\nkind: ConfigMap\n", "a: [\n"} {
		if _, err := splitManifest(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestEachIndex: every index runs once, and the error is the lowest
// failing index's whatever the order the calls finish in.
func TestEachIndex(t *testing.T) {
	for _, tc := range []struct {
		n    int
		fail []int
		want string
	}{
		{0, nil, ""},
		{1, nil, ""},
		{50, nil, ""},
		{50, []int{49}, "fail 49"},
		{50, []int{3, 17, 40}, "fail 3"},
		{50, []int{0, 1}, "fail 0"},
	} {
		t.Run(fmt.Sprint(tc.n, tc.fail), func(t *testing.T) {
			calls := make([]atomic.Int32, tc.n)
			err := eachIndex(tc.n, func(i int) error {
				calls[i].Add(1)
				if slices.Contains(tc.fail, i) {
					// the later failures finish first
					time.Sleep(time.Duration(tc.n-i) * 100 * time.Microsecond)
					return fmt.Errorf("fail %d", i)
				}
				return nil
			})
			if got := fmt.Sprint(err); (err == nil) != (tc.want == "") || err != nil && got != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Errorf("index %d called %d times", i, c)
				}
			}
		})
	}
}
