// Package tree puts generated files on disk safely: it compares what gen
// would write with what is there, using a manifest of the files pangeo-gen
// wrote before, and applies the result with atomic writes. It never
// overwrites or deletes a file pangeo-gen did not write or that was edited
// by hand, and never touches an existing stub (secrets).
package tree

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pangeo-data/pangeo-gen/gen"
)

// ManifestPath is the manifest of generated files, relative to the root.
const ManifestPath = gen.Deployments + "/.pangeo-gen-manifest.json"

// Manifest records every file gen wrote (stubs excepted) with its digest.
type Manifest struct {
	// Files maps a slash path to the sha256 of its mode and bytes.
	Files map[string]string `json:"files"`
	// Pending maps the paths a gen is replacing to their new digest: it is
	// written before the first file is replaced and dropped by the
	// manifest written last, so that a gen stopped between the two (killed,
	// a full disk) leaves files that are either as Files or as Pending
	// says, both known as pangeo-gen's own.
	Pending map[string]string `json:"pending,omitempty"`
}

// Digest is the manifest digest of a file: sha256 over its mode (as git
// keeps it: executable or not) and bytes.
func Digest(mode fs.FileMode, data []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%o\x00", gitMode(mode))
	h.Write(data)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// ReadManifest reads the manifest under root; a missing one is empty.
func ReadManifest(root string) (Manifest, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	defer r.Close()
	in := newInspector(root, r)
	defer in.close()
	m, _, err := readManifest(in)
	return m, err
}

// readManifest reads the manifest and its bytes (nil when absent). A
// manifest behind a link is not read: the plan refuses the link.
func readManifest(in *inspector) (Manifest, []byte, error) {
	m := Manifest{Files: map[string]string{}}
	data, _, link, err := in.readFile(ManifestPath)
	if err != nil {
		return m, nil, fmt.Errorf("read manifest: %w", err)
	}
	if data == nil || link != nil {
		return m, nil, nil
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, nil, fmt.Errorf("read manifest %s: %w", ManifestPath, err)
	}
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	return m, data, nil
}

// Encode is the manifest's bytes (sorted keys, trailing newline).
func (m Manifest) Encode() []byte {
	data, _ := json.MarshalIndent(m, "", "  ")
	return append(data, '\n')
}

// Action is what applying a plan does to one path.
type Action int

// Actions, from harmless to refused.
const (
	Keep    Action = iota // on disk as gen would write it, or an existing stub
	Create                // absent: gen writes it
	Update                // gen wrote it before and it is stale: rewritten
	Delete                // gen wrote it before and no longer generates it
	Edited                // gen wrote it but it was edited by hand: refused
	Foreign               // exists but pangeo-gen did not write it: refused
	Linked                // a symbolic link is on its path: always refused
)

var actionNames = [...]string{"keep", "create", "update", "delete", "edited", "foreign", "linked"}

func (a Action) String() string { return actionNames[a] }

// Change is one path and what happens to it.
type Change struct {
	Path   string
	Action Action
	// File is the generated file (nil for Delete and for an edited orphan).
	File *gen.File
	// Link is the symbolic link on the path of a Linked change.
	Link *Link

	// was is the manifest digest that describes the file on disk before
	// the plan ("" when absent or unknown): what the manifest keeps for
	// the path when the change is not made.
	was string
}

// Plan is the comparison of generated files with the disk.
type Plan struct {
	Root    string
	Changes []Change // sorted by path; Keep entries included
	// Manifest is the manifest after applying the plan.
	Manifest Manifest
	// Leftovers are temporary files an interrupted gen left (under
	// deployments/ and beside the generated files outside it): Apply
	// removes them.
	Leftovers []string
	// Links are the symbolic links on the generated paths and anywhere
	// under deployments/, sorted by path.
	Links []Link
	// Cleaned are the leftovers Apply removed.
	Cleaned []string

	files []gen.File
	scope Scope
	raw   []byte // the manifest's bytes when compared (nil: none)
}

// Scope limits a plan to paths gen owns in this run: for `gen alpha`, the
// alpha tree and the repo-level files; nil means every path.
type Scope func(path string) bool

// Compare plans writing files under root. Orphans (paths in the old
// manifest that are no longer generated) are deleted only within scope.
// Nothing is read through a symbolic link: a path with a link on it is a
// Linked change.
func Compare(root string, files []gen.File, scope Scope) (*Plan, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer r.Close()
	in := newInspector(root, r)
	defer in.close()
	return compare(root, in, files, scope)
}

func compare(root string, in *inspector, files []gen.File, scope Scope) (*Plan, error) {
	old, raw, err := readManifest(in)
	if err != nil {
		return nil, err
	}
	p := &Plan{Root: root, Manifest: Manifest{Files: map[string]string{}}, files: files, scope: scope, raw: raw}
	// The files are read all at once (readFiles), up to the first that
	// gen must not write, whose error comes after those of the files
	// before it, as when each was read in turn.
	generated := map[string]bool{}
	var paths []string
	var bad error
	for _, f := range files {
		if generated[f.Path] {
			bad = fmt.Errorf("generate: two files at %s", f.Path)
			break
		}
		if reserved(f.Path) {
			bad = fmt.Errorf("generate: %s: the name is pangeo-gen's own (its manifest, lock or temporary files)", f.Path)
			break
		}
		generated[f.Path] = true
		paths = append(paths, f.Path)
	}
	found := in.readFiles(paths)
	for i := range files {
		if i == len(found) {
			return nil, bad
		}
		f := &files[i]
		onDisk, mode, link, err := found[i].data, found[i].mode, found[i].link, found[i].err
		if err != nil {
			return nil, err
		}
		want := Digest(f.Mode, f.Data)
		prev, known := old.Files[f.Path]
		pending, isPending := old.Pending[f.Path]
		c := Change{Path: f.Path, File: f, Link: link}
		var have string
		if onDisk != nil {
			have = Digest(mode, onDisk)
		}
		switch {
		case link != nil:
			c.Action = Linked
		case onDisk == nil:
			c.Action = Create
		case f.Stub:
			c.Action = Keep
		case bytes.Equal(onDisk, f.Data) && gitMode(mode) == gitMode(f.Mode):
			c.Action, c.was = Keep, want
		case !known && !isPending:
			c.Action = Foreign
		case have == prev || have == pending && isPending:
			c.Action, c.was = Update, have
		case known:
			c.Action, c.was = Edited, prev
		default:
			c.Action, c.was = Edited, pending
		}
		if !f.Stub {
			p.Manifest.Files[f.Path] = want
		}
		p.Changes = append(p.Changes, c)
	}
	orphans := map[string]bool{}
	for pth := range old.Files {
		orphans[pth] = true
	}
	for pth := range old.Pending {
		orphans[pth] = true
	}
	for _, pth := range slices.Sorted(maps.Keys(orphans)) {
		if generated[pth] {
			continue
		}
		digest, known := old.Files[pth]
		pending, isPending := old.Pending[pth]
		inScope := scope == nil || scope(pth)
		if !inScope && !isPending {
			p.Manifest.Files[pth] = digest
			continue
		}
		onDisk, mode, link, err := in.readFile(pth)
		if err != nil {
			return nil, err
		}
		var have string
		if onDisk != nil {
			have = Digest(mode, onDisk)
		}
		ours := onDisk != nil && (known && have == digest || isPending && have == pending)
		switch {
		case !inScope:
			// Another hub's file a stopped gen was replacing: the
			// manifest takes what is on disk when it is either.
			if ours {
				p.Manifest.Files[pth] = have
			} else if known {
				p.Manifest.Files[pth] = digest
			}
		case link != nil:
			p.Changes = append(p.Changes, Change{Path: pth, Action: Linked, Link: link})
			if known {
				p.Manifest.Files[pth] = digest
			}
		case onDisk == nil:
			// already gone
		case ours:
			p.Changes = append(p.Changes, Change{Path: pth, Action: Delete, was: have})
		default:
			if !known {
				digest = pending
			}
			p.Changes = append(p.Changes, Change{Path: pth, Action: Edited, was: digest})
			p.Manifest.Files[pth] = digest
		}
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Path < p.Changes[j].Path })
	known := map[string]bool{ManifestPath: true}
	for pth := range generated {
		known[pth] = true
	}
	for pth := range orphans {
		known[pth] = true
	}
	if p.Leftovers, err = in.scan(known); err != nil {
		return nil, err
	}
	p.Links = in.links()
	return p, nil
}

