package binder

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
)

// TestReadImage: .binder/ is the configuration folder when there is no
// binder/; the top README is marked; .git, .gitignore, binary and large
// files are not taken.
func TestReadImage(t *testing.T) {
	e, err := hubfile.Open("../..")
	if err != nil {
		t.Fatal(err)
	}
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
	s, err := Read(e, dir, "https://example.org/tutorial")
	if err != nil {
		t.Fatal(err)
	}
	if s.Folder != ".binder" {
		t.Errorf("binder %q", s.Folder)
	}
	if got := strings.Join(s.Conda.Dependencies, ","); got != "python=3.12" {
		t.Errorf("dependencies %q", got)
	}
	if got := strings.Join(s.Conda.Pip, ","); got != "requests==2.32.3" {
		t.Errorf("pip %q", got)
	}
	if got := strings.Join(slices.Sorted(maps.Keys(s.Files)), ","); got != "README.rst,docs/README.md" {
		t.Errorf("files %q", got)
	}
	if !strings.HasPrefix(s.Files["README.rst"], ".. TODO(operator): adapt this README from https://example.org/tutorial to the hub\n\nTutorial\n") {
		t.Errorf("README.rst not marked:\n%s", s.Files["README.rst"])
	}
	if s.Files["docs/README.md"] != "nested\n" {
		t.Errorf("docs/README.md marked:\n%s", s.Files["docs/README.md"])
	}
	if got := strings.Join(s.Skipped, "; "); got != ".github/workflows/ci.yml: a path image.files does not take; data/big.csv: larger than 256 KiB; data/zero.bin: binary" {
		t.Errorf("skipped %q", got)
	}
	if got := strings.Join(s.Notes[""], "; "); !strings.Contains(got, ".binder/install.R: not converted") {
		t.Errorf("notes %q", got)
	}
}

// TestReadImageLinks: new --image-from reads the checkout as import reads
// an old hub's folder: a binder/ that is a link (out of the checkout) is
// not the configuration folder, links are not taken, and nothing is read
// through them.
func TestReadImageLinks(t *testing.T) {
	e, err := hubfile.Open("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	outside := t.TempDir()
	const canary = "canary-7c2d"
	if err := os.WriteFile(filepath.Join(outside, "environment.yml"), []byte("dependencies: ["+canary+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "environment.yml"), []byte("dependencies: [python=3.12]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "binder")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "environment.yml"), filepath.Join(dir, "notes.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Read(e, dir, "https://example.org/tutorial")
	if err != nil {
		t.Fatal(err)
	}
	if s.Folder != "" {
		t.Errorf("binder %q, want the top folder: binder is a link", s.Folder)
	}
	if got := strings.Join(s.Conda.Dependencies, ","); got != "python=3.12" {
		t.Errorf("dependencies %q, want the top environment.yml's", got)
	}
	if got := strings.Join(s.Skipped, "; "); got != "binder: not a regular file; notes.md: not a regular file; pipe.txt: not a regular file" {
		t.Errorf("skipped %q", got)
	}
	for rel, data := range s.Files {
		if strings.Contains(data, canary) {
			t.Errorf("%s holds what a link points at", rel)
		}
	}
}
