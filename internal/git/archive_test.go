package git

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// entry is one entry of a crafted tar stream.
type entry struct {
	name string
	typ  byte
	data string // a file's content
	link string // a link's target
	mode int64
}

func tarStream(t *testing.T, entries []entry) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.data))}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Name: e.name, Typeflag: e.typ, PAXRecords: map[string]string{"comment": "0123456789abcdef"}}
		}
		if e.typ == tar.TypeChar || e.typ == tar.TypeBlock {
			h.Devmajor, h.Devminor = 1, 5
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.data != "" {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

// listing is every path beneath dir (slash-separated, relative) with its
// kind and, for a file, its content and permission bits, for a link its
// target.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			out = append(out, rel+"/")
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" -> "+target)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" "+info.Mode().Perm().String()+" "+string(data))
		default:
			out = append(out, rel+" "+info.Mode().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestUntar extracts crafted tar streams into dst, inside a folder that
// holds a file outside dst: folders, files (mode kept, at least
// rw-------) and links as they are; a path that is not a clean relative
// one is refused, and so is a write through a link that leaves dst or
// through an entry already there; the other kinds (hard links, devices,
// FIFOs, the pax global header) are passed over.
func TestUntar(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []entry
		want    []string // beneath dst
		err     string   // an error containing it
	}{
		{"files, folders and links", []entry{
			{name: "pax_global_header", typ: tar.TypeXGlobalHeader},
			{name: "hubs/", typ: tar.TypeDir, mode: 0o755},
			{name: "hubs/a.cue", typ: tar.TypeReg, data: "package hubs\n"},
			{name: "schema/run.sh", typ: tar.TypeReg, data: "#!/bin/sh\n", mode: 0o755},
			{name: "schema/ro.cue", typ: tar.TypeReg, data: "x", mode: 0o400},
			{name: "hubs/b.cue", typ: tar.TypeSymlink, link: "a.cue"},
			{name: "hubs/out", typ: tar.TypeSymlink, link: "../../outside"},
		}, []string{"hubs/", "hubs/a.cue -rw-r--r-- package hubs\n", "hubs/b.cue -> a.cue", "hubs/out -> ../../outside", "schema/", "schema/ro.cue -rw------- x", "schema/run.sh -rwxr-xr-x #!/bin/sh\n"}, ""},
		{"parents made", []entry{{name: "a/b/c.cue", typ: tar.TypeReg, data: "c"}}, []string{"a/", "a/b/", "a/b/c.cue -rw-r--r-- c"}, ""},
		{"./ prefix", []entry{{name: "./", typ: tar.TypeDir}, {name: "./x.cue", typ: tar.TypeReg, data: "x"}}, []string{"x.cue -rw-r--r-- x"}, ""},
		{"absolute path", []entry{{name: "/etc/x.cue", typ: tar.TypeReg, data: "x"}}, nil, `archive: bad path "/etc/x.cue"`},
		{"dot-dot", []entry{{name: "../x.cue", typ: tar.TypeReg, data: "x"}}, nil, `archive: bad path "../x.cue"`},
		{"dot-dot inside", []entry{{name: "hubs/../../x.cue", typ: tar.TypeReg, data: "x"}}, nil, `archive: bad path "hubs/../../x.cue"`},
		{"absolute link name", []entry{{name: "/tmp/l", typ: tar.TypeSymlink, link: "x"}}, nil, `archive: bad path "/tmp/l"`},
		{"dot-dot folder", []entry{{name: "../d/", typ: tar.TypeDir}}, nil, `archive: bad path "../d/"`},
		{"file through a link that leaves", []entry{
			{name: "hubs", typ: tar.TypeSymlink, link: "../outside"},
			{name: "hubs/x.cue", typ: tar.TypeReg, data: "x"},
		}, []string{"hubs -> ../outside"}, "archive: hubs/x.cue: "},
		{"folder through a link that leaves", []entry{
			{name: "hubs", typ: tar.TypeSymlink, link: "../outside"},
			{name: "hubs/sub/", typ: tar.TypeDir},
		}, []string{"hubs -> ../outside"}, "archive: hubs/sub/: "},
		{"file over a link", []entry{
			{name: "x.cue", typ: tar.TypeSymlink, link: "../outside/x.cue"},
			{name: "x.cue", typ: tar.TypeReg, data: "x"},
		}, []string{"x.cue -> ../outside/x.cue"}, "archive: x.cue: "},
		{"file twice", []entry{
			{name: "x.cue", typ: tar.TypeReg, data: "one"},
			{name: "x.cue", typ: tar.TypeReg, data: "two"},
		}, []string{"x.cue -rw-r--r-- one"}, "archive: x.cue: "},
		{"link over a file", []entry{
			{name: "x.cue", typ: tar.TypeReg, data: "one"},
			{name: "x.cue", typ: tar.TypeSymlink, link: "/etc/passwd"},
		}, []string{"x.cue -rw-r--r-- one"}, "archive: x.cue: "},
		{"other kinds passed over", []entry{
			{name: "hard", typ: tar.TypeLink, link: "../outside/secret"},
			{name: "zero", typ: tar.TypeChar},
			{name: "disk", typ: tar.TypeBlock},
			{name: "fifo", typ: tar.TypeFifo},
			{name: "ok.cue", typ: tar.TypeReg, data: "ok"},
		}, []string{"ok.cue -rw-r--r-- ok"}, ""},
		{"not a tar stream", nil, nil, "archive: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := t.TempDir()
			outside := filepath.Join(top, "outside")
			writeFiles(t, outside, map[string]string{"secret": "s", "x.cue": "outside"})
			dst := filepath.Join(top, "dst")
			var stream *bytes.Buffer
			if tc.entries == nil {
				stream = bytes.NewBufferString(strings.Repeat("not tar ", 100))
			} else {
				stream = tarStream(t, tc.entries)
			}
			err := untar(stream, dst)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("untar: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("untar: %v, want an error with %q", err, tc.err)
			}
			if got := listing(t, dst); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("dst holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if got := listing(t, outside); strings.Join(got, "|") != "secret -rw-r--r-- s|x.cue -rw-r--r-- outside" {
				t.Errorf("outside dst changed: %q", got)
			}
		})
	}
}

