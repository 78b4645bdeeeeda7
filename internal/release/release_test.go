package release

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/pin"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render"
	"github.com/pangeo-data/pangeo-gen/internal/secrets"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

var (
	fedOnce sync.Once
	fed     *load.Federation
	fedErr  error
)

// federation is the repository's own federation, loaded once.
func federation(t testing.TB) *load.Federation {
	t.Helper()
	fedOnce.Do(func() {
		root, err := load.FindRoot(".")
		if err != nil {
			fedErr = err
			return
		}
		fed, fedErr = load.Load(root)
	})
	if fedErr != nil {
		t.Fatal(fedErr)
	}
	return fed
}

// umbrella writes the test umbrella chart with the stand-ins and returns
// its folder.
func umbrella(t testing.TB, f *load.Federation) string {
	t.Helper()
	return umbrellaOf(t, f, releasetest.StandIns)
}

func umbrellaOf(t testing.TB, f *load.Federation, c releasetest.Charts) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "chart")
	if err := c.WriteUmbrella(dir, f.Root); err != nil {
		t.Fatal(err)
	}
	return dir
}

func request(t testing.TB, f *load.Federation, chart, hubName, env string) Request {
	return Request{
		Fed: f, Hub: hubName, Env: env, Chart: chart,
		// Placeholders, whether or not the repository's secrets files
		// are filled in.
		Secrets:            writeStub(t, f, hubName, env),
		PlaceholderSecrets: true,
		Cache:              &charts.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Offline: true},
	}
}

