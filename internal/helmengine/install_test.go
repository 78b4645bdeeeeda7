package helmengine_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine/installref"
)

// TestRenderIsInstall: for every Helm major, the engine renders what
// Helm's own client-only dry-run install renders (installref), the same
// Result and the same error text, whatever the request.
func TestRenderIsInstall(t *testing.T) {
	jh := func(r *helmengine.Request) map[string]any { return r.Values["jupyterhub"].(map[string]any) }
	for _, tc := range []struct {
		name string
		edit func(*helmengine.Request)
		// fails says whether the install fails.
		fails bool
	}{
		{"defaults", func(*helmengine.Request) {}, false},
		{"no crds", func(r *helmengine.Request) { r.IncludeCRDs = false }, false},
		{"other kube version", func(r *helmengine.Request) { r.KubeVersion = "1.30.2" }, false},
		{"hooks and notes", func(r *helmengine.Request) {
			helmengine.AddTemplate(r, "templates/zz-hook.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hook\n  annotations: {helm.sh/hook: \"pre-install,post-install\", helm.sh/hook-weight: \"3\"}\n")
			helmengine.AddTemplate(r, "templates/NOTES.txt", "Thanks for installing {{ .Release.Name }}\n")
		}, false},
		{"dependency disabled", func(r *helmengine.Request) { r.Values["dask-gateway"].(map[string]any)["enabled"] = false }, false},
		{"dependency missing", func(r *helmengine.Request) {
			r.Chart.Metadata.Dependencies = append(r.Chart.Metadata.Dependencies, &chart.Dependency{Name: "nowhere", Version: "1.0.0"})
		}, false},
		{"schema refuses", func(r *helmengine.Request) { jh(r)["hub"].(map[string]any)["bogus"] = 1 }, true},
		{"schema refuses, template fails", func(r *helmengine.Request) {
			jh(r)["hub"].(map[string]any)["bogus"] = 1
			helmengine.AddTemplate(r, "templates/zz-fail.yaml", `{{ fail "boom" }}`)
		}, true},
		{"template fails", func(r *helmengine.Request) {
			r.Values["dask-gateway"].(map[string]any)["gateway"].(map[string]any)["auth"].(map[string]any)["type"] = ""
		}, true},
		{"template calls fail", func(r *helmengine.Request) { helmengine.AddTemplate(r, "templates/zz-fail.yaml", `{{ fail "boom" }}`) }, true},
		{"template required", func(r *helmengine.Request) {
			helmengine.AddTemplate(r, "templates/zz-required.yaml", `x: {{ required "nope is required" .Values.nope }}`)
		}, true},
		{"template does not parse", func(r *helmengine.Request) { helmengine.AddTemplate(r, "templates/zz-parse.yaml", `{{ if }}`) }, true},
		{"manifest not yaml", func(r *helmengine.Request) {
			helmengine.AddTemplate(r, "templates/zz-bad.yaml", "kind: Service\nmetadata: [\n")
		}, true},
		{"bad kube version", func(r *helmengine.Request) { r.KubeVersion = "one" }, true},
		{"no kube version", func(r *helmengine.Request) { r.KubeVersion = "" }, true},
		{"chart kubeVersion incompatible", func(r *helmengine.Request) { r.KubeVersion = "1.29.1" }, true},
		{"subchart kubeVersion ignored", func(r *helmengine.Request) {
			r.Chart.Dependencies()[0].Metadata.KubeVersion = ">=1.40.0-0"
		}, false},
		{"bad release name", func(r *helmengine.Request) { r.ReleaseName = "Alpha_Staging" }, true},
		{"no chart", func(r *helmengine.Request) { r.Chart = nil }, true},
	} {
		for _, ref := range []helmengine.Engine{installref.NewV3(), installref.NewV4()} {
			t.Run(ref.Major()+"/"+tc.name, func(t *testing.T) {
				e, err := helmengine.New(ref.Major())
				if err != nil {
					t.Fatal(err)
				}
				req := helmengine.TestRequest(helmengine.LoadChart(t))
				tc.edit(&req)
				want, wantErr := ref.Render(context.Background(), req)
				if (wantErr != nil) != tc.fails {
					t.Fatalf("the install: %v, want failure %v", wantErr, tc.fails)
				}
				// The engine, and the memoized engine twice (the second
				// render reuses the first's processed dependencies).
				memoized := helmengine.Memoized(e)
				for i, e := range []helmengine.Engine{e, memoized, memoized} {
					got, err := e.Render(context.Background(), req)
					if fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Fatalf("render %d: error:\n got %v\nwant %v", i, err, wantErr)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("render %d: result:\n got %+v\nwant %+v", i, got, want)
					}
				}
			})
		}
	}
}
