package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pangeo-data/pangeo-gen/internal/hubdiff"
)

// committed copies files and folders of the repository's working tree (a
// slash path each, relative to its root, such as deployments/alpha or
// .sops.yaml) to the same paths under $WORK/committed, permission bits
// kept, so that a script compares what gen writes with what the
// repository holds instead of with a copy of it: committed PATH...
func committed(root string, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: committed PATH...")
	}
	for _, a := range args {
		rel := filepath.FromSlash(a)
		if !filepath.IsLocal(rel) {
			ts.Fatalf("committed: %s is not a path inside the repository", a)
		}
		ts.Check(copyDir(filepath.Join(root, rel), ts.MkAbs(filepath.Join("committed", rel))))
	}
}

// cmpDiff checks a render against a golden held as a diff: GOT must be
// BASE changed by the unified diff in DIFF, that is, the unified diff
// (hubdiff.Text, headed "--- BASE" and "+++ GOT") of BASE and GOT must be
// DIFF's text. Under PANGEO_GEN_UPDATE_GOLDEN, a DIFF of the script's
// archive is rewritten instead of failing, as testscript does for cmp.
// cmpdiff GOT BASE DIFF.
func cmpDiff(scriptDir string, update bool, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: cmpdiff GOT BASE DIFF")
	}
	got, base, want := ts.ReadFile(args[0]), ts.ReadFile(args[1]), ts.ReadFile(args[2])
	have := hubdiff.Text(args[1], args[0], base, got)
	if have == want {
		return
	}
	script := filepath.Join(scriptDir, ts.Name()+".txtar")
	if update && inArchive(ts, script, args[2]) {
		// After testscript's own rewrite of the script (its updates
		// of cmp's goldens), which runs before deferred functions.
		ts.Defer(func() { ts.Check(rewriteArchiveFile(script, args[2], have)) })
		return
	}
	ts.Logf("%s", hubdiff.Text(args[2], "the diff of "+args[1]+" and "+args[0], want, have))
	ts.Fatalf("%s is not %s changed by %s (rewrite with %s=1 and read the diff)", args[0], args[1], args[2], UpdateGoldenEnv)
}

// inArchive says whether name (as a script names it, relative to $WORK)
// is a file of the script's archive.
func inArchive(ts *testscript.TestScript, script, name string) bool {
	a, err := txtar.ParseFile(script)
	if err != nil {
		return false
	}
	for _, f := range a.Files {
		if filepath.Join(ts.Getenv("WORK"), filepath.FromSlash(f.Name)) == ts.MkAbs(name) {
			return true
		}
	}
	return false
}

// rewriteArchiveFile replaces the text of file name of the txtar archive
// script, quoted as testscript quotes the goldens it rewrites.
func rewriteArchiveFile(script, name, text string) error {
	a, err := txtar.ParseFile(script)
	if err != nil {
		return err
	}
	data := []byte(text)
	if txtar.NeedsQuote(data) {
		if data, err = txtar.Quote(data); err != nil {
			return err
		}
	}
	for i := range a.Files {
		if a.Files[i].Name == filepath.ToSlash(filepath.Clean(name)) {
			a.Files[i].Data = data
			return os.WriteFile(script, txtar.Format(a), 0o644)
		}
	}
	return os.ErrNotExist
}

// logGoldenDiffs, under PANGEO_GEN_UPDATE_GOLDEN=diff, keeps the text of
// the script (of scriptDir) as it starts and, when it ends, logs the unified diff of each of
// its golden files that the update rewrote.
func logGoldenDiffs(env *testscript.Env, scriptDir string) error {
	name := strings.TrimPrefix(filepath.Base(env.WorkDir), "script-")
	script := filepath.Join(scriptDir, name+".txtar")
	before, err := os.ReadFile(script)
	if err != nil {
		return err
	}
	env.Defer(func() {
		after, err := os.ReadFile(script)
		if err != nil || string(after) == string(before) {
			return
		}
		old, cur := txtar.Parse(before), txtar.Parse(after)
		was := map[string]string{}
		for _, f := range old.Files {
			was[f.Name] = string(f.Data)
		}
		rel := filepath.Join("testdata", "script", name+".txtar")
		for _, f := range cur.Files {
			if d := hubdiff.Text("a/"+rel+": "+f.Name, "b/"+rel+": "+f.Name, was[f.Name], string(f.Data)); d != "" {
				env.T().Log("rewrote golden " + f.Name + " of " + rel + ":\n" + d)
			}
		}
	})
	return nil
}
