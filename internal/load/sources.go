package load

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/pangeo-data/pangeo-gen/internal/input"
)

// readSources reads every CUE file the load of hubs/ can see, each through
// input.ReadFile (a regular file, within the size limit), into an overlay
// that CUE then reads instead of the disk: hubs/*.cue, schema/*.cue, the
// root's *.cue (CUE merges a package's files from parent folders) and
// cue.mod/module.cue. A .cue file CUE would never load is refused, not
// passed over in silence: a name starting with '_' or '.', a *_test.cue or
// *_tool.cue file, a file in a subfolder of hubs/; and so is a .cue name
// that is a folder, a FIFO or a device, a file past the size limit and a
// file that is not UTF-8. Every problem is reported, not only the first.
func readSources(root string) (map[string]load.Source, error) {
	overlay := map[string]load.Source{}
	var errs errors.Error
	add := func(rel string) {
		name := filepath.Join(root, filepath.FromSlash(rel))
		data, err := input.ReadFile(name)
		if err != nil {
			errs = errors.Append(errs, readError(rel, err))
			return
		}
		if err := checkUTF8(name, data); err != nil {
			errs = errors.Append(errs, err)
			return
		}
		overlay[name] = load.FromBytes(data)
	}
	hubFiles := 0
	for _, dir := range []string{".", HubsDir, "schema"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			if dir != "." && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s/: %w", dir, err)
		}
		for _, e := range entries {
			rel := path.Join(dir, e.Name())
			if e.IsDir() && dir == HubsDir && !strings.HasSuffix(e.Name(), ".cue") {
				errs = errors.Append(errs, subfolderErrors(root, rel))
				continue
			}
			if !strings.HasSuffix(e.Name(), ".cue") {
				continue
			}
			if dir == HubsDir {
				hubFiles++
				if msg := skipped(e.Name()); msg != "" {
					errs = errors.Append(errs, errors.Newf(firstLine(filepath.Join(root, filepath.FromSlash(rel))), "%s is never loaded: %s", rel, msg))
					continue
				}
			}
			add(rel)
		}
	}
	if hubFiles == 0 {
		return nil, errors.Newf(token.NoPos, "%s/: no .cue files: the federation has no hubs (add hubs/<name>.cue)", HubsDir)
	}
	add("cue.mod/module.cue")
	if errs != nil {
		return nil, errs
	}
	return overlay, nil
}

// skipped says why CUE never loads the file base of hubs/, or "".
func skipped(base string) string {
	switch {
	case strings.HasPrefix(base, "_"), strings.HasPrefix(base, "."):
		return fmt.Sprintf("CUE skips files whose name starts with '%c'; rename it to hubs/%s (or remove it)", base[0], strings.TrimLeft(base, "_."))
	case strings.HasSuffix(base, "_test.cue"), strings.HasSuffix(base, "_tool.cue"):
		return "CUE skips *_test.cue and *_tool.cue files; rename it (or remove it)"
	}
	return ""
}

// subfolderErrors refuses every .cue file beneath the folder rel of hubs/:
// the federation is the package hubs/ alone, so CUE never loads them.
func subfolderErrors(root, rel string) errors.Error {
	var errs errors.Error
	var names []string
	filepath.WalkDir(filepath.Join(root, filepath.FromSlash(rel)), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".cue") {
			names = append(names, p)
		}
		return nil
	})
	slices.Sort(names)
	for _, p := range names {
		r, _ := filepath.Rel(root, p)
		errs = errors.Append(errs, errors.Newf(firstLine(p), "%s is never loaded: pangeo-gen loads hubs/*.cue only, not the folders beneath; move it into hubs/ (or remove it)", filepath.ToSlash(r)))
	}
	return errs
}

// readError is a file input.ReadFile refused, named relative to the root.
func readError(rel string, err error) errors.Error {
	var tooLarge *input.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return errors.Newf(token.NoPos, "%s: larger than %d bytes, the limit for an input file (set %s to raise it)", rel, tooLarge.Limit, input.LimitEnv)
	case errors.Is(err, input.ErrNotRegular):
		what := "not a regular file"
		var pe *fs.PathError
		if errors.As(err, &pe) {
			what = strings.TrimSuffix(strings.TrimPrefix(pe.Err.Error(), input.ErrNotRegular.Error()+" ("), ")")
		}
		return errors.Newf(token.NoPos, "%s is %s, not a file: a .cue name must be a regular CUE file; rename or remove it", rel, what)
	}
	return errors.Newf(token.NoPos, "%s: %v", rel, err)
}

// firstLine is the position of line 1, column 1 of the file name, for a
// problem about a whole file.
func firstLine(name string) token.Pos {
	return token.NewFile(name, -1, 1).Pos(0, token.NoRelPos)
}

// checkUTF8 refuses a file that is not UTF-8, naming the first bad byte's
// position.
func checkUTF8(name string, data []byte) errors.Error {
	if utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	tf := token.NewFile(name, -1, len(data))
	tf.SetLinesForContent(data)
	return errors.Newf(tf.Pos(off, token.NoRelPos), "file is not UTF-8: invalid byte 0x%02x (CUE files must be UTF-8)", data[off])
}

