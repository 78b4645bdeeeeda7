package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render/rendertest"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

// referenceFederation is the monorepo of ../shared/reference whose hubs
// the import tests take as old hubs.
const referenceFederation = "reference/pangeo-cloud-federation"

// hubsCUE is the hubs: map of an empty federation, as the import scripts
// have it.
const hubsCUE = `package hubs

import "github.com/pangeo-data/pangeo-gen/schema"

hubs: [Name=string]: schema.#Hub & {name: Name}
`

// importFixture is an old hub the import tests have: how to lay out the
// work folder of a federation holding it under old/, and the arguments of
// the import of it.
type importFixture struct {
	name  string
	setup func(t *testing.T, work string)
	// args are those of `pangeo-gen import`, without --upgrade.
	args []string
	// refused says why the fixture has no import that succeeds.
	refused string
}

// TestImportRender imports, with --upgrade, every old hub of the import
// tests: both reference hubs, internal/hubimport/testdata/nfs-workers and
// the old hub of every testdata/script/import_*.txtar (importScriptFixture
// says which), generates the federation, renders each hub-env once with
// the real jupyterhub and dask-gateway charts of ../shared/upstream/charts
// (their values schemas enforced, placeholder secrets, offline) and
// decodes every object strictly (rendertest.StrictStream), and the classic
// Dask worker template of the generated image, the pod dask-kubernetes
// makes, strictly as a v1 Pod. A fixture with the same old folder as one
// before it is not rendered again.
func TestImportRender(t *testing.T) {
	root := repoRoot(t)
	shareddata.Path(t, referenceFederation)
	for _, name := range []string{releasetest.JupyterHub, releasetest.DaskGateway} {
		shareddata.Path(t, releasetest.UpstreamDir(name))
	}
	t.Setenv(charts.EnvCache, t.TempDir()) // only what a script vendors

	fixtures := []importFixture{
		referenceFixture("ocean", "2019-08/deployments/ocean"),
		referenceFixture("gcp-uscentral1b", "2024-02/deployments/gcp-uscentral1b"),
		{
			name: "hubimport/nfs-workers",
			setup: func(t *testing.T, work string) {
				if err := copyDir(filepath.Join(root, "internal", "hubimport", "testdata", "nfs-workers"), filepath.Join(work, "old", "nfs-workers")); err != nil {
					t.Fatal(err)
				}
			},
			args: []string{"old/nfs-workers"},
		},
	}
	scripts, err := filepath.Glob(filepath.Join(root, "testdata", "script", "import_*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no import script (%v)", err)
	}
	for _, s := range scripts {
		fixtures = append(fixtures, importScriptFixture(t, s))
	}

	dec := rendertest.StrictDecoder(t)
	seen := map[[sha256.Size]byte]string{}
	var rendered []string
	ran, refused := 0, 0 // the fixtures run (rendered or duplicates) and those skipped as refused; -run may select some
	nCR := 0             // the custom resources checked against their CRDs
	nWorkers := 0        // the classic Dask worker templates decoded
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			if fx.refused != "" {
				refused++
				t.Skip(fx.refused)
			}
			ran++
			work := t.TempDir()
			for _, dir := range []string{"cue.mod", "schema"} {
				if err := copyDir(filepath.Join(root, dir), filepath.Join(work, dir)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(filepath.Join(work, "hubs"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, "hubs", "hubs.cue"), []byte(hubsCUE), 0o644); err != nil {
				t.Fatal(err)
			}
			fx.setup(t, work)
			sum := folderSum(t, filepath.Join(work, fx.args[0]))
			if first, ok := seen[sum]; ok {
				t.Skipf("the old hub of %s, rendered there", first)
			}
			seen[sum] = fx.name
			rendered = append(rendered, fx.name)

			name := filepath.Base(fx.args[0])
			if i := slices.Index(fx.args, "--name"); i >= 0 && i+1 < len(fx.args) {
				name = fx.args[i+1]
			}
			args := append([]string{"--root", work, "import", filepath.Join(work, fx.args[0])}, fx.args[1:]...)
			mainOK(t, append(args, "--upgrade")...)
			mainOK(t, "--root", work, "gen")
			nWorkers += strictWorkerTemplate(t, filepath.Join(work, "deployments", name, "image", ".dask", "config.yaml"))
			chart := releasetest.UpstreamUmbrella(t, work)
			for _, env := range hub.EnvNames {
				y := mainOK(t, "--root", work, "render", name, "--env", env, "--chart", chart, "--placeholder-secrets", "--offline")
				n, _ := rendertest.StrictStream(t, dec, name+"-"+env, y)
				nCR += n
				if !bytes.Contains(y, []byte("\nkind: Deployment\n")) {
					t.Errorf("%s-%s: no Deployment rendered", name, env)
				}
			}
		})
	}
	// Rendered: the two reference hubs, nfs-workers and the nine old hubs
	// of the scripts that are neither a reference hub as it is (import_ocean,
	// import_gcp_uscentral1b, import_render, import_upgrade) nor refused
	// (import_values_shapes). The hubs with a gateway render traefik's
	// custom resources of the dask-gateway chart.
	if ran+refused < len(fixtures) {
		return // -run selected some
	}
	if len(rendered) != 12 {
		t.Errorf("%d old hubs rendered, want 12: %v", len(rendered), rendered)
	}
	if nCR == 0 {
		t.Error("no custom resource checked against its CRD")
	}
	if nWorkers == 0 {
		t.Error("no classic Dask worker template checked")
	}
}