// writeStub writes the secrets stub gen writes for hub-env and returns it.
func writeStub(t testing.TB, f *load.Federation, hubName, env string) string {
	t.Helper()
	out, err := gen.GenerateHub(f.Hub(hubName))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range out.Files {
		if file.Path == SecretsPath(hubName, env) {
			p := filepath.Join(t.TempDir(), env+".yaml")
			if err := os.WriteFile(p, file.Data, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("no stub %s", SecretsPath(hubName, env))
	return ""
}

// object is a rendered object, decoded loosely.
type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
}

func objects(t *testing.T, stream []byte) []object {
	t.Helper()
	var out []object
	for _, doc := range strings.Split(string(stream), "\n---\n") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// TestRender renders every hub-env of the federation with the test
// umbrella chart: deterministic, the namespace first, every object labelled
// and in the namespace, the secrets placeholders that the chart accepts.
func TestRender(t *testing.T) {
	f := federation(t)
	chart := umbrella(t, f)
	for _, h := range f.Hubs {
		for _, env := range hub.EnvNames {
			t.Run(h.Name+"-"+env, func(t *testing.T) {
				a := renderTwice(t, request(t, f, chart, h.Name, env))
				ns := Release(h.Name, env)
				objs := objects(t, a)
				if objs[0].Kind != "Namespace" || objs[0].Metadata.Name != ns {
					t.Errorf("first object %s %s, want Namespace %s", objs[0].Kind, objs[0].Metadata.Name, ns)
				}
				for _, o := range objs {
					l := o.Metadata.Labels
					if l[render.PartOfLabel] != render.PartOfValue {
						t.Errorf("%s %s: no %s label", o.Kind, o.Metadata.Name, render.PartOfLabel)
					}
					if o.Kind != "CustomResourceDefinition" && (l[HubLabel] != h.Name || l[EnvLabel] != env) {
						t.Errorf("%s %s: labels %v", o.Kind, o.Metadata.Name, l)
					}
					if o.Kind == "Secret" && o.Metadata.Name == "hub" {
						for k, v := range o.StringData {
							if !secrets.IsPlaceholder(v) {
								t.Errorf("hub secret %s = %q, not a placeholder", k, v)
							}
						}
					}
				}
			})
		}
	}
}

// The chart as a folder, as a package, and the hub's pin (deployments/chart
// with its dependencies vendored) render the same.
func TestRenderChartSources(t *testing.T) {
	f := federation(t)
	dir := umbrella(t, f)
	pkg, err := releasetest.PackageDir(dir, hub.GeneratedChart, gen.UmbrellaVersion)
	if err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(t.TempDir(), pkg.File())
	if err := os.WriteFile(tgz, pkg.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	vendor := filepath.Join(t.TempDir(), "vendor")
	if err := releasetest.WriteVendor(vendor, "", ""); err != nil {
		t.Fatal(err)
	}
	want, err := Render(context.Background(), request(t, f, dir, "charlie", "staging"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(context.Background(), request(t, f, tgz, "charlie", "staging"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the package renders differently from the folder")
	}
	r := request(t, f, "", "charlie", "staging")
	r.Cache.VendorDir = vendor
	if got, err = Render(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the pinned chart renders differently from the test umbrella")
	}
}

// TestRenderUpstream renders every hub-env with the test umbrella built
// from the real jupyterhub and dask-gateway charts (../shared/upstream/
// charts, beside the repository): the layered values, placeholder secrets
// included, are what the real charts' templates and values.schema.json
// files accept.
func TestRenderUpstream(t *testing.T) {
	f := federation(t)
	chart := releasetest.UpstreamUmbrella(t, f.Root)
	for _, h := range f.Hubs {
		for _, env := range hub.EnvNames {
			if _, err := Render(context.Background(), request(t, f, chart, h.Name, env)); err != nil {
				t.Errorf("%s-%s: %v", h.Name, env, err)
			}
		}
	}
}

func TestValues(t *testing.T) {
	f := federation(t)
	out, err := gen.GenerateHub(f.Hub("alpha"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sec := filepath.Join(dir, "secrets.yaml")
	// The secrets override config values, but never the image.
	err = os.WriteFile(sec, []byte(`jupyterhub:
  proxy:
    secretToken: 8c5e2f1a0b9d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e
    service:
      loadBalancerIP: 10.0.0.1
  singleuser:
    image:
      tag: not-this-one
  cull:
    timeout: null
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Values(context.Background(), f.Root, out, "staging", sec, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"jupyterhub", "proxy", "secretToken"}, "8c5e2f1a0b9d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"},
		// staging.yaml's value, replaced by the secrets'.
		{[]string{"jupyterhub", "proxy", "service", "loadBalancerIP"}, "10.0.0.1"},
		// staging.yaml's own.
		{[]string{"jupyterhub", "proxy", "https", "hosts"}, []any{"staging.ocean.pangeo.io"}},
		// common.yaml's.
		{[]string{"jupyterhub", "cull", "every"}, int64(300)},
		// A null is kept, so that Helm deletes the chart's default too, as
		// `helm -f` does.
		{[]string{"jupyterhub", "cull", "timeout"}, nil},
		{[]string{"jupyterhub", "singleuser", "image", "name"}, out.Image.Name},
		{[]string{"jupyterhub", "singleuser", "image", "tag"}, out.Image.Tag},
	} {
		got := values.Lookup(v, tc.path...)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
	if _, ok := values.Lookup(v, "jupyterhub", "cull").(map[string]any)["timeout"]; !ok {
		t.Error("the null of cull.timeout was dropped")
	}
	// The generated values are not modified.
	if values.Lookup(out.Values.Common, "jupyterhub", "cull", "timeout") != int64(3600) {
		t.Errorf("common.yaml's cull.timeout changed: %v", values.Lookup(out.Values.Common, "jupyterhub", "cull", "timeout"))
	}
}

func TestHubEnv(t *testing.T) {
	f := federation(t)
	if _, err := HubEnv(f, "zeta", "staging"); err == nil || err.Error() != `no hub named "zeta" (hubs: alpha, bravo, charlie)` {
		t.Errorf("unknown hub: %v", err)
	}
	if _, err := HubEnv(f, "alpha", "dev"); err == nil || err.Error() != `hub alpha has no environment "dev" (environments: staging, prod)` {
		t.Errorf("unknown env: %v", err)
	}
}

// A registry that is down fails the render after the resolver's tries.
// (charlie: alpha's kustomize patches name objects this chart lacks.)
func TestRenderPinRegistryDown(t *testing.T) {
	f := federation(t)
	host := testserver.ClosedHost()
	chart := filepath.Join(t.TempDir(), "tool")
	for p, data := range map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: tool\nversion: 0.1.0\n",
		"templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\nspec:\n  containers:\n    - name: tool\n      image: " +
			host + "/pangeo/tool:1.0\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(chart, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(chart, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := request(t, f, chart, "charlie", "prod")
	r.PinDigests = true
	r.Resolver = &pin.Resolver{Keychain: authn.NewMultiKeychain(), RetryDelays: []time.Duration{time.Millisecond, time.Millisecond}}
	_, err := Render(context.Background(), r)
	if err == nil {
		t.Fatal("no error")
	}
	want := "pin digests of charlie-prod: image " + host + "/pangeo/tool:1.0: registry " + host + " is unreachable or failing"
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "(tried 3 times)") {
		t.Errorf("error %q, want %q ... (tried 3 times)", err, want)
	}
}

// BenchmarkRender renders every hub-env of the federation: the whole of
// `pangeo-gen render` but the federation's load (gen.GenerateHub, the
// secrets, the chart's load, Helm, kustomize). chart-dir/ renders with the
// test umbrella chart's folder (--chart DIR); pinned/ takes the hubs' pin,
// the generated deployments/chart, its dependencies (the stand-ins) coming
// from a vendored folder, digests checked, as from a warm cache.
func BenchmarkRender(b *testing.B) {
	f := federation(b)
	chart := umbrella(b, f)
	vendor := filepath.Join(b.TempDir(), "vendor")
	if err := releasetest.WriteVendor(vendor, "", ""); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"chart-dir", "pinned"} {
		for _, h := range f.Hubs {
			for _, env := range hub.EnvNames {
				r := request(b, f, chart, h.Name, env)
				if mode == "pinned" {
					r.Chart, r.Cache.VendorDir = "", vendor
				}
				b.Run(mode+"/"+h.Name+"-"+env, func(b *testing.B) {
					for b.Loop() {
						if _, err := Render(context.Background(), r); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkRenderUpstream renders one gateway hub-env (alpha-staging, with
// its patches: krusty) and one kubernetes-backend hub-env (bravo-staging,
// none: the filters) with the real charts, from the test umbrella's folder.
func BenchmarkRenderUpstream(b *testing.B) {
	f := federation(b)
	chart := releasetest.UpstreamUmbrella(b, f.Root)
	for _, name := range []string{"alpha", "bravo"} {
		r := request(b, f, chart, name, "staging")
		b.Run(name+"-staging", func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
