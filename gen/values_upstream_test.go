package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// The real charts' schemas and defaults live in ../shared/upstream, next to
// the repository (they are not copied into it).

// upstreamChart is one chart's values schema and default values.
type upstreamChart struct {
	name     string // key of the chart's values in the daskhub layout
	schema   *jsonschema.Schema
	defaults map[string]any
}

var (
	upstreamOnce   sync.Once
	upstreamCharts []upstreamChart
	upstreamErr    error
)

// loadUpstreamCharts compiles the schemas of the jupyterhub and
// dask-gateway charts and reads their defaults, once.
// A checkout without the shared data skips the test (fails under CI).
func loadUpstreamCharts(t testing.TB) ([]upstreamChart, error) {
	t.Helper()
	dirs := map[string]string{}
	for _, name := range []string{"jupyterhub", "dask-gateway"} {
		dirs[name] = shareddata.Path(t, "upstream/"+name)
	}
	upstreamOnce.Do(func() {
		for _, name := range []string{"jupyterhub", "dask-gateway"} {
			c, err := loadUpstreamChart(dirs[name], name)
			if err != nil {
				upstreamErr = fmt.Errorf("chart %s: %w", name, err)
				return
			}
			upstreamCharts = append(upstreamCharts, c)
		}
	})
	return upstreamCharts, upstreamErr
}

func loadUpstreamChart(dir, name string) (upstreamChart, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "values.schema.json"))
	if err != nil {
		return upstreamChart{}, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return upstreamChart{}, fmt.Errorf("values.schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	// dask-gateway's "$schema" key is misspelt upstream; both are draft-07.
	c.DefaultDraft(jsonschema.Draft7)
	url := "file:///upstream/" + name + "/values.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return upstreamChart{}, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return upstreamChart{}, fmt.Errorf("compiling values.schema.json: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return upstreamChart{}, err
	}
	var defaults map[string]any
	if err := yaml.Unmarshal(data, &defaults); err != nil {
		return upstreamChart{}, fmt.Errorf("values.yaml: %w", err)
	}
	return upstreamChart{name: name, schema: sch, defaults: values.NormalizeMap(defaults)}, nil
}

// upstreamValidationErrors validates merged values (daskhub layout) the
// way Helm does: each enabled subchart's defaults coalesced with its user
// values, then checked against the subchart's JSON schema. It returns one
// error per failing chart.
func upstreamValidationErrors(t testing.TB, merged map[string]any) ([]error, error) {
	t.Helper()
	charts, err := loadUpstreamCharts(t)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, c := range charts {
		user, _ := merged[c.name].(map[string]any)
		if enabled, ok := user["enabled"].(bool); ok && !enabled {
			continue // Helm drops a disabled dependency before validating.
		}
		vals := values.Apply(c.defaults, user)
		// Helm validates the JSON form of the values.
		data, err := json.Marshal(vals)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		if err := c.schema.Validate(inst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errs, nil
}

// ValidateAgainstUpstream fails t unless merged (the values of one hub
// environment in the daskhub layout, e.g. ValueSet.Merged) validate against
// the real jupyterhub and dask-gateway charts' schemas after coalescing with
// their defaults, as Helm does.
func ValidateAgainstUpstream(t testing.TB, merged map[string]any) {
	t.Helper()
	errs, err := upstreamValidationErrors(t, merged)
	if err != nil {
		t.Fatalf("loading the upstream charts: %v", err)
	}
	for _, err := range errs {
		t.Errorf("values do not validate: %v", err)
	}
}
