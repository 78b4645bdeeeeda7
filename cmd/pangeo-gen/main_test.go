package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// UpdateGoldenEnv rewrites the golden files of testdata/script when set:
// PANGEO_GEN_UPDATE_GOLDEN=1 go test ./cmd/pangeo-gen
const UpdateGoldenEnv = "PANGEO_GEN_UPDATE_GOLDEN"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pangeo-gen": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := load.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestScripts runs testdata/script/*.txtar. Each script starts in a $WORK
// holding the repository's cue.mod/ and schema/; `federation` adds the
// repository's hubs/.
func TestScripts(t *testing.T) {
	root := repoRoot(t)
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(root, "testdata", "script"),
		UpdateScripts: os.Getenv(UpdateGoldenEnv) != "",
		Setup: func(env *testscript.Env) error {
			for _, dir := range []string{"cue.mod", "schema"} {
				if err := copyDir(filepath.Join(root, dir), filepath.Join(env.WorkDir, dir)); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"federation": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Check(copyDir(filepath.Join(root, "hubs"), ts.MkAbs("hubs")))
			},
			"cmpyaml": cmpYAML,
		},
	})
}

// cmpYAML compares two YAML (or JSON) files as data: cmpyaml got want.
func cmpYAML(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpyaml got want")
	}
	var got, want any
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[0])), &got))
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[1])), &want))
	eq := reflect.DeepEqual(got, want)
	if eq == neg {
		if neg {
			ts.Fatalf("%s and %s are equal as data", args[0], args[1])
		}
		g, _ := yaml.Marshal(got)
		w, _ := yaml.Marshal(want)
		ts.Fatalf("%s and %s differ as data:\n--- got\n%s--- want\n%s", args[0], args[1], g, w)
	}
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// TestExitCodes: 0 ok, 1 findings or failure, 2 bad usage.
func TestExitCodes(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--root", root, "image", "tag", "alpha"}, 0, ""},
		{[]string{"--root", root, "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"--root", root, "image", "tag"}, 2, "accepts 1 arg(s)"},
		{[]string{"--root", root, "vet", "--format", "xml"}, 2, "--format must be text or json"},
		{[]string{"--root", root, "vet", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
		{[]string{"--root", root, "image", "tag", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
		{[]string{"--root", t.TempDir(), "vet"}, 1, "no cue.mod found"},
	} {
		t.Run(strings.Join(tc.args[2:], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stderr lacks %q:\n%s", tc.err, stderr.String())
			}
		})
	}
}

// TestRepositoryIsCurrent: the committed deployments/ tree is what gen
// writes, so `gen` on a clean checkout changes nothing.
func TestRepositoryIsCurrent(t *testing.T) {
	root := repoRoot(t)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--root", root, "gen", "--dry-run"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gen --dry-run: exit %d\n%s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("gen would change the committed tree:\n%s", stdout.String())
	}
}

var _ = fmt.Sprint
