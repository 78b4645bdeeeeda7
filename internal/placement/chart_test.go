package placement

import (
	"fmt"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
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

// TestDecodeObject: DecodeObject reads the head of a document as Helm
// does (its error too), and ObjectPods reads from what it kept the pods
// ChartPods reads from the document as Helm's manifest writes it, one
// document at a time and all of them at once, for workloads that decode
// once, workloads that do not decode as their kind line says, other
// kinds, hooks, documents that are not YAML, documents that start with a
// separator, and NaN and infinities, which the two reads of a head take
// differently.
func TestDecodeObject(t *testing.T) {
	const pod = "spec:\n  template:\n    metadata: {labels: {component: hub}}\n    spec: {nodeSelector: {a: \"1\"}, tolerations: [{operator: Exists}], containers: [{name: hub}]}\n"
	docs := []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: hub-test-staging}\n" + pod,
		"kind: StatefulSet\nmetadata:\n  name: s\n  annotations: {a: 1, b: true}\n" + pod,
		"metadata: {name: 7}\nkind: DaemonSet\n" + pod,
		"kind: \"Deployment\"\nmetadata: {name: quoted}\n" + pod,
		"kind: Deployment\nmetadata:\n  name: hook\n  annotations: {helm.sh/hook: pre-install, helm.sh/hook-weight: 5}\n" + pod,
		"kind: Service\nmetadata: {name: hub}\nspec: {ports: [{port: 80}]}",
		"kind: ConfigMap\nmetadata: {name: cm}\ndata:\n  x: |\n    kind: Deployment",
		"kind: Deployment\nmetadata: {name: bad}\nspec: {replicas: many}",
		"kind: Deployment\nmetadata: [",
		"kind: Deployment\nkind: Service\nmetadata: {name: twice}",
		"kind: Deployment\nkind: 5\nmetadata: {name: five}",
		"apiVersion: 1\nkind: Deployment\nmetadata: {name: version}\n" + pod,
		"kind: Deployment\nmetadata: null\n" + pod,
		"kind: Deployment\nmetadata: {name: nan, labels: {x: .nan}}\n" + pod,
		"kind: Service\nmetadata: {name: nan, annotations: {x: .NaN}}",
		"kind: Service\nmetadata: {name: inf}\nspec: {x: -.inf}",
		"kind: Deployment\nmetadata: {name: inf}\nspec:\n  template:\n    metadata: {labels: {component: hub}}\n    spec: {nodeSelector: {a: .Inf}}",
		"kind: Deployment\nmetadata: {name: dots.and.more}\n" + pod,
		"---\nkind: Deployment\nmetadata: {name: separated}\n" + pod,
		"--- # a comment\nkind: Deployment\nmetadata: {name: commented}\n" + pod,
		"--- kind: Deployment",
		"---x",
		"a: 1",
		"- a",
		"# only a comment",
	}
	const release = "test-staging"
	var objects []Object
	var stream string
	for i, doc := range docs {
		path := fmt.Sprintf("chart/templates/t%d.yaml", i)
		head, obj, err := DecodeObject(path, doc)
		var want releaseutil.SimpleHead
		werr := yaml.Unmarshal([]byte(doc), &want)
		if fmt.Sprint(err) != fmt.Sprint(werr) || headOf(head) != headOf(want) {
			t.Errorf("%q: head %s, %v; want %s, %v", doc, headOf(head), err, headOf(want), werr)
		}
		if werr != nil {
			continue
		}
		piece := "---\n# Source: " + path + "\n" + doc + "\n"
		got, err := ObjectPods([]Object{obj}, release)
		wantPods, werr := ChartPods([]byte(piece), release)
		if fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(got, wantPods) {
			t.Errorf("%q: pods %+v, %v; want %+v, %v", doc, got, err, wantPods, werr)
		}
		if werr == nil {
			objects, stream = append(objects, obj), stream+piece
		}
	}
	got, err := ObjectPods(objects, release)
	want, werr := ChartPods([]byte(stream), release)
	if fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) || len(want) < 5 {
		t.Errorf("all documents: %d pods, %v; want %d pods (at least 5), %v", len(got), err, len(want), werr)
	}
}

// headOf is what Helm reads of a document's head (a head without
// metadata is one without a name and annotations).
func headOf(h releaseutil.SimpleHead) string {
	if h.Metadata == nil {
		return fmt.Sprintf("%s %s  map[]", h.Version, h.Kind)
	}
	return fmt.Sprintf("%s %s %s %v", h.Version, h.Kind, h.Metadata.Name, h.Metadata.Annotations)
}
