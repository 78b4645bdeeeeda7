package release

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine/installref"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
)

// helmDifferences are the values that Helm 4 renders otherwise than Helm 3
// from the real charts, by kind/name and value path, the same in every
// hub-env that has the object. Each is a literal block scalar (`|`) that
// ends its template's document: Helm 3 strips the newline YAML gives it
// (the value reads as `|-`), Helm 4 (v4.2.0 on, helm/helm#32327) keeps it.
// The README lists them.
var helmDifferences = []string{
	"ConfigMap/autohttps: data.dynamic.yaml: v4 adds a final newline",
	"ConfigMap/user-scheduler: data.config.yaml: v4 adds a final newline",
}

// TestRenderEngines renders every hub-env of the repository with every
// Helm major on the real charts: the streams are byte-identical but for
// helmDifferences.
func TestRenderEngines(t *testing.T) {
	f := federation(t)
	chart := releasetest.UpstreamUmbrella(t, f.Root)
	seen := map[string]bool{}
	for _, h := range f.Hubs {
		for _, env := range hub.EnvNames {
			var streams [][]byte
			for _, major := range helmengine.Majors {
				r := request(t, f, chart, h.Name, env)
				r.Helm = major
				y, err := Render(context.Background(), r)
				if err != nil {
					t.Fatalf("%s-%s with Helm %s: %v", h.Name, env, major, err)
				}
				streams = append(streams, y)
			}
			for i, y := range streams[1:] {
				diffs, err := streamDifferences(streams[0], y)
				if err != nil {
					t.Fatalf("%s-%s: %v", h.Name, env, err)
				}
				for _, d := range diffs {
					seen[d] = true
					if !slices.Contains(helmDifferences, d) {
						t.Errorf("%s-%s: Helm %s renders otherwise than Helm %s: %s", h.Name, env, helmengine.Majors[i+1], helmengine.Majors[0], d)
					}
				}
			}
		}
	}
	for _, d := range helmDifferences {
		if !seen[d] {
			t.Errorf("no hub-env shows the difference %q any more: take it out of helmDifferences and the README", d)
		}
	}
}

// streamDifferences compares two render streams object by object (each
// object's name less its release prefix): nothing when they are
// byte-identical, else each value that differs, "Kind/name: path: what".
func streamDifferences(a, b []byte) ([]string, error) {
	if string(a) == string(b) {
		return nil, nil
	}
	da, db := strings.Split(string(a), "\n---\n"), strings.Split(string(b), "\n---\n")
	if len(da) != len(db) {
		return []string{fmt.Sprintf("%d objects, not %d", len(db), len(da))}, nil
	}
	var out []string
	for i := range da {
		if da[i] == db[i] {
			continue
		}
		var oa, ob map[string]any
		if err := yaml.Unmarshal([]byte(da[i]), &oa); err != nil {
			return nil, err
		}
		if err := yaml.Unmarshal([]byte(db[i]), &ob); err != nil {
			return nil, err
		}
		md, _ := oa["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		if ns, _ := md["namespace"].(string); ns != "" {
			name = strings.TrimPrefix(name, ns+"-")
		}
		id := fmt.Sprintf("%v/%s", oa["kind"], name)
		valueDifferences(id, nil, oa, ob, &out)
		if len(out) == 0 {
			out = append(out, id+": the same values, written otherwise")
		}
	}
	return out, nil
}

// valueDifferences appends each leaf where a and b differ.
func valueDifferences(id string, path []string, a, b any, out *[]string) {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			valueDifferences(id, append(slices.Clone(path), k), ma[k], mb[k], out)
		}
		return
	}
	if reflect.DeepEqual(a, b) {
		return
	}
	what := fmt.Sprintf("%v, not %v", b, a)
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok && sb == sa+"\n" {
			what = "v4 adds a final newline"
		}
	}
	*out = append(*out, fmt.Sprintf("%s: %s: %s", id, strings.Join(path, "."), what))
}

// Engine takes the override, else the hub's helm field, else the default.
func TestEngine(t *testing.T) {
	for _, tc := range []struct {
		field, override, want, err string
	}{
		{"", "", helmengine.Default, ""},
		{"v3", "", "v3", ""},
		{"v4", "", "v4", ""},
		{"v3", "v4", "v4", ""},
		{"v4", "v3", "v3", ""},
		{"v3", "v9", "", `hub alpha: unknown Helm major version "v9"`},
	} {
		e, err := Engine(&hub.Hub{Name: "alpha", Helm: tc.field}, tc.override)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("field %q, override %q: error %v, want %q", tc.field, tc.override, err, tc.err)
			}
		case err != nil:
			t.Errorf("field %q, override %q: %v", tc.field, tc.override, err)
		case e.Major() != tc.want:
			t.Errorf("field %q, override %q: Helm %s, want %s", tc.field, tc.override, e.Major(), tc.want)
		}
	}
}

// BenchmarkRenderEngines renders every hub-env of the repository with
// every Helm major, on the real charts (../shared/upstream/charts) in a
// test umbrella folder (--chart DIR): helm/<major>/<hub>-<env>.
func BenchmarkRenderEngines(b *testing.B) {
	f := federation(b)
	chart := releasetest.UpstreamUmbrella(b, f.Root)
	for _, major := range helmengine.Majors {
		for _, h := range f.Hubs {
			for _, env := range hub.EnvNames {
				r := request(b, f, chart, h.Name, env)
				r.Helm = major
				b.Run("helm/"+major+"/"+h.Name+"-"+env, func(b *testing.B) {
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

// TestRenderIsInstall: with the real charts, every hub-env renders
// byte for byte the same through Helm 3's engine (which renders without
// the install around it when it can) as through Helm's own install.
func TestRenderIsInstall(t *testing.T) {
	f := federation(t)
	eachUpstreamHubEnv(t, f, func(t *testing.T, chart, hubName, env string) {
		var streams [][]byte
		for _, e := range []helmengine.Engine{helmengine.NewV3(), installref.NewV3()} {
			r := request(t, f, chart, hubName, env)
			r.Engine = e
			y, err := Render(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			streams = append(streams, y)
		}
		if !bytes.Equal(streams[0], streams[1]) {
			t.Errorf("the engine and Helm's install differ at:\n%s", firstDiff(streams[0], streams[1]))
		}
	})
}
