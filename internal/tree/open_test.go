package tree

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTopOf(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{".", "."},
		{"deployments", "deployments"},
		{"deployments/alpha", "deployments/alpha"},
		{"deployments/alpha/config", "deployments/alpha"},
		{"deployments/alpha/image/binder", "deployments/alpha"},
		{".circleci", ".circleci"},
	} {
		if got := topOf(tc.dir); got != tc.want {
			t.Errorf("topOf(%q) = %q, want %q", tc.dir, got, tc.want)
		}
	}
}

func TestSubtrees(t *testing.T) {
	groups := []dirFiles{
		{dir: "."}, {dir: "clusters/a"}, {dir: "deployments"}, {dir: "deployments/a"},
		{dir: "deployments/a/config"}, {dir: "deployments/a/image/binder"}, {dir: "deployments/b/config"},
	}
	var got [][]string
	for _, run := range subtrees(groups) {
		var dirs []string
		for _, g := range run {
			dirs = append(dirs, g.dir)
		}
		got = append(got, dirs)
	}
	want := [][]string{{"."}, {"clusters/a"}, {"deployments"}, {"deployments/a", "deployments/a/config", "deployments/a/image/binder"}, {"deployments/b/config"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("subtrees = %q, want %q", got, want)
	}
}

// TestOpener opens folders in turn and checks that each root is on the
// folder asked for (by the marker file in it) and which folders the
// opener keeps open after each.
func TestOpener(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a", "a/b", "a/b/c", "a/d", "e"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, d, "marker"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o := &opener{r: r}
	defer o.close()
	for _, tc := range []struct {
		dir  string
		kept []string
	}{
		{"a/b/c", []string{"a", "a/b", "a/b/c"}},
		{"a/b", []string{"a", "a/b"}},
		{"a/d", []string{"a", "a/d"}},
		{"a/d", []string{"a", "a/d"}},
		{"e", []string{"e"}},
		{".", []string{"e"}},
		{"a/b/c", []string{"a", "a/b", "a/b/c"}},
	} {
		d, err := o.open(tc.dir)
		if err != nil {
			t.Fatalf("open %s: %v", tc.dir, err)
		}
		if tc.dir != "." {
			if data, err := d.ReadFile("marker"); err != nil || string(data) != tc.dir {
				t.Errorf("open %s: marker %q, %v", tc.dir, data, err)
			}
		} else if d != r {
			t.Errorf("open .: not the root")
		}
		if !slices.Equal(o.dirs, tc.kept) {
			t.Errorf("after open %s: open folders %q, want %q", tc.dir, o.dirs, tc.kept)
		}
	}
	if _, err := o.open("a/missing"); err == nil {
		t.Error("open a/missing: no error")
	}
	o.close()
	if len(o.dirs) != 0 || len(o.roots) != 0 {
		t.Errorf("after close: %q open", o.dirs)
	}
}

// TestReadFilesIsReadFileOfEach: readFiles, which reads the files of
// several hub trees side by side, finds at each path what reading it on
// its own finds: bytes and mode, nothing, a link, an error.
func TestReadFilesIsReadFileOfEach(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for rel, data := range map[string]string{
		"deployments/a/config/x.yaml": "x", "deployments/a/README.md": "", "deployments/b/image/binder/apt.txt": "git\n",
		"deployments/c/secrets/s.yaml": "s", ".sops.yaml": "rules", "clusters/a/main.tf": "tf",
	} {
		write(t, root, rel, data, 0o644)
	}
	os.Chmod(filepath.Join(root, "clusters/a/main.tf"), 0o755)
	os.MkdirAll(filepath.Join(root, "deployments/b/dir"), 0o755)
	if err := os.Symlink(filepath.Join(outside, "f"), filepath.Join(root, "deployments/c/linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "deployments/d")); err != nil {
		t.Fatal(err)
	}
	rels := []string{
		"deployments/b/image/binder/apt.txt", "deployments/a/config/x.yaml", ".sops.yaml", "deployments/a/README.md",
		"deployments/a/absent", "deployments/gone/x", "deployments/c/linked", "deployments/d/x", "deployments/b/dir",
		"deployments/c/secrets/s.yaml", "clusters/a/main.tf",
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	all := newInspector(root, r)
	defer all.close()
	got := all.readFiles(rels)
	for i, rel := range rels {
		one := newInspector(root, r)
		data, mode, link, err := one.readFile(rel)
		one.close()
		g := got[i]
		if string(g.data) != string(data) || (g.data == nil) != (data == nil) || g.mode != mode || (g.err == nil) != (err == nil) || (g.link == nil) != (link == nil) || link != nil && *g.link != *link {
			t.Errorf("%s: readFiles %q %o %v %v, readFile %q %o %v %v", rel, g.data, g.mode, g.link, g.err, data, mode, link, err)
		}
	}
	// What each read finds, so that the comparison above is not of nothing.
	if string(got[0].data) != "git\n" || got[3].data == nil || len(got[3].data) != 0 || got[4].data != nil || got[10].mode&0o111 == 0 {
		t.Errorf("read %q %q %q mode %o", got[0].data, got[3].data, got[4].data, got[10].mode)
	}
	if got[6].link == nil || got[6].link.Path != "deployments/c/linked" || got[7].link == nil || got[7].link.Path != "deployments/d" || got[8].err == nil {
		t.Errorf("links %v %v, error %v", got[6].link, got[7].link, got[8].err)
	}
}

// TestWalkTopIsWalkDir: walkTop, which reads the folders of a tree side by
// side, finds the links and leftovers fs.WalkDir over the root finds, in
// the same order.
func TestWalkTopIsWalkDir(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{
		"deployments/a/config/x.yaml", "deployments/a/" + TempPrefix + "0-x", "deployments/b/image/binder/" + TempPrefix + "1-apt.txt",
		"deployments/b/image/binder/apt.txt", "deployments/" + TempPrefix + "2-m", "deployments/c/d/e/f/g", "deployments/a/.x.yaml.tmp-1",
	} {
		write(t, root, rel, "x", 0o644)
	}
	for link, target := range map[string]string{"deployments/a/l": "config", "deployments/b/image/out": t.TempDir(), "deployments/z": "a"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	known := map[string]bool{"deployments/a/x.yaml": true}
	isLeftover := func(rel string) bool { return IsLeftover(rel, known) }
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var want walkFound
	fs.WalkDir(r.FS(), "deployments", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			t.Fatal(err)
		case d.Type()&fs.ModeSymlink != 0:
			want.links = append(want.links, p)
		case d.Type().IsRegular() && isLeftover(p):
			want.leftovers = append(want.leftovers, p)
		}
		return nil
	})
	got, err := walkTop(r, "deployments", isLeftover)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.links, want.links) || !slices.Equal(got.leftovers, want.leftovers) {
		t.Errorf("walkTop links %q leftovers %q, fs.WalkDir %q %q", got.links, got.leftovers, want.links, want.leftovers)
	}
	if len(want.links) != 3 || len(want.leftovers) != 4 {
		t.Errorf("fs.WalkDir found %q %q", want.links, want.leftovers)
	}
	if _, err := walkTop(r, "absent", isLeftover); err == nil || !strings.HasPrefix(err.Error(), "read absent: ") {
		t.Errorf("walk of an absent folder: %v", err)
	}
}
