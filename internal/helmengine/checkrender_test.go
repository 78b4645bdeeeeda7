package helmengine

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

// TestCheckRender: CheckRender finds what CheckValues finds and renders
// what Render renders (manifest, hooks, errors), with every Helm major,
// whether the values pass, fail the schema, or cannot be rendered.
func TestCheckRender(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		for _, tc := range []struct {
			name string
			edit func(*Request)
			// outcome is what CheckRender must give: "rendered",
			// "problems" or "render error".
			outcome string
		}{
			{"defaults", func(*Request) {}, "rendered"},
			{"no crds", func(r *Request) { r.IncludeCRDs = false }, "rendered"},
			{"schema refuses", func(r *Request) {
				r.Values["jupyterhub"].(map[string]any)["hub"].(map[string]any)["bogus"] = 1
			}, "problems"},
			{"template fails", func(r *Request) {
				// No schema checks it; the template requires it.
				r.Values["dask-gateway"].(map[string]any)["gateway"].(map[string]any)["auth"].(map[string]any)["type"] = ""
			}, "render error"},
			{"no kube version", func(r *Request) { r.KubeVersion = "" }, "render error"},
			{"bad kube version", func(r *Request) { r.KubeVersion = "one" }, "render error"},
			{"bad release name", func(r *Request) { r.ReleaseName = "Alpha_Staging" }, "render error"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := request(loadChart(t))
				tc.edit(&req)
				got := CheckRender(context.Background(), e, req)
				outcome := "rendered"
				switch {
				case len(got.Problems) > 0:
					outcome = "problems"
				case got.RenderErr != nil:
					outcome = "render error"
				case got.Result == nil || got.Result.Manifest == "":
					outcome = "nothing rendered"
				}
				if outcome != tc.outcome {
					t.Fatalf("%s, want %s (%+v)", outcome, tc.outcome, got)
				}
				var want Checked
				want.Problems, want.CheckErr = e.CheckValues(req.Chart, req.Values)
				if want.CheckErr != nil || len(want.Problems) == 0 {
					want.Result, want.RenderErr = e.Render(context.Background(), req)
				}
				if !reflect.DeepEqual(got.Problems, want.Problems) || fmt.Sprint(got.CheckErr) != fmt.Sprint(want.CheckErr) {
					t.Errorf("check: got %v, %v; want %v, %v", got.Problems, got.CheckErr, want.Problems, want.CheckErr)
				}
				if fmt.Sprint(got.RenderErr) != fmt.Sprint(want.RenderErr) {
					t.Errorf("render error: got %v, want %v", got.RenderErr, want.RenderErr)
				}
				if (got.Result == nil) != (want.Result == nil) {
					t.Fatalf("result: got %v, want %v", got.Result, want.Result)
				}
				if got.Result != nil && !reflect.DeepEqual(got.Result, want.Result) {
					t.Errorf("result differs:\n got %+v\nwant %+v", got.Result, want.Result)
				}
			})
		}
	})
}
