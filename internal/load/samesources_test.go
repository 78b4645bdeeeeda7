package load

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSameSources: two roots hold the same sources when every folder and
// file under cue.mod/, schema/ and hubs/ and every *.cue entry of the root
// is the same at both; a link or a difference anywhere there is enough to
// differ, and anything else at the root is not.
func TestSameSources(t *testing.T) {
	write := func(t *testing.T, root string, files map[string]string) {
		t.Helper()
		for p, data := range files {
			name := filepath.Join(root, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	sources := map[string]string{
		"cue.mod/module.cue":  "module: \"x.io/f\"\n",
		"schema/hub.cue":      "package schema\n",
		"hubs/alpha.cue":      "package hubs\n\nhubs: alpha: {}\n",
		"hubs/hubs.cue":       "package hubs\n",
		"root.cue":            "package f\n",
		"README.md":           "a federation\n",
		"deployments/a/x.yml": "x: 1\n",
	}
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, a, b string)
		same bool
	}{
		{"copies", func(*testing.T, string, string) {}, true},
		{"a byte of a hub file", func(t *testing.T, a, b string) {
			write(t, b, map[string]string{"hubs/alpha.cue": "package hubs\n\nhubs: alpha: {} \n"})
		}, false},
		{"a file of cue.mod", func(t *testing.T, a, b string) {
			write(t, b, map[string]string{"cue.mod/module.cue": "module: \"x.io/g\"\n"})
		}, false},
		{"another file in hubs/", func(t *testing.T, a, b string) { write(t, b, map[string]string{"hubs/notes.txt": "n\n"}) }, false},
		{"a hub file removed", func(t *testing.T, a, b string) { os.Remove(filepath.Join(b, "hubs", "hubs.cue")) }, false},
		{"an empty folder in schema/", func(t *testing.T, a, b string) { os.Mkdir(filepath.Join(b, "schema", "sub"), 0o755) }, false},
		{"a file of a folder beneath schema/", func(t *testing.T, a, b string) { write(t, b, map[string]string{"schema/sub/x.cue": "package sub\n"}) }, false},
		{"a .cue file at the root", func(t *testing.T, a, b string) { write(t, b, map[string]string{"more.cue": "package f\n"}) }, false},
		{"the root's other files", func(t *testing.T, a, b string) {
			write(t, b, map[string]string{"README.md": "another\n", "deployments/a/x.yml": "x: 2\n", "notes.txt": "n\n"})
		}, true},
		{"schema/ at neither", func(t *testing.T, a, b string) {
			os.RemoveAll(filepath.Join(a, "schema"))
			os.RemoveAll(filepath.Join(b, "schema"))
		}, true},
		{"schema/ at one", func(t *testing.T, a, b string) { os.RemoveAll(filepath.Join(b, "schema")) }, false},
		{"a link to the same file", func(t *testing.T, a, b string) {
			for _, root := range []string{a, b} {
				if err := os.Symlink("alpha.cue", filepath.Join(root, "hubs", "link.cue")); err != nil {
					t.Skip(err)
				}
			}
		}, false},
		{"a folder for a file", func(t *testing.T, a, b string) {
			os.Remove(filepath.Join(b, "hubs", "hubs.cue"))
			os.Mkdir(filepath.Join(b, "hubs", "hubs.cue"), 0o755)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			write(t, a, sources)
			write(t, b, sources)
			tc.edit(t, a, b)
			if got := SameSources(a, b); got != tc.same {
				t.Errorf("SameSources(a, b) = %v, want %v", got, tc.same)
			}
			if got := SameSources(b, a); got != tc.same {
				t.Errorf("SameSources(b, a) = %v, want %v", got, tc.same)
			}
		})
	}
}
