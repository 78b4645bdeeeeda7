package git

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitEnv makes git in the test independent of the machine's
// configuration, with a fixed author and dates.
func gitEnv(t *testing.T) {
	t.Helper()
	if _, err := run(context.Background(), "", "version"); err != nil {
		t.Skipf("needs git: %v", err)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for k, v := range map[string]string{
		"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
		"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
	} {
		t.Setenv(k, v)
	}
}

// must runs git in dir and returns its trimmed stdout; a failure fails
// the test.
func must(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := run(context.Background(), dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeFiles writes files (path → content) beneath dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		name := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newRepo makes a repository in a new folder with one commit of files on
// the branch main.
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, dir, "init", "-q", "-b", "main")
	writeFiles(t, dir, files)
	must(t, dir, "add", "-A")
	must(t, dir, "commit", "-q", "-m", "first")
	return dir
}

// commit commits files (path → content) in dir on the current branch.
func commit(t *testing.T, dir, msg string, files map[string]string) string {
	t.Helper()
	writeFiles(t, dir, files)
	must(t, dir, "add", "-A")
	must(t, dir, "commit", "-q", "-m", msg)
	return must(t, dir, "rev-parse", "HEAD")
}

// linearRepo makes a repository whose main has n commits, each changing
// the file n, through git fast-import (quick for hundreds of commits).
func linearRepo(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	must(t, dir, "init", "-q", "-b", "main")
	var b strings.Builder
	for i := 1; i <= n; i++ {
		data := fmt.Sprintf("%d\n", i)
		fmt.Fprintf(&b, "commit refs/heads/main\ncommitter t <t@e> %d +0000\ndata 2\nc\n", 1735689600+i)
		fmt.Fprintf(&b, "M 100644 inline n\ndata %d\n%s\n", len(data), data)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v: %s", err, out)
	}
	must(t, dir, "checkout", "-q", "main")
	return dir
}

// notes collects the lines ResolveBase notes.
type notes []string

func (n *notes) add(line string) { *n = append(*n, line) }

func (n notes) String() string { return strings.Join(n, "\n") }
