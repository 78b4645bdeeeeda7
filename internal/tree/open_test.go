package tree

import (
	"os"
	"path/filepath"
	"slices"
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
