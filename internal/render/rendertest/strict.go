package rendertest

import (
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
)

// CRDVersion is what a served version of a rendered CRD checks its custom
// resources against. (k8s.io/apiextensions-apiserver/pkg/apiserver/validation
// would pull CEL into the module graph; its validator is kube-openapi's on
// the structural schema, as here, without the CEL rules.)
type CRDVersion struct {
	validator  *validate.SchemaValidator
	structural *structuralschema.Structural
}

// CRDVersions indexes the served versions of crd by group, version and
// kind into into.
func CRDVersions(t testing.TB, crd *apiextensionsv1.CustomResourceDefinition, into map[schema.GroupVersionKind]CRDVersion) {
	t.Helper()
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		var cv CRDVersion
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

// CheckCustomResource validates doc, a custom resource, against cv as the
// API server would with strict field validation: the schema holds and
// there is no field to prune. It returns the problems found.
func CheckCustomResource(doc []byte, cv CRDVersion) []string {
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

// StrictStream decodes every object of y, a rendered stream of release,
// with dec (StrictDecoder): into its k8s.io/api type, unknown and
// duplicate fields failing; an object of a kind that a CRD of the same
// stream defines is checked against that CRD's schema instead
// (CheckCustomResource). Every problem is an error of t. It returns the
// number of custom resources checked and the CRDs of the stream.
func StrictStream(t testing.TB, dec runtime.Decoder, release string, y []byte) (int, []*apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	docs := strings.Split(string(y), "\n---\n")
	// The CRDs first, wherever they come in the stream.
	crs := map[schema.GroupVersionKind]CRDVersion{}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, doc := range docs {
		if o, _, err := dec.Decode([]byte(doc), nil, nil); err == nil {
			if c, ok := o.(*apiextensionsv1.CustomResourceDefinition); ok {
				CRDVersions(t, c, crs)
				crds = append(crds, c)
			}
		}
	}
	nCR := 0
	for _, doc := range docs {
		o, gvk, err := dec.Decode([]byte(doc), nil, nil)
		if runtime.IsNotRegisteredError(err) && gvk != nil {
			cv, ok := crs[*gvk]
			if !ok {
				t.Errorf("%s: %s is neither a k8s.io/api type nor a served version of a rendered CRD", release, gvk)
				continue
			}
			nCR++
			for _, e := range CheckCustomResource([]byte(doc), cv) {
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
	return nCR, crds
}
