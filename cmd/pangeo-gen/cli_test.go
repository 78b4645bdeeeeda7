package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/tooltest"
)

// TestHelp: every command's help has an Example, and the help of every
// command that groups others (the root's included) lists each of them.
func TestHelp(t *testing.T) {
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	verbs := map[string]bool{}
	for _, c := range root.Commands() {
		verbs[c.Name()] = true
	}
	for _, want := range []string{"vet", "gen", "image", "render", "diff", "charts", "new", "import", "list", "ci", "version", "completion", "help"} {
		if !verbs[want] {
			t.Errorf("the root has no verb %q", want)
		}
	}
	n := 0
	for _, c := range allCommands(root) {
		if c.Hidden {
			continue
		}
		n++
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(strings.Join(append([]string{"pangeo-gen"}, path...), " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(append(path, "--help"), &stdout, &stderr); code != 0 {
				t.Fatalf("--help: exit %d\n%s", code, stderr.String())
			}
			help := stdout.String()
			if c.Example == "" || !strings.Contains(help, "\nExamples:\n") {
				t.Errorf("no Example in the help:\n%s", help)
			}
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() && !regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(sub.Name())+` +\S`).MatchString(help) {
					t.Errorf("the help does not list %s:\n%s", sub.Name(), help)
				}
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d commands walked", n)
	}
}

// allCommands are c and every command under it.
func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

// federationRepo makes a git repository (branch main, one commit) of the
// repository's cue.mod/, schema/ and hubs/ and returns git's path and the
// repository's.
func federationRepo(t *testing.T) (gitPath, repo string) {
	t.Helper()
	gitPath = tooltest.Need(t, "git")[0]
	root := repoRoot(t)
	repo = t.TempDir()
	for _, dir := range []string{"cue.mod", "schema", "hubs"} {
		if err := copyDir(filepath.Join(root, dir), filepath.Join(repo, dir)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", t.TempDir())
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "first"},
	} {
		cmd := exec.Command(gitPath, args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return gitPath, repo
}

// TestDiffExitCodes: diff exits as diff(1) does: 0 nothing changed, 1
// something changed, 2 trouble (here a revision that does not exist).
func TestDiffExitCodes(t *testing.T) {
	_, repo := federationRepo(t)
	chart := filepath.Join(t.TempDir(), "chart")
	if err := releasetest.WriteUmbrella(chart, repoRoot(t)); err != nil {
		t.Fatal(err)
	}
	diff := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		args = append([]string{"--root", repo, "diff", "alpha", "--chart", chart, "--placeholder-secrets", "--offline"}, args...)
		return Main(args, &stdout, &stderr), stdout.String(), stderr.String()
	}
	if code, _, stderr := diff(); code != 0 {
		t.Fatalf("unchanged: exit %d, want 0\n%s", code, stderr)
	}
	cue := filepath.Join(repo, "hubs", "alpha.cue")
	data, err := os.ReadFile(cue)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), `limit: "8G"`, `limit: "10G"`, 1)
	if changed == string(data) {
		t.Fatal(`hubs/alpha.cue has no limit: "8G" to change`)
	}
	if err := os.WriteFile(cue, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := diff(); code != 1 || !strings.Contains(stdout, "+++ working tree ") {
		t.Errorf("changed: exit %d, want 1 with a diff\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, stderr := diff("--values"); code != 1 {
		t.Errorf("changed --values: exit %d, want 1\n%s", code, stderr)
	}
	if code, stdout, stderr := diff("--against", "nosuchrev"); code != 2 || stdout != "" || !strings.Contains(stderr, "nosuchrev") {
		t.Errorf("unknown revision: exit %d, want 2 and a message\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestInterruptRemovesTemp: an interrupt (Ctrl-C, SIGINT) while diff or
// ci plan has a revision taken out into a temporary folder cancels the
// command: the git it runs is killed, the folder removed, and the command
// fails saying so, rather than dying with the folder left or, for ci plan,
// answering as if the revision did not load. The git on PATH interrupts
// pangeo-gen (its parent, the test process here) when asked for an
// archive, then waits to be killed.
func TestInterruptRemovesTemp(t *testing.T) {
	gitPath, repo := federationRepo(t)
	bin := t.TempDir()
	script := "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = archive ]; then kill -INT $PPID; exec sleep 300; fi\ndone\nexec '" + gitPath + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"diff", []string{"diff", "alpha", "--placeholder-secrets", "--offline"}, 2},
		{"ci plan", []string{"ci", "plan", "--base", "main", "--head", ".", "--format", "json"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			var stdout, stderr bytes.Buffer
			code := Main(append([]string{"--root", repo}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), "pangeo-gen: interrupted: ") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout:\n%s", stdout.String())
			}
			left, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range left {
				t.Errorf("left in the temporary folder: %s", e.Name())
			}
		})
	}
}
