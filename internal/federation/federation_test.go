package federation

import (
	"errors"
	"maps"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/ci"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

var (
	fedOnce sync.Once
	fedVal  *load.Federation
	fedErr  error
)

// federation is the repository's own federation (alpha, bravo, charlie),
// loaded once.
func federation(t *testing.T) *load.Federation {
	t.Helper()
	fedOnce.Do(func() { fedVal, fedErr = load.Load("../..") })
	if fedErr != nil {
		t.Fatal(fedErr)
	}
	return fedVal
}

// withHubs is a copy of fed whose hubs are hubs (positions stay fed's).
func withHubs(fed *load.Federation, hubs ...*hub.Hub) *load.Federation {
	f := *fed
	f.Hubs = hubs
	return &f
}

// edited is a copy of the hub named name, changed by edit.
func edited(t *testing.T, fed *load.Federation, name string, edit func(h *hub.Hub)) *hub.Hub {
	t.Helper()
	h := *fed.Hub(name)
	h.Environments = maps.Clone(h.Environments)
	edit(&h)
	return &h
}

func TestSelect(t *testing.T) {
	fed := federation(t)
	for _, tc := range []struct {
		name  string
		names []string
		want  map[string]bool
		err   string
	}{
		{"all", nil, map[string]bool{"alpha": true, "bravo": true, "charlie": true}, ""},
		{"one", []string{"bravo"}, map[string]bool{"bravo": true}, ""},
		{"some, repeated", []string{"charlie", "alpha", "charlie"}, map[string]bool{"alpha": true, "charlie": true}, ""},
		{"unknown", []string{"alpha", "zeta"}, nil, `no hub named "zeta" (hubs: alpha, bravo, charlie)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(fed, tc.names)
			if tc.err != "" {
				var unknown *load.UnknownHubError
				if err == nil || err.Error() != tc.err || !errors.As(err, &unknown) || unknown.Name != "zeta" {
					t.Fatalf("got %v, want the unknown hub error %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGenerateHubs(t *testing.T) {
	fed := federation(t)
	dup := edited(t, fed, "bravo", func(h *hub.Hub) {
		env := h.Environments["prod"]
		env.Domain = fed.Hub("alpha").Environments["prod"].Domain
		h.Environments["prod"] = env
	})
	conflict := edited(t, fed, "charlie", func(h *hub.Hub) {
		h.Values = map[string]any{"jupyterhub": map[string]any{"singleuser": map[string]any{"image": map[string]any{"tag": "x"}}}}
	})
	bad := withHubs(fed, fed.Hub("alpha"), dup, conflict)
	// alpha moves onto bravo's cluster, with a smaller dask pool: bravo,
	// the later hub by name, is the one that differs.
	moved := edited(t, fed, "alpha", func(h *hub.Hub) {
		h.Cloud = fed.Hub("bravo").Cloud
		h.Cloud.NodePools.Dask.Max = 7
	})
	sharing := withHubs(fed, moved, fed.Hub("bravo"))
	for _, tc := range []struct {
		name     string
		fed      *load.Federation
		selected map[string]bool
		outputs  []string
		findings []string // check hub path: message
	}{
		{"clean", fed, nil, []string{"alpha", "bravo", "charlie"}, nil},
		{"duplicate domain and conflict", bad, map[string]bool{"alpha": true, "bravo": true, "charlie": true}, []string{"alpha", "bravo"}, []string{
			"domain bravo hubs.bravo.environments.prod.domain: domain " + dup.Environments["prod"].Domain + " is already used by alpha.prod",
			`values charlie hubs.charlie.values.jupyterhub.singleuser.image.tag: raw value "x" contradicts the typed value ` + `"` + mustTag(t, fed, "charlie") + `": set it through the typed field, or remove it`,
		}},
		{"hubs on one cluster that differ", sharing, nil, []string{"alpha", "bravo"}, []string{
			"cluster bravo hubs.bravo.cloud.nodePools.dask.max: cluster pangeo-glaciers is also alpha's, where cloud.nodePools.dask.max is 7, not 200: hubs on one cluster must state its cloud section alike (or name another cluster)",
		}},
		{"findings of the hubs selected only", bad, map[string]bool{"bravo": true}, []string{"alpha", "bravo"}, []string{
			"domain bravo hubs.bravo.environments.prod.domain: domain " + dup.Environments["prod"].Domain + " is already used by alpha.prod",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			selected := tc.selected
			if selected == nil {
				selected, _ = Select(tc.fed, nil)
			}
			r := GenerateHubs(tc.fed, selected)
			var outputs []string
			for _, out := range r.Outputs {
				outputs = append(outputs, out.Hub.Name)
			}
			if !slices.Equal(outputs, tc.outputs) {
				t.Errorf("outputs %v, want %v", outputs, tc.outputs)
			}
			var findings []string
			for _, f := range r.Findings {
				findings = append(findings, f.Check+" "+f.Hub+" "+strings.Join(f.Path(), ".")+": "+f.Message)
				if !f.Position().IsValid() {
					t.Errorf("finding without a position: %v", f)
				}
			}
			if !slices.Equal(findings, tc.findings) {
				t.Errorf("findings\n%s\nwant\n%s", strings.Join(findings, "\n"), strings.Join(tc.findings, "\n"))
			}
		})
	}
}

// mustTag is the image tag gen gives the hub.
func mustTag(t *testing.T, fed *load.Federation, name string) string {
	t.Helper()
	out, err := gen.GenerateHub(fed.Hub(name))
	if err != nil {
		t.Fatal(err)
	}
	return out.Image.Tag
}

func TestShared(t *testing.T) {
	fed := federation(t)
	files, err := Shared(fed.Hubs, nil)
	if err != nil {
		t.Fatal(err)
	}
	setup, err := ci.SetupConfig(ci.SetupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := files[len(files)-1]
	if last.Path != ci.ConfigPath || string(last.Data) != string(setup.Data) {
		t.Errorf("the last shared file is %s, not the CircleCI setup config", last.Path)
	}
	if !slices.ContainsFunc(files, func(f gen.File) bool { return strings.HasPrefix(f.Path, gen.GeneratedChartDir+"/") }) {
		t.Error("no generated chart among the shared files")
	}
	// bravo is on EKS: its cluster's eksctl ClusterConfig is shared.
	if !slices.ContainsFunc(files, func(f gen.File) bool { return f.Path == "clusters/pangeo-glaciers/eksctl.yaml" }) {
		t.Error("no definition of bravo's cluster among the shared files")
	}
}

func TestSharedFor(t *testing.T) {
	fed := federation(t)
	for _, h := range fed.Hubs {
		files, err := SharedFor(h)
		if err != nil {
			t.Fatal(err)
		}
		onChart := slices.ContainsFunc(files, func(f gen.File) bool { return strings.HasPrefix(f.Path, gen.GeneratedChartDir+"/") })
		if onChart != (h.Chart.Name == hub.GeneratedChart) {
			t.Errorf("%s: generated chart among its shared files: %v, deployed with it: %v", h.Name, onChart, h.Chart.Name == hub.GeneratedChart)
		}
		sops := slices.ContainsFunc(files, func(f gen.File) bool { return f.Path == ".sops.yaml" })
		if sops != (h.Secrets.Backend == "sops") {
			t.Errorf("%s: .sops.yaml among its shared files: %v, backend %s", h.Name, sops, h.Secrets.Backend)
		}
		if slices.ContainsFunc(files, func(f gen.File) bool { return f.Path == ci.ConfigPath }) {
			t.Errorf("%s: the CircleCI setup config depends on no hub", h.Name)
		}
	}
}

// paths are the paths of the plan's changes of an action.
func paths(p *tree.Plan, action tree.Action) []string {
	var out []string
	for _, c := range p.Pending() {
		if c.Action == action {
			out = append(out, c.Path)
		}
	}
	return out
}

// under reports whether any path is in the folder dir.
func under(ps []string, dir string) bool {
	return slices.ContainsFunc(ps, func(p string) bool { return strings.HasPrefix(p, dir+"/") })
}

// TestTreePlan: gen writes the hubs named and the shared files, and
// removes the files of a hub gone only when it writes every hub.
func TestTreePlan(t *testing.T) {
	fed := withHubs(federation(t), federation(t).Hubs...)
	fed.Root = t.TempDir()

	plan, findings, err := TreePlan(fed, []string{"alpha"})
	if err != nil || findings != nil {
		t.Fatal(err, findings)
	}
	created := paths(plan, tree.Create)
	if !under(created, gen.HubDir("alpha")) || under(created, gen.HubDir("bravo")) || !slices.Contains(created, ci.ConfigPath) {
		t.Errorf("gen alpha creates %v: want alpha's files and the shared ones only", created)
	}

	if plan, _, err = TreePlan(fed, nil); err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(false); err != nil {
		t.Fatal(err)
	}
	if plan, _, err = TreePlan(fed, nil); err != nil || len(plan.Pending()) > 0 {
		t.Fatalf("a second gen changes %v (%v)", plan.Pending(), err)
	}

	gone := withHubs(fed, fed.Hub("alpha"), fed.Hub("charlie"))
	if plan, _, err = TreePlan(gone, []string{"alpha"}); err != nil {
		t.Fatal(err)
	}
	if under(paths(plan, tree.Delete), gen.HubDir("bravo")) {
		t.Error("gen alpha deletes bravo's files")
	}
	if plan, _, err = TreePlan(gone, nil); err != nil {
		t.Fatal(err)
	}
	if !under(paths(plan, tree.Delete), gen.HubDir("bravo")) {
		t.Error("gen does not delete the files of a hub gone")
	}

	if _, _, err := TreePlan(fed, []string{"zeta"}); err == nil || err.Error() != `no hub named "zeta" (hubs: alpha, bravo, charlie)` {
		t.Errorf("gen zeta: %v", err)
	}
	bad := withHubs(fed, fed.Hub("alpha"), edited(t, fed, "bravo", func(h *hub.Hub) {
		env := h.Environments["prod"]
		env.Domain = fed.Hub("alpha").Environments["prod"].Domain
		h.Environments["prod"] = env
	}))
	if plan, findings, err := TreePlan(bad, nil); err != nil || plan != nil || len(findings) != 1 || findings[0].Check != "domain" {
		t.Errorf("gen with a domain used twice: plan %v, findings %v, error %v", plan, findings, err)
	}
}

// TestCommittedTreeCurrent: generating the repository's own federation
// changes nothing in its committed tree.
func TestCommittedTreeCurrent(t *testing.T) {
	fed := federation(t)
	plan, findings, err := TreePlan(fed, nil)
	if err != nil || findings != nil {
		t.Fatal(err, findings)
	}
	for _, c := range plan.Pending() {
		t.Errorf("%s %s", c.Action, c.Path)
	}
}

// TestNoHeavyDependencies: generating the federation does not depend on
// vet, Helm or anything that renders.
func TestNoHeavyDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"helm.sh/", "/internal/vet", "/internal/release", "/internal/render", "/internal/helmengine", "/internal/ciplan", "sigs.k8s.io/kustomize"} {
			if strings.Contains(dep, bad) {
				t.Errorf("internal/federation depends on %s", dep)
			}
		}
	}
}

func TestGenerateHubsReusing(t *testing.T) {
	fed := federation(t)
	sel, _ := Select(fed, nil)
	prev := GenerateHubs(fed, sel)
	if len(prev.Findings) > 0 || len(prev.Outputs) != 3 {
		t.Fatalf("the repository's hubs: %v", prev.Findings)
	}
	// alpha is the same hub (another value, equal), bravo is edited,
	// charlie is the same pointer.
	same := edited(t, fed, "alpha", func(*hub.Hub) {})
	changed := edited(t, fed, "bravo", func(h *hub.Hub) { h.Title += " (edited)" })
	head := withHubs(fed, same, changed, fed.Hub("charlie"))
	got := GenerateHubsReusing(head, sel, prev.Outputs)
	want := GenerateHubs(head, sel)
	if !reflect.DeepEqual(got.Outputs, want.Outputs) || !reflect.DeepEqual(got.Findings, want.Findings) {
		t.Fatal("the outputs reusing the previous ones differ from those generated afresh")
	}
	if wantReused := map[string]bool{"alpha": true, "charlie": true}; !reflect.DeepEqual(got.Reused, wantReused) {
		t.Errorf("Reused = %v, want %v", got.Reused, wantReused)
	}
	if want.Reused != nil {
		t.Errorf("GenerateHubs: Reused = %v, want none", want.Reused)
	}
	for i, out := range got.Outputs {
		if out.Hub != head.Hubs[i] {
			t.Errorf("output %d is of hub %p, want the head's %p", i, out.Hub, head.Hubs[i])
		}
		reused := &out.Files[0] == &prev.Outputs[i].Files[0]
		if wantReused := out.Hub.Name != "bravo"; reused != wantReused {
			t.Errorf("%s: reused %v, want %v", out.Hub.Name, reused, wantReused)
		}
	}
	if reflect.DeepEqual(got.Outputs[1].Files, prev.Outputs[1].Files) {
		t.Error("the edited hub's files did not change: the test edits nothing")
	}
}
