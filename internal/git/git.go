// Package git is pangeo-gen's one way of running git: the git CLI (exec of
// `git`, with a context, so an interrupt stops it; no terminal prompts;
// messages in the C locale), its stderr captured into errors that name the
// command. On top of it: a repository root and its revisions (a commit, a
// branch, a merge base), the base of a change resolved as ci plan and diff
// resolve it, fetching what a shallow clone lacks (base.go), a commit's
// folders materialised through git archive and a safe untar (archive.go),
// and a clone of a URL at a ref (clone.go).
package git

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Error is a git command that failed: its arguments, its stderr and how it
// ended.
type Error struct {
	// Args are the arguments of git.
	Args []string
	// Stderr is what git wrote on stderr.
	Stderr string
	// Err is how the command ended (an *exec.ExitError, or why it did not
	// start).
	Err error
}

// Error is "git ARGS: " and the first line of stderr, or how the command
// ended when stderr is empty.
func (e *Error) Error() string {
	if msg := firstLine(e.Stderr); msg != "" {
		return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
	}
	return fmt.Sprintf("git %s: %v", strings.Join(e.Args, " "), e.Err)
}

// Unwrap returns how the command ended.
func (e *Error) Unwrap() error { return e.Err }

// detail is all of stderr, trimmed, or how the command ended when stderr
// is empty.
func (e *Error) detail() string {
	if msg := strings.TrimSpace(e.Stderr); msg != "" {
		return msg
	}
	return e.Err.Error()
}

// env is the environment git runs with: never a prompt for credentials
// (on a terminal or through an askpass program), messages in English.
func env() []string {
	return append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true", "LC_ALL=C")
}

// runTo runs git with args in dir ("" for the current folder), its stdout
// into stdout; a failure is an *Error.
func runTo(ctx context.Context, dir string, stdout io.Writer, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	cmd.Env = env()
	if err := cmd.Run(); err != nil {
		return &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return nil
}

// run runs git with args in dir and returns its trimmed stdout.
func run(ctx context.Context, dir string, args ...string) (string, error) {
	var stdout bytes.Buffer
	if err := runTo(ctx, dir, &stdout, args...); err != nil {
		return "", err
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Repo is a folder inside a git work tree that git runs in: for
// pangeo-gen, the repository root (the folder holding cue.mod/), which may
// be a subfolder of the git repository.
type Repo struct {
	// Dir is the folder git runs in.
	Dir string
	// Prefix is Dir relative to the top of the work tree: "" at the top,
	// else ending in "/" (git rev-parse --show-prefix).
	Prefix string
	// Top is the top of the work tree (git rev-parse --show-toplevel);
	// "" is Dir.
	Top string
}

// Open returns the Repo of dir, which must be inside a git work tree.
func Open(ctx context.Context, dir string) (*Repo, error) {
	prefix, err := run(ctx, dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	top, err := run(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	return &Repo{Dir: dir, Prefix: prefix, Top: top}, nil
}

// top is the folder git runs in for commands whose paths git takes
// relative to the current folder (ls-tree, archive) but pangeo-gen gives
// relative to the top of the work tree (COMMIT:PREFIX).
func (r *Repo) top() string {
	if r.Top != "" {
		return r.Top
	}
	return r.Dir
}

// Run runs git with args in the repository and returns its trimmed
// stdout; a failure is an *Error.
func (r *Repo) Run(ctx context.Context, args ...string) (string, error) {
	return run(ctx, r.Dir, args...)
}

// RunTo runs git with args in the repository, its stdout into stdout
// (for output too large or binary to trim, git archive's); a failure is an
// *Error.
func (r *Repo) RunTo(ctx context.Context, stdout io.Writer, args ...string) error {
	return runTo(ctx, r.Dir, stdout, args...)
}

// Commit resolves the revision rev to a commit id. A revision starting
// with "-" is refused (it would be an option).
func (r *Repo) Commit(ctx context.Context, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("bad revision %q", rev)
	}
	return r.Run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
}

// MergeBase is the best common ancestor of the commits a and b (git
// merge-base).
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	mb, err := r.Run(ctx, "merge-base", a, b)
	if err != nil || mb == "" {
		return "", fmt.Errorf("no merge base of %s and %s", a, b)
	}
	return mb, nil
}

// Shallow reports whether the repository is a shallow clone.
func (r *Repo) Shallow(ctx context.Context) bool {
	out, _ := r.Run(ctx, "rev-parse", "--is-shallow-repository")
	return out == "true"
}

// Remote is origin, else the first remote, else "".
func (r *Repo) Remote(ctx context.Context) string {
	out, err := r.Run(ctx, "remote")
	if err != nil || out == "" {
		return ""
	}
	remotes := strings.Fields(out)
	for _, rm := range remotes {
		if rm == "origin" {
			return rm
		}
	}
	return remotes[0]
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
