package release

import (
	"bytes"
	"context"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/secrets"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// eachUpstreamHubEnv runs f as a subtest for every hub-env of the
// federation on each umbrella chart with the real charts: the generated
// one ("pangeo-deploy") and the daskhub chart. f gets the chart folder.
func eachUpstreamHubEnv(t *testing.T, f *load.Federation, do func(t *testing.T, chart, hubName, env string)) {
	t.Helper()
	for _, c := range []struct{ name, dir string }{
		{"pangeo-deploy", releasetest.UpstreamUmbrella(t, f.Root)},
		{"daskhub", releasetest.UpstreamDaskhub(t)},
	} {
		for _, h := range f.Hubs {
			for _, env := range hub.EnvNames {
				t.Run(c.name+"/"+h.Name+"-"+env, func(t *testing.T) { do(t, c.dir, h.Name, env) })
			}
		}
	}
}

// TestRenderReproducible renders every hub-env twice with placeholder
// secrets and the real charts, on the generated umbrella and on the
// daskhub chart (which declares the dask-gateway service whatever the
// hub's Dask backend, so that the jupyterhub chart would make up its token
// at random for bravo): the bytes are the same.
func TestRenderReproducible(t *testing.T) {
	f := federation(t)
	eachUpstreamHubEnv(t, f, func(t *testing.T, chart, hubName, env string) {
		renderTwice(t, request(t, f, chart, hubName, env))
	})
}

// renderTwice renders r twice and returns the stream, failing t when
// the two differ.
func renderTwice(t *testing.T, r Request) []byte {
	t.Helper()
	a, err := Render(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two renders differ at:\n%s", firstDiff(a, b))
	}
	return a
}

// TestRenderCoversGenerated: on the daskhub chart, bravo's hub Secret
// holds the dask-gateway service token as a placeholder.
func TestRenderCoversGenerated(t *testing.T) {
	f := federation(t)
	y, err := Render(context.Background(), request(t, f, releasetest.UpstreamDaskhub(t), "bravo", "staging"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects(t, y) {
		if o.Kind != "Secret" || o.Metadata.Name != "hub" {
			continue
		}
		token, ok := o.Data["hub.services.dask-gateway.apiToken"]
		if !ok {
			t.Fatal("Secret/hub has no hub.services.dask-gateway.apiToken")
		}
		dec, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			t.Fatal(err)
		}
		if !secrets.IsPlaceholder(string(dec)) {
			t.Errorf("hub.services.dask-gateway.apiToken is %q, not a placeholder", dec)
		}
		return
	}
	t.Fatal("no Secret/hub")
}

// firstDiff shows the lines of a around the first byte where a and b
// differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	start := bytes.LastIndexByte(a[:i], '\n') + 1
	end := min(len(a), i+200)
	endB := min(len(b), i+200)
	return strings.Join([]string{string(a[start:end]), "----", string(b[start:endB])}, "\n")
}

// TestGeneratedSecrets: over the charts' defaults, bravo's stub leaves the
// daskhub chart's dask-gateway service token to chance and nothing of the
// generated umbrella's; without the chart, only the values count.
func TestGeneratedSecrets(t *testing.T) {
	f := federation(t)
	out, err := gen.GenerateHub(f.Hub("bravo"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := StubValues(out, "staging")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dir  string
		want string
	}{
		{"daskhub", releasetest.UpstreamDaskhub(t), "jupyterhub.hub.services.dask-gateway.apiToken"},
		{"pangeo-deploy", releasetest.UpstreamUmbrella(t, f.Root), ""},
		{"no chart", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ch *chart.Chart
			if tc.dir != "" {
				if ch, err = loader.Load(tc.dir); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, g := range GeneratedSecrets(ch, vals) {
				got = append(got, g.String())
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("GeneratedSecrets = %q, want %q", got, tc.want)
			}
		})
	}
	// Without the stub's secrets, the three of every hub are the chart's
	// to make up (bravo declares no service).
	if got := GeneratedSecrets(nil, out.Values.Merged("staging")); len(got) != 3 {
		t.Errorf("without secrets: %v, want the proxy token, cookie secret and CryptKeeper key", got)
	}
}

// TestGeneratedSecretsCut: GeneratedSecrets, which merges only what
// secrets.Missing reads, finds what Missing finds over the whole values
// merged, on the real charts (the jupyterhub chart alone too) and values
// that set, unset or replace what it reads.
func TestGeneratedSecretsCut(t *testing.T) {
	f := federation(t)
	whole := func(ch *chart.Chart, vals map[string]any) []secrets.Generated {
		if ch.Name() == jupyterhubChart {
			return secrets.Missing(nil, values.Merge(ch.Values, vals))
		}
		for _, sub := range ch.Dependencies() {
			if sub.Name() == jupyterhubChart {
				return secrets.Missing([]string{jupyterhubChart}, values.Merge(map[string]any{jupyterhubChart: sub.Values}, ch.Values, vals))
			}
		}
		return nil
	}
	umbrella, err := loader.Load(releasetest.UpstreamUmbrella(t, f.Root))
	if err != nil {
		t.Fatal(err)
	}
	daskhub, err := loader.Load(releasetest.UpstreamDaskhub(t))
	if err != nil {
		t.Fatal(err)
	}
	var jupyterhub *chart.Chart
	for _, d := range umbrella.Dependencies() {
		if d.Name() == jupyterhubChart {
			jupyterhub = d
		}
	}
	out, err := gen.GenerateHub(f.Hub("charlie"))
	if err != nil {
		t.Fatal(err)
	}
	stub, err := StubValues(out, "prod")
	if err != nil {
		t.Fatal(err)
	}
	jh := func(v any) map[string]any { return map[string]any{jupyterhubChart: v} }
	for name, vals := range map[string]map[string]any{
		"stub":              stub,
		"none":              {},
		"chart values null": jh(nil),
		"hub not a table":   jh(map[string]any{"hub": "x"}),
		"tokens in config": jh(map[string]any{"hub": map[string]any{"config": map[string]any{
			"ConfigurableHTTPProxy": map[string]any{"auth_token": "a"}, "JupyterHub": map[string]any{"cookie_secret": "c"}}}}),
		"services": jh(map[string]any{"hub": map[string]any{"services": map[string]any{
			"a": map[string]any{}, "b": nil, "c": map[string]any{"api_token": "t"}, "dask-gateway": map[string]any{"apiToken": ""}}}}),
		"proxy null":        jh(map[string]any{"proxy": nil, "singleuser": map[string]any{"x": 1.0}}),
		"other values only": map[string]any{"dask-gateway": map[string]any{"enabled": false}, "zzz": 1.0},
	} {
		for chName, ch := range map[string]*chart.Chart{"umbrella": umbrella, "daskhub": daskhub, "jupyterhub": jupyterhub} {
			t.Run(name+"/"+chName, func(t *testing.T) {
				v := vals
				if chName == "jupyterhub" {
					v, _ = vals[jupyterhubChart].(map[string]any)
				}
				if got, want := GeneratedSecrets(ch, v), whole(ch, v); !reflect.DeepEqual(got, want) {
					t.Errorf("GeneratedSecrets = %v, Missing over the whole values %v", got, want)
				}
			})
		}
	}
}
