package helmengine

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// SchemaProblem is a value that the values.schema.json of a chart refuses.
type SchemaProblem struct {
	// Chart and Version are the chart whose schema refuses the value: the
	// umbrella chart or one of its subcharts.
	Chart, Version string
	// Path is the value's path from the top of the values given to
	// CheckValues (a subchart's values are under its name): jupyterhub,
	// hub, bogus. For a property the schema does not allow, the path ends
	// with the property; for a missing one, it is the object lacking it.
	Path []string
	// Message is the schema's complaint: "additional properties 'bogus'
	// not allowed", "value must be one of ...".
	Message string
}

// CheckValues checks values against the values.schema.json of chart ch
// and of its enabled subcharts as an install checks them (Helm's
// dependency conditions and import-values processed, the values coalesced
// over the charts' defaults, each subchart's values checked against its
// own schema), without rendering any template. The values are the user's,
// not coalesced; neither they nor ch are modified.
//
// Unlike Helm it never goes to the network: a schema that refers to
// another by an http(s) or file URL is an error (an urn: reference is
// taken as the permissive schema, as Helm does without a resolver). The
// problems come sorted by path and message.
func CheckValues(ch *chart.Chart, vals map[string]any) ([]SchemaProblem, error) {
	if ch == nil || ch.Metadata == nil {
		return nil, errors.New("check values: no chart")
	}
	c := charts.Copy(ch)
	vals = values.CopyMap(vals)
	if vals == nil {
		vals = map[string]any{}
	}
	if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	coalesced, err := v3CoalesceValues(c, vals)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	return checkTree(v3Tree(c), coalesced)
}

// schemaTree is what CheckValues reads of a chart whose dependencies were
// processed, the same for every Helm major: the chart's name, version and
// values.schema.json, and its enabled subcharts.
type schemaTree struct {
	name, version string
	schema        []byte
	deps          []schemaTree
}

func v3Tree(c *chart.Chart) schemaTree {
	t := schemaTree{name: c.Name(), version: c.Metadata.Version, schema: c.Schema}
	for _, d := range c.Dependencies() {
		t.deps = append(t.deps, v3Tree(d))
	}
	return t
}

// checkTree checks the coalesced values against the schemas of t, the
// problems sorted by path and message.
func checkTree(t schemaTree, coalesced map[string]any) ([]SchemaProblem, error) {
	var problems []SchemaProblem
	if err := checkChart(t, coalesced, nil, &problems); err != nil {
		return nil, err
	}
	sort.Slice(problems, func(i, j int) bool {
		a, b := strings.Join(problems[i].Path, "\x00"), strings.Join(problems[j].Path, "\x00")
		if a != b {
			return a < b
		}
		return problems[i].Message < problems[j].Message
	})
	return problems, nil
}

// checkChart checks values against the schema of c and, as
// chartutil.ValidateAgainstSchema does, the values of each subchart that
// has any against the subchart's.
func checkChart(c schemaTree, values map[string]any, prefix []string, out *[]SchemaProblem) error {
	if c.schema != nil {
		s, err := compileSchema(c.schema)
		if err != nil {
			return fmt.Errorf("chart %s %s: values.schema.json: %w", c.name, c.version, err)
		}
		if err := s.Validate(chartutil.Values(values).AsMap()); err != nil {
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				return fmt.Errorf("chart %s %s: values.schema.json: %w", c.name, c.version, err)
			}
			seen := map[string]bool{}
			for _, p := range leaves(ve) {
				p.Chart, p.Version = c.name, c.version
				p.Path = append(append([]string{}, prefix...), p.Path...)
				key := strings.Join(p.Path, "\x00") + "\x00" + p.Message
				if !seen[key] {
					seen[key] = true
					*out = append(*out, p)
				}
			}
		}
	}
	for _, sub := range c.deps {
		raw, ok := values[sub.name]
		if !ok || raw == nil {
			continue
		}
		path := append(append([]string{}, prefix...), sub.name)
		m, ok := raw.(map[string]any)
		if !ok {
			*out = append(*out, SchemaProblem{Chart: sub.name, Version: sub.version, Path: path,
				Message: fmt.Sprintf("invalid type for values: expected object (map), got %T", raw)})
			continue
		}
		if err := checkChart(sub, m, path, out); err != nil {
			return err
		}
	}
	return nil
}

var printer = message.NewPrinter(language.English)

// leaves are the problems of the innermost causes of a validation error.
func leaves(e *jsonschema.ValidationError) []SchemaProblem {
	if len(e.Causes) > 0 {
		var out []SchemaProblem
		for _, c := range e.Causes {
			out = append(out, leaves(c)...)
		}
		return out
	}
	path := append([]string{}, e.InstanceLocation...)
	msg := e.ErrorKind.LocalizedString(printer)
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
		var out []SchemaProblem
		for _, prop := range ap.Properties {
			out = append(out, SchemaProblem{
				Path:    append(append([]string{}, path...), prop),
				Message: (&kind.AdditionalProperties{Properties: []string{prop}}).LocalizedString(printer),
			})
		}
		return out
	}
	return []SchemaProblem{{Path: path, Message: msg}}
}

// schemas are compiled schemas by the sha256 of their JSON: the hubs of a
// federation share their charts.
var schemas sync.Map // [32]byte -> *jsonschema.Schema

// compileSchema compiles a values.schema.json, without loading anything
// from elsewhere.
func compileSchema(data []byte) (*jsonschema.Schema, error) {
	key := sha256.Sum256(data)
	if s, ok := schemas.Load(key); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	comp := jsonschema.NewCompiler()
	comp.UseLoader(jsonschema.SchemeURLLoader{"urn": permissive{}})
	const url = "file:///values.schema.json"
	if err := comp.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := comp.Compile(url)
	if err != nil {
		return nil, err
	}
	schemas.Store(key, s)
	return s, nil
}

// permissive loads every urn: reference as the schema true, as Helm does
// when no resolver is set.
type permissive struct{}

func (permissive) Load(string) (any, error) { return true, nil }
