package scaffold

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
)

func openRepo(t *testing.T) *Env {
	t.Helper()
	e, err := Open("../..")
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
			r, err := e.New(Options{Name: "zulu", From: tc.from, Command: "pangeo-gen new zulu --from " + tc.from})
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
	_, err := e.New(Options{Name: "zulu", From: "nosuchhub"})
	if want := `--from: no hub named "nosuchhub" (hubs: alpha, bravo, charlie)`; err == nil || err.Error() != want {
		t.Errorf("--from an unknown hub: got %v, want %s", err, want)
	}
}

func TestNewStarter(t *testing.T) {
	e := openRepo(t)
	for _, p := range Providers {
		r, err := e.New(Options{Name: "zulu", Provider: p, Command: "x"})
		if err != nil {
			t.Fatal(err)
		}
		checkFile(t, r, "zulu")
		if !regexp.MustCompile(`provider: +"`+p+`"`).Match(r.Data) || !bytes.Contains(r.Data, []byte("#PangeoHub & {")) {
			t.Errorf("%s starter:\n%s", p, r.Data)
		}
	}
	if _, err := e.New(Options{Name: "zulu", Provider: "ibm"}); err == nil {
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
	e, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.New(Options{Name: "zulu", Provider: "azure", Command: "x"})
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

func TestCheckNameAndFree(t *testing.T) {
	e := openRepo(t)
	for _, name := range []string{"a", "delta", "hub-2", strings.Repeat("a", 45)} {
		if err := e.CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "Delta", "../x", "x/y", "-x", "x-", "2x", strings.Repeat("a", 46), "chart", "delta.cue"} {
		var ne *NameError
		if err := e.CheckName(name); !errors.As(err, &ne) {
			t.Errorf("CheckName(%q) = %v, want a NameError", name, err)
		}
	}
	for _, name := range []string{"alpha", "templates", "hubs"} {
		var ee *ExistsError
		if err := e.CheckFree(name); !errors.As(err, &ee) {
			t.Errorf("CheckFree(%q) = %v, want an ExistsError", name, err)
		}
	}
	if err := e.CheckFree("zulu"); err != nil {
		t.Errorf("CheckFree(zulu): %v", err)
	}
}

// readImage: .binder/ is the configuration folder when there is no
// binder/; the top README is marked; .git, .gitignore, binary and large
// files are not taken.
func TestReadImage(t *testing.T) {
	e := openRepo(t)
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".binder/environment.yml", "dependencies: [python=3.12]\n")
	write(".binder/requirements.txt", "requests==2.32.3\n")
	write(".binder/install.R", "install.packages('x')\n")
	write("README.rst", "Tutorial\n========\n")
	write("docs/README.md", "nested\n")
	write(".gitignore", "*.nc\n")
	write(".git/config", "[core]\n")
	write(".github/workflows/ci.yml", "on: push\n")
	write("data/big.csv", strings.Repeat("x", MaxFileSize+1))
	write("data/zero.bin", "a\x00b")
	s, err := e.readImage(&Repo{URL: "https://example.org/tutorial", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.binder != ".binder" {
		t.Errorf("binder %q", s.binder)
	}
	if got := strings.Join(s.conda.Dependencies, ","); got != "python=3.12" {
		t.Errorf("dependencies %q", got)
	}
	if got := strings.Join(s.conda.Pip, ","); got != "requests==2.32.3" {
		t.Errorf("pip %q", got)
	}
	if got := strings.Join(sortedKeys(s.files), ","); got != "README.rst,docs/README.md" {
		t.Errorf("files %q", got)
	}
	if !strings.HasPrefix(s.files["README.rst"], ".. TODO(operator): adapt this README from https://example.org/tutorial to the hub\n\nTutorial\n") {
		t.Errorf("README.rst not marked:\n%s", s.files["README.rst"])
	}
	if s.files["docs/README.md"] != "nested\n" {
		t.Errorf("docs/README.md marked:\n%s", s.files["docs/README.md"])
	}
	if got := strings.Join(s.skipped, "; "); got != ".github/workflows/ci.yml: a path image.files does not take; data/big.csv: larger than 256 KiB; data/zero.bin: binary" {
		t.Errorf("skipped %q", got)
	}
	if got := strings.Join(s.notes[""], "; "); !strings.Contains(got, ".binder/install.R: not converted") {
		t.Errorf("notes %q", got)
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
