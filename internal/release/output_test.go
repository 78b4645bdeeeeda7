package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckOutput: where render -o may write, with and without --force.
func TestCheckOutput(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	outside := filepath.Join(base, "elsewhere")
	write := func(p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "cue.mod", "module.cue"), "module: \"x\"\n")
	write(filepath.Join(root, "hubs", "alpha.cue"), "package hubs\n")
	write(filepath.Join(root, "deployments", ".pangeo-gen-manifest.json"), `{"files": {"deployments/alpha/hubploy.yaml": "sha256:00"}}`)
	write(filepath.Join(root, "deployments", "alpha", "hubploy.yaml"), "images: {}\n")
	write(filepath.Join(root, "rendered", "old.yaml"), OutputHeader("alpha", "prod")+"kind: Namespace\n")
	write(filepath.Join(outside, "kubeconfig"), "apiVersion: v1\nkind: Config\n")
	write(filepath.Join(outside, "prev.yaml"), OutputHeader("bravo", "staging")+"kind: Namespace\n")
	if err := os.Symlink(filepath.Join(root, "hubs"), filepath.Join(outside, "hublink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "kubeconfig"), filepath.Join(outside, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		force bool
		err   string // "" allowed
	}{
		{"new file in the repo", "rendered/new.yaml", false, ""},
		{"new file in a new folder", "out/a/b.yaml", false, ""},
		{"previous render output", "rendered/old.yaml", false, ""},
		{"new file outside", outside + "/new.yaml", false, ""},
		{"render output outside", outside + "/prev.yaml", false, ""},
		{"other file outside", outside + "/kubeconfig", false, "not render output"},
		{"other file outside, force", outside + "/kubeconfig", true, ""},
		{"hub file", "hubs/alpha.cue", false, "a hub file (hubs/)"},
		{"hub file, force", "hubs/alpha.cue", true, ""},
		{"new hub file", "hubs/x.yaml", false, "a hub file (hubs/)"},
		{"cue.mod", "cue.mod/module.cue", false, "CUE module"},
		{"hub file through a linked folder", outside + "/hublink/alpha.cue", false, "a hub file (hubs/)"},
		{"generated", "deployments/alpha/hubploy.yaml", false, "pangeo-gen gen generated (deployments/alpha/hubploy.yaml)"},
		{"manifest", "deployments/.pangeo-gen-manifest.json", false, "pangeo-gen gen generated"},
		{"secrets", "deployments/alpha/secrets/prod.yaml", false, "a secrets file (deployments/alpha/secrets/)"},
		{"in deployments", "deployments/alpha/x.yaml", false, "a new file in deployments/"},
		{"git", ".git/config", false, "inside a .git folder"},
		{"folder", "hubs", true, "is a folder"},
		{"symbolic link", outside + "/link.yaml", true, "is a symbolic link"},
		{"device", "/dev/null", true, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path
			if !filepath.IsAbs(p) {
				p = filepath.Join(root, p)
			}
			_, err := CheckOutput(root, p, tc.force)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.err != "" && err == nil:
				t.Errorf("allowed, want a refusal with %q", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Errorf("error %q lacks %q", err, tc.err)
			}
			if tc.err != "" && err != nil && !tc.force && !strings.Contains(err.Error(), "--force") {
				t.Errorf("error %q does not say --force overrides it", err)
			}
		})
	}
}
