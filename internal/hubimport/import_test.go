package hubimport

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	loader "github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"github.com/pangeo-data/pangeo-gen/internal/values"
	"github.com/pangeo-data/pangeo-gen/internal/vet"
)

// referenceHub is a hand-kept hub of pangeo-cloud-federation, at the
// repository root's ../shared/reference/pangeo-cloud-federation/.
func referenceHub(t *testing.T, rel string) string {
	t.Helper()
	dir := shareddata.Path(t, "reference/pangeo-cloud-federation/"+rel+"/hubploy.yaml")
	dir = filepath.Dir(dir)
	return dir
}

// TestImportRoundTrip imports each reference hub, generates it and checks
// that every key path of the old values (after the unwrap), except the
// reported losses, keeps its value in the merged values gen writes for each
// environment (gen adds what the typed fields generate: a superset), and
// that the image's conda channels and dependencies are the old
// environment.yml's.
func TestImportRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		ref, name string
		losses    []string
	}{
		{"2019-08/deployments/ocean", "ocean", nil},
		{"2024-02/deployments/gcp-uscentral1b", "gcp-uscentral1b", nil},
		// Our own: NFS homes on the old chart's claim, mounted into the
		// classic workers too (the reference hubs have none).
		{"testdata/nfs-workers", "nfs-workers", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.ref
			if !strings.HasPrefix(src, "testdata/") {
				src = referenceHub(t, tc.ref)
			}
			root := t.TempDir()
			repo, err := loader.FindRoot(".")
			if err != nil {
				t.Fatal(err)
			}
			copyTree(t, filepath.Join(repo, "cue.mod"), filepath.Join(root, "cue.mod"))
			copyTree(t, filepath.Join(repo, "schema"), filepath.Join(root, "schema"))
			hubsCue, err := os.ReadFile(filepath.Join(repo, "hubs", "hubs.cue"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(root, "hubs"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "hubs", "hubs.cue"), hubsCue, 0o644); err != nil {
				t.Fatal(err)
			}
			old := filepath.Join(root, "old", tc.name)
			copyTree(t, src, old)

			e, err := hubfile.Open(root)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(e, Options{Dir: old, Name: tc.name, Command: "pangeo-gen import"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range res.Losses {
				got = append(got, l.File+": "+l.Key)
			}
			if !slices.Equal(got, tc.losses) {
				t.Errorf("losses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.losses, "\n"))
			}
			if err := os.WriteFile(filepath.Join(root, res.Path), res.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			fed, err := loader.Load(root)
			if err != nil {
				t.Fatalf("load: %v\n%s", err, res.Data)
			}
			out, err := gen.GenerateHub(fed.Hub(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			// Its pods (the workers with their volumes included) fit and are
			// placed on their pools, and the workers run the notebook's image.
			vr, err := vet.Run(fed, []string{tc.name})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range vr.Findings {
				if f.Check == "placement" || f.Check == "fit" || f.Check == "worker-image" || f.Check == "generate" {
					t.Errorf("vet: %s", f)
				}
			}

			// lost reports whether a values path is a reported loss.
			lost := func(file string, path []string) bool {
				key := strings.Join(path, ".")
				// The old umbrella chart's own homeDirectories are outside the wrapper.
				if res.Wrapper != "" && path[0] != "homeDirectories" {
					key = res.Wrapper + "." + key
				}
				for _, l := range slices.Concat(res.Losses, res.Normalized) {
					if l.File == file && (key == l.Key || strings.HasPrefix(key, l.Key+".")) {
						return true
					}
				}
				return false
			}
			for _, env := range []string{"staging", "prod"} {
				merged := out.Values.Merged(env)
				n := 0
				var walk func(file string, path []string, v any)
				walk = func(file string, path []string, v any) {
					if m, ok := v.(map[string]any); ok && len(m) > 0 {
						for k, x := range m {
							walk(file, append(slices.Clone(path), k), x)
						}
						return
					}
					if lost(file, path) || lost("config/common.yaml", path) {
						return
					}
					n++
					have, ok := values.Get(merged, path...)
					if !ok {
						t.Errorf("%s: %s: missing from the generated values", env, strings.Join(path, "."))
						return
					}
					if !gen.Keeps(path[len(path)-1], have, v) {
						t.Errorf("%s: %s: generated %s, was %s", env, strings.Join(path, "."), hubfile.ShowJSON(have), hubfile.ShowJSON(v))
					}
				}
				// The env file's values override common's, as Helm merges them.
				full := values.Apply(res.Original["common"], res.Original[env])
				walk("config/"+env+".yaml", nil, full)
				if n < 10 {
					t.Errorf("%s: only %d values compared", env, n)
				}
			}

			// The image's Dask configuration holds the old one's: every key
			// outside the worker template as data, and the template's
			// resources, restart policy, worker arguments, node selector,
			// volumes and volume mounts (as data).
			if data, err := os.ReadFile(filepath.Join(src, "image", "binder", "dask_config.yaml")); err == nil {
				var was, have map[string]any
				if err := yaml.Unmarshal(data, &was); err != nil {
					t.Fatal(err)
				}
				for _, f := range out.Files {
					if strings.HasSuffix(f.Path, "/image/.dask/config.yaml") {
						if err := yaml.Unmarshal(f.Data, &have); err != nil {
							t.Fatal(err)
						}
					}
				}
				var walk func(path []string, v any)
				walk = func(path []string, v any) {
					if m, ok := v.(map[string]any); ok && len(m) > 0 {
						for k, x := range m {
							walk(append(slices.Clone(path), k), x)
						}
						return
					}
					if len(path) >= 2 && path[0] == "kubernetes" && path[1] == "worker-template" {
						return
					}
					if got, ok := values.Get(have, path...); !ok || !gen.Keeps(path[len(path)-1], got, v) {
						t.Errorf(".dask/config.yaml: %s: %v, was %v", strings.Join(path, "."), got, v)
					}
				}
				walk(nil, was)
				spec := func(m map[string]any) map[string]any {
					s, _ := values.Lookup(m, "kubernetes", "worker-template", "spec").(map[string]any)
					return s
				}
				if ws, hs := spec(was), spec(have); ws != nil {
					wc := ws["containers"].([]any)[0].(map[string]any)
					hc := hs["containers"].([]any)[0].(map[string]any)
					if fmt.Sprint(hs["restartPolicy"]) != fmt.Sprint(ws["restartPolicy"]) {
						t.Errorf("restartPolicy %v, was %v", hs["restartPolicy"], ws["restartPolicy"])
					}
					for _, k := range []string{"nodeSelector", "volumes"} {
						if w, ok := ws[k]; ok && !sameData(hs[k], w) {
							t.Errorf("worker template spec.%s %s, was %s", k, hubfile.ShowJSON(hs[k]), hubfile.ShowJSON(w))
						}
					}
					if w, ok := wc["volumeMounts"]; ok && !sameData(hc["volumeMounts"], w) {
						t.Errorf("worker volumeMounts %s, was %s", hubfile.ShowJSON(hc["volumeMounts"]), hubfile.ShowJSON(w))
					}
					for _, k := range []string{"requests", "limits"} {
						for _, r := range []string{"cpu", "memory"} {
							if g, w := fmt.Sprint(values.Lookup(hc, "resources", k, r)), fmt.Sprint(values.Lookup(wc, "resources", k, r)); g != w {
								t.Errorf("worker resources.%s.%s %s, was %s", k, r, g, w)
							}
						}
					}
					// Each old argument is there, a memory limit in G or GB.
					args := strings.ReplaceAll(fmt.Sprint(hc["args"]), "GB", "G")
					for _, a := range wc["args"].([]any) {
						if s := strings.ReplaceAll(fmt.Sprint(a), "GB", "G"); !strings.Contains(args, s) {
							t.Errorf("worker argument %s missing from %s", s, args)
						}
					}
				}
			}

			// The image's conda environment is the old environment.yml's.
			data, err := os.ReadFile(filepath.Join(src, "image", "binder", "environment.yml"))
			if os.IsNotExist(err) {
				if len(out.Hub.Image.Conda.Dependencies) > 0 {
					t.Errorf("dependencies %v without an environment.yml", out.Hub.Image.Conda.Dependencies)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var env struct {
				Channels     []string `yaml:"channels"`
				Dependencies []any    `yaml:"dependencies"`
			}
			if err := yaml.Unmarshal(data, &env); err != nil {
				t.Fatal(err)
			}
			var deps, pip []string
			for _, d := range env.Dependencies {
				switch d := d.(type) {
				case string:
					if s := d; !slices.Contains(deps, s) {
						deps = append(deps, s)
					}
				case map[string]any:
					for _, p := range d["pip"].([]any) {
						if s := p.(string); !slices.Contains(pip, s) {
							pip = append(pip, s)
						}
					}
				}
			}
			c := out.Hub.Image.Conda
			if !slices.Equal(c.Channels, env.Channels) {
				t.Errorf("channels %v, want %v", c.Channels, env.Channels)
			}
			if !slices.Equal(c.Dependencies, deps) {
				t.Errorf("dependencies %v, want %v", c.Dependencies, deps)
			}
			if !slices.Equal(c.Pip, pip) {
				t.Errorf("pip %v, want %v", c.Pip, pip)
			}
		})
	}
}

// TestCPUCores reads worker-template CPU quantities as cores, as old hubs
// wrote them: numbers, quoted numbers and millicores; anything else is not
// a CPU count.
func TestCPUCores(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want float64
		ok   bool
	}{
		{int64(2), 2, true},
		{1.5, 1.5, true},
		{"1.75", 1.75, true},
		{" 2 ", 2, true},
		{"1750m", 1.75, true},
		{"500m", 0.5, true},
		{"two", 0, false},
		{"NaN", 0, false},
		{"m", 0, false},
		{nil, 0, false},
		{true, 0, false},
	} {
		got, ok := cpuCores(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("cpuCores(%#v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if v := coresValue(2); v != int64(2) {
		t.Errorf("coresValue(2) = %#v, want int64 2", v)
	}
	if v := coresValue(1.75); v != 1.75 {
		t.Errorf("coresValue(1.75) = %#v, want 1.75", v)
	}
}
