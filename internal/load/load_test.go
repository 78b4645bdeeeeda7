package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue/errors"
)

// repoRoot is the root of this repository (it has cue.mod, schema/, hubs/).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestLoadRepositoryHubs(t *testing.T) {
	fed, err := Load(repoRoot(t))
	if err != nil {
		t.Fatal(errors.Details(err, nil))
	}
	if got := strings.Join(fed.Names(), ","); got != "alpha,bravo,charlie" {
		t.Fatalf("hubs = %s", got)
	}
	for _, tc := range []struct {
		name, provider, backend, source string
	}{
		{"alpha", "gcp", "gateway", "hubs/alpha.cue"},
		{"bravo", "aws", "kubernetes", "hubs/bravo.cue"},
		{"charlie", "azure", "gateway", "hubs/charlie.cue"},
	} {
		h := fed.Hub(tc.name)
		if h == nil {
			t.Fatalf("no hub %s", tc.name)
		}
		if h.Cloud.Provider != tc.provider || h.Dask.Backend != tc.backend || h.Source != tc.source {
			t.Errorf("%s: provider %s backend %s source %s", tc.name, h.Cloud.Provider, h.Dask.Backend, h.Source)
		}
		if h.Environments["staging"].Domain == "" || h.Environments["prod"].Domain == "" {
			t.Errorf("%s: missing domains", tc.name)
		}
		if !h.Cloud.NodePools.Dask.Spot || h.Cloud.NodePools.Core.Spot {
			t.Errorf("%s: spot defaults wrong: %+v", tc.name, h.Cloud.NodePools)
		}
	}
	// charlie embeds the template alpha uses and changes what differs.
	a, c := fed.Hub("alpha"), fed.Hub("charlie")
	if a.Notebook.Profiles[0] != c.Notebook.Profiles[0] || a.Image.Repository == c.Image.Repository {
		t.Error("charlie should share alpha's template but not its registry")
	}
	if fed.Pos("alpha", "environments", "prod", "domain").Filename() != filepath.Join(fed.Root, "hubs", "alpha.cue") {
		t.Errorf("position of alpha's prod domain: %v", fed.Pos("alpha", "environments", "prod", "domain"))
	}
}

// writeRepo makes a repository with the real schema and the given hub files.
func writeRepo(t *testing.T, hubs map[string]string) string {
	t.Helper()
	src := repoRoot(t)
	dir := t.TempDir()
	for _, rel := range []string{"cue.mod/module.cue", "schema/hub.cue"} {
		data, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		write(t, dir, rel, string(data))
	}
	os.MkdirAll(filepath.Join(dir, "hubs"), 0o755)
	for name, body := range hubs {
		write(t, dir, "hubs/"+name, body)
	}
	return dir
}

func write(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // substrings of the printed errors
	}{
		{"empty hubs folder", map[string]string{}, []string{"no .cue files"}},
		{"not utf-8", map[string]string{"x.cue": "package hubs\n// caf\xe9\n"}, []string{"hubs/x.cue:2:7", "not UTF-8"}},
		{"syntax error", map[string]string{"x.cue": "package hubs\nhubs: x: {\n"}, []string{"hubs/x.cue:2:12", "expected '}'"}},
		{"hub in the wrong file", map[string]string{"x.cue": "package hubs\n" + `import "github.com/pangeo-data/pangeo-gen/schema"
hubs: [N=string]: schema.#Hub & {name: N}
hubs: y: _
`}, []string{"hubs.y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeRepo(t, tc.files)
			_, err := Load(root)
			if err == nil {
				t.Fatal("no error")
			}
			out := errors.Details(err, &errors.Config{Cwd: root, ToSlash: true})
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("error output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestSplitPath(t *testing.T) {
	for in, want := range map[string]string{
		"notebook.cpu":                      "notebook|cpu",
		"environments.prod.profiles[2].cpu": "environments|prod|profiles|[2]|cpu",
		"image.conda.dependencies[0]":       "image|conda|dependencies|[0]",
		"cloud.nodePools.user.machineType":  "cloud|nodePools|user|machineType",
	} {
		if got := strings.Join(SplitPath(in), "|"); got != want {
			t.Errorf("SplitPath(%q) = %q, want %q", in, got, want)
		}
	}
}
