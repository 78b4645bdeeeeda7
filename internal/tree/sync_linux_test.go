package tree

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
)

// openStaged counts this process's open files that are staged files.
func openStaged(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.Contains(filepath.Base(target), TempPrefix) {
			n++
		}
	}
	return n
}

// TestSyncEachOrAll: a write of up to syncEach files keeps each
// staged file open to fsync it, a larger one closes them and syncs them
// all at once; either way every staged file holds its whole content at
// the sync, and the tree is written whole.
func TestSyncEachOrAll(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    int
		keptOpen bool
	}{
		{"a few files are fsynced each", 3, true},
		{"the most fsynced each", syncEach - 1, true}, // with the manifest: syncEach
		{"many files are synced at once", syncEach + 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			var files []gen.File
			for i := range tc.files {
				files = append(files, file(fmt.Sprintf("deployments/h%d/config/f%d.yaml", i%7, i), fmt.Sprintf("data %d\n", i)))
			}
			open, complete := -1, true
			setHook(t, func(op Op, rel string) error {
				if op != OpSync || rel != "" {
					return nil
				}
				open = openStaged(t)
				for _, f := range files {
					matches, _ := filepath.Glob(filepath.Join(root, filepath.Dir(f.Path), TempPrefix+"*-"+filepath.Base(f.Path)))
					if len(matches) != 1 {
						complete = false
						continue
					}
					if data, err := os.ReadFile(matches[0]); err != nil || string(data) != string(f.Data) {
						complete = false
					}
				}
				return nil
			})
			p, err := Compare(root, files, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(false); err != nil {
				t.Fatal(err)
			}
			want := 0
			if tc.keptOpen {
				want = tc.files + 1 // and the manifest
			}
			if open != want {
				t.Errorf("staged files open at the sync: %d, want %d", open, want)
			}
			if !complete {
				t.Error("a staged file was not whole at the sync")
			}
			for _, f := range files {
				if got := read(t, root, f.Path); got != string(f.Data) {
					t.Errorf("%s = %q", f.Path, got)
				}
			}
			if got := tempFiles(t, root); len(got) != 0 {
				t.Errorf("temporary files left: %v", got)
			}
			if n := openStaged(t); n != 0 {
				t.Errorf("%d staged files still open", n)
			}
			consistent(t, root)
		})
	}
}
