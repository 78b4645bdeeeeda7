package ciplan

import (
	"errors"
	"io/fs"
	"reflect"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/ci"
)

func hubFiles(tag string, files map[string]string) *HubFiles {
	h := &HubFiles{Image: gen.ImageRef{Name: "repo/notebook", Tag: tag}, Files: map[string]FileSum{}}
	for p, data := range files {
		mode := fs.FileMode(0o644)
		if data == "#!script" {
			mode = 0o755
		}
		h.Files[p] = Sum(gen.File{Path: p, Mode: mode, Data: []byte(data)})
	}
	return h
}

func TestCompare(t *testing.T) {
	base := map[string]string{
		"deployments/a/config/common.yaml": "common",
		"deployments/a/config/prod.yaml":   "prod",
		"deployments/a/image/apt.txt":      "vim",
		"deployments/a/README.md":          "readme",
		"deployments/chart/Chart.yaml":     "chart 4.4.0",
		".sops.yaml":                       "rule",
	}
	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	snap := func(rev string, hubs map[string]*HubFiles) *Snapshot {
		return &Snapshot{Rev: rev, Hubs: hubs}
	}
	for _, tc := range []struct {
		name       string
		base, head *Snapshot
		want       []ci.Affected
	}{
		{"same", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base)}), snap("h", map[string]*HubFiles{"a": hubFiles("t1", base)}), nil},
		{"image", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base)}),
			snap("h", map[string]*HubFiles{"a": hubFiles("t2", with(map[string]string{"deployments/a/image/apt.txt": "vim htop"}))}),
			[]ci.Affected{{Hub: "a", Reasons: []string{"image changed (tag t1 → t2)"}}}},
		{"values and readme", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base)}),
			snap("h", map[string]*HubFiles{"a": hubFiles("t1", with(map[string]string{"deployments/a/config/prod.yaml": "prod2", "deployments/a/config/staging.yaml": "new", "deployments/a/README.md": "r2"}))}),
			[]ci.Affected{{Hub: "a", Reasons: []string{"values changed: config/prod.yaml, config/staging.yaml", "README.md changed"}}}},
		{"mode only", snap("b", map[string]*HubFiles{"a": hubFiles("t1", with(map[string]string{"deployments/a/image/start": "#!script"}))}),
			snap("h", func() map[string]*HubFiles {
				h := hubFiles("t1", with(map[string]string{"deployments/a/image/start": "#!script"}))
				f := h.Files["deployments/a/image/start"]
				f.Mode = 0o644
				h.Files["deployments/a/image/start"] = f
				return map[string]*HubFiles{"a": h}
			}()),
			[]ci.Affected{{Hub: "a", Reasons: []string{"image build context changed: image/start"}}}},
		{"chart and sops", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base)}),
			snap("h", map[string]*HubFiles{"a": hubFiles("t1", with(map[string]string{"deployments/chart/Chart.yaml": "chart 4.5.0", ".sops.yaml": ""}))}),
			[]ci.Affected{{Hub: "a", Reasons: []string{"chart changed: Chart.yaml", "sops rule changed (.sops.yaml)"}}}},
		{"image repository", snap("b", map[string]*HubFiles{"a": {Image: gen.ImageRef{Name: "x", Tag: "1"}, Files: map[string]FileSum{}}}),
			snap("h", map[string]*HubFiles{"a": {Image: gen.ImageRef{Name: "y", Tag: "1"}, Files: map[string]FileSum{}}}),
			[]ci.Affected{{Hub: "a", Reasons: []string{"image changed (x:1 → y:1)"}}}},
		{"new and removed", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base), "old": hubFiles("t1", nil)}),
			snap("h", map[string]*HubFiles{"a": hubFiles("t1", base), "new": hubFiles("t1", nil)}),
			[]ci.Affected{{Hub: "new", Reasons: []string{ci.ReasonNew}}, {Hub: "old", Reasons: []string{ci.ReasonRemoved}}}},
		{"hub does not generate at head", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base), "z": hubFiles("t1", base)}),
			snap("h", map[string]*HubFiles{"a": {Err: "duplicate domain"}, "z": hubFiles("t1", base)}),
			[]ci.Affected{{Hub: "a", Reasons: []string{"it does not generate at h: duplicate domain"}}}},
		{"head does not load", snap("b", map[string]*HubFiles{"a": hubFiles("t1", base), "b": hubFiles("t1", base)}),
			&Snapshot{Rev: "h", Err: errors.New("hubs/a.cue:3:1: expected '}'\nmore"), Hubs: map[string]*HubFiles{"c": {}}},
			[]ci.Affected{
				{Hub: "a", Reasons: []string{"the federation does not generate at h (hubs/a.cue:3:1: expected '}'): every hub is listed"}},
				{Hub: "b", Reasons: []string{"the federation does not generate at h (hubs/a.cue:3:1: expected '}'): every hub is listed"}},
				{Hub: "c", Reasons: []string{"the federation does not generate at h (hubs/a.cue:3:1: expected '}'): every hub is listed"}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Compare(tc.base, tc.head)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func clusterFiles(provider string, files map[string]string) *ClusterFiles {
	c := &ClusterFiles{Provider: provider, Files: map[string]FileSum{}}
	for p, data := range files {
		c.Files[p] = Sum(gen.File{Path: p, Mode: 0o644, Data: []byte(data)})
	}
	return c
}

func TestCompareClusters(t *testing.T) {
	gke := func(main string) *ClusterFiles {
		return clusterFiles("gcp", map[string]string{"clusters/o/main.tf": main, "clusters/o/versions.tf": "v"})
	}
	eks := clusterFiles("aws", map[string]string{"clusters/g/eksctl.yaml": "eks"})
	snap := func(rev string, cl map[string]*ClusterFiles) *Snapshot {
		return &Snapshot{Rev: rev, Hubs: map[string]*HubFiles{}, Clusters: cl}
	}
	for _, tc := range []struct {
		name       string
		base, head map[string]*ClusterFiles
		want       []ci.AffectedCluster
	}{
		{"same", map[string]*ClusterFiles{"o": gke("a"), "g": eks}, map[string]*ClusterFiles{"o": gke("a"), "g": eks}, nil},
		{"changed", map[string]*ClusterFiles{"o": gke("a"), "g": eks}, map[string]*ClusterFiles{"o": gke("max 30"), "g": eks},
			[]ci.AffectedCluster{{Cluster: "o", Provider: "gcp", Reasons: []string{"definition changed: main.tf"}}}},
		{"new and removed", map[string]*ClusterFiles{"o": gke("a")}, map[string]*ClusterFiles{"g": eks},
			[]ci.AffectedCluster{
				{Cluster: "g", Provider: "aws", Reasons: []string{ci.ReasonClusterNew}},
				{Cluster: "o", Provider: "gcp", Reasons: []string{ci.ReasonClusterRemoved}},
			}},
		{"file removed", map[string]*ClusterFiles{"o": gke("a")}, map[string]*ClusterFiles{"o": clusterFiles("gcp", map[string]string{"clusters/o/main.tf": "a"})},
			[]ci.AffectedCluster{{Cluster: "o", Provider: "gcp", Reasons: []string{"definition changed: versions.tf"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CompareClusters(snap("base", tc.base), snap("head", tc.head))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CompareClusters = %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("does not generate", func(t *testing.T) {
		head := snap("head", map[string]*ClusterFiles{})
		head.Err = errors.New("broken")
		got := CompareClusters(snap("base", map[string]*ClusterFiles{"g": eks}), head)
		want := []ci.AffectedCluster{{Cluster: "g", Provider: "aws", Reasons: []string{"the federation does not generate at head (broken): every cluster is listed"}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("CompareClusters = %+v, want %+v", got, want)
		}
	})
}