// strictWorkerTemplate decodes the classic Dask worker template of the
// image's generated Dask config at path (kubernetes.worker-template, the
// pod dask-kubernetes creates for each worker, not a rendered object)
// strictly into a v1 Pod: 1 when the config has one, 0 when it has none
// (a hub on dask-gateway or without Dask).
func strictWorkerTemplate(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Kubernetes struct {
			WorkerTemplate json.RawMessage `json:"worker-template"`
		} `json:"kubernetes"`
	}
	if err := sigsyaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(cfg.Kubernetes.WorkerTemplate) == 0 {
		return 0
	}
	var pod corev1.Pod
	if err := sigsyaml.UnmarshalStrict(cfg.Kubernetes.WorkerTemplate, &pod); err != nil {
		t.Errorf("%s: kubernetes.worker-template is not a v1 Pod: %v", path, err)
	}
	if len(pod.Spec.Containers) == 0 {
		t.Errorf("%s: kubernetes.worker-template has no container", path)
	}
	return 1
}

// referenceFixture is the hub of ../shared/reference's monorepo at src,
// imported as old/NAME.
func referenceFixture(name, src string) importFixture {
	return importFixture{
		name: "reference/" + name,
		setup: func(t *testing.T, work string) {
			if err := copyDir(shareddata.Path(t, referenceFederation+"/"+src), filepath.Join(work, "old", name)); err != nil {
				t.Fatal(err)
			}
		},
		args: []string{"old/" + name},
	}
}

// allowLoss are the import scripts whose old hub imports only with
// --allow-loss, and why: their import keeps it.
var allowLoss = map[string]string{
	"import_refuse": "links out of the old hub's folder (postBuild to /etc/passwd, start to a credentials file) are losses by design",
}

// importScriptFixture is the old hub of the import script at path, as
// its first import that succeeds (`exec pangeo-gen import ARGS`, without
// `!`) reads it: the archive's files, then the script's commands before
// that import replayed (reference, cp, symlink, testvendor; the checks of the
// output and refused imports are ignored, another command fails the
// test). Its arguments are that import's, without --allow-loss (but for
// the scripts of allowLoss). A script
// without such an import is about refusals: the fixture is refused.
func importScriptFixture(t *testing.T, path string) importFixture {
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fx := importFixture{name: strings.TrimSuffix(filepath.Base(path), ".txtar")}
	var before [][]string
	for _, line := range strings.Split(string(a.Comment), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") { // a condition: the shared data, required above
			if _, rest, ok := strings.Cut(line, "]"); ok {
				line = strings.TrimSpace(rest)
			}
		}
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "exec" && f[1] == "pangeo-gen" && f[2] == "import" {
			for _, arg := range f[3:] {
				if arg != "--allow-loss" && arg != "--upgrade" || arg == "--allow-loss" && allowLoss[fx.name] != "" {
					fx.args = append(fx.args, arg)
				}
			}
			break
		}
		before = append(before, f)
	}
	if fx.args == nil {
		fx.refused = fmt.Sprintf("%s: no import without ! (a script of refusals)", filepath.Base(path))
		return fx
	}
	fx.setup = func(t *testing.T, work string) {
		for _, f := range a.Files {
			p := filepath.Join(work, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range before {
			var err error
			switch {
			case f[0] == "skip" || f[0] == "stdout" || f[0] == "stderr" || f[0] == "cmp" || f[0] == "grep" || f[0] == "exists":
			case f[0] == "!": // a refused command writes nothing
			case f[0] == "reference" && len(f) == 3:
				err = copyDir(shareddata.Path(t, referenceFederation+"/"+f[1]), filepath.Join(work, f[2]))
			case f[0] == "cp" && len(f) == 3 && f[1] != "stdout" && f[1] != "stderr":
				err = copyDir(filepath.Join(work, f[1]), filepath.Join(work, f[2]))
			case f[0] == "symlink" && len(f) == 4 && f[2] == "->":
				err = os.Symlink(f[3], filepath.Join(work, f[1]))
			case f[0] == "testvendor" && len(f) == 2:
				err = releasetest.Upstream.WriteVendor(filepath.Join(work, f[1]), "", "")
			default:
				t.Fatalf("%s: %q before the import: not replayed", filepath.Base(path), strings.Join(f, " "))
			}
			if err != nil {
				t.Fatalf("%s: %s: %v", filepath.Base(path), strings.Join(f, " "), err)
			}
		}
	}
	return fx
}

// mainOK runs pangeo-gen with args (pangeoGen), which must succeed, and
// returns its standard output.
func mainOK(t *testing.T, args ...string) []byte {
	t.Helper()
	code, stdout, stderr := pangeoGen(t, args...)
	if code != 0 {
		t.Fatalf("pangeo-gen %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return []byte(stdout)
}

// folderSum is a digest of the files of dir: their paths and contents (a
// link's target).
func folderSum(t *testing.T, dir string) [sha256.Size]byte {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var data []byte
		if d.Type()&fs.ModeSymlink != 0 {
			var to string
			to, err = os.Readlink(p)
			data = []byte("-> " + to)
		} else {
			data, err = os.ReadFile(p)
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return [sha256.Size]byte(h.Sum(nil))
}
