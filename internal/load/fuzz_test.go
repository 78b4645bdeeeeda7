package load

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cuelang.org/go/cue/errors"
)

// fuzzChildEnv tells the test binary it runs one load for FuzzLoad: the
// repository folder to load.
const fuzzChildEnv = "PANGEO_GEN_FUZZ_LOAD_DIR"

// fuzzOverrun is the exit code of a child whose guard stopped it.
const fuzzOverrun = 3

// FuzzLoad loads a federation whose hubs/one.cue is the fuzzed text, with
// the real schema and hubs/hubs.cue. Each input is loaded in a child
// process (this test binary, see TestFuzzLoadChild) under small limits
// (1 s of CPU, 1 GiB of heap, 10000 values and 1 MiB per hub, 64 KiB per
// file): CUE's evaluation cannot be interrupted, so only the process guard
// can stop an input such as a comprehension over 10^10 elements, and it
// ends the process. Load must return (a federation or errors) or be stopped
// by its guard with its message; a panic, a crash or a child that outlives
// the guard is a failure.
func FuzzLoad(f *testing.F) {
	src := repoRoot(f)
	for _, name := range []string{"alpha.cue", "bravo.cue", "charlie.cue"} {
		data, err := os.ReadFile(filepath.Join(src, "hubs", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.ReplaceAll(string(data), strings.TrimSuffix(name, ".cue"), "one"))
	}
	f.Add("package hubs\n\nhubs: one: {}\n")
	f.Add("package hubs\n\nhubs: one: values: {l0: {a: \"x\"}, l1: {a: l0, b: l0}, l2: {a: l1, b: l1}}\n")
	templates, err := os.ReadFile(filepath.Join(src, "hubs", "templates.cue"))
	if err != nil {
		f.Fatal(err)
	}
	hubsCUE, err := os.ReadFile(filepath.Join(src, "hubs", "hubs.cue"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, hubFile string) {
		dir := writeRepo(t, map[string]string{"hubs.cue": string(hubsCUE), "templates.cue": string(templates), "one.cue": hubFile})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFuzzLoadChild$")
		cmd.Env = append(os.Environ(), fuzzChildEnv+"="+dir,
			CPUEnv+"=1", MemoryEnv+fmt.Sprint("=", 1<<30), NodesEnv+"=10000", BytesEnv+fmt.Sprint("=", 1<<20), "PANGEO_GEN_MAX_FILE_BYTES=65536")
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("load did not end within 60 s (the guard allows 1 s of CPU):\n%s", out)
		}
		if code := cmd.ProcessState.ExitCode(); err != nil && code != fuzzOverrun {
			t.Fatalf("load failed (exit %d): %v\n%s", code, err, out)
		}
		if cmd.ProcessState.ExitCode() == fuzzOverrun && !strings.Contains(string(out), "the limit: stopped (set PANGEO_GEN_MAX_EVAL_") {
			t.Fatalf("guard stopped the load without its message:\n%s", out)
		}
	})
}

// TestFuzzLoadChild is FuzzLoad's child: it loads the folder fuzzChildEnv
// names, with the guard armed to exit fuzzOverrun. It does nothing in a
// normal test run.
func TestFuzzLoadChild(t *testing.T) {
	dir := os.Getenv(fuzzChildEnv)
	if dir == "" {
		t.Skip("run by FuzzLoad")
	}
	OnOverrun = func(err error) {
		fmt.Println(errors.Details(err, nil))
		os.Exit(fuzzOverrun)
	}
	fed, err := Load(dir)
	if err != nil {
		// Every problem must print, each with a message.
		for _, e := range errors.Errors(err) {
			if format, _ := e.Msg(); format == "" {
				t.Errorf("problem without a message: %#v", e)
			}
		}
		return
	}
	if fed.Hub("one") == nil && len(fed.Hubs) > 0 {
		t.Errorf("hubs %v loaded from hubs/one.cue", fed.Names())
	}
}
