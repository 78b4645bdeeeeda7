package git

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	dir := newRepo(t, map[string]string{"sub/cue.mod/module.cue": "module: \"x.org/y\"\n"})
	for _, tc := range []struct {
		name, dir, prefix string
	}{
		{"top", dir, ""},
		{"subfolder", filepath.Join(dir, "sub"), "sub/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(ctx, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			top, err := filepath.EvalSymlinks(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.Dir != tc.dir || r.Prefix != tc.prefix || r.Top != top {
				t.Errorf("Open(%s) = %+v, want prefix %q and top %s", tc.dir, r, tc.prefix, top)
			}
		})
	}
	t.Run("not a work tree", func(t *testing.T) {
		plain := t.TempDir()
		_, err := Open(ctx, plain)
		var gerr *Error
		if err == nil || !strings.Contains(err.Error(), plain+" is not in a git work tree: git rev-parse --show-prefix: fatal: not a git repository") || !errors.As(err, &gerr) {
			t.Errorf("Open of a plain folder: %v", err)
		}
	})
}

func TestError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *Error
		want string
	}{
		{"stderr", &Error{Args: []string{"fetch", "origin"}, Stderr: "fatal: no\nmore\n", Err: errors.New("exit status 128")}, "git fetch origin: fatal: no"},
		{"no stderr", &Error{Args: []string{"merge-base", "a", "b"}, Err: errors.New("exit status 1")}, "git merge-base a b: exit status 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCommit(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	dir := newRepo(t, map[string]string{"a": "1"})
	first := must(t, dir, "rev-parse", "HEAD")
	must(t, dir, "tag", "v1")
	second := commit(t, dir, "second", map[string]string{"a": "2"})
	r := &Repo{Dir: dir}
	for _, tc := range []struct {
		rev, want, err string
	}{
		{"HEAD", second, ""},
		{"HEAD~1", first, ""},
		{"v1", first, ""},
		{"main", second, ""},
		{first[:12], first, ""},
		{"nope", "", "git rev-parse --verify --quiet --end-of-options nope^{commit}: exit status 1"},
		{"-x", "", `bad revision "-x"`},
		{"--all", "", `bad revision "--all"`},
	} {
		t.Run(tc.rev, func(t *testing.T) {
			got, err := r.Commit(ctx, tc.rev)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("Commit(%q) = %q, %v; want error %q", tc.rev, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Commit(%q) = %q, %v; want %q", tc.rev, got, err, tc.want)
			}
		})
	}
}

// remoteSetup is an origin with main (3 commits) and staging (main's
// first commit plus one), and a clone of it on main with one more local
// commit, main's local branch only.
type remoteSetup struct {
	origin, clone               string
	first, staging, main, local string
}

func newRemoteSetup(t *testing.T) remoteSetup {
	t.Helper()
	var s remoteSetup
	s.origin = newRepo(t, map[string]string{"a": "1"})
	s.first = must(t, s.origin, "rev-parse", "HEAD")
	must(t, s.origin, "checkout", "-q", "-b", "staging")
	s.staging = commit(t, s.origin, "staging", map[string]string{"s": "1"})
	must(t, s.origin, "checkout", "-q", "main")
	commit(t, s.origin, "main 2", map[string]string{"a": "2"})
	s.main = commit(t, s.origin, "main 3", map[string]string{"a": "3"})
	s.clone = filepath.Join(t.TempDir(), "clone")
	must(t, "", "clone", "-q", "file://"+s.origin, s.clone)
	s.local = commit(t, s.clone, "local", map[string]string{"l": "1"})
	return s
}

func TestBranch(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	s := newRemoteSetup(t)
	r := &Repo{Dir: s.clone}
	for _, tc := range []struct{ name, want string }{
		{"main", "refs/heads/main"},
		{"origin/main", "refs/remotes/origin/main"},
		{"staging", "refs/remotes/origin/staging"}, // origin's branch, not a local one
		{"origin/staging", "refs/remotes/origin/staging"},
		{"nope", ""},
		{"HEAD", ""},
		{"origin/HEAD", ""},
		{"HEAD~1", ""},
		{"main^", ""},
		{s.first, ""},
		{"-main", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Branch(ctx, tc.name); got != tc.want {
				t.Errorf("Branch(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

func TestMergeBase(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	s := newRemoteSetup(t)
	r := &Repo{Dir: s.clone}
	if got, err := r.MergeBase(ctx, "refs/remotes/origin/staging", "HEAD"); err != nil || got != s.first {
		t.Errorf("MergeBase(staging, HEAD) = %q, %v; want %s", got, err, s.first)
	}
	unrelated := newRepo(t, map[string]string{"u": "1"})
	must(t, s.clone, "fetch", "-q", unrelated, "main:refs/heads/unrelated")
	if got, err := r.MergeBase(ctx, "unrelated", "HEAD"); err == nil || err.Error() != "no merge base of unrelated and HEAD" {
		t.Errorf("MergeBase of unrelated histories = %q, %v", got, err)
	}
}

func TestRemote(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	s := newRemoteSetup(t)
	r := &Repo{Dir: s.clone}
	if got := r.Remote(ctx); got != "origin" {
		t.Errorf("Remote = %q, want origin", got)
	}
	must(t, s.clone, "remote", "rename", "origin", "upstream")
	must(t, s.clone, "remote", "add", "zz", s.origin)
	if got := r.Remote(ctx); got != "upstream" {
		t.Errorf("Remote without origin = %q, want the first, upstream", got)
	}
	must(t, s.clone, "remote", "remove", "upstream")
	must(t, s.clone, "remote", "remove", "zz")
	if got := r.Remote(ctx); got != "" {
		t.Errorf("Remote with none = %q", got)
	}
}

// TestResolveBase resolves bases in full and shallow clones: a branch is
// its merge base with the head, a revision is itself; what a shallow
// clone lacks is fetched (the branch or tag, a commit id by itself, then
// --deepen 50, 500 and --unshallow), each fetch noted.
func TestResolveBase(t *testing.T) {
	gitEnv(t)
	s := newRemoteSetup(t)
	shallow := func(t *testing.T, branch string) string {
		dir := filepath.Join(t.TempDir(), "shallow")
		must(t, "", "clone", "-q", "--depth", "1", "--branch", branch, "file://"+s.origin, dir)
		return dir
	}
	fetch := func(base, why, args string) string {
		return "base " + base + ": " + why + "; git fetch --quiet " + args
	}
	for _, tc := range []struct {
		name  string
		dir   func(t *testing.T) string
		base  string
		want  func() string
		notes []string
		err   string
	}{
		{name: "local branch: merge base", dir: func(*testing.T) string { return s.clone }, base: "main", want: func() string { return s.local }},
		{name: "origin's branch: merge base", dir: func(*testing.T) string { return s.clone }, base: "staging", want: func() string { return s.first }},
		{name: "remote-tracking branch", dir: func(*testing.T) string { return s.clone }, base: "origin/main", want: func() string { return s.main }},
		{name: "HEAD~1 is the parent, not origin's", dir: func(*testing.T) string { return s.clone }, base: "HEAD~1", want: func() string { return s.main }},
		{name: "commit id", dir: func(*testing.T) string { return s.clone }, base: s.staging, want: func() string { return s.staging }},
		{name: "empty", dir: func(*testing.T) string { return s.clone }, base: "", err: "no base given"},
		{name: "shallow HEAD~1: deepened", dir: func(t *testing.T) string { return shallow(t, "staging") }, base: "HEAD~1",
			want:  func() string { return s.first },
			notes: []string{fetch("HEAD~1", "unknown revision HEAD~1", "--deepen=50 origin"), "base HEAD~1 is " + s.first[:12]}},
		{name: "shallow, a commit id fetched by itself", dir: func(t *testing.T) string { return shallow(t, "staging") }, base: s.main,
			want:  func() string { return s.main },
			notes: []string{fetch(s.main, "unknown revision "+s.main, "origin "+s.main), "base " + s.main + " is " + s.main[:12]}},
		{name: "shallow, main fetched and deepened", dir: func(t *testing.T) string { return shallow(t, "staging") }, base: "main",
			want: func() string { return s.first },
			notes: []string{
				fetch("main", "unknown revision main", "origin +refs/heads/main:refs/remotes/origin/main"),
				fetch("main", "no merge base of refs/remotes/origin/main and HEAD", "origin +refs/tags/main:refs/tags/main"),
				"git fetch --quiet origin +refs/tags/main:refs/tags/main: fatal: " + anyRest,
				fetch("main", "no merge base of refs/remotes/origin/main and HEAD", "--deepen=50 origin"),
				"base main is " + s.first[:12],
			}},
		{name: "a commit nowhere", dir: func(t *testing.T) string { return shallow(t, "staging") }, base: strings.Repeat("0123456789", 4),
			err: "unknown revision 0123456789012345678901234567890123456789",
			notes: []string{
				fetch(strings.Repeat("0123456789", 4), "unknown revision "+strings.Repeat("0123456789", 4), "origin "+strings.Repeat("0123456789", 4)),
				"git fetch --quiet origin " + strings.Repeat("0123456789", 4) + ": fatal: " + anyRest,
				fetch(strings.Repeat("0123456789", 4), "unknown revision "+strings.Repeat("0123456789", 4), "--deepen=50 origin"),
				fetch(strings.Repeat("0123456789", 4), "unknown revision "+strings.Repeat("0123456789", 4), "--deepen=500 origin"),
				fetch(strings.Repeat("0123456789", 4), "unknown revision "+strings.Repeat("0123456789", 4), "--unshallow origin"),
				"git fetch --quiet --unshallow origin: fatal: " + anyRest,
			}},
		{name: "no remote", dir: func(t *testing.T) string {
			dir := shallow(t, "staging")
			must(t, dir, "remote", "remove", "origin")
			return dir
		}, base: "main", err: "unknown revision main, and there is no remote to fetch from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(context.Background(), tc.dir(t))
			if err != nil {
				t.Fatal(err)
			}
			var n notes
			got, err := r.ResolveBase(context.Background(), tc.base, "HEAD", n.add)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ResolveBase(%q) = %q, %v; want error %q\nnotes:\n%s", tc.base, got, err, tc.err, n)
				}
			} else if err != nil || got != tc.want() {
				t.Fatalf("ResolveBase(%q) = %q, %v; want %s\nnotes:\n%s", tc.base, got, err, tc.want(), n)
			}
			if !matchNotes(n, tc.notes) {
				t.Errorf("notes:\n%s\nwant:\n%s", n, strings.Join(tc.notes, "\n"))
			}
		})
	}
}

// anyRest, ending a wanted note, matches any rest of the line (git's own
// wording of a failure).
const anyRest = "…"

// matchNotes reports whether got are the notes want, a want ending in
// anyRest matching any line with what comes before it.
func matchNotes(got notes, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i, w := range want {
		if p, ok := strings.CutSuffix(w, anyRest); ok {
			if !strings.HasPrefix(got[i], p) {
				return false
			}
		} else if got[i] != w {
			return false
		}
	}
	return true
}

// TestResolveBaseDeepens: a base more than 50 commits deep takes the
// --deepen=500 step, one more than 550 --unshallow; each fetch is noted
// with why.
func TestResolveBaseDeepens(t *testing.T) {
	gitEnv(t)
	origin := linearRepo(t, 600)
	for _, tc := range []struct {
		base  string
		steps []string
	}{
		{"HEAD~30", []string{"--deepen=50 origin"}},
		{"HEAD~300", []string{"--deepen=50 origin", "--deepen=500 origin"}},
		{"HEAD~580", []string{"--deepen=50 origin", "--deepen=500 origin", "--unshallow origin"}},
	} {
		t.Run(tc.base, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shallow")
			must(t, "", "clone", "-q", "--depth", "1", "file://"+origin, dir)
			want := must(t, origin, "rev-parse", tc.base)
			var n notes
			r := &Repo{Dir: dir}
			got, err := r.ResolveBase(context.Background(), tc.base, "HEAD", n.add)
			if err != nil || got != want {
				t.Fatalf("ResolveBase(%s) = %q, %v; want %s\nnotes:\n%s", tc.base, got, err, want, n)
			}
			var wantNotes []string
			for _, step := range tc.steps {
				wantNotes = append(wantNotes, "base "+tc.base+": unknown revision "+tc.base+"; git fetch --quiet "+step)
			}
			wantNotes = append(wantNotes, "base "+tc.base+" is "+want[:12])
			if n.String() != strings.Join(wantNotes, "\n") {
				t.Errorf("notes:\n%s\nwant:\n%s", n, strings.Join(wantNotes, "\n"))
			}
		})
	}
}

// TestInterrupt: a cancelled context stops git: the command fails with
// the context's error.
func TestInterrupt(t *testing.T) {
	gitEnv(t)
	dir := newRepo(t, map[string]string{"a": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Repo{Dir: dir}).Run(ctx, "rev-parse", "HEAD"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context: %v, want context.Canceled", err)
	}
}
