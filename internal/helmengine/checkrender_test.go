package helmengine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
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

// TestCheckDecoded: CheckDecoded finds what CheckRender finds, and with
// Helm 3 the documents it decodes are those of CheckRender's manifest, in
// its order (hooks left out), with its errors (a document that is not
// YAML is Helm's YAML parse error); with the other majors, or CRDs, it is
// CheckRender.
func TestCheckDecoded(t *testing.T) {
	// piece is a document as the manifest writes it.
	piece := func(path, doc string) (releaseutil.SimpleHead, string, error) {
		var head releaseutil.SimpleHead
		err := yaml.Unmarshal([]byte(doc), &head)
		return head, fmt.Sprintf("---\n# Source: %s\n%s\n", path, doc), err
	}
	extra := map[string]string{
		"templates/zz-hook.yaml":  "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hook\n  annotations: {helm.sh/hook: pre-install}\n",
		"templates/zz-multi.yaml": "kind: ServiceAccount\nmetadata: {name: a}\n---\nkind: Namespace\nmetadata: {name: b}\n---\n# only a comment\n",
	}
	engines := map[string]Engine{}
	for _, major := range Majors {
		e, err := New(major)
		if err != nil {
			t.Fatal(err)
		}
		engines[major] = e
	}
	for name, e := range engines {
		for _, tc := range []struct {
			name string
			edit func(*Request)
			// decoded says whether CheckDecoded decodes with Helm 3.
			decoded bool
		}{
			{"defaults", func(*Request) {}, true},
			{"crds", func(r *Request) { r.IncludeCRDs = true }, false},
			{"not yaml", func(r *Request) { addTemplate(r, "templates/zz-bad.yaml", "kind: Service\nmetadata: [\n") }, true},
			{"schema refuses", func(r *Request) {
				r.Values["jupyterhub"].(map[string]any)["hub"].(map[string]any)["bogus"] = 1
			}, true},
			{"bad kube version", func(r *Request) { r.KubeVersion = "one" }, false},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				req := request(loadChart(t))
				req.IncludeCRDs = false
				for p, text := range extra {
					addTemplate(&req, p, text)
				}
				tc.edit(&req)
				got, docs, decoded := CheckDecoded(context.Background(), e, req, piece)
				want := CheckRender(context.Background(), e, req)
				if wantDecoded := tc.decoded && name == "v3"; decoded != wantDecoded {
					t.Fatalf("decoded %v, want %v", decoded, wantDecoded)
				}
				if !reflect.DeepEqual(got.Problems, want.Problems) || fmt.Sprint(got.CheckErr) != fmt.Sprint(want.CheckErr) || fmt.Sprint(got.RenderErr) != fmt.Sprint(want.RenderErr) {
					t.Fatalf("got %+v, want %+v", got, want)
				}
				if !decoded {
					if !reflect.DeepEqual(got.Result, want.Result) || docs != nil {
						t.Errorf("not decoded: got %+v and %d documents, want %+v", got, len(docs), want)
					}
					return
				}
				if got.Result != nil {
					t.Errorf("decoded, with a result %+v", got.Result)
				}
				manifest := ""
				if want.Result != nil {
					manifest = want.Result.Manifest
				}
				if strings.Join(docs, "") != manifest {
					t.Errorf("documents:\n%s\nmanifest:\n%s", strings.Join(docs, ""), manifest)
				}
				if tc.name == "defaults" && (!strings.Contains(manifest, "zz-multi") || strings.Contains(manifest, "zz-hook")) {
					t.Errorf("manifest without the extra documents, or with the hook:\n%s", manifest)
				}
			})
		}
	}
}

// addTemplate adds a template to the top chart of r.
func addTemplate(r *Request, path, text string) {
	r.Chart.Templates = append(r.Chart.Templates, &chart.File{Name: path, Data: []byte(text)})
}
