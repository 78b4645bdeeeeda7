package helmengine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
)

// CheckValues finds what a render refuses for the schemas, value by value,
// and nothing where a render passes them (a disabled subchart's values are
// not checked, as Helm prunes it).
func TestCheckValues(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		for _, tc := range []struct {
			name string
			vals map[string]any
			want []SchemaProblem
		}{
			{"valid", nil, nil},
			{"unknown keys at the top", map[string]any{"jupyterhub": map[string]any{"bogus": 1, "also": 2}}, []SchemaProblem{
				{Chart: "jupyterhub", Path: []string{"jupyterhub", "also"}, Message: "additional properties 'also' not allowed"},
				{Chart: "jupyterhub", Path: []string{"jupyterhub", "bogus"}, Message: "additional properties 'bogus' not allowed"},
			}},
			{"wrong type", map[string]any{"jupyterhub": map[string]any{"hub": map[string]any{"replicas": "two"}}}, []SchemaProblem{
				{Chart: "jupyterhub", Path: []string{"jupyterhub", "hub", "replicas"}, Message: "got string, want integer"},
			}},
			{"not in enum", map[string]any{"jupyterhub": map[string]any{"proxy": map[string]any{"service": map[string]any{"type": "Ingress"}}}}, []SchemaProblem{
				{Chart: "jupyterhub", Path: []string{"jupyterhub", "proxy", "service", "type"}, Message: "value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'"},
			}},
			{"subchart disabled", map[string]any{"dask-gateway": map[string]any{"enabled": false, "bogus": 1}}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := loadChart(t)
				before := snapshot(c)
				got, err := e.CheckValues(c, tc.vals)
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if got[i].Version == "" {
						t.Errorf("problem %d has no chart version", i)
					}
					got[i].Version = ""
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("problems\n got %+v\nwant %+v", got, tc.want)
				}
				if !reflect.DeepEqual(snapshot(c), before) {
					t.Error("CheckValues changed the chart")
				}
				// A render agrees.
				req := request(c)
				for k, v := range tc.vals {
					req.Values[k] = v
				}
				_, err = e.Render(context.Background(), req)
				if refused := err != nil && strings.Contains(err.Error(), "values don't meet the specifications of the schema"); refused != (len(tc.want) > 0) {
					t.Errorf("render: %v, CheckValues: %d problems", err, len(got))
				}
			})
		}
	})
}

// A schema that refers to another by URL is an error, never a download.
func TestCheckValuesRemoteRef(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		c := &chart.Chart{
			Metadata: &chart.Metadata{APIVersion: "v2", Name: "remote", Version: "0.1.0"},
			Schema:   []byte(`{"$ref": "https://schemas.example.invalid/values.json"}`),
		}
		_, err := e.CheckValues(c, map[string]any{"a": 1})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "chart remote 0.1.0: values.schema.json") {
			t.Errorf("error %v", err)
		}
	})
}
