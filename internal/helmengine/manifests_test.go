package helmengine

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// helmSplit is releaseutil.SplitManifests's documents in its order.
func helmSplit(s string) []string {
	m := releaseutil.SplitManifests(s)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var out []string
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

var splitCases = []string{
	"",
	"   \n\t",
	"a: 1",
	"---",
	"---\n",
	"---\na: 1",
	"---\na: 1\n---\nb: 2\n",
	"a: 1\n---\nb: 2",
	"a: 1\n  \n \t\n---  \n\n b: 2",
	"a: 1\n---b: 2",
	"a: 1\n----\nb: 2",
	"---\n---\n---",
	"---\n\n---x",
	"a\n---\n---b",
	"a: |\n  ---\n  x\n---\nb: 1",
	"a: 1 ---\nb",
	"a:\r\n---\r\nb: 2\r\n",
	"a: 1\f\n---\fb",
	"\v---\na: 1\v",
	"a\n \n---\n \n---\n",
	"# Source: x\n---\n# only a comment\n---\nkind: A\n",
	"a\v\n---\n\vb",
	"a\u0085\n---\n\u00a0b\u2028",
}

// TestSplitManifestsIsHelms: splitManifests gives Helm's pieces, in order.
func TestSplitManifestsIsHelms(t *testing.T) {
	for _, s := range splitCases {
		if got, want := splitManifests(s), helmSplit(s); !reflect.DeepEqual(got, want) {
			t.Errorf("splitManifests(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzSplitManifests: splitManifests gives Helm's pieces for any text.
func FuzzSplitManifests(f *testing.F) {
	for _, s := range splitCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := splitManifests(s), helmSplit(s); !reflect.DeepEqual(got, want) {
			t.Errorf("splitManifests(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestSortManifestsIsHelms: sortManifests gives what Helm's SortManifests
// gives, hooks, manifests and errors, on the test chart's rendered files
// and on files made to meet each of its branches.
func TestSortManifestsIsHelms(t *testing.T) {
	c := loadChart(t)
	req := request(c)
	cp := c
	if err := chartutil.ProcessDependenciesWithMerge(cp, req.Values); err != nil {
		t.Fatal(err)
	}
	top, err := chartutil.ToRenderValues(cp, req.Values, chartutil.ReleaseOptions{Name: "alpha-staging", Namespace: "alpha-staging", Revision: 1, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := engine.Render(cp, top)
	if err != nil {
		t.Fatal(err)
	}
	hook := func(ann string) string {
		return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n" + ann
	}
	for name, files := range map[string]map[string]string{
		"test chart": rendered,
		"kinds and order": {
			"b.yaml": "kind: Service\nmetadata: {name: s}\n---\nkind: Zed\nmetadata: {name: z}\n---\nkind: Namespace\nmetadata: {name: n}",
			"a.yaml": "kind: Alpha\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: t}\n---\n\n---\n# a comment\n",
			"_x.tpl": "kind: Secret",
			"c.yaml": "  \n\t",
		},
		"hooks": {
			"h.yaml": hook("    helm.sh/hook: pre-install, Post-Upgrade\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: before-hook-creation,Hook-Succeeded\n    helm.sh/hook-output-log-policy: hook-failed\n") +
				"\n---\n" + hook("    helm.sh/hook: test-success\n    helm.sh/hook-weight: x\n") +
				"\n---\n" + hook("    helm.sh/hook: pre-install,bogus\n") +
				"\n---\n" + hook("    other: a\n") +
				"\n---\n" + hook("    helm.sh/hook: \"\"\n"),
			"p.yaml": "kind: Pod\nmetadata:\n  name: p\n  annotations: {helm.sh/hook: test}\n",
		},
		"bad yaml": {
			"a.yaml": "kind: Service\nmetadata: {name: s}",
			"b.yaml": "kind: Service\nmetadata: {name: t}\n---\nkind: [\n",
			"c.yaml": "kind: ConfigMap\nmetadata: {name: c}",
		},
		"bad head": {
			"a.yaml": "kind: Pod\nmetadata:\n  name: p\n  annotations: {helm.sh/hook-weight: 5}\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			wantHooks, wantManifests, wantErr := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
			gotHooks, gotManifests, gotErr := sortManifests(files)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(gotHooks, wantHooks) {
				t.Errorf("hooks:\n got %+v\nwant %+v", gotHooks, wantHooks)
			}
			if !reflect.DeepEqual(gotManifests, wantManifests) {
				t.Errorf("manifests:\n got %+v\nwant %+v", gotManifests, wantManifests)
			}
			if name == "test chart" && (len(wantHooks) == 0 || len(wantManifests) < 10) {
				t.Errorf("the test chart gives %d hooks and %d manifests: not the case meant", len(wantHooks), len(wantManifests))
			}
		})
	}
}
