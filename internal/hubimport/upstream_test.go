package hubimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// upstreamErrors validates merged values (daskhub layout) against the
// jupyterhub and dask-gateway charts of ../shared/upstream the way Helm
// does (a copy of gen's test-only upstreamValidationErrors): each enabled
// subchart's defaults coalesced with its values, then its JSON schema.
func upstreamErrors(t *testing.T, merged map[string]any) []error {
	t.Helper()
	var errs []error
	for _, name := range []string{"jupyterhub", "dask-gateway"} {
		dir := shareddata.Path(t, "upstream/"+name)
		raw, err := os.ReadFile(filepath.Join(dir, "values.schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft7)
		url := "file:///upstream/" + name + "/values.schema.json"
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile(url)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var defaults any
		if err := yaml.Unmarshal(data, &defaults); err != nil {
			t.Fatal(err)
		}
		user, _ := merged[name].(map[string]any)
		if enabled, ok := user["enabled"].(bool); ok && !enabled {
			continue
		}
		vals := values.Apply(values.Plain(defaults).(map[string]any), user)
		js, err := json.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errs
}
