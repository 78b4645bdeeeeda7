package vet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

// ContextKind is how a path of a hub's image folder on disk differs from
// the build context gen generates.
type ContextKind int

// The differences, each a reason why a build of the folder on disk is not
// the image the content-hash tag names.
const (
	// ContextForeign is a file (or symlink, or other entry) that
	// pangeo-gen did not write and does not generate.
	ContextForeign ContextKind = iota
	// ContextOrphan is a file pangeo-gen wrote before (it is in the
	// manifest) and no longer generates.
	ContextOrphan
	// ContextMissing is a generated file that is not there.
	ContextMissing
	// ContextChanged is a generated file whose bytes or mode differ, or
	// that is not a regular file.
	ContextChanged
)

// ContextDiff is one difference between a hub's image folder on disk and
// its generated build context.
type ContextDiff struct {
	// Path is slash-separated, relative to the repository root.
	Path string
	Kind ContextKind
	// Symlink is set when the entry on disk is a symbolic link.
	Symlink bool
}

// String says what the difference is and what to do about it.
func (d ContextDiff) String() string {
	switch d.Kind {
	case ContextForeign:
		what := "file"
		if d.Symlink {
			what = "symlink"
		}
		return d.Path + ": foreign " + what + " in the image build context: remove it, or add it to image.files"
	case ContextOrphan:
		return d.Path + ": no longer generated: run pangeo-gen gen to remove it"
	case ContextMissing:
		return d.Path + ": missing: run pangeo-gen gen"
	default:
		return d.Path + ": not what pangeo-gen generates (stale or edited): run pangeo-gen gen"
	}
}

// ImageContext compares the image folder of a built hub on disk
// (deployments/<hub>/image/ under root) with files, the build context gen
// generates for it (as gen.ImageFiles returns it): what repo2docker would
// build from the folder is exactly what the tag names only when there is
// no difference. An absent folder has none: there is nothing to build
// from. Entries are never followed (a symlink is a difference in itself),
// and only generated paths are read. The differences are sorted by path.
func ImageContext(root string, h *hub.Hub, files []gen.File) ([]ContextDiff, error) {
	return imageContextDiffs(root, h, files, func() (tree.Manifest, error) { return tree.ReadManifest(root) })
}

// imageContextDiffs is ImageContext, reading gen's manifest with manifest
// (when the folder exists), so that vet reads it once for every hub.
func imageContextDiffs(root string, h *hub.Hub, files []gen.File, manifest func() (tree.Manifest, error)) ([]ContextDiff, error) {
	if !h.Image.Built() {
		return nil, nil
	}
	dir := path.Join(gen.HubDir(h.Name), "image")
	abs := filepath.Join(root, filepath.FromSlash(dir))
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("image folder of %s: %w", h.Name, err)
	}
	want := map[string]*gen.File{}
	for i := range files {
		want[files[i].Path] = &files[i]
	}
	m, err := manifest()
	if err != nil {
		return nil, err
	}
	var diffs []ContextDiff
	seen := map[string]bool{}
	err = filepath.WalkDir(abs, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, name)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		symlink := d.Type()&fs.ModeSymlink != 0
		f, generated := want[rel]
		switch {
		case !generated && m.Files[rel] != "" && !symlink:
			diffs = append(diffs, ContextDiff{Path: rel, Kind: ContextOrphan})
		case !generated:
			diffs = append(diffs, ContextDiff{Path: rel, Kind: ContextForeign, Symlink: symlink})
		case !d.Type().IsRegular():
			diffs = append(diffs, ContextDiff{Path: rel, Kind: ContextChanged, Symlink: symlink})
		default:
			same, err := sameFile(name, f)
			if err != nil {
				return err
			}
			if !same {
				diffs = append(diffs, ContextDiff{Path: rel, Kind: ContextChanged})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("image folder of %s: %w", h.Name, err)
	}
	for p := range want {
		if !seen[p] && strings.HasPrefix(p, dir+"/") {
			diffs = append(diffs, ContextDiff{Path: p, Kind: ContextMissing})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs, nil
}

// sameFile reports whether the regular file name holds f's bytes and
// mode, as git keeps the mode (executable or not).
func sameFile(name string, f *gen.File) (bool, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return false, err
	}
	if fi.Size() != int64(len(f.Data)) || (fi.Mode().Perm()&0o111 != 0) != (f.Mode.Perm()&0o111 != 0) {
		return false, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return false, err
	}
	return bytes.Equal(data, f.Data), nil
}

// imageContext: the image folder of a built hub holds nothing gen did not
// write. repo2docker builds the whole folder, so a foreign file would be
// in an image whose tag is the hash of gen's files alone. Missing, stale,
// edited and no longer generated files are the generated check's.
func (c *checker) imageContext(out *gen.Output) error {
	h := out.Hub
	if c.manifest == nil {
		root := c.fed.Root
		c.manifest = sync.OnceValues(func() (tree.Manifest, error) { return tree.ReadManifest(root) })
	}
	diffs, err := imageContextDiffs(c.fed.Root, h, out.Files, c.manifest)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, f := range out.Files {
		known[f.Path] = true
	}
	for _, d := range diffs {
		// Symlinks and temporary files of an interrupted gen are the tree
		// safety check's (each is named there, once).
		if d.Kind != ContextForeign || d.Symlink || tree.IsLeftover(d.Path, known) {
			continue
		}
		c.add(&finding.Finding{
			Check:   "image-context",
			Hub:     h.Name,
			CUEPath: []string{d.Path},
			Pos:     pathPos(c.fed.Root, d.Path),
			Message: fmt.Sprintf("foreign file in the image build context: repo2docker would build it into the image; remove it or add it to image.files in %s", h.Source()),
		})
	}
	return nil
}
