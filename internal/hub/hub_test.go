package hub

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestUnionsCoverVariants checks that each hand-written struct of a CUE
// disjunction has a field, of the same Go type, for every field of every
// variant the schema generates: a field added to #GCP, say, is a test
// failure here even before any hub sets it.
func TestUnionsCoverVariants(t *testing.T) {
	for _, tc := range []struct {
		union    any
		variants []any
	}{
		{Cloud{}, []any{GCP{}, AWS{}, Azure{}}},
		{Image{}, []any{PrebuiltImage{}, BuiltImage{}}},
		{Storage{}, []any{DynamicStorage{}, NFSStorage{}}},
		{Secrets{}, []any{GitCrypt{}, Sops{}}},
	} {
		ut := reflect.TypeOf(tc.union)
		have := jsonFields(ut)
		for _, v := range tc.variants {
			vt := reflect.TypeOf(v)
			for name, ft := range jsonFields(vt) {
				switch got, ok := have[name]; {
				case !ok:
					t.Errorf("%s has no field for %s.%s (json %q): add it to internal/hub/hub.go", ut.Name(), vt.Name(), name, name)
				case got != ft:
					t.Errorf("%s field %q is %s, but %s's is %s", ut.Name(), name, got, vt.Name(), ft)
				}
			}
		}
	}
}

// TestDaskCoversVariants checks that Dask, whose variants are kept whole,
// has a pointer field for every variant of schema #Dask, and that each
// variant decodes into its field with Backend set.
func TestDaskCoversVariants(t *testing.T) {
	dt := reflect.TypeOf(Dask{})
	for _, tc := range []struct {
		variant any
		json    string
		get     func(Dask) any
	}{
		{GatewayDask{}, `{"backend":"gateway","worker":{"cores":{"min":1,"max":2,"default":1},"memoryGiB":{"min":1,"max":2,"default":1}},"clusterMaxCores":1,"clusterMaxMemoryGiB":1}`, func(d Dask) any { return d.Gateway }},
		{KubernetesDask{}, `{"backend":"kubernetes","worker":{"cores":1,"memory":"1G","threads":1,"args":[]},"maxWorkers":1,"config":{}}`, func(d Dask) any { return d.Kubernetes }},
		{NoDask{}, `{"backend":"none"}`, func(d Dask) any { return d.None }},
	} {
		vt := reflect.PointerTo(reflect.TypeOf(tc.variant))
		found := false
		for i := range dt.NumField() {
			if dt.Field(i).Type == vt {
				found = true
			}
		}
		if !found {
			t.Errorf("Dask has no field of type %s: add it to internal/hub/hub.go", vt)
			continue
		}
		var d Dask
		if err := d.UnmarshalJSON([]byte(tc.json)); err != nil {
			t.Errorf("%s: %v", vt, err)
			continue
		}
		if v := reflect.ValueOf(tc.get(d)); v.IsNil() || d.Backend == "" {
			t.Errorf("%s: decoded into %+v", vt, d)
		}
	}
	if (Dask{Backend: BackendNone}).Enabled() || !(Dask{Backend: BackendGateway}).Enabled() {
		t.Error("Enabled is wrong for none or gateway")
	}
}

// TestDecodeStrict decodes hub JSON with a field the model has no home
// for, or a value it cannot hold: each is an error with the field's path,
// at every depth and in every kind of hand-written type.
func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		path       string // "": decodes
		msg        string
	}{
		{"known fields", `{"name":"one","cloud":{"provider":"gcp","project":"p","nodePools":{"core":{"min":1}}},"dask":{"backend":"gateway","worker":{"cores":{"min":1}}}}`, "", ""},
		{"hub field", `{"name":"one","newField":"gs://x"}`, "newField", "the schema has this field but the Go hub model does not (no field of hub.Hub is newField)"},
		{"generated nested struct", `{"notebook":{"cpu":{"guarantee":1,"burst":2}}}`, "notebook.cpu.burst", "(no field of hub.CPU is burst)"},
		{"list element", `{"notebook":{"profiles":[{"slug":"a"},{"slug":"b","gpu":1}]}}`, "notebook.profiles[1].gpu", "(no field of hub.Profile is gpu)"},
		{"hand-written flat union", `{"cloud":{"provider":"gcp","zoneHint":"b"}}`, "cloud.zoneHint", "(no field of hub.Cloud is zoneHint)"},
		{"union variant", `{"dask":{"backend":"kubernetes","worker":{"cores":2,"gpus":1}}}`, "dask.worker.gpus", "the schema has this field but the Go hub model does not"},
		{"union variant unknown", `{"dask":{"backend":"ray"}}`, "dask", `unknown Dask backend "ray"`},
		{"no dask", `{"dask":{"backend":"none"}}`, "", ""},
		{"no dask with a field", `{"dask":{"backend":"none","maxWorkers":3}}`, "dask.maxWorkers", "(no field of hub.NoDask is maxWorkers)"},
		{"environment", `{"environments":{"staging":{"domain":"a.org"},"dev":{"domain":"b.org"}}}`, "environments.dev", "(hub.Environments holds staging, prod only)"},
		{"environment field", `{"environments":{"prod":{"domain":"a.org","region":"eu"}}}`, "environments.prod.region", "(no field of hub.Env is region)"},
		{"map of structs", `{"catalogs":{"cmr":{"url":"https://x.org","auth":true}}}`, "catalogs.cmr.auth", "(no field of hub.Catalog is auth)"},
		{"quoted label", `{"catalogs":{"a-b":{"url":1}}}`, `catalogs."a-b".url`, "is the number 1, but the Go hub model holds a string here"},
		{"int overflow", `{"cloud":{"nodePools":{"core":{"cpu":99999999999999999999}}}}`, "cloud.nodePools.core.cpu", "is 99999999999999999999, which the Go hub model's int cannot hold (a whole number from -9223372036854775808 to 9223372036854775807)"},
		{"not whole", `{"culling":{"notebookMaxAge":1.5}}`, "culling.notebookMaxAge", "is 1.5, which the Go hub model's int cannot hold"},
		{"wrong kind", `{"title":["a"]}`, "title", "is a list, but the Go hub model holds a string here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Decode([]byte(tc.json))
			if tc.path == "" {
				if err != nil || h == nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode: want a FieldError at %s, got %v", tc.path, err)
			}
			if got := JoinPath(fe.Path); got != tc.path {
				t.Errorf("path = %s, want %s", got, tc.path)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("message = %q, want it to hold %q", fe.Msg, tc.msg)
			}
		})
	}
}

// TestDecodeStrictUnmarshal checks the second line of defence: the
// hand-written UnmarshalJSON methods refuse unknown fields themselves,
// for a caller that decodes with encoding/json directly.
func TestDecodeStrictUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		into       any
	}{
		{"dask variant", `{"backend":"gateway","worker":{"cores":{"min":1},"gpus":1}}`, new(Dask)},
		{"environments", `{"dev":{"domain":"a.org"}}`, new(Environments)},
		{"environment field", `{"prod":{"domain":"a.org","region":"eu"}}`, new(Environments)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := decodeStrict([]byte(tc.json), tc.into); err == nil {
				t.Errorf("decoded %s into %T without an error", tc.json, tc.into)
			}
		})
	}
}
