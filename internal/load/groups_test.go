package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"github.com/rogpeppe/go-internal/txtar"
)

// sameLoads loads root in one evaluation and in groups of at most
// groups, and fails unless both give the same: the same errors (printed
// with their positions, in order) or federations whose hubs are deep-equal
// and whose Pos and HubPos give the same positions for every field of
// every hub (of every every-th hub, and the last: Pos of the hub itself
// for the others). It returns the grouped load's federation when it
// loads (else nil) and whether it was evaluated in groups.
func sameLoads(t *testing.T, root string, groups, every int) (loaded *Federation, grouped bool) {
	t.Helper()
	one, oerr := loadHubs(root, "", 1)
	fed, ferr := loadHubs(root, "", groups)
	if o, f := details(root, oerr), details(root, ferr); !slices.Equal(o, f) {
		t.Fatalf("errors in groups:\n%s\nin one evaluation:\n%s", strings.Join(f, "\n"), strings.Join(o, "\n"))
	}
	if (one == nil) != (fed == nil) {
		t.Fatalf("federation %v in groups, %v in one evaluation", fed, one)
	}
	if one == nil {
		return nil, false
	}
	if oerr == nil && one.byHub != nil {
		t.Fatal("the single evaluation was grouped")
	}
	if !reflect.DeepEqual(one.Hubs, fed.Hubs) || one.Root != fed.Root || one.Complete() != fed.Complete() {
		t.Fatalf("hubs %v in groups differ from those of one evaluation, %v", fed.Names(), one.Names())
	}
	// The two loads parse the files apart: positions are compared as
	// file, offset, line and column.
	if len(one.labels) != len(fed.labels) {
		t.Fatalf("%d labels in groups, %d in one", len(fed.labels), len(one.labels))
	}
	for name, p := range one.labels {
		if p.Position() != fed.labels[name].Position() {
			t.Errorf("label of %s at %v in groups, %v in one", name, fed.labels[name], p)
		}
	}
	if oerr != nil {
		if fed.byHub != nil {
			t.Fatal("errors of a grouped evaluation: they are to be one evaluation's")
		}
		return nil, false
	}
	paths := 0
	for i, h := range one.Hubs {
		if one.HubPos(h.Name).Position() != fed.HubPos(h.Name).Position() {
			t.Errorf("HubPos(%s) = %v in groups, %v in one", h.Name, fed.HubPos(h.Name), one.HubPos(h.Name))
		}
		all := [][]string{nil, {"noSuchField"}, {"environments", "noSuchEnv", "domain"}}
		if i%every == 0 || i == len(one.Hubs)-1 {
			all = append(all, fieldPaths(one.hubs.LookupPath(cue.MakePath(cue.Str(h.Name))), nil)...)
		}
		for _, elems := range all {
			paths++
			if o, f := one.Pos(h.Name, elems...), fed.Pos(h.Name, elems...); o.Position() != f.Position() {
				t.Errorf("Pos(%s, %s) = %v in groups, %v in one", h.Name, strings.Join(elems, "."), f, o)
			}
		}
	}
	if paths < 10*len(one.Hubs)/every {
		t.Errorf("only %d paths compared for %d hubs", paths, len(one.Hubs))
	}
	return fed, fed.byHub != nil
}

// fieldPaths are the paths (Pos's elements) of every field and list
// element beneath v, prefix first.
func fieldPaths(v cue.Value, prefix []string) [][]string {
	var out [][]string
	switch v.IncompleteKind() {
	case cue.StructKind:
		it, err := v.Fields(cue.Optional(true))
		if err != nil {
			return nil
		}
		for it.Next() {
			p := append(slices.Clip(prefix), it.Selector().Unquoted())
			out = append(out, p)
			out = append(out, fieldPaths(it.Value(), p)...)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return nil
		}
		for i := 0; it.Next(); i++ {
			p := append(slices.Clip(prefix), fmt.Sprintf("[%d]", i))
			out = append(out, p)
			out = append(out, fieldPaths(it.Value(), p)...)
		}
	}
	return out
}

