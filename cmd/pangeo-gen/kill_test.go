package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

// The child mode of TestGenKilled: the test binary re-executed runs gen
// on $PANGEO_GEN_KILL_ROOT and kills itself with SIGKILL just before its
// $PANGEO_GEN_KILL_AT-th file system operation (0: never).
const (
	killRootEnv = "PANGEO_GEN_KILL_ROOT"
	killAtEnv   = "PANGEO_GEN_KILL_AT"
)

// TestGenKilled kills gen (kill -9) at random points of a 100-hub run
// that retitles every hub, removes five and adds five, and checks that
// every file is old or new, and that the next gen, to either version,
// completes the tree without --force and leaves no temporary file.
func TestGenKilled(t *testing.T) {
	if root := os.Getenv(killRootEnv); root != "" {
		killChild(root)
		return
	}
	if testing.Short() {
		t.Skip("runs gen on 100 hubs a dozen times")
	}
	dir := federationOf(t, 100)
	versions := [2]map[string]string{hubsOf(t, dir), nil}
	versions[1] = retitled(t, versions[0])
	gen := func(v int) {
		t.Helper()
		setHubs(t, dir, versions[v])
		var stderr strings.Builder
		if code := Main([]string{"--root", dir, "gen"}, io.Discard, &stderr); code != 0 {
			t.Fatalf("gen to version %d: exit %d\n%s", v, code, stderr.String())
		}
	}
	var refs [2]map[string]string
	gen(0)
	refs[0] = snapshot(t, dir)
	gen(1)
	refs[1] = snapshot(t, dir)
	changed := 0
	for p := range union(refs[0], refs[1]) {
		if refs[0][p] != refs[1][p] {
			changed++
		}
	}
	if changed < 100 {
		t.Fatalf("only %d files differ between the versions", changed)
	}
	// Operations of a run: about a stage and a rename per changed file,
	// the folders, the sync and two manifests.
	ops := 2*changed + 20
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	cur := 1
	const rounds = 5
	for round := range rounds {
		target := 1 - cur
		setHubs(t, dir, versions[target])
		at := 1 + rng.IntN(ops)
		if round == rounds-1 {
			at = 0 // killed from outside, at a random moment
		}
		killed := runChild(t, dir, at, rng)
		temps := checkOldOrNew(t, dir, refs[cur], refs[target])
		t.Logf("round %d: version %d -> %d, kill at operation %d: killed %v, %d temporary files left", round, cur, target, at, killed, temps)
		next := rng.IntN(2)
		gen(next)
		if got := checkTree(t, dir, refs[next], refs[1-next]); got != "" {
			t.Fatalf("round %d: after the next gen (version %d): %s", round, next, got)
		}
		cur = next
	}
	if code := Main([]string{"--root", dir, "vet"}, io.Discard, io.Discard); code != 0 {
		t.Errorf("vet after the last gen: exit %d", code)
	}
}

// killChild is the child's side: gen, with a hook that kills the process
// at the given operation.
func killChild(root string) {
	at, _ := strconv.ParseInt(os.Getenv(killAtEnv), 10, 64)
	var n atomic.Int64
	tree.Hook = func(tree.Op, string) error {
		if n.Add(1) == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
		return nil
	}
	os.Exit(Main([]string{"--root", root, "gen"}, io.Discard, os.Stderr))
}

// runChild runs gen in a child process that is killed at operation at
// (at 0: by this process after a random delay) and reports whether it
// was killed; a child that finished must have succeeded.
func runChild(t *testing.T, dir string, at int, rng *rand.Rand) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGenKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), killRootEnv+"="+dir, killAtEnv+"="+strconv.Itoa(at))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if at == 0 {
		timer := time.AfterFunc(time.Duration(rng.IntN(1500))*time.Millisecond, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return false
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	t.Fatalf("child gen: %v\n%s", err, stderr.String())
	return false
}

// hubsOf reads the hub files of a repository.
func hubsOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "hubs"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, "hubs", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

// retitled is the second version: every hub retitled (its README
// changes), hub000 to hub004 removed, hub100 to hub104 added.
func retitled(t *testing.T, hubs map[string]string) map[string]string {
	t.Helper()
	title := regexp.MustCompile(`title: "(Hub [0-9]+)"`)
	hubFile := regexp.MustCompile(`^hub([0-9]{3})\.cue$`)
	out := map[string]string{}
	for name, body := range hubs {
		m := hubFile.FindStringSubmatch(name)
		if m == nil {
			out[name] = body
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		if i < 5 {
			newName := fmt.Sprintf("hub%03d", i+100)
			body = strings.ReplaceAll(body, fmt.Sprintf("hub%03d", i), newName)
			out[newName+".cue"] = body
			continue
		}
		out[name] = title.ReplaceAllString(body, `title: "$1, retitled"`)
	}
	return out
}

// setHubs makes hubs/ hold exactly the files given.
func setHubs(t *testing.T, dir string, hubs map[string]string) {
	t.Helper()
	for name := range hubsOf(t, dir) {
		if _, ok := hubs[name]; !ok {
			os.Remove(filepath.Join(dir, "hubs", name))
		}
	}
	for name, body := range hubs {
		if err := os.WriteFile(filepath.Join(dir, "hubs", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot reads every file gen may write: all but the sources, the
// manifest and the lock.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && (rel == "hubs" || rel == "schema" || rel == "cue.mod"):
			return filepath.SkipDir
		case d.IsDir() || rel == tree.ManifestPath || rel == tree.LockPath:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for p := range a {
		out[p] = true
	}
	for p := range b {
		out[p] = true
	}
	return out
}

// checkOldOrNew checks a tree a gen from old to new was killed in: every
// file is as old or as new has it (one both have is there), and anything
// else is a temporary file. It returns how many temporary files there are.
func checkOldOrNew(t *testing.T, dir string, old, new map[string]string) int {
	t.Helper()
	got := snapshot(t, dir)
	for p := range union(old, new) {
		data, ok := got[p]
		o, inOld := old[p]
		n, inNew := new[p]
		switch {
		case !ok && inOld && inNew:
			t.Errorf("%s: gone", p)
		case ok && !(inOld && data == o) && !(inNew && data == n):
			t.Errorf("%s: neither old nor new", p)
		}
	}
	temps := 0
	known := union(old, new)
	for p := range got {
		switch {
		case known[p]:
		case strings.HasPrefix(filepath.Base(p), tree.TempPrefix):
			temps++
		default:
			t.Errorf("%s: a file of neither version", p)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return temps
}

// checkTree says how the tree differs from want ("" when it does not): a
// file of the other version is only allowed as a secrets stub (gen never
// deletes those).
func checkTree(t *testing.T, dir string, want, other map[string]string) string {
	t.Helper()
	got := snapshot(t, dir)
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok || g != w {
			diffs = append(diffs, p+": not as generated")
		}
	}
	for p, g := range got {
		if _, ok := want[p]; ok {
			continue
		}
		if !strings.Contains(p, "/secrets/") || other[p] != g {
			diffs = append(diffs, p+": left over")
		}
	}
	m, err := tree.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pending) > 0 {
		diffs = append(diffs, "the manifest still has pending digests")
	}
	return strings.Join(diffs, "; ")
}
