package placement

import (
	"fmt"
	"reflect"
	"testing"
)

// TestPodTemplate: reading a rendered object by its kind line gives what
// reading its kind and name first gives, for every kind of object, a
// kind line that lies, a quoted kind and objects that do not decode.
func TestPodTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		ok        bool // a workload
		fails     bool
	}{
		{"deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: hub}\nspec:\n  template:\n    metadata: {labels: {component: hub}}\n    spec: {nodeSelector: {a: \"1\"}, containers: [{name: hub}]}\n", true, false},
		{"statefulset", "kind: StatefulSet\nmetadata:\n  name: placeholder\nspec:\n  template:\n    spec: {tolerations: [{operator: Exists}]}\n", true, false},
		{"daemonset", "metadata: {name: puller}\nkind: DaemonSet\nspec: {template: {spec: {containers: [{name: pause}]}}}\n", true, false},
		{"quoted kind", "kind: \"Deployment\"\nmetadata: {name: quoted}\nspec: {template: {spec: {containers: [{name: a}]}}}\n", true, false},
		{"service", "kind: Service\nmetadata: {name: hub}\nspec: {ports: [{port: 80}]}\n", false, false},
		{"kind line in a block", "kind: ConfigMap\nmetadata: {name: cm}\ndata:\n  x: |\n    kind: Deployment\n", false, false},
		{"bad deployment", "kind: Deployment\nmetadata: {name: bad}\nspec: {replicas: many}\n", false, true},
		{"bad yaml", "kind: Deployment\nmetadata: [\n", false, true},
		{"duplicate kind, the last wins", "kind: Deployment\nkind: Service\nmetadata: {name: twice}\n", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, name, tmpl, ok, err := podTemplate([]byte(tc.doc))
			wkind, wname, wtmpl, wok, werr := readObject([]byte(tc.doc))
			if kind != wkind || name != wname || ok != wok || fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(tmpl, wtmpl) {
				t.Errorf("podTemplate = %q %q %v %v %+v\nreadObject = %q %q %v %v %+v", kind, name, ok, err, tmpl, wkind, wname, wok, werr, wtmpl)
			}
			if ok != tc.ok || (err != nil) != tc.fails {
				t.Errorf("workload %v, error %v; want workload %v, failure %v", ok, err, tc.ok, tc.fails)
			}
		})
	}
}
