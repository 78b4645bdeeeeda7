package ciplan

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// repoFederation is the repository's own federation (alpha, bravo and
// charlie, each on a cluster of its own).
func repoFederation(t *testing.T) *load.Federation {
	t.Helper()
	fed, err := load.Load("../..")
	if err != nil {
		t.Fatal(err)
	}
	return fed
}

// revision is a loaded revision of the repository's federation whose hubs
// are hubs (positions stay the repository's).
func revision(fed *load.Federation, hubs ...*hub.Hub) *loaded {
	f := *fed
	f.Hubs = hubs
	slices.SortFunc(f.Hubs, func(a, b *hub.Hub) int { return strings.Compare(a.Name, b.Name) })
	return &loaded{root: fed.Root, fed: &f}
}

// copyOf is a copy of h (another value, equal until edit changes it),
// named name.
func copyOf(h *hub.Hub, name string, edit func(*hub.Hub)) *hub.Hub {
	c := *h
	c.Name = name
	c.Environments = maps.Clone(h.Environments)
	if edit != nil {
		edit(&c)
	}
	return &c
}

// TestSnapshotReusing: the snapshot of a revision that takes from another
// revision's what is the same at both is the snapshot generated afresh,
// and takes exactly the files of the hubs equal at both and of the
// clusters whose hubs are all equal at both (the same names, in order).
func TestSnapshotReusing(t *testing.T) {
	fed := repoFederation(t)
	alpha, bravo, charlie := fed.Hub("alpha"), fed.Hub("bravo"), fed.Hub("charlie")
	same := func(h *hub.Hub) *hub.Hub { return copyOf(h, h.Name, nil) }
	retitled := func(h *hub.Hub) *hub.Hub {
		return copyOf(h, h.Name, func(c *hub.Hub) { c.Title += " (edited)" })
	}
	// delta is on alpha's cluster, pangeo-ocean, with alpha's cloud
	// section.
	delta := copyOf(alpha, "delta", nil)
	for _, tc := range []struct {
		name         string
		prev, head   []*hub.Hub
		hubs         []string // the hubs whose files are taken
		clusters     []string // the clusters whose files are taken
		clusterDiffs []string // the clusters whose files differ from prev's
	}{
		{"same", []*hub.Hub{alpha, bravo, charlie}, []*hub.Hub{same(alpha), same(bravo), same(charlie)},
			[]string{"alpha", "bravo", "charlie"}, []string{"pangeo-atmos", "pangeo-glaciers", "pangeo-ocean"}, nil},
		{"title edited", []*hub.Hub{alpha, bravo, charlie}, []*hub.Hub{same(alpha), retitled(bravo), same(charlie)},
			[]string{"alpha", "charlie"}, []string{"pangeo-atmos", "pangeo-ocean"}, nil},
		{"cluster of two, same", []*hub.Hub{alpha, delta, bravo}, []*hub.Hub{same(alpha), same(delta), same(bravo)},
			[]string{"alpha", "bravo", "delta"}, []string{"pangeo-glaciers", "pangeo-ocean"}, nil},
		{"cluster of two, one edited", []*hub.Hub{alpha, delta, bravo}, []*hub.Hub{same(alpha), retitled(delta), same(bravo)},
			[]string{"alpha", "bravo"}, []string{"pangeo-glaciers"}, nil},
		{"hub added to a cluster", []*hub.Hub{alpha, bravo}, []*hub.Hub{same(alpha), same(delta), same(bravo)},
			[]string{"alpha", "bravo"}, []string{"pangeo-glaciers"}, []string{"pangeo-ocean"}},
		{"hub removed from a cluster", []*hub.Hub{alpha, delta, bravo}, []*hub.Hub{same(alpha), same(bravo)},
			[]string{"alpha", "bravo"}, []string{"pangeo-glaciers"}, []string{"pangeo-ocean"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prevSnap, prev := revision(fed, tc.prev...).snapshot(nil)
			head := revision(fed, tc.head...)
			got, _ := head.snapshot(prev)
			want, _ := head.snapshot(nil)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the snapshot reusing the previous revision's differs from the one generated afresh")
			}
			hubs := sharedHubs(prevSnap, got)
			var clusters, clusterDiffs []string
			for name, cf := range got.Clusters {
				p := prevSnap.Clusters[name]
				if p == cf {
					clusters = append(clusters, name)
				}
				if p != nil && !reflect.DeepEqual(p, cf) {
					clusterDiffs = append(clusterDiffs, name)
				}
			}
			slices.Sort(hubs)
			slices.Sort(clusters)
			slices.Sort(clusterDiffs)
			if !slices.Equal(hubs, tc.hubs) {
				t.Errorf("hubs taken %v, want %v", hubs, tc.hubs)
			}
			if !slices.Equal(clusters, tc.clusters) {
				t.Errorf("clusters taken %v, want %v", clusters, tc.clusters)
			}
			if !slices.Equal(clusterDiffs, tc.clusterDiffs) {
				t.Errorf("clusters that differ %v, want %v", clusterDiffs, tc.clusterDiffs)
			}
		})
	}
}

// sharedHubs are the hubs of b whose files are a's (the same map), sorted.
func sharedHubs(a, b *Snapshot) []string {
	var names []string
	for name, hf := range b.Hubs {
		if p := a.Hubs[name]; p != nil && hf.Files != nil && reflect.ValueOf(hf.Files).UnsafePointer() == reflect.ValueOf(p.Files).UnsafePointer() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TestSides: of the revisions of Plan, the first that loaded generates
// every hub and the other takes from it; one that did not load takes that
// role from neither.
func TestSides(t *testing.T) {
	fed := repoFederation(t)
	all := []string{"alpha", "bravo", "charlie"}
	failed := &loaded{root: fed.Root, err: errors.New("not taken out"), failed: true}
	for _, tc := range []struct {
		name  string
		first bool // a failed revision is snapshot first
	}{
		{"two that load", false},
		{"after one that did not load", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sd sides
			if tc.first {
				if s := sd.snapshot(failed); s.Err == nil || len(s.Hubs) != 0 {
					t.Fatalf("the revision that was not taken out: %+v", s)
				}
			}
			a := sd.snapshot(revision(fed, fed.Hubs...))
			b := sd.snapshot(revision(fed, fed.Hubs...))
			if got := sharedHubs(a, b); !slices.Equal(got, all) {
				t.Errorf("the second takes the files of %v, want %v", got, all)
			}
			if want, _ := revision(fed, fed.Hubs...).snapshot(nil); !reflect.DeepEqual(a, want) || !reflect.DeepEqual(b, want) {
				t.Error("the snapshots differ from one generated afresh")
			}
			if s := sd.snapshot(failed); s.Err == nil {
				t.Error("a revision that was not taken out after them: no error")
			}
		})
	}
}
