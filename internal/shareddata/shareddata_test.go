package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLocate(t *testing.T) {
	shared := t.TempDir()
	up := t.TempDir()
	os.MkdirAll(filepath.Join(shared, "seed"), 0o755)
	os.WriteFile(filepath.Join(shared, "seed", "a.txt"), nil, 0o644)
	os.WriteFile(filepath.Join(up, "schema.json"), nil, 0o644)
	tests := []struct {
		name, shared, upstream, rel, want string
		ok                                bool
	}{
		{"shared folder", shared, "", "seed/a.txt", filepath.Join(shared, "seed", "a.txt"), true},
		{"missing in it", shared, "", "seed/b.txt", filepath.Join(shared, "seed", "b.txt"), false},
		{"upstream of its own", shared, up, "upstream/schema.json", filepath.Join(up, "schema.json"), true},
		{"upstream env leaves the rest", shared, up, "seed/a.txt", filepath.Join(shared, "seed", "a.txt"), true},
		{"upstream without the env", shared, "", "upstream/schema.json", filepath.Join(shared, "upstream", "schema.json"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(Env, tt.shared)
			t.Setenv(UpstreamEnv, tt.upstream)
			got, ok := Locate(tt.rel)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Locate(%q) = %q, %v; want %q, %v", tt.rel, got, ok, tt.want, tt.ok)
			}
		})
	}
}
