package git

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// revisionSyntax reports whether name holds revision syntax (git
// revisions(7)) that no plain branch name has: ~ ^ : ? * [ \ a space,
// "..", "@{", "@" alone, a leading "-" or "/", or a last component HEAD
// (HEAD, origin/HEAD, FETCH_HEAD, ORIG_HEAD): such a name is a revision,
// used as it is.
func revisionSyntax(name string) bool {
	if name == "" || name == "@" || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "/") ||
		strings.ContainsAny(name, "~^:?*[\\ \t\n") || strings.Contains(name, "..") || strings.Contains(name, "@{") {
		return true
	}
	return pseudoHead.MatchString(path.Base(name))
}

// pseudoHead is HEAD and git's other HEAD-like names (FETCH_HEAD, ...).
var pseudoHead = regexp.MustCompile(`^[A-Z_]*HEAD$`)

// Branch returns the full ref of the branch named name: a local branch
// (main), a remote-tracking branch (origin/main), or a branch of origin
// (refs/remotes/origin/main for main); "" when name is not a plain branch
// name or no such branch exists. A plain branch name is one that git
// check-ref-format --branch accepts as it is and that holds no revision
// syntax (revisionSyntax): HEAD, HEAD~1, main^, a commit id and a tag are
// revisions, never looked up as origin/<name>.
func (r *Repo) Branch(ctx context.Context, name string) string {
	if revisionSyntax(name) {
		return ""
	}
	if out, err := r.Run(ctx, "check-ref-format", "--branch", name); err != nil || out != name {
		return ""
	}
	for _, ref := range []string{"refs/heads/" + name, "refs/remotes/" + name, "refs/remotes/origin/" + name} {
		if _, err := r.Run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}"); err == nil {
			return ref
		}
	}
	return ""
}

// tryBase resolves the base once: the merge base with head when base
// names a branch, else the commit base names (a revision, as it is).
func (r *Repo) tryBase(ctx context.Context, base, head string) (string, error) {
	if ref := r.Branch(ctx, base); ref != "" {
		return r.MergeBase(ctx, ref, head)
	}
	c, err := r.Commit(ctx, base)
	if err != nil {
		return "", fmt.Errorf("unknown revision %s", base)
	}
	return c, nil
}

// deepenSteps are the --deepen fetches tried, in order, before --unshallow.
var deepenSteps = []int{50, 500}

// commitID is a full commit id (SHA-1 or SHA-256), which a remote can be
// asked for by itself.
var commitID = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// ResolveBase resolves the base of a change whose head is the commit (or
// revision) head: the merge base of base and head when base is a plain
// branch name (Branch) of a local, a remote-tracking or origin's branch,
// else the commit the revision base names, as it is (HEAD~1 is HEAD's
// parent, never origin's).
//
// What a shallow or partial clone lacks is fetched from the remote
// (Remote): base itself when it is not here (a plain name as the remote's
// branch or tag, a full commit id as that commit), then, in a shallow
// clone, history in steps (--deepen 50, then 500) and finally all of it
// (--unshallow), trying again after each fetch. note, when not nil,
// receives a line for each fetch (the command and why), each failed fetch
// and the base found after a fetch.
func (r *Repo) ResolveBase(ctx context.Context, base, head string, note func(string)) (string, error) {
	if note == nil {
		note = func(string) {}
	}
	if base == "" {
		return "", errors.New("no base given")
	}
	shallow := r.Shallow(ctx)
	c, err := r.tryBase(ctx, base, head)
	if err == nil {
		return c, nil
	}
	remote := r.Remote(ctx)
	if remote == "" {
		return "", fmt.Errorf("%v, and there is no remote to fetch from", err)
	}
	var fetches [][]string
	if _, cerr := r.Commit(ctx, base); cerr != nil && r.Branch(ctx, base) == "" {
		switch {
		case commitID.MatchString(base):
			fetches = append(fetches, []string{"fetch", "--quiet", remote, base})
		case !revisionSyntax(base):
			// Not here: perhaps a branch or a tag of the remote's.
			fetches = append(fetches,
				[]string{"fetch", "--quiet", remote, "+refs/heads/" + base + ":refs/remotes/" + remote + "/" + base},
				[]string{"fetch", "--quiet", remote, "+refs/tags/" + base + ":refs/tags/" + base})
		}
	}
	if shallow {
		for _, n := range deepenSteps {
			fetches = append(fetches, []string{"fetch", "--quiet", fmt.Sprintf("--deepen=%d", n), remote})
		}
		fetches = append(fetches, []string{"fetch", "--quiet", "--unshallow", remote})
	}
	for _, args := range fetches {
		note(fmt.Sprintf("base %s: %v; git %s", base, err, strings.Join(args, " ")))
		if _, ferr := r.Run(ctx, args...); ferr != nil {
			note(ferr.Error())
			continue
		}
		if c, err = r.tryBase(ctx, base, head); err == nil {
			note(fmt.Sprintf("base %s is %.12s", base, c))
			return c, nil
		}
	}
	return "", err
}
