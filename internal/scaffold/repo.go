package scaffold

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/git"
)

// Repo is a checkout of the repository a hub's image starts from
// (--image-from GIT_URL[@REF]).
type Repo struct {
	// URL is the repository as given: a URL or a local path.
	URL string
	// Ref is the branch, tag or commit asked for; "" for the default
	// branch.
	Ref string
	// Commit is the commit checked out.
	Commit string
	// Dir is the checkout (without its .git for the image's purposes).
	Dir string

	tmp string
}

// ParseImageFrom splits GIT_URL[@REF]. An '@' is the ref's only when it
// comes after the URL's last '/' and ':' (git@host:org/repo.git has none).
func ParseImageFrom(s string) (url, ref string) {
	i := strings.LastIndex(s, "@")
	if i > 0 && i < len(s)-1 && i > strings.LastIndex(s, "/") && i > strings.LastIndex(s, ":") {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// Source is the repository as the hub's file and README cite it: URL, or
// URL@REF.
func (r *Repo) Source() string {
	if r.Ref == "" {
		return r.URL
	}
	return r.URL + "@" + r.Ref
}

// Clone checks url out into a temporary folder with `git clone`, then the
// ref (a branch, tag or commit) when given (git.Clone). Close removes the
// folder.
func Clone(ctx context.Context, url, ref string) (*Repo, error) {
	if url == "" {
		return nil, fmt.Errorf("--image-from: no repository")
	}
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("--image-from: bad ref %q", ref)
	}
	tmp, err := os.MkdirTemp("", "pangeo-gen-image-from-")
	if err != nil {
		return nil, err
	}
	r := &Repo{URL: url, Ref: ref, Dir: filepath.Join(tmp, "repo"), tmp: tmp}
	if r.Commit, err = git.Clone(ctx, url, ref, r.Dir); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close removes the checkout.
func (r *Repo) Close() error {
	if r == nil || r.tmp == "" {
		return nil
	}
	return os.RemoveAll(r.tmp)
}
