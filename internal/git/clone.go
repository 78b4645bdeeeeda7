package git

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Clone clones url (a URL or a local path, relative to the current folder)
// into dir with git clone, then, when ref is not "", checks out the
// branch, tag or commit ref (a branch of the remote included) as a
// detached HEAD. It returns the commit checked out. dir must not exist or
// be empty; on failure what is in it is the caller's to remove.
func Clone(ctx context.Context, url, ref, dir string) (string, error) {
	if strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("bad ref %q", ref)
	}
	if _, err := run(ctx, "", "clone", "--quiet", "--", url, dir); err != nil {
		return "", fmt.Errorf("git clone %s: %s", url, detail(err))
	}
	r := &Repo{Dir: dir}
	if ref != "" {
		sha, err := r.Commit(ctx, ref)
		if err != nil {
			sha, err = r.Commit(ctx, "refs/remotes/origin/"+ref)
		}
		if err != nil {
			return "", fmt.Errorf("%s has no branch, tag or commit %q", url, ref)
		}
		if _, err := r.Run(ctx, "checkout", "--quiet", "--detach", sha); err != nil {
			return "", fmt.Errorf("git checkout %s: %s", ref, detail(err))
		}
	}
	commit, err := r.Run(ctx, "rev-parse", "HEAD")
	if err != nil {
		return "", errors.New(detail(err))
	}
	return commit, nil
}

// detail is all of a failed git command's stderr, trimmed (or how it
// ended), else err's message.
func detail(err error) string {
	var gerr *Error
	if errors.As(err, &gerr) {
		return gerr.detail()
	}
	return err.Error()
}
