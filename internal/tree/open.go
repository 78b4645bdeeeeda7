package tree

import (
	"fmt"
	"os"
	"path"
	"strings"
)

// opener opens folders beneath a root, each through a root opened on the
// folder that holds it: a folder costs one name to resolve, where
// r.OpenRoot("a/b/c") opens a, a/b, then a/b/c. It keeps open the folders
// on the way to the last one opened, so that folders visited in sorted
// order are each opened once. An opener is used by one goroutine at a
// time; close releases what it holds.
type opener struct {
	r     *os.Root
	dirs  []string   // the open folders, outermost first, each in the one before
	roots []*os.Root // roots[i] is opened on dirs[i]
}

// open is a root on the folder dir (a slash path relative to r; r itself
// for "."), owned by o: valid until the next open or close.
func (o *opener) open(dir string) (*os.Root, error) {
	if dir == "." {
		return o.r, nil
	}
	n := len(o.dirs)
	for n > 0 && o.dirs[n-1] != dir && !strings.HasPrefix(dir, o.dirs[n-1]+"/") {
		n--
	}
	o.keep(n)
	parent, rest := o.r, dir
	if n > 0 {
		if o.dirs[n-1] == dir {
			return o.roots[n-1], nil
		}
		parent, rest = o.roots[n-1], dir[len(o.dirs[n-1])+1:]
	}
	for name := range strings.SplitSeq(rest, "/") {
		q := name
		if len(o.dirs) > 0 {
			q = o.dirs[len(o.dirs)-1] + "/" + name
		}
		d, err := parent.OpenRoot(name)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", q, err)
		}
		o.dirs, o.roots = append(o.dirs, q), append(o.roots, d)
		parent = d
	}
	return parent, nil
}

// keep closes the open folders past the first n.
func (o *opener) keep(n int) {
	for i := len(o.roots) - 1; i >= n; i-- {
		o.roots[i].Close()
	}
	o.dirs, o.roots = o.dirs[:n], o.roots[:n]
}

// close closes every folder o opened.
func (o *opener) close() { o.keep(0) }

// subtreeDepth is how many folders deep the trees are that subtrees
// gives to goroutines of their own (deployments/<hub>, clusters/<hub>).
const subtreeDepth = 2

// subtrees splits groups (sorted by folder) into runs of folders under
// one folder subtreeDepth deep (or of one shallower folder): the work of
// one goroutine and its opener, which then opens the folders they share
// once.
func subtrees(groups []dirFiles) [][]dirFiles {
	return runsOf(groups, func(grp dirFiles) string { return grp.dir })
}

// runsOf splits items (sorted by the folder dirOf gives each) into runs
// whose folders are under one folder subtreeDepth deep (topOf).
func runsOf[T any](items []T, dirOf func(T) string) [][]T {
	var out [][]T
	last := ""
	for i, item := range items {
		top := topOf(dirOf(item))
		if i == 0 || top != last {
			out = append(out, nil)
			last = top
		}
		out[len(out)-1] = append(out[len(out)-1], item)
	}
	return out
}

// topOf is the folder subtreeDepth deep that holds dir, or dir when it is
// not as deep.
func topOf(dir string) string {
	i, depth := 0, 0
	for depth < subtreeDepth {
		j := strings.IndexByte(dir[i:], '/')
		if j < 0 {
			return dir
		}
		i += j + 1
		depth++
	}
	return path.Clean(dir[:i])
}
