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
	"os"
	"path"
	"path/filepath"
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
	m := Manifest{Files: map[string]string{}}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ManifestPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("read manifest %s: %w", ManifestPath, err)
	}
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	return m, nil
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
)

var actionNames = [...]string{"keep", "create", "update", "delete", "edited", "foreign"}

func (a Action) String() string { return actionNames[a] }

// Change is one path and what happens to it.
type Change struct {
	Path   string
	Action Action
	// File is the generated file (nil for Delete and for an edited orphan).
	File *gen.File
}

// Plan is the comparison of generated files with the disk.
type Plan struct {
	Root    string
	Changes []Change // sorted by path; Keep entries included
	// Manifest is the manifest after applying the plan.
	Manifest Manifest
}

// Scope limits a plan to paths gen owns in this run: for `gen alpha`, the
// alpha tree and the repo-level files; nil means every path.
type Scope func(path string) bool

// Compare plans writing files under root. Orphans (paths in the old
// manifest that are no longer generated) are deleted only within scope.
func Compare(root string, files []gen.File, scope Scope) (*Plan, error) {
	old, err := ReadManifest(root)
	if err != nil {
		return nil, err
	}
	p := &Plan{Root: root, Manifest: Manifest{Files: map[string]string{}}}
	generated := map[string]bool{}
	for i := range files {
		f := &files[i]
		if generated[f.Path] {
			return nil, fmt.Errorf("generate: two files at %s", f.Path)
		}
		generated[f.Path] = true
		onDisk, mode, err := readFile(root, f.Path)
		if err != nil {
			return nil, err
		}
		want := Digest(f.Mode, f.Data)
		prev, known := old.Files[f.Path]
		c := Change{Path: f.Path, File: f}
		switch {
		case onDisk == nil:
			c.Action = Create
		case f.Stub:
			c.Action = Keep
		case bytes.Equal(onDisk, f.Data) && gitMode(mode) == gitMode(f.Mode):
			c.Action = Keep
		case !known:
			c.Action = Foreign
		case Digest(mode, onDisk) == prev:
			c.Action = Update
		default:
			c.Action = Edited
		}
		if !f.Stub {
			p.Manifest.Files[f.Path] = want
		}
		p.Changes = append(p.Changes, c)
	}
	for pth, digest := range old.Files {
		if generated[pth] {
			continue
		}
		if scope != nil && !scope(pth) {
			p.Manifest.Files[pth] = digest
			continue
		}
		onDisk, mode, err := readFile(root, pth)
		if err != nil {
			return nil, err
		}
		switch {
		case onDisk == nil:
			// already gone
		case Digest(mode, onDisk) == digest:
			p.Changes = append(p.Changes, Change{Path: pth, Action: Delete})
		default:
			p.Changes = append(p.Changes, Change{Path: pth, Action: Edited})
			p.Manifest.Files[pth] = digest
		}
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Path < p.Changes[j].Path })
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
// generated files and files pangeo-gen did not write.
func (p *Plan) Refused() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Action == Edited || c.Action == Foreign {
			out = append(out, c)
		}
	}
	return out
}

// Apply writes the plan: creates, updates (and, with force, overwrites
// hand-edited generated files), deletes orphans, then the manifest. It
// refuses the whole plan, writing nothing, while Refused is not empty and
// force is false. Foreign files are never overwritten, even with force.
//
// Every new content is first staged in a temporary file beside its target;
// the disks are synced once; only then are the targets replaced by rename,
// so a failure while staging leaves every target as it was, and a crash
// never leaves a half-written file.
func (p *Plan) Apply(force bool) error {
	for _, c := range p.Refused() {
		if c.Action == Foreign || !force {
			return fmt.Errorf("refusing to write: %s", describeRefused(p.Refused(), force))
		}
	}
	var writes []Change
	for _, c := range p.Changes {
		switch c.Action {
		case Create, Update, Edited:
			if c.File != nil { // an edited orphan (no File) is never deleted
				writes = append(writes, c)
			}
		}
	}
	writes = append(writes, Change{Path: ManifestPath, File: &gen.File{Path: ManifestPath, Mode: 0o644, Data: p.Manifest.Encode()}})
	// Staging and renaming are I/O bound: run them in parallel, each file
	// on its own, so the result does not depend on the order.
	staged := make([]stagedFile, len(writes))
	defer func() {
		for _, s := range staged {
			if s.tmp != "" {
				os.Remove(s.tmp)
			}
		}
	}()
	var g errgroup.Group
	g.SetLimit(ioParallelism)
	for i, c := range writes {
		g.Go(func() (err error) {
			staged[i], err = stage(p.Root, c.Path, c.File.Mode, c.File.Data)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := syncAll(staged); err != nil {
		return err
	}
	for i := range staged {
		g.Go(func() error {
			if err := os.Rename(staged[i].tmp, staged[i].target); err != nil {
				return fmt.Errorf("write %s: %w", staged[i].rel, err)
			}
			staged[i].tmp = "" // renamed: nothing to clean up
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, c := range p.Changes {
		if c.Action != Delete {
			continue
		}
		if err := os.Remove(filepath.Join(p.Root, filepath.FromSlash(c.Path))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s: %w", c.Path, err)
		}
		removeEmptyDirs(p.Root, path.Dir(c.Path))
	}
	return nil
}

// ioParallelism is how many files are staged or renamed at once.
const ioParallelism = 16

// stagedFile is new content written beside its target, not yet renamed.
type stagedFile struct {
	rel, target, tmp string
}

// stage writes data to a temporary file in the target's folder with the
// target's mode.
func stage(root, rel string, mode fs.FileMode, data []byte) (stagedFile, error) {
	target := filepath.Join(root, filepath.FromSlash(rel))
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	s := stagedFile{rel: rel, target: target, tmp: tmp.Name()}
	_, werr := tmp.Write(data)
	cerr := tmp.Chmod(mode.Perm())
	if err := errors.Join(werr, cerr, tmp.Close()); err != nil {
		os.Remove(s.tmp)
		return stagedFile{}, fmt.Errorf("write %s: %w", rel, err)
	}
	return s, nil
}

func describeRefused(cs []Change, force bool) string {
	var parts []string
	for _, c := range cs {
		switch c.Action {
		case Edited:
			parts = append(parts, c.Path+" was edited by hand since pangeo-gen wrote it (move the change into the hub's .cue file, or rerun with --force to discard it)")
		case Foreign:
			parts = append(parts, c.Path+" exists and was not written by pangeo-gen (move it away first)")
		}
	}
	return strings.Join(parts, "; ")
}

// removeEmptyDirs removes dir and its parents up to the deployments folder
// while they are empty.
func removeEmptyDirs(root, dir string) {
	for dir != "." && dir != gen.Deployments && strings.HasPrefix(dir, gen.Deployments+"/") {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(dir))); err != nil {
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

// readFile returns a file's bytes and permission bits, nil when absent.
func readFile(root, rel string) ([]byte, fs.FileMode, error) {
	name := filepath.Join(root, filepath.FromSlash(rel))
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("stat %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s: not a regular file", rel)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", rel, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, fi.Mode().Perm(), nil
}

// WriteFile writes data to root/rel atomically: a temporary file in the
// same folder, given its mode and synced, then renamed over the target.
func WriteFile(root, rel string, mode fs.FileMode, data []byte) error {
	s, err := stage(root, rel, mode, data)
	if err != nil {
		return err
	}
	defer os.Remove(s.tmp)
	if err := syncAll([]stagedFile{s}); err != nil {
		return err
	}
	if err := os.Rename(s.tmp, s.target); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}
