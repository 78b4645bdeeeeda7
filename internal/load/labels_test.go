package load

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLabels: a hub that does not validate is still named by Labels, not
// by Names.
func TestLabels(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sub := range []string{"cue.mod", "schema", "hubs"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(root, sub))); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		extra  string
		labels []string
		names  []string
	}{
		{"all load", "", []string{"alpha", "bravo", "charlie"}, []string{"alpha", "bravo", "charlie"}},
		{"one bad", "package hubs\n\nhubs: delta: {title: 42}\n", []string{"alpha", "bravo", "charlie", "delta"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(dir, "hubs", "delta.cue")
			os.Remove(bad)
			if tc.extra != "" {
				if err := os.WriteFile(bad, []byte(tc.extra), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fed, err := Load(dir)
			if (err != nil) != (tc.extra != "") {
				t.Fatalf("Load: %v", err)
			}
			if got := fed.Labels(); !slices.Equal(got, tc.labels) {
				t.Errorf("Labels = %v, want %v", got, tc.labels)
			}
			if got := fed.Names(); !slices.Equal(got, tc.names) {
				t.Errorf("Names = %v, want %v", got, tc.names)
			}
		})
	}
}
