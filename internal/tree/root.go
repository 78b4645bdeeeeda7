package tree

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pangeo-data/pangeo-gen/gen"
)

// Every file operation of a plan goes through an *os.Root opened on the
// repository root, so that no link can make it read or write outside the
// repository. On top of that a plan refuses every symbolic link on a path
// it reads or writes, inside the repository too: gen never creates links,
// so a link in deployments/ was put there by hand, and writing through it
// would change a file that is not where the manifest says it is.

// walked are the folders that hold generated trees: pangeo-gen walks them
// whole for leftovers and links, and removes the folders in them that its
// deletes leave empty.
var walked = []string{gen.Deployments, gen.Clusters}

// walkedTop is the folder of walked that holds rel, "" when none does.
func walkedTop(rel string) string {
	for _, top := range walked {
		if strings.HasPrefix(rel, top+"/") {
			return top
		}
	}
	return ""
}

// TempPrefix starts the name of every temporary file gen stages: a file
// whose name starts with it is a leftover of an interrupted run when no
// gen is running, and gen never generates a path with such a name.
const TempPrefix = ".pangeo-gen-tmp-"

// LockPath is the lock a writing gen holds, relative to the root.
const LockPath = gen.Deployments + "/.pangeo-gen.lock"

// legacyTemp is the name os.CreateTemp gave staged files before
// TempPrefix: ".<name>.tmp-<digits>". Such a file is a leftover only when
// <name> beside it is a path pangeo-gen generates or generated.
var legacyTemp = regexp.MustCompile(`^\.(.+)\.tmp-[0-9]+$`)

// Op is a file system operation Apply makes, as Hook sees it.
type Op string

// The operations of Apply.
const (
	OpMkdir  Op = "mkdir"  // create a folder
	OpStage  Op = "stage"  // write a temporary file beside its target
	OpSync   Op = "sync"   // make the staged files durable
	OpRename Op = "rename" // move a staged file onto its target
	OpRemove Op = "remove" // delete an orphan or a leftover
)

// Hook, when not nil, is called before every file system operation Apply
// makes, with the operation and the path (relative to the root) it is
// about; an error it returns is that operation's error. It is a seam for
// tests (a full disk, a failing rename, a kill at a given point); nothing
// else sets it.
var Hook func(op Op, rel string) error

func hook(op Op, rel string) error {
	if Hook == nil {
		return nil
	}
	return Hook(op, rel)
}

// Link is a symbolic link found on a path gen reads or writes, or
// anywhere under deployments/.
type Link struct {
	// Path is the link itself (a slash path relative to the root).
	Path string
	// Target is what it points to, as it is written in the link.
	Target string
	// Escapes is set when the link leads out of the repository.
	Escapes bool
}

// Describe says what the link is, for messages.
func (l Link) Describe() string {
	if l.Escapes {
		return fmt.Sprintf("%s is a symbolic link to %s, outside the repository", l.Path, l.Target)
	}
	return fmt.Sprintf("%s is a symbolic link (to %s)", l.Path, l.Target)
}

// reserved reports whether a generated path would collide with pangeo-gen's
// own bookkeeping: a temporary file's name, the manifest or the lock.
func reserved(rel string) bool {
	return strings.HasPrefix(path.Base(rel), TempPrefix) || rel == ManifestPath || rel == LockPath
}

// inspector answers, for paths under one root, whether a symbolic link
// is on the way, caching what it learnt about each folder.
type inspector struct {
	r     *os.Root
	abs   string           // the root, absolute, links resolved
	dirs  map[string]*Link // folder -> the link on its way (nil: none)
	found map[string]Link  // every link seen, by path
	gone  map[string]bool  // folders that do not exist
	errs  map[string]error // folders that cannot be inspected
	// o opens the folders looked into, each through its parent's root.
	o opener
}

func newInspector(root string, r *os.Root) *inspector {
	abs, err := filepath.EvalSymlinks(root)
	if err != nil {
		abs = root
	}
	if a, err := filepath.Abs(abs); err == nil {
		abs = a
	}
	return &inspector{r: r, abs: abs, dirs: map[string]*Link{}, found: map[string]Link{}, gone: map[string]bool{}, errs: map[string]error{}, o: opener{r: r}}
}

// close closes the folders the inspector holds open.
func (in *inspector) close() { in.o.close() }