// TestMaterialise takes the named top-level entries of the repository
// folder (a subfolder of the work tree here) out of a commit, as they are
// there: the working tree's changes and other entries are not taken, a
// name the commit lacks is left out, none leaves dst empty.
func TestMaterialise(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	top := newRepo(t, map[string]string{
		"fed/cue.mod/module.cue": "module: \"x.org/y\"\n",
		"fed/hubs/a.cue":         "package hubs\n",
		"fed/README.md":          "readme",
		"fed/deployments/a/x":    "generated",
		"other/hubs/z.cue":       "not this one",
	})
	if err := os.Chmod(filepath.Join(top, "fed/hubs/a.cue"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.cue", filepath.Join(top, "fed/hubs/b.cue")); err != nil {
		t.Fatal(err)
	}
	first := commit(t, top, "link", nil)
	writeFiles(t, top, map[string]string{"fed/hubs/a.cue": "package hubs // edited\n", "fed/hubs/new.cue": "x"})
	r, err := Open(ctx, filepath.Join(top, "fed"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		names []string
		want  []string
	}{
		{"sources", []string{"cue.mod", "schema", "hubs"}, []string{
			"cue.mod/", "cue.mod/module.cue -rw-r--r-- module: \"x.org/y\"\n",
			"hubs/", "hubs/a.cue -rwxr-xr-x package hubs\n", "hubs/b.cue -> a.cue",
		}},
		{"none there", []string{"schema"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "snap")
			if err := r.Materialise(ctx, first, dst, tc.names...); err != nil {
				t.Fatal(err)
			}
			if got := listing(t, dst); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("materialised\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	t.Run("unknown commit", func(t *testing.T) {
		err := r.Materialise(ctx, strings.Repeat("0", 40), t.TempDir(), "hubs")
		if err == nil || !strings.HasPrefix(err.Error(), "git ls-tree --name-only 0000000000000000000000000000000000000000:fed/: fatal: ") {
			t.Errorf("Materialise of an unknown commit: %v", err)
		}
	})
}