// excludedFiles refuses the hubs/ files CUE read but left out of the
// package: a file without a package clause, and one an @if(...) or
// @ignore() attribute excludes (pangeo-gen sets no build tags).
func excludedFiles(root string, inst *build.Instance) error {
	var errs errors.Error
	for _, f := range slices.Concat(inst.IgnoredFiles, inst.OrphanedFiles) {
		rel, err := filepath.Rel(root, f.Filename)
		if err != nil || path.Dir(filepath.ToSlash(rel)) != HubsDir || !strings.HasSuffix(rel, ".cue") {
			continue
		}
		rel = filepath.ToSlash(rel)
		var reason string
		pos := firstLine(f.Filename)
		if f.ExcludeReason != nil {
			reason = f.ExcludeReason.Error()
			if p := f.ExcludeReason.Position(); p.IsValid() {
				pos = p
			}
			for _, p := range errors.Positions(f.ExcludeReason) {
				reason = strings.TrimPrefix(reason, p.String()+": ")
			}
		}
		switch {
		case strings.Contains(reason, "no package name"):
			reason = "it has no package clause; start it with package hubs"
		case strings.HasPrefix(reason, "@if("), strings.HasPrefix(reason, "@ignore("):
			reason = fmt.Sprintf("%s: pangeo-gen sets no build tags, so the attribute leaves the file out; remove it", reason)
		case reason == "":
			reason = "CUE left it out of package hubs"
		}
		errs = errors.Append(errs, errors.Newf(pos, "%s is never loaded: %s", rel, reason))
	}
	if errs != nil {
		return errs
	}
	return nil
}

// fullMessages makes each error's message the whole chain it wraps: CUE's
// loader wraps the reason of a failed import ("cannot find package
// \"example.com/x\"") in an error whose own message is only "import
// failed", and errors.Print shows only that.
func fullMessages(err error) error {
	var out errors.Error
	for _, e := range errors.Errors(err) {
		out = errors.Append(out, &chained{e: e})
	}
	return out
}

// chained is an error whose message includes the messages it wraps.
type chained struct{ e errors.Error }

func (e *chained) Position() token.Pos         { return e.e.Position() }
func (e *chained) InputPositions() []token.Pos { return e.e.InputPositions() }
func (e *chained) Path() []string              { return e.e.Path() }
func (e *chained) Unwrap() error               { return e.e }

func (e *chained) Msg() (string, []any) {
	format, args := e.e.Msg()
	msg := fmt.Sprintf(format, args...)
	for w := errors.Unwrap(e.e); w != nil; w = errors.Unwrap(w) {
		var m string
		if ce, ok := w.(errors.Error); ok {
			f, a := ce.Msg()
			m = fmt.Sprintf(f, a...)
		} else {
			m = w.Error()
		}
		if m != "" && !strings.HasSuffix(msg, m) {
			msg += ": " + m
		}
		if _, ok := w.(errors.Error); !ok {
			break
		}
	}
	return "%s", []any{msg}
}

// Error is the path and the chained message; not errors.String, which
// would append the wrapped messages a second time.
func (e *chained) Error() string {
	format, args := e.Msg()
	msg := fmt.Sprintf(format, args...)
	if p := strings.Join(e.Path(), "."); p != "" {
		return p + ": " + msg
	}
	return msg
}

// SameSources reports whether the repository roots a and b hold the same
// sources of a federation, byte for byte: the same folders and regular
// files, of the same bytes, under each of SourceDirs (both may lack one),
// and the same *.cue entries at the root. Load reads its files there, so
// it gives the same hubs at both, unless a hub imports a package from
// elsewhere (another folder of the module, a registry), which is not
// compared: a root that holds SourceDirs alone (a revision git took out)
// fails to load such a hub. A symbolic link or any entry that is neither a
// folder nor a regular file, at either, makes them differ (where a link
// leads depends on the root), as does any error reading either: an answer
// of false costs a caller a second load, never a wrong federation.
func SameSources(a, b string) bool {
	for _, dir := range SourceDirs {
		if !sameDir(filepath.Join(a, dir), filepath.Join(b, dir), nil) {
			return false
		}
	}
	return sameDir(a, b, func(name string) bool { return strings.HasSuffix(name, ".cue") })
}

// sameDir reports whether the folders a and b hold the same entries (those
// keep says so of, all for nil), folders compared in depth and regular
// files by their bytes; when neither exists, they are the same.
func sameDir(a, b string, keep func(name string) bool) bool {
	ia, errA := os.Lstat(a)
	ib, errB := os.Lstat(b)
	if errors.Is(errA, fs.ErrNotExist) && errors.Is(errB, fs.ErrNotExist) {
		return true
	}
	if errA != nil || errB != nil || !ia.IsDir() || !ib.IsDir() {
		return false
	}
	ea, errA := os.ReadDir(a)
	eb, errB := os.ReadDir(b)
	if errA != nil || errB != nil {
		return false
	}
	if keep != nil {
		drop := func(e fs.DirEntry) bool { return !keep(e.Name()) }
		ea, eb = slices.DeleteFunc(ea, drop), slices.DeleteFunc(eb, drop)
	}
	if len(ea) != len(eb) {
		return false
	}
	for i, e := range ea {
		if e.Name() != eb[i].Name() || e.Type() != eb[i].Type() {
			return false
		}
		pa, pb := filepath.Join(a, e.Name()), filepath.Join(b, e.Name())
		switch e.Type() {
		case fs.ModeDir:
			if !sameDir(pa, pb, nil) {
				return false
			}
		case 0:
			da, errA := os.ReadFile(pa)
			db, errB := os.ReadFile(pb)
			if errA != nil || errB != nil || !bytes.Equal(da, db) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