// dir inspects a folder and its parents: the first link on the way (nil
// when none), whether the folder is absent, or an error (say, a file where
// a folder should be).
func (in *inspector) dir(d string) (*Link, bool, error) {
	if d == "." || d == "" {
		return nil, false, nil
	}
	if l, ok := in.dirs[d]; ok {
		return l, in.gone[d], in.errs[d]
	}
	l, absent, err := in.dir(path.Dir(d))
	if l == nil && !absent && err == nil {
		var fi fs.FileInfo
		var parent *os.Root
		if parent, err = in.o.open(path.Dir(d)); err == nil {
			fi, err = parent.Lstat(path.Base(d))
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			absent, err = true, nil
		case err != nil:
			err = fmt.Errorf("stat %s: %w", d, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			link := in.link(d)
			l = &link
		case !fi.IsDir():
			err = fmt.Errorf("%s is not a folder, but gen writes files in it: move it away", d)
		}
	}
	in.dirs[d], in.gone[d], in.errs[d] = l, absent, err
	return l, absent, err
}

// link records the symbolic link at rel.
func (in *inspector) link(rel string) Link {
	if l, ok := in.found[rel]; ok {
		return l
	}
	target, _ := in.r.Readlink(filepath.FromSlash(rel))
	l := Link{Path: rel, Target: target, Escapes: in.escapes(rel, target)}
	in.found[rel] = l
	return l
}

// escapes reports whether the link at rel, pointing to target, leads out
// of the repository: lexically, or once every link on the way is resolved.
func (in *inspector) escapes(rel, target string) bool {
	t := filepath.FromSlash(target)
	if !filepath.IsAbs(t) {
		t = filepath.Join(in.abs, filepath.FromSlash(path.Dir(rel)), t)
	}
	if !within(in.abs, filepath.Clean(t)) {
		return true
	}
	if resolved, err := filepath.EvalSymlinks(filepath.Join(in.abs, filepath.FromSlash(rel))); err == nil {
		return !within(in.abs, resolved)
	}
	return false
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readFile returns the bytes and permission bits of the file at rel, nil
// when absent, and the link on its way (then nothing is read).
func (in *inspector) readFile(rel string) ([]byte, fs.FileMode, *Link, error) {
	f := in.readFiles([]string{rel})[0]
	return f.data, f.mode, f.link, f.err
}

// onDisk is what readFile finds at a path.
type onDisk struct {
	data []byte
	mode fs.FileMode
	link *Link
	err  error
	// linked is set when the path itself is a link (link is set after).
	linked bool
}

// readFiles is readFile of each path of rels. The folders are inspected
// first, one at a time (the inspector's caches); the files are then read
// a hub's tree per goroutine, each through an opener of its own.
func (in *inspector) readFiles(rels []string) []onDisk {
	out := make([]onDisk, len(rels))
	var todo []int
	for i, rel := range rels {
		if l, absent, err := in.dir(path.Dir(rel)); err != nil || l != nil || absent {
			out[i] = onDisk{link: l, err: err}
			continue
		}
		todo = append(todo, i)
	}
	slices.SortFunc(todo, func(a, b int) int { return strings.Compare(rels[a], rels[b]) })
	runs := runsOf(todo, func(i int) string { return path.Dir(rels[i]) })
	if len(runs) == 1 {
		for _, i := range runs[0] {
			out[i] = readIn(&in.o, rels[i])
		}
	} else {
		var g errgroup.Group
		g.SetLimit(ioParallelism)
		for _, run := range runs {
			g.Go(func() error {
				o := &opener{r: in.r}
				defer o.close()
				for _, i := range run {
					out[i] = readIn(o, rels[i])
				}
				return nil
			})
		}
		g.Wait()
	}
	for i := range out {
		if out[i].linked {
			link := in.link(rels[i])
			out[i].link = &link
		}
	}
	return out
}

// readIn reads the file at rel, whose folder exists with no link on its
// way, through o.
func readIn(o *opener, rel string) onDisk {
	d, err := o.open(path.Dir(rel))
	if err != nil {
		return onDisk{err: fmt.Errorf("stat %s: %w", rel, err)}
	}
	name := path.Base(rel)
	fi, err := d.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return onDisk{}
	case err != nil:
		return onDisk{err: fmt.Errorf("stat %s: %w", rel, err)}
	case fi.Mode()&fs.ModeSymlink != 0:
		return onDisk{linked: true}
	case !fi.Mode().IsRegular():
		return onDisk{err: fmt.Errorf("%s: not a regular file", rel)}
	}
	data, err := d.ReadFile(name)
	if err != nil {
		return onDisk{err: fmt.Errorf("read %s: %w", rel, err)}
	}
	if data == nil {
		data = []byte{}
	}
	return onDisk{data: data, mode: fi.Mode().Perm()}
}

// scan walks the folders pangeo-gen generates into (deployments/ and
// clusters/, never following a link) and the folders of the generated
// files outside them, for the links there and the temporary files an
// interrupted gen left. known are the paths pangeo-gen generates or
// generated, for the names of older versions' temporary files.
func (in *inspector) scan(known map[string]bool) (leftovers []string, err error) {
	isLeftover := func(rel string) bool { return IsLeftover(rel, known) }
	for _, top := range walked {
		l, absent, err := in.dir(top)
		if err != nil {
			return nil, err
		}
		if l != nil || absent {
			continue
		}
		found, err := walkTop(in.r, top, isLeftover)
		if err != nil {
			return nil, err
		}
		for _, p := range found.links {
			in.link(p)
		}
		leftovers = append(leftovers, found.leftovers...)
	}
	// Beside the generated files outside them (.sops.yaml,
	// .circleci/config.yml): only the folder itself, never a walk.
	dirs := map[string]bool{}
	for p := range known {
		if walkedTop(p) == "" {
			dirs[path.Dir(p)] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if l, absent, err := in.dir(d); err != nil || l != nil || absent {
			continue
		}
		entries, err := fs.ReadDir(in.r.FS(), d)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", d, err)
		}
		for _, e := range entries {
			if p := path.Join(d, e.Name()); e.Type().IsRegular() && isLeftover(p) {
				leftovers = append(leftovers, p)
			}
		}
	}
	sort.Strings(leftovers)
	return leftovers, nil
}

// walkFound is what a walk found beneath a folder: the links and the
// leftovers.
type walkFound struct {
	links, leftovers []string
}

// walkTop walks the folder top (a name in r), never following a link, for
// the links and the regular files isLeftover accepts beneath it: each
// folder read through a root opened on it from its parent's, the folders
// in top a goroutine each. Its error is the first a walk in name order
// (fs.WalkDir) meets.
func walkTop(r *os.Root, top string, isLeftover func(string) bool) (walkFound, error) {
	var found walkFound
	d, err := r.OpenRoot(top)
	if err != nil {
		return found, walkError(top, err)
	}
	defer d.Close()
	entries, err := readDir(d, top)
	if err != nil {
		return found, err
	}
	subs := make([]walkFound, len(entries))
	errs := make([]error, len(entries))
	var g errgroup.Group
	g.SetLimit(ioParallelism)
	for i, e := range entries {
		if e.IsDir() {
			g.Go(func() error {
				errs[i] = walkIn(d, e.Name(), top+"/"+e.Name(), isLeftover, &subs[i])
				return nil
			})
		}
	}
	g.Wait()
	for i, e := range entries {
		if !found.note(top+"/"+e.Name(), e, isLeftover) {
			continue
		}
		if errs[i] != nil {
			return walkFound{}, errs[i]
		}
		found.links = append(found.links, subs[i].links...)
		found.leftovers = append(found.leftovers, subs[i].leftovers...)
	}
	return found, nil
}

// note records the entry e at p when it is a link or a leftover, and
// reports whether it is a folder to walk.
func (f *walkFound) note(p string, e fs.DirEntry, isLeftover func(string) bool) bool {
	switch {
	case e.Type()&fs.ModeSymlink != 0:
		f.links = append(f.links, p)
	case e.Type().IsRegular() && isLeftover(p):
		f.leftovers = append(f.leftovers, p)
	default:
		return e.IsDir()
	}
	return false
}

// walkIn is the walk of the folder name in parent, at p, adding what it
// finds to found.
func walkIn(parent *os.Root, name, p string, isLeftover func(string) bool, found *walkFound) error {
	d, err := parent.OpenRoot(name)
	if err != nil {
		return walkError(p, err)
	}
	defer d.Close()
	entries, err := readDir(d, p)
	if err != nil {
		return err
	}
	for _, e := range entries {
		q := p + "/" + e.Name()
		if found.note(q, e, isLeftover) {
			if err := walkIn(d, e.Name(), q, isLeftover, found); err != nil {
				return err
			}
		}
	}
	return nil
}

// readDir is the entries of the folder d is opened on (at dir), sorted by
// name.
func readDir(d *os.Root, dir string) ([]fs.DirEntry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, walkError(dir, err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, walkError(dir, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// walkError is the error of a folder the walk cannot read, as fs.WalkDir
// over the root's FS words it: the path relative to the root.
func walkError(dir string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = &fs.PathError{Op: pe.Op, Path: dir, Err: pe.Err}
	}
	return fmt.Errorf("read %s: %w", dir, err)
}

// IsLeftover reports whether the file at rel (a slash path relative to
// the root) is a temporary file an interrupted gen left: its name starts
// with TempPrefix, or it is an older version's ".<name>.tmp-<digits>"
// beside a path in known (what pangeo-gen generates or generated).
func IsLeftover(rel string, known map[string]bool) bool {
	base := path.Base(rel)
	if strings.HasPrefix(base, TempPrefix) {
		return true
	}
	m := legacyTemp.FindStringSubmatch(base)
	return m != nil && known[path.Join(path.Dir(rel), m[1])]
}

// links are the links seen so far, sorted by path.
func (in *inspector) links() []Link {
	out := make([]Link, 0, len(in.found))
	for _, p := range slices.Sorted(maps.Keys(in.found)) {
		out = append(out, in.found[p])
	}
	return out
}

// tempName is a fresh temporary name beside rel.
func tempName(rel string) string {
	var b [8]byte
	rand.Read(b[:])
	base := path.Base(rel)
	// Keep the name within the 255 bytes of a file name.
	if max := 255 - len(TempPrefix) - 17; len(base) > max {
		base = base[:max]
	}
	return path.Join(path.Dir(rel), TempPrefix+hex.EncodeToString(b[:])+"-"+base)
}