// Pending are the changes that are not Keep.
func (p *Plan) Pending() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Action != Keep {
			out = append(out, c)
		}
	}
	return out
}

// Refused are the changes gen will not make without force: hand-edited
// generated files, files pangeo-gen did not write and paths through a
// symbolic link.
func (p *Plan) Refused() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Action == Edited || c.Action == Foreign || c.Action == Linked {
			out = append(out, c)
		}
	}
	return out
}

// refusal is the error of a plan that must not be applied, nil when it
// may be.
func (p *Plan) refusal(force bool) error {
	refused := p.Refused()
	for _, c := range refused {
		if c.Action != Edited || !force {
			return fmt.Errorf("refusing to write: %s", describeRefused(refused, force))
		}
	}
	return nil
}

// Apply writes the plan: creates, updates (and, with force, overwrites
// hand-edited generated files), deletes orphans, then the manifest. It
// refuses the whole plan, writing nothing, while Refused is not empty and
// force is false. Foreign files and paths through a link are never
// written, even with force.
//
// Apply holds the repository's lock (see Lock) while it writes; when the
// manifest changed since Compare (another gen ran meanwhile) it compares
// again first, updating p. Under the lock it removes the temporary files
// interrupted runs left (Cleaned). Then every new content is staged in a
// temporary file beside its target, with a manifest that also knows the
// new digests (Pending); every staged file is made durable (fsynced each,
// or all synced at once when there are many: see syncEach);
// that manifest is renamed into place, then each target; orphans are
// deleted; the manifest of what is really on disk is written last. A
// failure while staging leaves every file as it was (and removes the
// folders made for it); a failure or a kill later leaves each file old or
// new, and a manifest that knows both, so the next gen completes the tree
// without --force.
func (p *Plan) Apply(force bool) error {
	if err := p.refusal(force); err != nil {
		return err
	}
	r, err := os.OpenRoot(p.Root)
	if err != nil {
		return fmt.Errorf("open %s: %w", p.Root, err)
	}
	defer r.Close()
	in := newInspector(p.Root, r)
	defer in.close()
	lock, err := acquire(r, in)
	if err != nil {
		return err
	}
	defer lock.Release()
	if _, raw, err := readManifest(in); err != nil {
		return err
	} else if !bytes.Equal(raw, p.raw) {
		again := newInspector(p.Root, r)
		fresh, err := compare(p.Root, again, p.files, p.scope)
		again.close()
		if err != nil {
			return err
		}
		*p = *fresh
		if err := p.refusal(force); err != nil {
			return err
		}
	}
	if err := p.clean(r); err != nil {
		return err
	}
	return p.write(r)
}

