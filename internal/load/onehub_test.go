package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
)

// oneHubRepo writes a repository with the real schema, hubs.cue and
// templates.cue, the hub file one.cue and the given other files; two.cue
// is alpha's file renamed to two unless files sets it.
func oneHubRepo(t *testing.T, one string, files map[string]string) string {
	t.Helper()
	src := repoRoot(t)
	all := map[string]string{"one.cue": one}
	for _, name := range []string{"hubs.cue", "templates.cue", "alpha.cue"} {
		data, err := os.ReadFile(filepath.Join(src, "hubs", name))
		if err != nil {
			t.Fatal(err)
		}
		all[name] = string(data)
	}
	all["two.cue"] = strings.ReplaceAll(all["alpha.cue"], "alpha", "two")
	delete(all, "alpha.cue")
	for name, body := range files {
		if body == "" {
			delete(all, name)
			continue
		}
		all[name] = body
	}
	return writeRepo(t, all)
}

// details are the printed problems of err, one string each, relative to
// root.
func details(root string, err error) []string {
	var out []string
	for _, e := range errors.Errors(err) {
		out = append(out, errors.Details(e, &errors.Config{Cwd: root, ToSlash: true}))
	}
	return out
}

// TestLoadHubMatchesLoad loads hub one of federations both ways: a
// federation that loads gives LoadHub the same hub, decoded alike, and
// one that does not gives LoadHub no problem Load does not report, and at
// least one unless only federation-wide checks fail or no file declares
// the hub. The cases are FuzzLoad's corpus and more.
func TestLoadHubMatchesLoad(t *testing.T) {
	src := repoRoot(t)
	alpha, err := os.ReadFile(filepath.Join(src, "hubs", "alpha.cue"))
	if err != nil {
		t.Fatal(err)
	}
	one := strings.ReplaceAll(string(alpha), "alpha", "one")
	cases := map[string]string{
		"valid":            one,
		"bad title":        strings.Replace(one, `title:`, `title: 5 & `, 1),
		"declares two":     one + "\nhubs: two: title: \"Other\"\n",
		"declares three":   one + "\nhubs: three: {}\n",
		"twice":            one + "\nhubs: one: description: \"again\"\n",
		"refers to two":    strings.Replace(one, `title:`, `title: hubs.two.title, _t:`, 1),
		"reserved":         strings.ReplaceAll(one, "hubs: one:", "hubs: chart:"),
		"other pin":        strings.Replace(one, "hubs: one: #PangeoHub & {", "hubs: one: #PangeoHub & {\n\tchart: jupyterhub: version: \"4.3.0\"", 1),
		"bad field":        strings.Replace(one, "hubs: one: #PangeoHub & {", "hubs: one: #PangeoHub & {\n\tnoSuchField: 1", 1),
		"dask field":       strings.Replace(one, "hubs: one: #PangeoHub & {", "hubs: one: #PangeoHub & {\n\tdask: maxWorkers: 3", 1),
		"syntax error":     "package hubs\nhubs: one: {\n",
		"not declared":     "package hubs\n",
		"comprehension":    "package hubs\nfor n in [\"one\"] { hubs: (n): {} }\n",
		"dynamic label":    "package hubs\nhubs: (\"o\" + \"ne\"): {}\n",
		"uses a shared":    strings.Replace(one, `title:`, `title: #TwoTitle, _t:`, 1),
		"optional label":   "package hubs\nhubs: one?: {}\n",
		"alias of hubs":    "package hubs\nH=hubs: one: H.two\n",
		"let of hubs":      "package hubs\nlet h = hubs\nhubs: one: h.two\n",
		"pattern in hubs":  one + "\nhubs: [string]: description: \"all\"\n",
		"selector of hubs": strings.Replace(one, `title:`, `_x: {hubs: 1}, _y: _x.hubs, title:`, 1),
	}
	// FuzzLoad's corpus but the inputs that only the guard of a child
	// process stops (comprehension, nested_*, string_doubling).
	for _, name := range []string{"bad_files_key", "cycle", "declared_twice", "hub_one", "if_attr", "missing_import", "no_package", "no_provider", "not_utf8", "other_hub"} {
		data, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoad", name))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 2)
		body := strings.TrimSpace(lines[1])
		if !strings.HasPrefix(body, "string(") {
			t.Fatalf("corpus %s: not a string", name)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(body, "string("), ")"))
		if err != nil {
			t.Fatalf("corpus %s: %v", name, err)
		}
		cases["corpus "+name] = s
	}
	two := strings.ReplaceAll(string(alpha), "alpha", "two") + "\n#TwoTitle: \"Two's title\"\n"
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			root := oneHubRepo(t, body, map[string]string{"two.cue": two})
			fed, ferr := Load(root)
			for _, hubName := range []string{"one", "two"} {
				single, serr := LoadHub(root, hubName)
				if ferr == nil && fed.Hub(hubName) == nil {
					if _, err := single.Lookup(hubName); serr != nil || err == nil {
						t.Fatalf("LoadHub(%s): %v, %v; Load has no such hub", hubName, serr, err)
					}
					continue
				}
				if ferr == nil {
					if serr != nil {
						t.Fatalf("LoadHub(%s): %v, Load loads", hubName, serr)
					}
					if len(single.Hubs) != 1 || !reflect.DeepEqual(single.Hubs[0], fed.Hub(hubName)) {
						t.Fatalf("LoadHub(%s) = %v, Load's hub differs", hubName, single.Names())
					}
					continue
				}
				full, got := details(root, ferr), details(root, serr)
				for _, g := range got {
					if !slices.Contains(full, g) {
						t.Errorf("LoadHub(%s) reports what Load does not:\n%s\nLoad:\n%s", hubName, g, strings.Join(full, "\n"))
					}
				}
				if serr != nil {
					continue
				}
				if _, err := single.Lookup(hubName); err != nil {
					continue // no file declares it: render says "no hub named"
				}
				if !pinsOnly(ferr) && !aboutOthers(ferr, hubName) {
					t.Errorf("LoadHub(%s) loads, Load refuses:\n%s", hubName, strings.Join(full, "\n"))
				}
			}
		})
	}
}

