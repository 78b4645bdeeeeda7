package git

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClone clones a repository at a tag, a branch only the remote has, a
// commit id and its default branch; a ref it lacks, a ref that is an
// option and a repository that is none fail with a message that names
// them.
func TestClone(t *testing.T) {
	gitEnv(t)
	src := newRepo(t, map[string]string{"README.md": "one"})
	v1 := must(t, src, "rev-parse", "HEAD")
	must(t, src, "tag", "v1")
	must(t, src, "checkout", "-q", "-b", "feature")
	feature := commit(t, src, "feature", map[string]string{"README.md": "feature"})
	must(t, src, "checkout", "-q", "main")
	main := commit(t, src, "second", map[string]string{"README.md": "two"})
	nowhere := filepath.Join(t.TempDir(), "nowhere")
	for _, tc := range []struct {
		name, url, ref string
		commit, readme string
		err            string // the error starts with it
	}{
		{name: "default branch", url: src, commit: main, readme: "two"},
		{name: "tag", url: src, ref: "v1", commit: v1, readme: "one"},
		{name: "remote branch", url: "file://" + src, ref: "feature", commit: feature, readme: "feature"},
		{name: "commit id", url: src, ref: feature, commit: feature, readme: "feature"},
		{name: "short commit id", url: src, ref: v1[:10], commit: v1, readme: "one"},
		{name: "unknown ref", url: src, ref: "nope", err: src + ` has no branch, tag or commit "nope"`},
		{name: "option as ref", url: src, ref: "--upload-pack=x", err: `bad ref "--upload-pack=x"`},
		{name: "no repository", url: nowhere, err: "git clone " + nowhere + ": fatal: repository '" + nowhere + "' does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			got, err := Clone(context.Background(), tc.url, tc.ref, dir)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("Clone(%s, %q) = %q, %v; want an error %q", tc.url, tc.ref, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.commit {
				t.Fatalf("Clone(%s, %q) = %q, %v; want %s", tc.url, tc.ref, got, err, tc.commit)
			}
			data, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil || string(data) != tc.readme {
				t.Errorf("README.md of the checkout: %q, %v; want %q", data, err, tc.readme)
			}
		})
	}
}
