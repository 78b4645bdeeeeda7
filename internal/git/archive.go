package git

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Materialise writes the entries named names of the repository folder
// (Prefix) as they are at commit into dst (made when missing), through git
// archive and untar: names are top-level names of that folder (cue.mod,
// schema, hubs), those commit does not have are left out, and when it has
// none dst stays empty. git runs at the top of the work tree (Top), where
// COMMIT:PREFIX names the folder's tree (in a subfolder git would take
// the paths of ls-tree and archive relative to it).
func (r *Repo) Materialise(ctx context.Context, commit, dst string, names ...string) error {
	tree := commit + ":" + r.Prefix
	listed, err := run(ctx, r.top(), "ls-tree", "--name-only", tree)
	if err != nil {
		return err
	}
	var paths []string
	for _, n := range strings.Split(listed, "\n") {
		for _, s := range names {
			if n == s {
				paths = append(paths, n)
			}
		}
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if len(paths) == 0 {
		return nil
	}
	var archive bytes.Buffer
	if err := runTo(ctx, r.top(), &archive, append([]string{"archive", "--format=tar", tree, "--"}, paths...)...); err != nil {
		var gerr *Error
		if errors.As(err, &gerr) {
			return fmt.Errorf("git archive %s: %v: %s", tree, gerr.Err, firstLine(gerr.Stderr))
		}
		return err
	}
	return untar(&archive, dst)
}

// untar extracts the regular files, folders and symbolic links of a tar
// stream into dst, beneath it: an entry whose path is not a clean relative
// path (absolute, with "..", empty) is refused, and so is a write that
// would leave dst through a symbolic link or go through an entry already
// there (a link or a file: the path of a file is new); the other kinds of
// entry (hard links, devices, FIFOs, git archive's pax header) are passed
// over, never created. Links are written as they are (a revision's link is
// the revision's).
func untar(rd io.Reader, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	// made are the folders this untar made (or found) with MkdirAll: a
	// file or a link in one needs no MkdirAll again (nothing here removes
	// or replaces a folder).
	made := map[string]bool{".": true}
	mkdirAll := func(dir string) error {
		if made[dir] {
			return nil
		}
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		made[dir] = true
		return nil
	}
	tr := tar.NewReader(rd)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		name := path.Clean(h.Name)
		if !fs.ValidPath(name) {
			return fmt.Errorf("archive: bad path %q", h.Name)
		}
		target := filepath.FromSlash(name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = mkdirAll(target)
		case tar.TypeReg:
			if err = mkdirAll(filepath.Dir(target)); err == nil {
				var f *os.File
				if f, err = root.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(h.Mode)&0o777|0o600); err == nil {
					_, err = io.Copy(f, tr)
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
			}
		case tar.TypeSymlink:
			if err = mkdirAll(filepath.Dir(target)); err == nil {
				err = root.Symlink(h.Linkname, target)
			}
		}
		if err != nil {
			return fmt.Errorf("archive: %s: %w", h.Name, err)
		}
	}
}
