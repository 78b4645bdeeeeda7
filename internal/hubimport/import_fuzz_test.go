package hubimport

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/oldhub"
)

// fuzzCanary is what the file outside the old hub's folder holds: import
// must never show it, whatever links point at the file.
const fuzzCanary = "canary-outside-3b9e1d"

// oldHubFromArchive writes the old hub's folder dir from a txtar archive:
// a file named NAME@link is a symbolic link NAME to the file's first line
// ($OUTSIDE in it is the folder beside dir holding the canary file), one
// named NAME@fifo a FIFO. Everything is made beneath dir through an
// os.Root, never over an existing name: an earlier link cannot make a later
// file land outside dir. A name that cannot be made so is skipped.
func oldHubFromArchive(dir, outside string, data []byte) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer root.Close()
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	for _, f := range parseArchive(data) {
		name, kind, _ := strings.Cut(f.name, "@")
		name = path.Clean(strings.TrimSpace(name))
		if !fs.ValidPath(name) || name == "." || strings.ContainsRune(name, 0) {
			continue
		}
		rel := filepath.FromSlash(name)
		if parent := filepath.Dir(rel); parent != "." {
			if root.MkdirAll(parent, 0o755) != nil {
				continue
			}
			if fi, err := root.Lstat(parent); err != nil || !fi.IsDir() {
				continue // a link: it could lead anywhere
			}
		}
		if _, err := root.Lstat(rel); err == nil {
			continue
		}
		switch kind {
		case "link":
			target, _, _ := strings.Cut(string(f.data), "\n")
			target = strings.ReplaceAll(target, "$OUTSIDE", outside)
			if target != "" && !strings.ContainsRune(target, 0) {
				root.Symlink(target, rel)
			}
		case "fifo":
			// Mkfifo takes a path: only beneath dir's real path.
			p, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.Dir(rel)))
			if err == nil && oldhub.Within(realDir, p) {
				syscall.Mkfifo(filepath.Join(p, filepath.Base(rel)), 0o644)
			}
		default:
			w, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NONBLOCK, 0o644)
			if err == nil {
				w.Write(f.data)
				w.Close()
			}
		}
	}
}

type archiveFile struct {
	name string
	data []byte
}

// parseArchive splits data in the txtar format: each "-- NAME --" line
// starts a file that runs until the next such line; what comes before the
// first is a comment. (The fuzz target's own parser: it must take any
// bytes.)
func parseArchive(data []byte) []archiveFile {
	var files []archiveFile
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		l := bytes.TrimRight(line, "\r\n")
		if len(l) >= 6 && bytes.HasPrefix(l, []byte("-- ")) && bytes.HasSuffix(l, []byte(" --")) {
			files = append(files, archiveFile{name: string(bytes.TrimSpace(l[3 : len(l)-3]))})
			continue
		}
		if len(files) > 0 {
			f := &files[len(files)-1]
			f.data = append(f.data, line...)
		}
	}
	return files
}

// FuzzImportRead fuzzes import's reading of an old hub's folder (its
// files, links and FIFOs, from a txtar archive; see oldHubFromArchive)
// into the hub's file, before the file is evaluated: reading and laying
// out never panic or hang, nothing of a file outside the folder reaches
// the file, a loss, a note or an error, and no plaintext secret is left
// in the raw values.
//
//	go test -run '^$' -fuzz '^FuzzImportRead$' -fuzztime 10s ./internal/hubimport
func FuzzImportRead(f *testing.F) {
	root, _ := importFixture(f, nil)
	e, err := hubfile.Open(root)
	if err != nil {
		f.Fatal(err)
	}
	var seed strings.Builder
	for _, rel := range slices.Sorted(maps.Keys(tinyHub)) {
		seed.WriteString("-- " + rel + " --\n" + tinyHub[rel])
	}
	f.Add([]byte(seed.String()))
	f.Fuzz(func(t *testing.T, data []byte) {
		tmp := t.TempDir()
		outside := filepath.Join(tmp, "outside")
		dir := filepath.Join(tmp, "old", "hub")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		canaryFile := "export TOKEN=" + fuzzCanary + "\njupyterhub: {hub: {extraEnv: {X: " + fuzzCanary + "}}}\n"
		if err := os.WriteFile(filepath.Join(outside, "canary"), []byte(canaryFile), 0o644); err != nil {
			t.Fatal(err)
		}
		oldHubFromArchive(dir, outside, data)

		old, err := oldhub.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		im := &importer{e: e, o: Options{Dir: dir, Name: "hub", Command: "pangeo-gen import"}, old: old,
			res: &Result{Path: "hubs/hub.cue", Original: map[string]map[string]any{}}}
		var out []byte
		err = im.read()
		if err == nil {
			for _, env := range importEnvs {
				if kind := holdsSecret(nil, im.raw[env]); kind != "" {
					t.Errorf("config/%s.yaml: a plaintext secret (%s) is left in the raw values", env, kind)
				}
			}
			err = im.build()
		}
		if err == nil {
			out, err = im.bytes()
		}
		shown := []string{string(out)}
		if err != nil {
			shown = append(shown, err.Error())
		}
		for _, l := range im.res.Losses {
			shown = append(shown, l.String())
		}
		for _, s := range im.res.Secrets {
			shown = append(shown, s.String())
		}
		shown = append(shown, im.res.Notes...)
		for _, s := range shown {
			if strings.Contains(s, fuzzCanary) && !bytes.Contains(data, []byte(fuzzCanary)) {
				t.Fatalf("what a file outside the folder holds is shown:\n%s", s)
			}
		}
	})
}
