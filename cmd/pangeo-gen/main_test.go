package main

import (
	"bytes"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hubdiff"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// UpdateGoldenEnv rewrites the golden files of testdata/script when set:
// PANGEO_GEN_UPDATE_GOLDEN=1 go test ./cmd/pangeo-gen. Set to "diff"
// (UpdateGoldenDiff), it also logs, as each script ends, the unified diff
// of every golden file it rewrites (go test -v shows it).
const UpdateGoldenEnv = "PANGEO_GEN_UPDATE_GOLDEN"

// UpdateGoldenDiff is the value of UpdateGoldenEnv that shows the diff of
// each rewritten golden.
const UpdateGoldenDiff = "diff"

// TerminalEnv, set in a script, makes pangeo-gen take its stderr for a
// terminal (testscript's is a file), so that scripts see the progress
// lines a user sees.
const TerminalEnv = "PANGEO_GEN_TEST_TERMINAL"

// HelmEnv, set in a script, is the default of --helm (the Helm major
// render, diff and vet use over the hubs' helm field): TestScriptsHelm
// runs the Helm scripts with each major so.
const HelmEnv = "PANGEO_GEN_TEST_HELM"

func TestMain(m *testing.M) {
	// The tests and benchmarks that run Main in this process keep no
	// results in the user's cache folder; the scripts have a cache each
	// (scriptParams), which a command of theirs sees set.
	if os.Getenv(resultcache.EnvDir) == "" {
		os.Setenv(resultcache.EnvDir, resultcache.Off)
	}
	testscript.Main(m, map[string]func(){
		"pangeo-gen": func() {
			if os.Getenv(TerminalEnv) != "" {
				isTerminal = func(io.Writer) bool { return true }
			}
			if v := os.Getenv(HelmEnv); v != "" {
				defaultHelm = v
			}
			os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
		},
	})
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := load.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestScripts runs testdata/script/*.txtar. Each script starts in a $WORK
// holding the repository's cue.mod/ and schema/; `federation` adds the
// repository's hubs/, `committed PATH...` copies the repository's own
// files and folders (its committed deployments/ tree) under
// $WORK/committed, for cmpdir. For render: `testchart DIR` writes the test
// umbrella chart (the repository's deployments/chart with the real
// jupyterhub and dask-gateway charts of ../shared/upstream/charts bundled;
// scripts using it start with `[!upstream] skip`), `upstreamchart NAME DIR`
// a real chart of ../shared/upstream/charts alone (cluster-autoscaler, for
// render --cluster; `[!upstream]` too), `testvendor DIR` a
// vendored folder of the real charts, `standinchart DIR` the umbrella with
// stand-ins of the two charts (releasetest), for scripts about pangeo-gen's
// own handling rather than the charts' output, `chartserver` serves the
// stand-ins from a chart repository and an OCI registry, `imageregistry`
// starts an image registry, and `subst` expands the environment variables
// they set in files. `cmpdiff GOT BASE DIFF` checks GOT as BASE changed by
// the unified diff DIFF (one full golden per hub, the other environment as
// a diff). For secrets: `usesops` puts
// sops (the tools module's tool dependency) on PATH, under the condition [sops]
// (see toolCondition), and `agekey ID RCPT` makes an age key pair. `lock`
// holds the tree lock as a writing gen would (`! lock` releases it).
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, os.Getenv(UpdateGoldenEnv), helmengine.Default))
}

// helmScripts are the scripts whose output Helm makes: those of render,
// diff and vet's chart values check.
var helmScripts = []string{"render_*.txtar", "diff_*.txtar", "vet_chart_values.txtar"}

// TestScriptsHelm runs the scripts of helmScripts again with every other
// Helm major forced (HelmEnv, as --helm would): the goldens hold for every
// engine, byte for byte, but where a script says otherwise under the
// condition [helm:MAJOR] (a render whose output differs as the README
// says, checked as a diff against Helm 3's golden with cmpdiff). Only
// such diffs are rewritten from here (UpdateGoldenEnv), never a golden
// of TestScripts.
func TestScriptsHelm(t *testing.T) {
	for _, major := range helmengine.Majors {
		if major == helmengine.Default {
			continue // TestScripts
		}
		t.Run(major, func(t *testing.T) {
			p := scriptParams(t, os.Getenv(UpdateGoldenEnv), major)
			p.UpdateScripts = false
			for _, g := range helmScripts {
				files, err := filepath.Glob(filepath.Join(p.Dir, g))
				if err != nil || len(files) == 0 {
					t.Fatalf("no script %s (%v)", g, err)
				}
				p.Files = append(p.Files, files...)
			}
			setup := p.Setup
			p.Setup = func(env *testscript.Env) error {
				env.Setenv(HelmEnv, major)
				return setup(env)
			}
			testscript.Run(t, p)
		})
	}
}

// scriptParams are the testscript parameters of testdata/script, run with
// Helm major (the condition [helm:MAJOR] holds; HelmEnv is the script's to
// set); a non-empty update rewrites the goldens (UpdateGoldenEnv).
func scriptParams(t *testing.T, update, major string) testscript.Params {
	root := repoRoot(t)
	dir := filepath.Join(root, "testdata", "script")
	return testscript.Params{
		Dir:           dir,
		UpdateScripts: update != "",
		Setup: func(env *testscript.Env) error {
			// Each script has a result cache of its own, beside $WORK
			// (testscript removes both).
			env.Setenv(resultcache.EnvDir, env.WorkDir+".results")
			for _, dir := range []string{"cue.mod", "schema"} {
				if err := copyDir(filepath.Join(root, dir), filepath.Join(env.WorkDir, dir)); err != nil {
					return err
				}
			}
			if update == UpdateGoldenDiff {
				return logGoldenDiffs(env, dir)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"federation": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Check(copyDir(filepath.Join(root, "hubs"), ts.MkAbs("hubs")))
			},
			"cmpyaml":    cmpYAML,
			"writebytes": writeBytes,
			"mode":       checkMode,
			"cmpdir":     cmpDir,
			"schemapos":  schemaPos,
			"yamlget":    yamlGet,
			"committed": func(ts *testscript.TestScript, neg bool, args []string) {
				committed(root, ts, neg, args)
			},
			"cmpdiff": func(ts *testscript.TestScript, neg bool, args []string) {
				cmpDiff(dir, update != "", ts, neg, args)
			},
			"testchart": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: testchart DIR")
				}
				ts.Check(releasetest.Upstream.WriteUmbrella(ts.MkAbs(args[0]), root))
			},
			"upstreamchart": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: upstreamchart NAME DIR")
				}
				ts.Check(releasetest.Upstream.WriteChart(ts.MkAbs(args[1]), args[0]))
			},
			"standinchart": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: standinchart DIR")
				}
				ts.Check(releasetest.StandIns.WriteUmbrella(ts.MkAbs(args[0]), root))
			},
			"testvendor": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 && len(args) != 3 {
					ts.Fatalf("usage: testvendor DIR [JUPYTERHUB_REPO DASK_GATEWAY_REPO]")
				}
				args = append(args, "", "")
				ts.Check(releasetest.Upstream.WriteVendor(ts.MkAbs(args[0]), args[1], args[2]))
			},
			"chartserver": func(ts *testscript.TestScript, neg bool, args []string) {
				chartServer(t, root, ts, neg, args)
			},
			"imageregistry": func(ts *testscript.TestScript, neg bool, args []string) {
				imageRegistry(t, ts, neg, args)
			},
			"subst":   subst,
			"usesops": useSops,
			"agekey":  ageKey,
			"reference": func(ts *testscript.TestScript, neg bool, args []string) {
				reference(root, ts, neg, args)
			},
			"valuessubset": valuesSubset,
			"lock":         lockTree,
		},
		Condition: func(cond string) (bool, error) {
			if m, ok := strings.CutPrefix(cond, "helm:"); ok {
				if !slices.Contains(helmengine.Majors, m) {
					return false, fmt.Errorf("unknown Helm major in condition %q", cond)
				}
				return m == major, nil
			}
			return toolCondition(cond)
		},
	}
}

// locks are the tree locks `lock` holds, by script.
var locks sync.Map // *testscript.TestScript -> *tree.Lock

// lockTree holds the tree lock of $WORK in the test process, as a gen
// that is writing would: `lock` takes it (until `! lock` or the end of
// the script), `! lock` releases it.
func lockTree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: [!] lock")
	}
	if neg {
		held, ok := locks.LoadAndDelete(ts)
		if !ok {
			ts.Fatalf("lock: not held")
		}
		ts.Check(held.(*tree.Lock).Release())
		return
	}
	l, err := tree.Acquire(ts.MkAbs("."))
	ts.Check(err)
	locks.Store(ts, l)
	ts.Defer(func() {
		if held, ok := locks.LoadAndDelete(ts); ok {
			held.(*tree.Lock).Release()
		}
	})
}

// cmpYAML compares two YAML (or JSON) files as data: cmpyaml got want.
func cmpYAML(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpyaml got want")
	}
	var got, want any
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[0])), &got))
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[1])), &want))
	eq := reflect.DeepEqual(got, want)
	if eq == neg {
		if neg {
			ts.Fatalf("%s and %s are equal as data", args[0], args[1])
		}
		g, _ := yaml.Marshal(got)
		w, _ := yaml.Marshal(want)
		ts.Fatalf("%s and %s differ as data:\n--- got\n%s--- want\n%s", args[0], args[1], g, w)
	}
}

// writeBytes writes a file whose bytes an archive cannot hold (invalid
// UTF-8, NUL): writebytes [-append] FILE TEXT... writes the TEXTs, each
// with Go escapes decoded (\xNN is one byte, \n, \t, \\), one after the
// other; -append adds them to the end of FILE.
func writeBytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! writebytes")
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if len(args) > 0 && args[0] == "-append" {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		args = args[1:]
	}
	if len(args) < 1 {
		ts.Fatalf("usage: writebytes [-append] FILE TEXT...")
	}
	var data []byte
	for _, text := range args[1:] {
		for s := text; s != ""; {
			r, multibyte, tail, err := strconv.UnquoteChar(s, 0)
			if err != nil {
				ts.Fatalf("writebytes: bad escape in %q: %v", text, err)
			}
			if r < utf8.RuneSelf || !multibyte && r <= 0xff {
				data = append(data, byte(r))
			} else {
				data = utf8.AppendRune(data, r)
			}
			s = tail
		}
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), flag, 0o644)
	ts.Check(err)
	_, err = f.Write(data)
	ts.Check(err)
	ts.Check(f.Close())
}

// checkMode checks a file's permission bits: mode FILE PERM (octal, such
// as 0755).
func checkMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil {
		ts.Fatalf("mode: bad permission %q: %v", args[1], err)
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	got := fi.Mode().Perm()
	if (got == fs.FileMode(want)) == neg {
		if neg {
			ts.Fatalf("%s has mode %#o", args[0], got)
		}
		ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
	}
}

// cmpDir compares two folder trees: the same files at the same paths, with
// the same bytes and permission bits (the unified diff of each file that
// differs, its mode as its first line, is logged). cmpdir DIR1 DIR2.
func cmpDir(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpdir DIR1 DIR2")
	}
	walk := func(dir string) map[string]string {
		files := map[string]string{}
		root := ts.MkAbs(dir)
		ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = fmt.Sprintf("%v\n%s", fi.Mode(), data)
			return nil
		}))
		return files
	}
	a, b := walk(args[0]), walk(args[1])
	var diffs []string
	for p, da := range a {
		db, ok := b[p]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s only in %s", p, args[0]))
		case da != db:
			diffs = append(diffs, fmt.Sprintf("%s differs (mode or bytes)", p))
			ts.Logf("%s", hubdiff.Text(path.Join(args[0], p), path.Join(args[1], p), da, db))
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s only in %s", p, args[1]))
		}
	}
	sort.Strings(diffs)
	if (len(diffs) == 0) == neg {
		if neg {
			ts.Fatalf("%s and %s are identical (%d files)", args[0], args[1], len(a))
		}
		ts.Fatalf("%s and %s differ:\n%s", args[0], args[1], strings.Join(diffs, "\n"))
	}
}

// yamlGet prints the scalars at dotted key paths of a YAML (or JSON)
// file, joined by ':' (as an image's name and tag make its reference), so
// that a script can compare them with a file or another command's output:
// yamlget FILE a.b.c [a.b.d...].
func yamlGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! yamlget")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: yamlget FILE PATH...")
	}
	var doc any
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[0])), &doc))
	var out []string
	for _, p := range args[1:] {
		v := doc
		for _, k := range strings.Split(p, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				ts.Fatalf("%s: %s: not a map at %q", args[0], p, k)
			}
			if v, ok = m[k]; !ok {
				ts.Fatalf("%s: %s: no key %q", args[0], p, k)
			}
		}
		switch v.(type) {
		case map[string]any, []any:
			ts.Fatalf("%s: %s is not a scalar", args[0], p)
		}
		out = append(out, fmt.Sprint(v))
	}
	fmt.Fprintln(ts.Stdout(), strings.Join(out, ":"))
}

// copyDir copies the folder (or file) src to dst, each file with its
// permission bits.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, data, fi.Mode().Perm()); err != nil {
			return err
		}
		return os.Chmod(target, fi.Mode().Perm()) // whatever the umask
	})
}

// TestExitCodes: 0 ok, 1 findings or failure, 2 bad usage.
func TestExitCodes(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--root", root, "image", "tag", "alpha"}, 0, ""},
		{[]string{"--root", root, "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"--root", root, "image", "tag"}, 2, "accepts 1 arg(s)"},
		{[]string{"--root", root, "vet", "--format", "xml"}, 2, `--format must be text or json, not "xml"`},
		{[]string{"--root", root, "list", "--format", "xml"}, 2, `--format must be table or json, not "xml"`},
		{[]string{"--root", root, "ci", "plan", "--base", "main", "--format", "xml"}, 2, `--format must be config, yaml or json, not "xml"`},
		{[]string{"--root", root, "version", "-o", "xml"}, 2, `--output must be text or json, not "xml"`},
		{[]string{"--root", root, "bogus"}, 2, `unknown command "bogus" for "pangeo-gen"`},
		{[]string{"--root", root, "imag", "tag", "alpha"}, 2, `unknown command "imag" for "pangeo-gen" (did you mean image?)`},
		{[]string{"--root", root, "charts", "bogus"}, 2, `unknown command "bogus" for "pangeo-gen charts"`},
		{[]string{"--root", root, "image", "bogus", "alpha"}, 2, `unknown command "bogus" for "pangeo-gen image"`},
		{[]string{"--root", root, "ci", "pla"}, 2, `unknown command "pla" for "pangeo-gen ci" (did you mean plan?)`},
		{[]string{"--root", root, "charts"}, 0, ""},
		{[]string{"--root", root}, 0, ""},
		{[]string{"--root", root, "diff"}, 2, "accepts 1 arg(s)"},
		{[]string{"--root", root, "diff", "nosuchhub"}, 2, `no hub named "nosuchhub"`},
		{[]string{"--root", root, "diff", "alpha", "--env", "dev"}, 2, `hub alpha has no environment "dev"`},
		{[]string{"--root", t.TempDir(), "diff", "alpha"}, 2, "no cue.mod found"},
		{[]string{"--root", root, "vet", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
		{[]string{"--root", root, "image", "tag", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
		{[]string{"--root", t.TempDir(), "vet"}, 1, "no cue.mod found"},
		{[]string{"--root", root, "render"}, 2, "render: give a HUB, or --cluster NAME"},
		{[]string{"--root", root, "render", "alpha", "bravo"}, 2, "accepts at most 1 arg(s)"},
		{[]string{"--root", root, "render", "alpha", "--cluster", "pangeo-glaciers"}, 2, "render: give a HUB or --cluster, not both (alpha and --cluster pangeo-glaciers)"},
		{[]string{"--root", root, "render", "--cluster", ""}, 2, "render: --cluster needs a cluster name"},
		{[]string{"--root", root, "render", "--cluster", "pangeo-glaciers", "--env", "prod"}, 2, "render: --env is for a hub-env, not --cluster"},
		{[]string{"--root", root, "render", "--cluster", "pangeo-glaciers", "--placeholder-secrets"}, 2, "render: --placeholder-secrets is for a hub-env, not --cluster"},
		{[]string{"--root", root, "render", "--cluster", "nosuchcluster"}, 1, `no cluster named "nosuchcluster" (clusters: pangeo-atmos, pangeo-glaciers, pangeo-ocean)`},
		{[]string{"--root", root, "render", "--cluster", "pangeo-ocean"}, 0, "note: cluster pangeo-ocean is GKE: its autoscaler is the cloud's; nothing to render"},
		{[]string{"--root", root, "render", "--cluster", "pangeo-atmos", "-o", filepath.Join(t.TempDir(), "atmos.yaml")}, 0, "note: cluster pangeo-atmos is AKS: its autoscaler is the cloud's; nothing to render"},
		{[]string{"--root", root, "render", "alpha", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"--root", root, "render", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
		{[]string{"--root", root, "render", "alpha", "--env", "dev"}, 1, `hub alpha has no environment "dev"`},
		{[]string{"--root", root, "charts", "vendor", "alpha"}, 2, "unknown command \"alpha\" for \"pangeo-gen charts vendor\""},
		{[]string{"--root", root, "charts", "pull", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
	} {
		t.Run(strings.Join(tc.args[2:], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stderr lacks %q:\n%s", tc.err, stderr.String())
			}
		})
	}
}

// TestRepositoryIsCurrent: the committed deployments/ tree is what gen
// writes, so `gen` on a clean checkout changes nothing.
func TestRepositoryIsCurrent(t *testing.T) {
	root := repoRoot(t)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--root", root, "gen", "--dry-run"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gen --dry-run: exit %d\n%s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("gen would change the committed tree:\n%s", stdout.String())
	}
}

var _ = fmt.Sprint

// reference copies a hub of the reference pangeo-cloud-federation
// checkout, the repository root's ../shared/reference/pangeo-cloud-federation:
// reference SRC DST.
func reference(root string, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: reference SRC DST")
	}
	src, ok := shareddata.Locate("reference/pangeo-cloud-federation/" + args[0])
	if !ok { // scripts say [!reference] skip first
		ts.Fatalf("%s", shareddata.Message(src))
	}
	ts.Check(copyDir(src, ts.MkAbs(args[1])))
}

// valuesSubset checks the round trip of an import: valuessubset WRAPPER
// NEWDIR OLDDIR ENV [LOST...]. The values of OLDDIR/config/common.yaml
// coalesced with ENV.yaml, unwrapped from WRAPPER ("-" for none), must each
// have their value in NEWDIR's (the generated) common.yaml coalesced with
// ENV.yaml, except the key paths LOST (unwrapped) and what is under them.
func valuesSubset(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: valuessubset WRAPPER NEWDIR OLDDIR ENV [LOST...]")
	}
	wrapper, env, lost := args[0], args[3], args[4:]
	read := func(dir, name string) map[string]any {
		var m map[string]any
		ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(filepath.Join(dir, "config", name+".yaml"))), &m))
		return m
	}
	merged := func(dir string, unwrap bool) map[string]any {
		c, e := read(dir, "common"), read(dir, env)
		if unwrap && wrapper != "-" {
			c, _ = c[wrapper].(map[string]any)
			e, _ = e[wrapper].(map[string]any)
		}
		return values.Apply(c, e)
	}
	have, old := merged(args[1], false), merged(args[2], true)
	n := 0
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		key := strings.Join(path, ".")
		for _, l := range lost {
			if key == l || strings.HasPrefix(key, l+".") {
				return
			}
		}
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				walk(append(slices.Clone(path), k), m[k])
			}
			return
		}
		n++
		var cur any = have
		for _, k := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				ts.Fatalf("%s: %s: not in the generated values", env, key)
			}
			if cur, ok = m[k]; !ok {
				ts.Fatalf("%s: %s: not in the generated values", env, key)
			}
		}
		if !gen.Keeps(path[len(path)-1], cur, v) {
			ts.Fatalf("%s: %s: generated %v, was %v", env, key, cur, v)
		}
	}
	walk(nil, old)
	fmt.Fprintf(ts.Stdout(), "%s: %d values kept\n", env, n)
}
