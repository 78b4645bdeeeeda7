package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
		if h.Cloud.Provider != tc.provider || h.Dask.Backend != tc.backend || h.Source() != tc.source {
			t.Errorf("%s: provider %s backend %s source %s", tc.name, h.Cloud.Provider, h.Dask.Backend, h.Source())
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
	if !reflect.DeepEqual(a.Notebook.Profiles[0], c.Notebook.Profiles[0]) || a.Image.Repository == c.Image.Repository {
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

// modelHub is a valid hub; `// HERE` lines are where a case adds fields.
const modelHub = `package hubs

import "github.com/pangeo-data/pangeo-gen/schema"

hubs: [N=string]: schema.#Hub & {name: N}

hubs: one: {
	title: "Hub One"
	owners: ["octocat"]
	contact: "admins@one.example.org"
	environments: {
		staging: domain: "staging.one.example.org"
		prod: domain:    "one.example.org"
		// ENV
	}
	cloud: {
		provider: "gcp"
		project:  "pangeo-one"
		location: "us-central1-b"
		cluster:  "one"
		nodePools: {
			core: {machineType: "n2-standard-2", min: 1, max: 2}
			user: {machineType: "n2-highmem-8", max: 10}
			dask: {machineType: "n2-highmem-4", max: 20}
		}
		// CLOUD
	}
	image: {
		repository: "us-central1-docker.pkg.dev/pangeo-one/hubs/notebook"
		conda: dependencies: ["python=3.12", "dask-gateway=2026.3.0"]
	}
	auth: github: orgs: ["pangeo-data"]
	// HUB
}
`

// TestLoadRefusesFieldWithoutModel adds a field to the schema (a file of
// its own in schema/, which unifies with hub.cue's definitions), sets it in
// a hub and loads with the Go model unchanged: the field has no home in
// internal/hub, so load fails loudly, naming the field's CUE path and its
// position in the hub file, instead of dropping it. A value the model's Go
// type cannot hold is refused the same way, with a message.
func TestLoadRefusesFieldWithoutModel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		schema     string            // added to package schema; "" for none
		set        map[string]string // marker -> field written there
		path, line string            // the error's CUE path; its position in hubs/one.cue
		msg        string
	}{
		{"hub field", `#Hub: newField: string | *""`, map[string]string{"HUB": `newField: "gs://one-scratch"`},
			"hubs.one.newField", "hubs/one.cue:33:12", "the schema has this field but the Go hub model does not (no field of hub.Hub is newField)"},
		{"field of a provider (hand-written union)", `#GCP: zoneHint?: string`, map[string]string{"CLOUD": `zoneHint: "b"`},
			"hubs.one.cloud.zoneHint", "hubs/one.cue:26:13", "(no field of hub.Cloud is zoneHint)"},
		{"field of an environment", `#Environment: region?: string`, map[string]string{"ENV": `prod: region: "eu"`},
			"hubs.one.environments.prod.region", "hubs/one.cue:14:17", "(no field of hub.Env is region)"},
		{"field of a Dask backend (union variant)", `#GatewayDask: gpus: int | *0`, map[string]string{"HUB": `dask: gpus: 1`},
			"hubs.one.dask.gpus", "hubs/one.cue:33:14", "the schema has this field but the Go hub model does not"},
		{"another environment", `#Hub: environments: dev?: #Environment`, map[string]string{"ENV": `dev: domain: "dev.one.example.org"`},
			"hubs.one.environments.dev", "hubs/one.cue:14:3", "(hub.Environments holds staging, prod only)"},
		{"a value Go's int cannot hold", "", map[string]string{"CLOUD": `nodePools: user: cpu: 99999999999999999999`},
			"hubs.one.cloud.nodePools.user.cpu", "hubs/one.cue:26:25", "is 99999999999999999999, which the Go hub model's int cannot hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := modelHub
			for marker, field := range tc.set {
				body = strings.Replace(body, "// "+marker, field, 1)
			}
			root := writeRepo(t, map[string]string{"one.cue": body})
			if tc.schema != "" {
				write(t, root, "schema/scratch.cue", "package schema\n\n"+tc.schema+"\n")
			}
			_, err := Load(root)
			if err == nil {
				t.Fatal("loaded without an error: the field was dropped")
			}
			errs := errors.Errors(err)
			if len(errs) != 1 {
				t.Fatalf("want one problem, got %d:\n%s", len(errs), errors.Details(err, &errors.Config{Cwd: root, ToSlash: true}))
			}
			e := errs[0]
			if got := strings.Join(e.Path(), "."); got != tc.path {
				t.Errorf("path = %s, want %s", got, tc.path)
			}
			pos := e.Position()
			rel, _ := filepath.Rel(root, pos.Filename())
			if got := fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), pos.Line(), pos.Column()); got != tc.line {
				t.Errorf("position = %s, want %s", got, tc.line)
			}
			format, args := e.Msg()
			if msg := fmt.Sprintf(format, args...); msg == "" || !strings.Contains(msg, tc.msg) {
				t.Errorf("message = %q, want it to hold %q", msg, tc.msg)
			}
		})
	}
}