// TestGroupsLoadLikeOne: the repository's hubs, a federation of 100
// copies of alpha and every federation of testdata/script load the same
// in groups (of 2 and 3) as in one evaluation, and the ones that load are
// evaluated in groups.
func TestGroupsLoadLikeOne(t *testing.T) {
	src := repoRoot(t)
	t.Run("repository", func(t *testing.T) {
		for _, n := range []int{2, 3} {
			if _, g := sameLoads(t, src, n, 1); !g {
				t.Errorf("the repository's hubs were not evaluated in %d groups", n)
			}
		}
	})
	t.Run("hubs=100", func(t *testing.T) {
		if _, g := sameLoads(t, alphaCopies(t, 100), 2, 10); !g {
			t.Error("not evaluated in groups")
		}
	})
	scripts, err := filepath.Glob(filepath.Join(src, "testdata", "script", "*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	federationLine := regexp.MustCompile(`(?m)^federation\s*$`)
	scripted, ran, loaded, grouped := 0, 0, 0, 0 // loaded and grouped: of several hubs
	for _, script := range scripts {
		ar, err := txtar.ParseFile(script)
		if err != nil {
			t.Fatal(err)
		}
		var files []txtar.File
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, HubsDir+"/") || !strings.Contains(f.Name, "/") && strings.HasSuffix(f.Name, ".cue") {
				files = append(files, f)
			}
		}
		withRepo := federationLine.Match(ar.Comment)
		if len(files) == 0 && !withRepo || strings.Contains(string(ar.Comment), "PANGEO_GEN_MAX_") {
			continue // no federation, or one only the guard's limits stop
		}
		scripted++
		t.Run(strings.TrimSuffix(filepath.Base(script), ".txtar"), func(t *testing.T) {
			ran++
			hubs := map[string]string{}
			if withRepo {
				entries, err := os.ReadDir(filepath.Join(src, HubsDir))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					data, err := os.ReadFile(filepath.Join(src, HubsDir, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					hubs[e.Name()] = string(data)
				}
			}
			root := writeRepo(t, hubs)
			for _, f := range files {
				write(t, root, f.Name, string(f.Data))
			}
			if f, g := sameLoads(t, root, 2, 1); f != nil && len(f.Hubs) > 1 {
				loaded++
				if g {
					grouped++
				}
			}
		})
	}
	t.Logf("%d scripts' federations of several hubs load, %d of them in groups", loaded, grouped)
	if ran == scripted && (loaded < 20 || grouped != loaded) {
		t.Errorf("%d scripts' federations of several hubs load, %d of them in groups", loaded, grouped)
	}
}

// alphaCopies writes a repository of n hubs, each alpha renamed
// (hub000, hub001, ...), with the real schema, hubs.cue and templates.cue.
func alphaCopies(t testing.TB, n int) string {
	t.Helper()
	src := repoRoot(t)
	alpha, err := os.ReadFile(filepath.Join(src, "hubs", "alpha.cue"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, rel := range []string{"cue.mod/module.cue", "schema/hub.cue", "schema/go.cue", "hubs/hubs.cue", "hubs/templates.cue"} {
		data, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		name := fmt.Sprintf("hub%03d", i)
		body := strings.ReplaceAll(string(alpha), "alpha", name)
		if err := os.WriteFile(filepath.Join(dir, "hubs", name+".cue"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSplitHubs: when the hubs' files let them be evaluated apart, and
// how they are grouped; and that every case loads in groups as in one
// evaluation (the cases that split but do not load fall back to it).
func TestSplitHubs(t *testing.T) {
	hub := func(name string) string {
		return fmt.Sprintf("package hubs\nhubs: %s: title: %q\n", name, "Hub "+name)
	}
	for _, tc := range []struct {
		name  string
		files map[string]string // besides hubs/hubs.cue (the pattern) and one.cue .. four.cue (a hub each)
		want  string            // the groups (of 2): "one two|three four", "" for none
	}{
		{"hubs of their own", nil, "four one|three two"},
		{"shared definitions and a let", map[string]string{"templates.cue": "package hubs\nimport \"strings\"\nlet x = 1\n#T: title: strings.ToUpper(\"t\")\n_h: x\n\"s\": 2\n"}, "four one|three two"},
		{"a file refers to hubs.x", map[string]string{"two.cue": "package hubs\nhubs: two: title: hubs.one.title\n"}, ""},
		{"a comprehension over hubs", map[string]string{"templates.cue": "package hubs\n_names: [for n, _ in hubs {n}]\n"}, ""},
		{"a file declares two hubs", map[string]string{"one.cue": "package hubs\nhubs: one: title: \"1\"\nhubs: three: description: \"d\"\n"}, "four one three|two"},
		{"a hub declared in two files", map[string]string{"five.cue": "package hubs\nhubs: one: description: \"d\"\nhubs: four: description: \"d\"\n"}, "one four|three two"},
		{"a hub file with a definition", map[string]string{"two.cue": "package hubs\nhubs: two: #X\n#X: title: \"x\"\n"}, ""},
		{"a count of the hubs", map[string]string{"templates.cue": "package hubs\nimport \"struct\"\nhubs: struct.MaxFields(3)\n"}, ""},
		{"an embedding of the hubs", map[string]string{"templates.cue": "package hubs\nimport \"struct\"\nhubs: {struct.MaxFields(3)}\n"}, ""},
		{"hubs as a definition", map[string]string{"templates.cue": "package hubs\n#All: {...}\nhubs: #All\n"}, ""},
		{"a top-level embedding", map[string]string{"templates.cue": "package hubs\n{hubs: [string]: description: \"d\"}\n"}, ""},
		{"a top-level pattern", map[string]string{"templates.cue": "package hubs\n[string]: _\n"}, ""},
		{"a dynamic label", map[string]string{"templates.cue": "package hubs\n(\"hu\" + \"bs\"): {}\n"}, ""},
		{"a comprehension declaring hubs", map[string]string{"templates.cue": "package hubs\nfor n in [\"five\"] {hubs: (n): title: \"5\"}\n"}, ""},
		{"an optional hubs field", map[string]string{"templates.cue": "package hubs\nhubs?: [string]: description: \"d\"\n"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"hubs.cue": "package hubs\nimport \"github.com/pangeo-data/pangeo-gen/schema\"\nhubs: [N=string]: schema.#Hub & {name: N}\n"}
			for _, name := range []string{"one", "two", "three", "four"} {
				files[name+".cue"] = hub(name)
			}
			for k, v := range tc.files {
				files[k] = v
			}
			root := writeRepo(t, files)
			inst, sources := parsed(t, root)
			var got []string
			for _, g := range splitHubs(root, inst.Files, sources, 2) {
				got = append(got, strings.Join(g, " "))
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("groups %q, want %q", strings.Join(got, "|"), tc.want)
			}
			sameLoads(t, root, 2, 1)
		})
	}
}

// TestGroupErrorsAreOnes: a federation that does not load reports, when
// its hubs could be grouped, exactly what one evaluation reports: two bad
// hubs in different groups, a pin that differs between them, a reserved
// name.
func TestGroupErrorsAreOnes(t *testing.T) {
	src := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(src, "hubs", "alpha.cue"))
	if err != nil {
		t.Fatal(err)
	}
	alpha := string(data)
	one := strings.ReplaceAll(alpha, "alpha", "one")
	two := strings.ReplaceAll(alpha, "alpha", "two")
	for _, tc := range []struct{ name, one, two string }{
		{"bad fields", strings.Replace(one, "title:", "owners: 3, title:", 1), strings.Replace(two, "title:", "title: 5 & ", 1)},
		{"another pin", one, strings.Replace(two, "hubs: two: #PangeoHub & {", "hubs: two: #PangeoHub & {\n\tchart: jupyterhub: version: \"4.3.0\"", 1)},
		{"a reserved name", one, strings.ReplaceAll(alpha, "hubs: alpha:", "hubs: chart:")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := oneHubRepo(t, tc.one, map[string]string{"two.cue": tc.two})
			if _, err := Load(root); err == nil {
				t.Fatal("loads")
			}
			sameLoads(t, root, 2, 1)
		})
	}
}

// TestLanesBlameOneEvaluationsPoint: with the hubs evaluated in groups,
// the guard names the point one evaluation would have been stuck at: the
// earliest of the groups still running, the federation ("") while a
// group's package is evaluated.
func TestLanesBlameOneEvaluationsPoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []string // what each lane entered; "done" ends it
		want string
	}{
		{"one stuck, the other done", []string{"", "a", "b", "", "done"}, []string{"", "c", "d"}, "d"},
		{"both stuck", []string{"", "a", "b"}, []string{"", "c", "d"}, "b"},
		{"a package not evaluated", []string{"", "a"}, []string{""}, ""},
		{"the whole hubs before another's hub", []string{"", "a", "b", ""}, []string{"", "c"}, "c"},
		{"an export after another's hub", []string{"", "a", "b", "", "a"}, []string{"", "c"}, "c"},
		{"both exporting", []string{"", "a", "b", "", "b"}, []string{"", "c", "d", "", "c"}, "b"},
		{"all done", []string{"", "a", "done"}, []string{"", "c", "done"}, "main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGuard(Limits{}, nil, nil)
			defer g.stop()
			g.enter("main")
			lanes := g.split([]string{"a", "b", "c", "d"}, 2)
			for i, names := range [][]string{tc.a, tc.b} {
				for _, n := range names {
					if n == "done" {
						lanes[i].end()
					} else {
						lanes[i].enter(n)
					}
				}
			}
			if got := g.current(); got != tc.want {
				t.Errorf("current = %q, want %q", got, tc.want)
			}
			g.join()
			if got := g.current(); got != "main" {
				t.Errorf("current after join = %q", got)
			}
		})
	}
}