// pinsOnly reports whether every problem of err is a pin of the generated
// chart that differs between hubs (a federation-wide check).
func pinsOnly(err error) bool {
	for _, e := range errors.Errors(err) {
		if _, ok := e.(*pinError); !ok {
			return false
		}
	}
	return true
}

// aboutOthers reports whether every problem of err is about another hub
// than name (its CUE path hubs.<other>...).
func aboutOthers(err error, name string) bool {
	for _, e := range errors.Errors(err) {
		p := e.Path()
		if len(p) < 2 || p[0] != "hubs" || p[1] == name {
			return false
		}
	}
	return true
}

// TestLoadHubLeavesOthersOut: a hub file that does not load does not stop
// LoadHub of another hub, and LoadHub of it reports what Load reports.
func TestLoadHubLeavesOthersOut(t *testing.T) {
	src := repoRoot(t)
	alpha, err := os.ReadFile(filepath.Join(src, "hubs", "alpha.cue"))
	if err != nil {
		t.Fatal(err)
	}
	one := strings.ReplaceAll(string(alpha), "alpha", "one")
	bad := strings.Replace(strings.ReplaceAll(string(alpha), "alpha", "two"), "title:", "title: 5 & ", 1)
	root := oneHubRepo(t, one, map[string]string{"two.cue": bad})
	_, ferr := Load(root)
	if ferr == nil {
		t.Fatal("Load loads a hub whose title is 5")
	}
	fed, err := LoadHub(root, "one")
	if err != nil {
		t.Fatalf("LoadHub(one): %v", err)
	}
	if fed.Complete() || len(fed.Hubs) != 1 || fed.Hubs[0].Name != "one" {
		t.Fatalf("LoadHub(one): complete %v, hubs %v", fed.Complete(), fed.Names())
	}
	_, serr := LoadHub(root, "two")
	if got, want := details(root, serr), details(root, ferr); !slices.Equal(got, want) {
		t.Errorf("LoadHub(two):\n%s\nLoad:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, err = fed.Lookup("three")
	var unknown *UnknownHubError
	if !errors.As(err, &unknown) || err.Error() != `no hub named "three" (hubs: one, two)` {
		t.Errorf("Lookup(three) = %v", err)
	}
	none, err := LoadHub(root, "three")
	if err != nil || len(none.Hubs) != 0 {
		t.Fatalf("LoadHub(three) = %v, %v", none.Names(), err)
	}
	if _, err := none.Lookup("three"); err == nil || err.Error() != `no hub named "three" (hubs: one, two)` {
		t.Errorf("LoadHub(three).Lookup = %v", err)
	}
}

// TestHubFiles says which files LoadHub evaluates for hub one.
func TestHubFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // the kept files
	}{
		{"others left out", map[string]string{"two.cue": "package hubs\nhubs: two: {}\n", "three.cue": "package hubs\nimport \"strings\"\n// c\nhubs: \"three\": {x: strings.ToUpper(\"a\")}\n"}, "hubs.cue one.cue templates.cue"},
		{"a definition beside a hub", map[string]string{"two.cue": "package hubs\nhubs: two: {}\n#X: 1\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"declares one too", map[string]string{"two.cue": "package hubs\nhubs: two: {}\nhubs: one: {}\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"a pattern", map[string]string{"two.cue": "package hubs\nhubs: two: {}\nhubs: [string]: {}\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"an optional hub", map[string]string{"two.cue": "package hubs\nhubs: two?: {}\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"an aliased hub", map[string]string{"two.cue": "package hubs\nhubs: T=two: {}\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"one refers to hubs", map[string]string{"one.cue": "package hubs\nhubs: one: title: hubs.two.title\n", "two.cue": "package hubs\nhubs: two: {}\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"templates refer to hubs", map[string]string{"templates.cue": "package hubs\n_n: len(hubs)\n", "two.cue": "package hubs\nhubs: two: {}\n"}, "hubs.cue one.cue templates.cue two.cue"},
		{"a selector named hubs", map[string]string{"templates.cue": "package hubs\n_x: hubs: 1\n_y: _x.hubs\n", "two.cue": "package hubs\nhubs: two: {}\n"}, "hubs.cue one.cue templates.cue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"one.cue": "package hubs\nhubs: one: {}\n", "templates.cue": "package hubs\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			root := oneHubRepo(t, files["one.cue"], files)
			inst, sources := parsed(t, root)
			var got []string
			for _, f := range hubFiles(root, ownHubs("one", sources), inst.Files) {
				got = append(got, filepath.Base(f.Filename))
			}
			slices.Sort(got)
			if strings.Join(got, " ") != tc.want {
				t.Errorf("kept %v, want %s", got, tc.want)
			}
		})
	}
}

// parsed is the package hubs of root as loadHubs parses it, and the hubs
// its files declare.
func parsed(t *testing.T, root string) (*build.Instance, map[string][]decl) {
	t.Helper()
	overlay, err := readSources(root)
	if err != nil {
		t.Fatal(err)
	}
	inst := load.Instances([]string{"./" + HubsDir}, &load.Config{Dir: root, Overlay: overlay})[0]
	if inst.Err != nil {
		t.Fatal(inst.Err)
	}
	sources, _, err := hubSources(root, inst)
	if err != nil {
		t.Fatal(err)
	}
	return inst, sources
}

// BenchmarkLoadHub loads one hub of federations of 3 and 100 hubs (the
// others copies of alpha), against Load of the whole federation: LoadHub
// reads and parses every hub file but evaluates one.
func BenchmarkLoadHub(b *testing.B) {
	for _, n := range []int{3, 100} {
		dir := alphaCopies(b, n)
		b.Run(fmt.Sprintf("one/hubs=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := LoadHub(dir, "hub001"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("all/hubs=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWithoutPositions: the federation without its CUE keeps its hubs and
// gives the hub's label for any field, the one position it keeps.
func TestWithoutPositions(t *testing.T) {
	fed, err := LoadHub(repoRoot(t), "alpha")
	if err != nil {
		t.Fatal(err)
	}
	lean := fed.WithoutPositions()
	if !reflect.DeepEqual(lean.Hubs, fed.Hubs) || lean.Root != fed.Root {
		t.Fatal("the hubs or the root changed")
	}
	label := fed.labels["alpha"]
	if !label.IsValid() {
		t.Fatal("no label position")
	}
	if full := fed.Pos("alpha", "title"); !full.IsValid() || full == label {
		t.Fatalf("Pos of title %v on the full federation, label %v", full, label)
	}
	if got := lean.Pos("alpha", "title"); got != label {
		t.Errorf("Pos of title without positions: %v, want the label %v", got, label)
	}
	if fed.Pos("alpha", "title") == label {
		t.Error("WithoutPositions changed the federation it copies")
	}
}
