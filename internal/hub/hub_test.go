package hub

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
)

// repoRoot is the repository root, two folders up from internal/hub.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cue.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// cueTool is the cue command of the tools module (tools/go.mod), built
// once per test binary into the build cache (go tool -n builds it and
// prints its path).
var cueTool = sync.OnceValues(func() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "-n", "cue")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("go tool -modfile=tools/go.mod -n cue: " + err.Error() + ": " + stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
})

// TestGeneratedModel fails when internal/hub/schema_gen.go is not what
// cue exp gengotypes generates from schema/ now: the Go model and the
// schema can never drift apart unnoticed.
func TestGeneratedModel(t *testing.T) {
	root := repoRoot(t)
	cue, err := cueTool()
	if err != nil {
		t.Fatalf("the cue tool of tools/go.mod does not build: %v", err)
	}
	out := filepath.Join(t.TempDir(), "schema_gen.go")
	cmd := exec.Command(cue, "exp", "gengotypes", "-o", out, "./schema")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cue exp gengotypes ./schema: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "internal", "hub", "schema_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(string(got)), B: difflib.SplitLines(string(want)),
			FromFile: "internal/hub/schema_gen.go (committed)", ToFile: "cue exp gengotypes ./schema", Context: 2,
		})
		t.Errorf("internal/hub/schema_gen.go is not what schema/ generates: run go generate ./internal/hub\n%s", diff)
	}
}

// TestUnionsCoverVariants checks that each hand-written struct of a CUE
// disjunction has a field, of the same Go type, for every field of every
// variant the schema generates: a field added to #GCP, say, is a test
// failure here even before any hub sets it.
func TestUnionsCoverVariants(t *testing.T) {
	for _, tc := range []struct {
		union    any
		variants []any
	}{
		{Cloud{}, []any{GCP{}, AWS{}, Azure{}}},
		{Image{}, []any{PrebuiltImage{}, BuiltImage{}}},
		{Storage{}, []any{DynamicStorage{}, NFSStorage{}}},
		{Secrets{}, []any{GitCrypt{}, Sops{}}},
	} {
		ut := reflect.TypeOf(tc.union)
		have := jsonFields(ut)
		for _, v := range tc.variants {
			vt := reflect.TypeOf(v)
			for name, ft := range jsonFields(vt) {
				switch got, ok := have[name]; {
				case !ok:
					t.Errorf("%s has no field for %s.%s (json %q): add it to internal/hub/hub.go", ut.Name(), vt.Name(), name, name)
				case got != ft:
					t.Errorf("%s field %q is %s, but %s's is %s", ut.Name(), name, got, vt.Name(), ft)
				}
			}
		}
	}
}

// TestDecodeStrict decodes hub JSON with a field the model has no home
// for, or a value it cannot hold: each is an error with the field's path,
// at every depth and in every kind of hand-written type.
func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		path       string // "": decodes
		msg        string
	}{
		{"known fields", `{"name":"one","cloud":{"provider":"gcp","project":"p","nodePools":{"core":{"min":1}}},"dask":{"backend":"gateway","worker":{"cores":{"min":1}}}}`, "", ""},
		{"hub field", `{"name":"one","scratchBucket":"gs://x"}`, "scratchBucket", "the schema has this field but the Go hub model does not (no field of hub.Hub is scratchBucket)"},
		{"generated nested struct", `{"notebook":{"cpu":{"guarantee":1,"burst":2}}}`, "notebook.cpu.burst", "(no field of hub.CPU is burst)"},
		{"list element", `{"notebook":{"profiles":[{"slug":"a"},{"slug":"b","gpu":1}]}}`, "notebook.profiles[1].gpu", "(no field of hub.Profile is gpu)"},
		{"hand-written flat union", `{"cloud":{"provider":"gcp","zoneHint":"b"}}`, "cloud.zoneHint", "(no field of hub.Cloud is zoneHint)"},
		{"union variant", `{"dask":{"backend":"kubernetes","worker":{"cores":2,"gpus":1}}}`, "dask.worker.gpus", "the schema has this field but the Go hub model does not"},
		{"union variant unknown", `{"dask":{"backend":"ray"}}`, "dask", `unknown Dask backend "ray"`},
		{"environment", `{"environments":{"staging":{"domain":"a.org"},"dev":{"domain":"b.org"}}}`, "environments.dev", "(hub.Environments holds staging, prod only)"},
		{"environment field", `{"environments":{"prod":{"domain":"a.org","region":"eu"}}}`, "environments.prod.region", "(no field of hub.Env is region)"},
		{"map of structs", `{"catalogs":{"cmr":{"url":"https://x.org","auth":true}}}`, "catalogs.cmr.auth", "(no field of hub.Catalog is auth)"},
		{"quoted label", `{"catalogs":{"a-b":{"url":1}}}`, `catalogs."a-b".url`, "is the number 1, but the Go hub model holds a string here"},
		{"int overflow", `{"cloud":{"nodePools":{"core":{"cpu":99999999999999999999}}}}`, "cloud.nodePools.core.cpu", "is 99999999999999999999, which the Go hub model's int cannot hold (a whole number from -9223372036854775808 to 9223372036854775807)"},
		{"not whole", `{"culling":{"notebookMaxAge":1.5}}`, "culling.notebookMaxAge", "is 1.5, which the Go hub model's int cannot hold"},
		{"wrong kind", `{"title":["a"]}`, "title", "is a list, but the Go hub model holds a string here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Decode([]byte(tc.json))
			if tc.path == "" {
				if err != nil || h == nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode: want a FieldError at %s, got %v", tc.path, err)
			}
			if got := JoinPath(fe.Path); got != tc.path {
				t.Errorf("path = %s, want %s", got, tc.path)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("message = %q, want it to hold %q", fe.Msg, tc.msg)
			}
		})
	}
}

// TestDecodeStrictUnmarshal checks the second line of defence: the
// hand-written UnmarshalJSON methods refuse unknown fields themselves,
// for a caller that decodes with encoding/json directly.
func TestDecodeStrictUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		into       any
	}{
		{"dask variant", `{"backend":"gateway","worker":{"cores":{"min":1},"gpus":1}}`, new(Dask)},
		{"environments", `{"dev":{"domain":"a.org"}}`, new(Environments)},
		{"environment field", `{"prod":{"domain":"a.org","region":"eu"}}`, new(Environments)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := decodeStrict([]byte(tc.json), tc.into); err == nil {
				t.Errorf("decoded %s into %T without an error", tc.json, tc.into)
			}
		})
	}
}
