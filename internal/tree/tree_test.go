package tree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
)

func file(p, data string) gen.File { return gen.File{Path: p, Mode: 0o644, Data: []byte(data)} }

func write(t *testing.T, root, rel, data string, mode os.FileMode) {
	t.Helper()
	if err := WriteFile(root, rel, mode, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, root, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// generated sets up root as if gen had written files before.
func generated(t *testing.T, root string, files ...gen.File) {
	t.Helper()
	p, err := Compare(root, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
}

func TestCompareActions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, root string)
		files  []gen.File
		want   map[string]Action
	}{
		{"absent is created", func(*testing.T, string) {}, []gen.File{file("deployments/a/x", "1")}, map[string]Action{"deployments/a/x": Create}},
		{"equal is kept", func(t *testing.T, r string) { generated(t, r, file("deployments/a/x", "1")) },
			[]gen.File{file("deployments/a/x", "1")}, map[string]Action{"deployments/a/x": Keep}},
		{"stale is updated", func(t *testing.T, r string) { generated(t, r, file("deployments/a/x", "1")) },
			[]gen.File{file("deployments/a/x", "2")}, map[string]Action{"deployments/a/x": Update}},
		{"hand edit is refused", func(t *testing.T, r string) {
			generated(t, r, file("deployments/a/x", "1"))
			write(t, r, "deployments/a/x", "edited", 0o644)
		}, []gen.File{file("deployments/a/x", "2")}, map[string]Action{"deployments/a/x": Edited}},
		{"a file gen did not write is foreign", func(t *testing.T, r string) { write(t, r, "deployments/a/x", "mine", 0o644) },
			[]gen.File{file("deployments/a/x", "2")}, map[string]Action{"deployments/a/x": Foreign}},
		{"an orphan is deleted", func(t *testing.T, r string) { generated(t, r, file("deployments/old/x", "1")) },
			nil, map[string]Action{"deployments/old/x": Delete}},
		{"an edited orphan is kept and reported", func(t *testing.T, r string) {
			generated(t, r, file("deployments/old/x", "1"))
			write(t, r, "deployments/old/x", "edited", 0o644)
		}, nil, map[string]Action{"deployments/old/x": Edited}},
		{"an existing stub is never touched", func(t *testing.T, r string) { write(t, r, "deployments/a/secrets/prod.yaml", "filled", 0o644) },
			[]gen.File{{Path: "deployments/a/secrets/prod.yaml", Mode: 0o644, Data: []byte("stub"), Stub: true}},
			map[string]Action{"deployments/a/secrets/prod.yaml": Keep}},
		{"a mode change is stale", func(t *testing.T, r string) { generated(t, r, file("deployments/a/x", "1")) },
			[]gen.File{{Path: "deployments/a/x", Mode: 0o755, Data: []byte("1")}}, map[string]Action{"deployments/a/x": Update}},
		{"group bits from the umask are not a change", func(t *testing.T, r string) {
			generated(t, r, file("deployments/a/x", "1"))
			os.Chmod(filepath.Join(r, "deployments/a/x"), 0o664)
		}, []gen.File{file("deployments/a/x", "1")}, map[string]Action{"deployments/a/x": Keep}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.before(t, root)
			p, err := Compare(root, tc.files, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Action{}
			for _, c := range p.Changes {
				got[c.Path] = c.Action
			}
			for path, want := range tc.want {
				if got[path] != want {
					t.Errorf("%s: %v, want %v", path, got[path], want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("changes %v, want %v", got, tc.want)
			}
		})
	}
}

func TestApplyRefusesWithoutWriting(t *testing.T) {
	root := t.TempDir()
	generated(t, root, file("deployments/a/x", "1"), file("deployments/a/y", "1"))
	write(t, root, "deployments/a/x", "edited", 0o644)
	p, err := Compare(root, []gen.File{file("deployments/a/x", "2"), file("deployments/a/y", "2"), file("deployments/a/z", "new")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(false)
	if err == nil || !strings.Contains(err.Error(), "deployments/a/x was edited by hand") {
		t.Fatalf("Apply = %v", err)
	}
	if read(t, root, "deployments/a/y") != "1" {
		t.Error("y was written although the plan was refused")
	}
	if _, err := os.Stat(filepath.Join(root, "deployments/a/z")); err == nil {
		t.Error("z was created although the plan was refused")
	}
	if err := p.Apply(true); err != nil {
		t.Fatal(err)
	}
	if read(t, root, "deployments/a/x") != "2" || read(t, root, "deployments/a/z") != "new" {
		t.Error("force did not write")
	}
}

func TestForeignIsNeverOverwritten(t *testing.T) {
	root := t.TempDir()
	write(t, root, "deployments/a/x", "mine", 0o644)
	p, err := Compare(root, []gen.File{file("deployments/a/x", "gen")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(true); err == nil {
		t.Fatal("foreign file overwritten with force")
	}
	if read(t, root, "deployments/a/x") != "mine" {
		t.Error("foreign file changed")
	}
}

func TestDeleteOrphansWithinScope(t *testing.T) {
	root := t.TempDir()
	generated(t, root, file("deployments/a/x", "1"), file("deployments/b/x", "1"))
	inA := func(p string) bool { return strings.HasPrefix(p, "deployments/a/") }
	p, err := Compare(root, nil, inA)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "deployments/a")); !os.IsNotExist(err) {
		t.Error("orphan in scope (and its empty folder) not removed")
	}
	if read(t, root, "deployments/b/x") != "1" {
		t.Error("file out of scope removed")
	}
	m, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Files["deployments/b/x"]; !ok || len(m.Files) != 1 {
		t.Errorf("manifest %v", m.Files)
	}
}

func TestWriteFileIsAtomicAndSetsMode(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a/b/run", "#!/bin/sh\n", 0o755)
	fi, err := os.Stat(filepath.Join(root, "a/b/run"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Join(root, "a/b"))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
