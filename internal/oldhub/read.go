// Package oldhub reads a hand-kept hubploy hub's folder for import, only
// beneath it: every file through input's bounded reader inside an os.Root,
// a link followed while it stays inside, anything else refused with the
// reason. It decodes its YAML files into plain maps.
package oldhub

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/input"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Folder is the old hub's folder, read only through input.ReadIn beneath
// it: a link is followed while it stays inside; one that leaves the
// folder, anything that is not a regular file (a FIFO, a device, a socket)
// and a file over input's size limit are refused, never read.
type Folder struct {
	// dir is the folder as the user named it (messages say it).
	dir  string
	root *os.Root
}

// Open opens the old hub's folder dir.
func Open(dir string) (*Folder, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the old hub's folder: %w", err)
	}
	return &Folder{dir: dir, root: root}, nil
}

// Close closes the folder.
func (o *Folder) Close() error { return o.root.Close() }

// Read reads rel (slash-separated): ok is false when nothing is there; a
// file that is there but refused or unreadable comes back as refused, the
// reason, which names neither the file nor its content.
func (o *Folder) Read(rel string) (data []byte, ok bool, refused string) {
	name := filepath.FromSlash(rel)
	if _, err := o.root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
		return nil, false, ""
	}
	data, err := input.ReadIn(o.root, name)
	if err != nil {
		return nil, true, o.why(rel, err)
	}
	return data, true, ""
}

// ReadDir lists the folder rel beneath the old hub's folder, sorted by
// name; ok is false when nothing is there.
func (o *Folder) ReadDir(rel string) (entries []fs.DirEntry, ok bool, refused string) {
	name := filepath.FromSlash(rel)
	if _, err := o.root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
		return nil, false, ""
	}
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := o.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, true, o.why(rel, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, true, o.why(rel, err)
	}
	if !fi.IsDir() {
		return nil, true, "not a folder"
	}
	entries, err = f.ReadDir(-1)
	if err != nil {
		return nil, true, o.why(rel, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, true, ""
}

// why says why rel was refused: not a regular file, over the size limit,
// a link that leaves the folder (with where it leads), a broken link, an
// absolute link (os.Root follows relative links only).
func (o *Folder) why(rel string, err error) string {
	var tooLarge *input.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Sprintf("larger than %d bytes, the limit for an input file (set %s to raise it)", tooLarge.Limit, input.LimitEnv)
	case errors.Is(err, input.ErrNotRegular):
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err.Error()
		}
		return input.ErrNotRegular.Error()
	}
	full := filepath.Join(o.dir, filepath.FromSlash(rel))
	base, berr := filepath.EvalSymlinks(o.dir)
	target, terr := filepath.EvalSymlinks(full)
	switch {
	case terr != nil && errors.Is(terr, fs.ErrNotExist):
		return "a broken link"
	case terr == nil && berr == nil && !Within(base, target):
		return fmt.Sprintf("a link to %s, outside %s", target, o.dir)
	case terr == nil && errors.Is(err, fs.ErrNotExist):
		return "a broken link"
	case terr == nil:
		return "a link by an absolute path (a link inside the folder must be relative)"
	}
	return "cannot be read: " + err.Error()
}

// Within reports whether target is dir or beneath it (both resolved).
func Within(dir, target string) bool {
	rel, err := filepath.Rel(dir, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// RefusedError is an essential file of the old hub (hubploy.yaml, a
// values file) that import refused to read.
func (o *Folder) RefusedError(rel, refused string) error {
	return fmt.Errorf("%s: %s: refused, nothing written (import reads only regular files inside the old hub's folder: copy the file into the folder in place of the link)", path.Join(filepath.ToSlash(o.dir), rel), refused)
}

// YAMLKind names the kind of a decoded YAML value for a message.
func YAMLKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// Dropped is a part of a YAML file DecodeMap did not decode: Key is ""
// for the whole file, else "document N".
type Dropped struct {
	Key, Why string
}

// DecodeMap decodes a YAML file that must hold one map: its first
// document, plain (see plain). A first document that is not a map (a
// list, a scalar) and every further document that is not empty are
// returned as dropped, each with its key ("" for the whole file) and why;
// one says who reads the file (Helm for a values file, hubploy, repo2docker)
// in the message about further documents. An empty file is an empty map.
func DecodeMap(data []byte, reader string) (m map[string]any, dropped []Dropped, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	m = map[string]any{}
	for n := 1; ; n++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return m, dropped, nil
		}
		if err != nil {
			return nil, nil, err
		}
		v = values.Plain(v)
		switch {
		case v == nil:
		case n > 1:
			dropped = append(dropped, Dropped{Key: fmt.Sprintf("document %d", n), Why: "a further YAML document (" + reader + "): not imported"})
		default:
			if mm, ok := v.(map[string]any); ok {
				m = mm
			} else {
				dropped = append(dropped, Dropped{Why: "the top level is " + YAMLKind(v) + ", not a map of values: not imported"})
			}
		}
	}
}
