package scaffold

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
)

func openRepo(t *testing.T) *hubfile.Env {
	t.Helper()
	e, err := hubfile.Open("../..")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkFile: the file is formatted CUE of package hubs declaring the hub.
func checkFile(t *testing.T, r *Result, name string) {
	t.Helper()
	f, err := parser.ParseFile(r.Path, r.Data, parser.ParseComments)
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", r.Path, err, r.Data)
	}
	if f.PackageName() != "hubs" {
		t.Errorf("%s: package %q", r.Path, f.PackageName())
	}
	formatted, err := format.Source(r.Data)
	if err != nil || !bytes.Equal(formatted, r.Data) {
		t.Errorf("%s is not cue fmt'ed (%v):\n%s", r.Path, err, r.Data)
	}
	if !bytes.Contains(r.Data, []byte("TODO(operator)")) {
		t.Errorf("%s has no TODO(operator)", r.Path)
	}
	if _, err := readSource(r.Path, r.Data, name); err != nil {
		t.Errorf("%s: %v", r.Path, err)
	}
}

func TestNewFrom(t *testing.T) {
	e := openRepo(t)
	for _, tc := range []struct {
		from, templates string
		has             []string
	}{
		{"alpha", "#PangeoHub", []string{`hubs: zulu: #PangeoHub & {`, `cluster:  "zulu"`, `"us-central1-docker.pkg.dev/pangeo-ocean/hubs/zulu-notebook"`, `"staging.zulu.example.org"`}},
		{"bravo", "", []string{`hubs: zulu: {`, `oauth2: {`, `roleArn:`, `pangeo-glaciers-zulu"`}},
		{"charlie", "#PangeoHub", []string{`owners: ["rabernat", "jhamman"]`, `"pangeoatmos.azurecr.io/zulu-notebook"`}},
	} {
		t.Run(tc.from, func(t *testing.T) {
			r, err := New(e, Options{Name: "zulu", From: tc.from, Command: "pangeo-gen new zulu --from " + tc.from})
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, r, "zulu")
			if got := strings.Join(r.Templates, " & "); got != tc.templates {
				t.Errorf("templates %q, want %q", got, tc.templates)
			}
			for _, s := range tc.has {
				if !bytes.Contains(r.Data, []byte(s)) {
					t.Errorf("file lacks %s:\n%s", s, r.Data)
				}
			}
		})
	}
	_, err := New(e, Options{Name: "zulu", From: "nosuchhub"})
	if want := `--from: no hub named "nosuchhub" (hubs: alpha, bravo, charlie)`; err == nil || err.Error() != want {
		t.Errorf("--from an unknown hub: got %v, want %s", err, want)
	}
}

func TestNewStarter(t *testing.T) {
	e := openRepo(t)
	for _, p := range Providers {
		r, err := New(e, Options{Name: "zulu", Provider: p, Command: "x"})
		if err != nil {
			t.Fatal(err)
		}
		checkFile(t, r, "zulu")
		if !regexp.MustCompile(`provider: +"`+p+`"`).Match(r.Data) || !bytes.Contains(r.Data, []byte("#PangeoHub & {")) {
			t.Errorf("%s starter:\n%s", p, r.Data)
		}
	}
	if _, err := New(e, Options{Name: "zulu", Provider: "ibm"}); err == nil {
		t.Error("unknown provider: no error")
	}
}

// Without #PangeoHub in the package, a starter states every required
// field.
func TestNewStarterStandalone(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"cue.mod", "schema"} {
		copyTree(t, filepath.Join("../..", dir), filepath.Join(root, dir))
	}
	copyTree(t, "../../hubs/hubs.cue", filepath.Join(root, "hubs", "hubs.cue"))
	copyTree(t, "../../hubs/bravo.cue", filepath.Join(root, "hubs", "bravo.cue"))
	e, err := hubfile.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(e, Options{Name: "zulu", Provider: "azure", Command: "x"})
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, r, "zulu")
	for _, s := range []string{"hubs: zulu: {", "owners: [", "contact: ", "auth: github: orgs: [", `dependencies: ["python=3.12"]`} {
		if !bytes.Contains(r.Data, []byte(s)) {
			t.Errorf("standalone starter lacks %s:\n%s", s, r.Data)
		}
	}
}

func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