// clean removes the leftovers of interrupted runs: under the lock, a
// temporary file is nobody's.
func (p *Plan) clean(r *os.Root) error {
	known := map[string]bool{ManifestPath: true}
	for _, c := range p.Changes {
		known[c.Path] = true
	}
	for pth := range p.Manifest.Files {
		known[pth] = true
	}
	in := newInspector(p.Root, r)
	defer in.close()
	leftovers, err := in.scan(known)
	if err != nil {
		return err
	}
	for _, rel := range leftovers {
		if err := hook(OpRemove, rel); err != nil {
			return fmt.Errorf("remove the leftover %s: %w", rel, err)
		}
		if err := r.Remove(filepath.FromSlash(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove the leftover %s: %w", rel, err)
		}
		p.Cleaned = append(p.Cleaned, rel)
	}
	return nil
}

// write is the transaction of Apply, under the lock.
func (p *Plan) write(r *os.Root) error {
	var writes, deletes []Change
	for _, c := range p.Changes {
		switch {
		case c.Action == Delete:
			deletes = append(deletes, c)
		case (c.Action == Create || c.Action == Update || c.Action == Edited) && c.File != nil:
			// an edited orphan (no File) is never deleted
			writes = append(writes, c)
		}
	}
	final := p.Manifest.Encode()
	if len(writes) == 0 && len(deletes) == 0 {
		if bytes.Equal(final, p.raw) {
			return nil
		}
		return writeManifest(r, final)
	}
	// The manifest written first knows the files as they are and as they
	// will be.
	intent := Manifest{Files: maps.Clone(p.Manifest.Files), Pending: map[string]string{}}
	for _, c := range writes {
		if c.was != "" {
			intent.Files[c.Path] = c.was
		} else {
			delete(intent.Files, c.Path)
		}
		if !c.File.Stub {
			intent.Pending[c.Path] = p.Manifest.Files[c.Path]
		}
	}
	for _, c := range deletes {
		intent.Files[c.Path] = c.was
	}

	dirs := map[string]bool{path.Dir(ManifestPath): true}
	for _, c := range writes {
		dirs[path.Dir(c.Path)] = true
	}
	// Staging and renaming are I/O bound: run them in parallel, each file
	// on its own, so the result does not depend on the order.
	contents := append([]*gen.File{{Path: ManifestPath, Mode: 0o644, Data: intent.Encode()}}, filesOf(writes)...)
	staged := make([]stagedFile, len(contents))
	removeStaged := func() {
		for i := range staged {
			staged[i].remove(r)
		}
	}
	defer removeStaged()
	created, err := mkdirs(r, slices.Sorted(maps.Keys(dirs)))
	unchanged := func(err error) error {
		removeStaged()
		removeDirs(r, created)
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if err != nil {
		return unchanged(err)
	}
	// Files are staged and renamed a folder at a time, through a root
	// opened on the folder: each file then costs one name to resolve,
	// not every folder of its path (os.Root opens each on the way). Each
	// goroutine takes a hub's tree, whose folders its opener opens once.
	// A few files are fsynced each, kept open from staging to the sync;
	// more are made durable by one sync (see syncEach).
	each := len(contents) <= syncEach
	trees := subtrees(byDir(contents))
	var g errgroup.Group
	g.SetLimit(ioParallelism)
	for _, grps := range trees {
		g.Go(func() error {
			o := &opener{r: r}
			defer o.close()
			for _, grp := range grps {
				d, err := o.open(grp.dir)
				if err != nil {
					return err
				}
				for _, i := range grp.files {
					var err error
					if staged[i], err = stageIn(d, grp.dir, contents[i].Path, contents[i].Mode, contents[i].Data, each); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return unchanged(err)
	}
	if err := hook(OpSync, ""); err != nil {
		return unchanged(fmt.Errorf("sync: %w", err))
	}
	if err := syncFiles(staged); err != nil {
		return unchanged(err)
	}
	if !each {
		syncAll()
	}
	if err := staged[0].rename(r); err != nil {
		return unchanged(err)
	}
	errs := make([]error, len(staged))
	for _, grps := range trees {
		g.Go(func() error {
			o := &opener{r: r}
			defer o.close()
			for _, grp := range grps {
				d, err := o.open(grp.dir)
				for _, i := range grp.files {
					switch {
					case i == 0:
					case err != nil:
						errs[i] = fmt.Errorf("write %s: %w", staged[i].rel, err)
					default:
						errs[i] = staged[i].renameIn(d, grp.dir)
					}
				}
			}
			return nil
		})
	}
	g.Wait()
	// What the last manifest records: a file not replaced keeps what
	// described it before, an orphan not deleted stays.
	m := Manifest{Files: maps.Clone(p.Manifest.Files)}
	var failed []error
	written := 0
	for i, c := range writes {
		switch {
		case errs[i+1] == nil:
			written++
		case c.was != "":
			m.Files[c.Path] = c.was
		default:
			delete(m.Files, c.Path)
		}
		if errs[i+1] != nil {
			failed = append(failed, errs[i+1])
		}
	}
	deleted := 0
	for _, c := range deletes {
		var err error
		if len(failed) > 0 {
			// The write failed: stale files stay for the next gen.
		} else if err = hook(OpRemove, c.Path); err == nil {
			err = r.Remove(filepath.FromSlash(c.Path))
			if errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
		}
		if len(failed) == 0 && err == nil {
			deleted++
			removeEmptyDirs(r, path.Dir(c.Path))
			continue
		}
		m.Files[c.Path] = c.was
		if err != nil {
			failed = append(failed, fmt.Errorf("delete %s: %w", c.Path, err))
		}
	}
	if err := writeManifest(r, m.Encode()); err != nil {
		failed = append(failed, err)
	}
	if len(failed) == 0 {
		return nil
	}
	removeStaged()
	removeDirs(r, created)
	msgs := make([]string, len(failed))
	for i, err := range failed {
		msgs[i] = err.Error()
	}
	return fmt.Errorf("%s; %d of %d files written, %d of %d stale files deleted; every file is as it was or as generated and the manifest knows which: fix the cause, then run gen again",
		strings.Join(msgs, "; "), written, len(writes), deleted, len(deletes))
}

func filesOf(cs []Change) []*gen.File {
	out := make([]*gen.File, len(cs))
	for i, c := range cs {
		out[i] = c.File
	}
	return out
}

// writeManifest replaces the manifest atomically.
func writeManifest(r *os.Root, data []byte) error {
	s, err := stage(r, ManifestPath, 0o644, data)
	if err != nil {
		return err
	}
	defer s.remove(r)
	if err := hook(OpSync, ManifestPath); err != nil {
		return fmt.Errorf("write %s: %w", ManifestPath, err)
	}
	if err := s.sync(); err != nil {
		return err
	}
	return s.rename(r)
}

// mkdirs makes the folders (sorted, so that parents come first) that do
// not exist, refusing a link or a file on the way, and returns those it
// made. Each folder is looked at and made through a root on its parent
// (see opener): one name to resolve.
func mkdirs(r *os.Root, dirs []string) ([]string, error) {
	o := &opener{r: r}
	defer o.close()
	var created []string
	seen := map[string]bool{".": true}
	made := map[string]bool{} // the folders made here, empty when made
	for _, d := range dirs {
		var parts []string
		for q := d; !seen[q]; q = path.Dir(q) {
			parts = append(parts, q)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			q := parts[i]
			seen[q] = true
			parent, err := o.open(path.Dir(q))
			if err != nil {
				return created, err
			}
			name := path.Base(q)
			var fi fs.FileInfo
			err = fs.ErrNotExist
			if !made[path.Dir(q)] {
				// In a folder made here nothing is there to look at:
				// Mkdir says so if something appeared since.
				fi, err = parent.Lstat(name)
			}
			switch {
			case errors.Is(err, fs.ErrNotExist):
				if err := hook(OpMkdir, q); err != nil {
					return created, fmt.Errorf("create %s: %w", q, err)
				}
				err := parent.Mkdir(name, 0o755)
				switch {
				case err == nil:
					made[q] = true
				case errors.Is(err, fs.ErrExist) && made[path.Dir(q)]:
					return created, fmt.Errorf("create %s: something else made it meanwhile", q)
				case !errors.Is(err, fs.ErrExist):
					return created, fmt.Errorf("create %s: %w", q, err)
				}
				created = append(created, q)
			case err != nil:
				return created, fmt.Errorf("stat %s: %w", q, err)
			case fi.Mode()&fs.ModeSymlink != 0:
				return created, fmt.Errorf("%s is a symbolic link: pangeo-gen does not write through links", q)
			case !fi.IsDir():
				return created, fmt.Errorf("%s is not a folder, but gen writes files in it: move it away", q)
			}
		}
	}
	return created, nil
}

// removeDirs removes the folders a failed run made, deepest first, where
// they are empty.
func removeDirs(r *os.Root, created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		r.Remove(filepath.FromSlash(created[i]))
	}
}

// ioParallelism is how many files are staged or renamed at once.
const ioParallelism = 16

// stagedFile is new content written beside its target, not yet renamed
// (slash paths relative to the root).
type stagedFile struct {
	rel, tmp string
	// f is the staged file while it is kept open to be fsynced (see
	// sync), nil once synced or when it was closed after staging.
	f *os.File
}

// sync fsyncs the staged file kept open and closes it.
func (s *stagedFile) sync() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", s.rel, err)
	}
	return nil
}

// remove removes the staged file, not renamed, if there is one.
func (s *stagedFile) remove(r *os.Root) {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	if s.tmp != "" {
		r.Remove(filepath.FromSlash(s.tmp))
		s.tmp = ""
	}
}

// syncFiles fsyncs and closes the staged files kept open,
// ioParallelism at a time: the file system commits the fsyncs that
// wait together at once.
func syncFiles(staged []stagedFile) error {
	var g errgroup.Group
	g.SetLimit(ioParallelism)
	for i := range staged {
		if staged[i].f != nil {
			g.Go(staged[i].sync)
		}
	}
	return g.Wait()
}

// rename moves the staged file onto its target.
func (s *stagedFile) rename(r *os.Root) error { return s.renameIn(r, ".") }

// renameIn is rename through d, a root opened on the folder dir (relative
// to the repository root) that holds the staged file and its target.
func (s *stagedFile) renameIn(d *os.Root, dir string) error {
	if err := hook(OpRename, s.rel); err != nil {
		return fmt.Errorf("write %s: %w", s.rel, err)
	}
	if err := d.Rename(filepath.FromSlash(relTo(dir, s.tmp)), filepath.FromSlash(relTo(dir, s.rel))); err != nil {
		return fmt.Errorf("write %s: %w", s.rel, err)
	}
	s.tmp = "" // renamed: nothing to clean up
	return nil
}

// stage writes data to a temporary file (named with TempPrefix) in the
// target's folder, which exists, with the target's mode, kept open to be
// synced.
func stage(r *os.Root, rel string, mode fs.FileMode, data []byte) (stagedFile, error) {
	return stageIn(r, ".", rel, mode, data, true)
}

// stageIn is stage through d, a root opened on the folder dir (relative
// to the repository root) that holds rel; the file is kept open (to be
// fsynced: stagedFile.sync) when keep is set, else closed.
func stageIn(d *os.Root, dir, rel string, mode fs.FileMode, data []byte, keep bool) (stagedFile, error) {
	if err := hook(OpStage, rel); err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	tmp := tempName(rel)
	name := filepath.FromSlash(relTo(dir, tmp))
	f, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	_, werr := f.Write(data)
	cerr := f.Chmod(mode.Perm())
	if err := errors.Join(werr, cerr); err != nil || !keep {
		err = errors.Join(err, f.Close())
		if err != nil {
			d.Remove(name)
			return stagedFile{}, fmt.Errorf("write %s: %w", rel, err)
		}
		f = nil
	}
	return stagedFile{rel: rel, tmp: tmp, f: f}, nil
}

// dirFiles are the indexes of the files of one folder.
type dirFiles struct {
	dir   string
	files []int
}

// byDir groups files by folder, the folders sorted, each folder's files
// in the order given.
func byDir(files []*gen.File) []dirFiles {
	at := map[string]int{}
	var out []dirFiles
	for i, f := range files {
		dir := path.Dir(f.Path)
		j, ok := at[dir]
		if !ok {
			j = len(out)
			at[dir] = j
			out = append(out, dirFiles{dir: dir})
		}
		out[j].files = append(out[j].files, i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// relTo is the slash path p (relative to the repository root) relative to
// its folder dir ("." for the root).
func relTo(dir, p string) string {
	if dir == "." {
		return p
	}
	return strings.TrimPrefix(p, dir+"/")
}

func describeRefused(cs []Change, force bool) string {
	var parts []string
	links := map[string]bool{}
	for _, c := range cs {
		switch c.Action {
		case Edited:
			if !force {
				parts = append(parts, c.Path+" was edited by hand since pangeo-gen wrote it (move the change into the hub's .cue file, or rerun with --force to discard it)")
			}
		case Foreign:
			parts = append(parts, c.Path+" exists and was not written by pangeo-gen (move it away first)")
		case Linked:
			if !links[c.Link.Path] {
				links[c.Link.Path] = true
				parts = append(parts, c.Link.Describe()+": pangeo-gen never writes through a link, even with --force (replace it with a folder or file, or remove it)")
			}
		}
	}
	return strings.Join(parts, "; ")
}

// removeEmptyDirs removes dir and its parents up to the walked folder
// (deployments/, clusters/) that holds them while they are empty.
func removeEmptyDirs(r *os.Root, dir string) {
	for top := walkedTop(dir); top != "" && dir != top && strings.HasPrefix(dir, top+"/"); {
		if err := r.Remove(filepath.FromSlash(dir)); err != nil {
			return
		}
		dir = path.Dir(dir)
	}
}

// gitMode is a mode as git records it: 0755 when any executable bit is
// set, else 0644. Group and other bits follow the umask of a checkout and
// must not make a file look stale.
func gitMode(m fs.FileMode) fs.FileMode {
	if m.Perm()&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// WriteFile writes data to root/rel atomically: a temporary file in the
// same folder, given its mode and synced, then renamed over the target.
// It writes beneath root (made when missing) and never through a link
// that leaves it.
func WriteFile(root, rel string, mode fs.FileMode, data []byte) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	defer r.Close()
	rel = filepath.ToSlash(filepath.Clean(rel))
	if err := r.MkdirAll(filepath.FromSlash(path.Dir(rel)), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	s, err := stage(r, rel, mode, data)
	if err != nil {
		return err
	}
	defer s.remove(r)
	if err := s.sync(); err != nil {
		return err
	}
	return s.rename(r)
}
