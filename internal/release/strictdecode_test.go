package release

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/render/rendertest"
)

// crdVersion is what a served version of a rendered CRD checks its custom
// resources against. (k8s.io/apiextensions-apiserver/pkg/apiserver/validation
// would pull CEL into the module graph; its validator is kube-openapi's on
// the structural schema, as here, without the CEL rules.)
type crdVersion struct {
	validator  *validate.SchemaValidator
	structural *structuralschema.Structural
}

// crdVersions indexes the served versions of crd by group, version and kind.
func crdVersions(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, into map[schema.GroupVersionKind]crdVersion) {
	t.Helper()
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		var cv crdVersion
		if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
			var internal apiextensions.JSONSchemaProps
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				t.Fatalf("CRD %s %s: %v", crd.Name, v.Name, err)
			}
			var err error
			if cv.structural, err = structuralschema.NewStructural(&internal); err != nil {
				t.Fatalf("CRD %s %s: %v", crd.Name, v.Name, err)
			}
			if errs := structuralschema.ValidateStructural(nil, cv.structural); len(errs) != 0 {
				t.Fatalf("CRD %s %s: schema not structural: %v", crd.Name, v.Name, errs.ToAggregate())
			}
			cv.validator = validate.NewSchemaValidator(cv.structural.ToKubeOpenAPI(), nil, "", strfmt.Default)
		}
		into[schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}] = cv
	}
}

// checkCustomResource validates doc, a custom resource, against cv as the
// API server would with strict field validation: the schema holds and
// there is no field to prune.
func checkCustomResource(doc []byte, cv crdVersion) []string {
	var errs []string
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return []string{err.Error()}
	}
	var u unstructured.Unstructured // integers as int64, as the API server has them
	if err := u.UnmarshalJSON(j); err != nil {
		return []string{err.Error()}
	}
	o := u.Object
	// The schema does not cover metadata: it decodes strictly into
	// ObjectMeta.
	if m, ok := o["metadata"]; ok {
		mj, err := json.Marshal(m)
		if err == nil {
			err = yaml.UnmarshalStrict(mj, &metav1.ObjectMeta{})
		}
		if err != nil {
			errs = append(errs, "metadata: "+err.Error())
		}
	}
	if cv.validator != nil {
		for _, e := range cv.validator.Validate(o).Errors {
			errs = append(errs, e.Error())
		}
	}
	for _, p := range pruning.PruneWithOptions(o, cv.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, "unknown field "+p)
	}
	return errs
}

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
			docs := strings.Split(string(y), "\n---\n")
			// The CRDs first, wherever they come in the stream.
			crs := map[schema.GroupVersionKind]crdVersion{}
			for _, doc := range docs {
				if o, _, err := dec.Decode([]byte(doc), nil, nil); err == nil {
					if c, ok := o.(*apiextensionsv1.CustomResourceDefinition); ok {
						crdVersions(t, c, crs)
						crd = c
					}
				}
			}
			for _, doc := range docs {
				o, gvk, err := dec.Decode([]byte(doc), nil, nil)
				if runtime.IsNotRegisteredError(err) && gvk != nil {
					cv, ok := crs[*gvk]
					if !ok {
						t.Errorf("%s: %s is neither a k8s.io/api type nor a served version of a rendered CRD", release, gvk)
						continue
					}
					nCR++
					for _, e := range checkCustomResource([]byte(doc), cv) {
						t.Errorf("%s: %s: %s in\n%s", release, gvk, e, doc)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v in\n%s", release, err, doc)
					continue
				}
				if _, ok := o.(*runtime.Unknown); ok {
					t.Errorf("%s: %s decoded as unknown", release, gvk)
				}
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
	crs := map[schema.GroupVersionKind]crdVersion{}
	crdVersions(t, strict, crs)
	if len(crs) == 0 {
		t.Fatalf("CRD %s serves no version", crd.Name)
	}
	for gvk, cv := range crs {
		head := "apiVersion: " + gvk.GroupVersion().String() + "\nkind: " + gvk.Kind + "\nmetadata:\n  name: x\n"
		if errs := checkCustomResource([]byte(head+"spec:\n  workers: 2\n"), cv); len(errs) != 0 {
			t.Errorf("%s: valid object refused: %v", gvk, errs)
		}
		for _, bad := range []string{
			head + "spec:\n  workers: 2\n  bogus: 1\n",
			head + "spec:\n  workers: two\n",
			head + "  bogus: 1\nspec: {}\n",
		} {
			if errs := checkCustomResource([]byte(bad), cv); len(errs) == 0 {
				t.Errorf("%s: accepted\n%s", gvk, bad)
			}
		}
	}
}
