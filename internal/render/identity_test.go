package render_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render"
)

// recorder is an Engine that renders with Helm 3 and keeps the last
// request and result.
type recorder struct {
	helmengine.Engine // Helm 3 for what recorder does not override
	req               helmengine.Request
	res               *helmengine.Result
}

func (r *recorder) Render(ctx context.Context, req helmengine.Request) (*helmengine.Result, error) {
	res, err := helmengine.NewV3().Render(ctx, req)
	r.req, r.res = req, res
	return res, err
}

// replay is an Engine that returns a recorded result.
type replay struct {
	helmengine.Engine // Helm 3 for what replay does not override
	res               *helmengine.Result
}

func (r replay) Render(context.Context, helmengine.Request) (*helmengine.Result, error) {
	return r.res, nil
}

// TestTransformIsKrusty renders every hub-env of the repository's
// federation with the real jupyterhub and dask-gateway charts and runs the
// Helm manifest of each, without patches, through kustomize's filters (as
// render does without patches) and through krusty: the bytes are the same.
func TestTransformIsKrusty(t *testing.T) {
	fed := releasetest.Federation(t)
	chart := releasetest.UpstreamUmbrella(t, fed.Root)
	for _, h := range fed.Hubs {
		out, err := gen.GenerateHub(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range hub.EnvNames {
			t.Run(h.Name+"-"+env, func(t *testing.T) {
				stub := filepath.Join(t.TempDir(), "secrets.yaml")
				for _, f := range out.Files {
					if f.Path == release.SecretsPath(h.Name, env) {
						if err := os.WriteFile(stub, f.Data, 0o600); err != nil {
							t.Fatal(err)
						}
					}
				}
				rec := &recorder{Engine: helmengine.NewV3()}
				released, err := release.Render(context.Background(), release.Request{
					Fed: fed, Hub: h.Name, Env: env, Chart: chart,
					Secrets: stub, PlaceholderSecrets: true,
					Cache:  &charts.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Offline: true},
					Engine: rec,
				})
				if err != nil {
					t.Fatal(err)
				}
				name := release.Release(h.Name, env)
				o := render.Options{
					Release: name, Namespace: name, Chart: rec.req.Chart,
					Values: []map[string]any{rec.req.Values},
					Labels: map[string]string{release.HubLabel: h.Name, release.EnvLabel: env},
					Engine: replay{helmengine.NewV3(), rec.res},
				}
				filters, err := render.Render(context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				krusty, err := render.RenderWithKrusty(context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(filters, krusty) {
					t.Errorf("the filters' output differs from krusty's:\n%s", firstDifference(filters, krusty))
				}
				// Without patches, render is that same filtered output;
				// with them (alpha), krusty's.
				if len(h.Kustomize.Patches)+len(h.Environments[env].Kustomize.Patches) == 0 && !bytes.Equal(released, filters) {
					t.Errorf("release.Render differs from render.Render of the same manifest:\n%s", firstDifference(released, filters))
				}
			})
		}
	}
}

// firstDifference shows the lines around the first byte where a and b
// differ.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	start := bytes.LastIndexByte(a[:i], '\n') + 1
	end := func(s []byte) int {
		e := i + 200
		if e > len(s) {
			e = len(s)
		}
		return e
	}
	return "filters: " + string(a[start:end(a)]) + "\n---- krusty: " + string(b[start:end(b)])
}

// TestTransformCases holds the filters to krusty on manifests the hub
// charts do not render: subjects of every kind and namespace, a CRD with
// labels, annotations empty and not, and kinds that make render fall back
// to krusty.
func TestTransformCases(t *testing.T) {
	const rbac = `# Source: c/templates/rbac.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  annotations: {}
---
# Source: c/templates/rbac.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
  annotations:
    a: "1"
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
- {kind: ServiceAccount, name: sa}
- {kind: ServiceAccount, name: sa, namespace: default}
- {kind: ServiceAccount, name: sa, namespace: kube-system}
- {kind: ServiceAccount, name: default}
- {kind: ServiceAccount, name: other}
- {kind: User, name: sa}
- {kind: Group, name: g, apiGroup: rbac.authorization.k8s.io}
---
# Source: c/templates/rbac.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
  namespace: x-staging
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
- {kind: ServiceAccount, name: sa, namespace: x-staging}
`
	const crd = `# Source: c/crds/crd.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.example.org
  labels: {own: "yes"}
spec:
  group: example.org
  names: {kind: Thing, plural: things}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`
	const webhook = `# Source: c/templates/webhook.yaml
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: wh
webhooks:
- name: wh.example.org
  clientConfig:
    service: {name: svc}
  admissionReviewVersions: [v1]
  sideEffects: None
---
# Source: c/templates/webhook.yaml
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports: [{port: 443}]
`
	for _, tc := range []struct {
		name, manifest string
		fallback       bool
	}{
		{"rbac", rbac, false},
		{"crd", crd, false},
		{"webhook", webhook, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := render.Options{
				Release: "x-staging", Namespace: "x-staging", Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "c"}},
				Labels: map[string]string{"pangeo.io/hub": "x"},
				Engine: replay{helmengine.NewV3(), &helmengine.Result{Manifest: "---\n" + tc.manifest}},
			}
			filters, err := render.Render(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			krusty, err := render.RenderWithKrusty(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(filters, krusty) {
				t.Errorf("the filters' output differs from krusty's:\n%s", firstDifference(filters, krusty))
			}
			if got := render.NeedsKrusty(t, filters); got != tc.fallback {
				t.Errorf("falls back to krusty: %v, want %v", got, tc.fallback)
			}
		})
	}
}
