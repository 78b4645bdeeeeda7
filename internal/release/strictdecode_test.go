package release

import (
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render/rendertest"
)

// TestRenderStrictDecode renders every hub-env of the federation with the
// real jupyterhub and dask-gateway charts (../shared/upstream/charts) and
// decodes every object strictly (unknown and duplicate fields fail) into
// its k8s.io/api type; an object of a kind that a CRD of the same stream
// defines is checked against that CRD's schema instead.
func TestRenderStrictDecode(t *testing.T) {
	dec := rendertest.StrictDecoder(t)
	f := federation(t)
	chart := releasetest.UpstreamUmbrella(t, f.Root)
	nCR := 0
	var crd *apiextensionsv1.CustomResourceDefinition
	for _, h := range f.Hubs {
		for _, env := range hub.EnvNames {
			release := Release(h.Name, env)
			y, err := Render(context.Background(), request(t, f, chart, h.Name, env))
			if err != nil {
				t.Fatalf("%s: %v", release, err)
			}
			n, crds := rendertest.StrictStream(t, dec, release, y)
			nCR += n
			if len(crds) != 0 {
				crd = crds[len(crds)-1]
			}
		}
	}
	// The real dask-gateway chart renders, for each gateway hub-env,
	// traefik's IngressRoute and Middlewares, checked above against the
	// traefik CRDs it ships: alpha and charlie, two envs each.
	if nCR != 12 {
		t.Errorf("%d custom resources rendered, want 12 (3 for each of the 4 gateway hub-envs)", nCR)
	}
	if crd == nil {
		t.Fatal("no CRD rendered")
	}

	// The decoder is strict indeed.
	if _, _, err := dec.Decode([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbogus: 1\n"), nil, nil); err == nil || !runtime.IsStrictDecodingError(err) {
		t.Errorf("strict decoding accepted an unknown field: %v", err)
	}
	// So is the custom resource check: against a schema that knows only
	// spec.workers, a valid object passes and an unknown field, a wrong
	// type or unknown metadata fail.
	strict := crd.DeepCopy()
	for i := range strict.Spec.Versions {
		strict.Spec.Versions[i].Schema = &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
			Type: "object",
			Properties: map[string]apiextensionsv1.JSONSchemaProps{
				"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"workers": {Type: "integer"}}},
			},
		}}
	}
	crs := map[schema.GroupVersionKind]rendertest.CRDVersion{}
	rendertest.CRDVersions(t, strict, crs)
	if len(crs) == 0 {
		t.Fatalf("CRD %s serves no version", crd.Name)
	}
	for gvk, cv := range crs {
		head := "apiVersion: " + gvk.GroupVersion().String() + "\nkind: " + gvk.Kind + "\nmetadata:\n  name: x\n"
		if errs := rendertest.CheckCustomResource([]byte(head+"spec:\n  workers: 2\n"), cv); len(errs) != 0 {
			t.Errorf("%s: valid object refused: %v", gvk, errs)
		}
		for _, bad := range []string{
			head + "spec:\n  workers: 2\n  bogus: 1\n",
			head + "spec:\n  workers: two\n",
			head + "  bogus: 1\nspec: {}\n",
		} {
			if errs := rendertest.CheckCustomResource([]byte(bad), cv); len(errs) == 0 {
				t.Errorf("%s: accepted\n%s", gvk, bad)
			}
		}
	}
}
