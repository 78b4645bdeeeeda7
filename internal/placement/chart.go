package placement

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// chartComponent is one of the charts' own workloads: its role and the
// values it takes its placement from.
type chartComponent struct {
	role Role
	// values is the component's own values (nodeSelector, tolerations,
	// affinity below it).
	values Source
	// affinity is where its node affinity comes from.
	affinity Source
}

// chartComponents are the charts' workloads by their component label
// (jupyterhub: component; dask-gateway: app.kubernetes.io/component).
var chartComponents = map[string]chartComponent{
	"hub":                     {Core, Source{"jupyterhub", "hub"}, Source{"jupyterhub", "scheduling", "corePods", "nodeAffinity", "matchNodePurpose"}},
	"proxy":                   {Core, Source{"jupyterhub", "proxy", "chp"}, Source{"jupyterhub", "scheduling", "corePods", "nodeAffinity", "matchNodePurpose"}},
	"autohttps":               {Core, Source{"jupyterhub", "proxy", "traefik"}, Source{"jupyterhub", "scheduling", "corePods", "nodeAffinity", "matchNodePurpose"}},
	"user-scheduler":          {Core, Source{"jupyterhub", "scheduling", "userScheduler"}, Source{"jupyterhub", "scheduling", "corePods", "nodeAffinity", "matchNodePurpose"}},
	"continuous-image-puller": {ImagePuller, Source{"jupyterhub", "prePuller"}, Source{"jupyterhub", "scheduling", "userPods", "nodeAffinity", "matchNodePurpose"}},
	"gateway":                 {Core, Source{"dask-gateway", "gateway"}, Source{"dask-gateway", "gateway", "affinity"}},
	"controller":              {Core, Source{"dask-gateway", "controller"}, Source{"dask-gateway", "controller", "affinity"}},
	"traefik":                 {Core, Source{"dask-gateway", "traefik"}, Source{"dask-gateway", "traefik", "affinity"}},
}

// ChartPods are the pods of the charts' own workloads in a rendered YAML
// stream (Deployments, StatefulSets and DaemonSets whose component label
// is one of the jupyterhub chart's hub, proxy, autohttps, user-scheduler
// and continuous-image-puller or the dask-gateway chart's gateway (the
// api), controller and traefik), each named Kind/name with the release
// name in it written <release> (so that the pods of two envs have one
// name), with the values its placement comes from. Other objects are
// skipped.
func ChartPods(stream []byte, release string) ([]Pod, error) {
	var pods []Pod
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read rendered objects: %w", err)
		}
		kind, objName, tmpl, ok, err := podTemplate(doc)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if p, ok := chartPod(kind, objName, tmpl, release); ok {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// chartPod is the pod of a workload of the charts' own (ChartPods), of
// kind and named name, with pod template tmpl; false for another
// workload.
func chartPod(kind, name string, tmpl corev1.PodTemplateSpec, release string) (Pod, bool) {
	component := tmpl.Labels["component"]
	if c := tmpl.Labels["app.kubernetes.io/component"]; c != "" {
		component = c
	}
	cc, ok := chartComponents[component]
	if !ok {
		return Pod{}, false
	}
	object := kind + "/" + name
	podName := object
	if release != "" {
		podName = strings.ReplaceAll(object, release, "<release>")
	}
	p := Pod{Name: podName, Object: object, Role: cc.role, Spec: tmpl.Spec, Selector: map[string]Source{}, Affinity: cc.affinity}
	for k := range p.Spec.NodeSelector {
		p.Selector[k] = at(cc.values, "nodeSelector", k)
	}
	p.TolerationList = at(cc.values, "tolerations")
	for i := range p.Spec.Tolerations {
		p.Tolerations = append(p.Tolerations, indexed(p.TolerationList, i))
	}
	p.Resources = at(cc.values, "resources")
	return p, true
}

// Object is a document of a rendered template as DecodeObject read it,
// for ObjectPods.
type Object struct {
	// kind, name and tmpl are a workload's (workload true).
	kind, name string
	tmpl       corev1.PodTemplateSpec
	workload   bool
	// stream, when not nil, is the document as it stands in Helm's
	// manifest, which ObjectPods reads as ChartPods reads a stream.
	stream []byte
}

// DecodeObject reads a document of the template at path, as Helm 3 splits
// a rendered file (helmengine.Decoder), once in the common case: a
// document whose first top-level kind line names a Deployment,
// StatefulSet or DaemonSet is decoded as that kind, its head (kind, name,
// annotations) taken from the object (its Metadata never nil: Helm reads
// a head without metadata as one without annotations); any other is decoded as Helm reads
// heads (sigs.k8s.io/yaml into releaseutil.SimpleHead), which is all that
// ChartPods reads of an object of another kind. The head and its error
// are Helm's. A document this cannot read as ChartPods reads it from
// Helm's manifest (a workload that does not decode as its kind line says,
// a kind only the head names, a document that starts with a separator or
// holds a YAML NaN or infinity, which the two reads of a head may take
// differently) is kept as it stands in the manifest, for ObjectPods to
// read as ChartPods does (TestDecodeObject).
func DecodeObject(path, doc string) (releaseutil.SimpleHead, Object, error) {
	plain := !strings.HasPrefix(doc, "---") && !hasNaNOrInf(doc)
	if m := kindLine.FindStringSubmatch(doc); plain && m != nil {
		meta, objectMeta, tmpl, _, err := decodeWorkload(m[1], []byte(doc))
		if err == nil && meta.Kind == m[1] {
			head := releaseutil.SimpleHead{Version: meta.APIVersion, Kind: meta.Kind, Metadata: &struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			}{objectMeta.Name, objectMeta.Annotations}}
			return head, Object{kind: meta.Kind, name: objectMeta.Name, tmpl: tmpl, workload: true}, nil
		}
	}
	var head releaseutil.SimpleHead
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return head, Object{}, err
	}
	if plain && !isWorkload(head.Kind) {
		return head, Object{}, nil
	}
	return head, Object{stream: []byte("---\n# Source: " + path + "\n" + doc + "\n")}, nil
}

// hasNaNOrInf says whether doc may hold a YAML 1.1 NaN or infinity
// (.nan, .inf and their spellings): a value sigs.k8s.io/yaml turns into a
// string where its target is one and fails on elsewhere.
func hasNaNOrInf(doc string) bool {
	for i := strings.IndexByte(doc, '.'); i >= 0; {
		rest := doc[i+1:]
		if len(rest) >= 3 && (strings.EqualFold(rest[:3], "nan") || strings.EqualFold(rest[:3], "inf")) {
			return true
		}
		j := strings.IndexByte(rest, '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// ObjectPods is ChartPods of the documents of a rendered chart, read by
// DecodeObject, in the order of Helm's manifest: the pods of the stream
// they are the documents of.
func ObjectPods(objects []Object, release string) ([]Pod, error) {
	var pods []Pod
	for _, o := range objects {
		if o.stream != nil {
			ps, err := ChartPods(o.stream, release)
			if err != nil {
				return nil, err
			}
			pods = append(pods, ps...)
			continue
		}
		if !o.workload {
			continue
		}
		if p, ok := chartPod(o.kind, o.name, o.tmpl, release); ok {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// podTemplate is the kind, name and pod template of a rendered object
// that is a Deployment, StatefulSet or DaemonSet; ok false for another
// kind. An object whose first top-level kind line names one of those is
// decoded once, as that kind (its kind and name are the decoded
// object's); any other, or one that decodes otherwise, is read as
// readObject reads it.
func podTemplate(doc []byte) (kind, name string, tmpl corev1.PodTemplateSpec, ok bool, err error) {
	if m := kindLine.FindSubmatch(doc); m != nil {
		meta, objectMeta, tmpl, _, err := decodeWorkload(string(m[1]), doc)
		if err == nil && meta.Kind == string(m[1]) {
			return meta.Kind, objectMeta.Name, tmpl, true, nil
		}
	}
	return readObject(doc)
}

// kindLine is the first top-level kind line of an object.
var kindLine = regexp.MustCompile(`(?m)^kind:[ \t]*(Deployment|StatefulSet|DaemonSet)[ \t]*$`)

// readObject is podTemplate of any object: its kind and name first, then,
// for a workload, the whole object as that kind.
func readObject(doc []byte) (kind, name string, tmpl corev1.PodTemplateSpec, ok bool, err error) {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return "", "", tmpl, false, fmt.Errorf("read rendered objects: %w", err)
	}
	_, _, tmpl, ok, err = decodeWorkload(head.Kind, doc)
	if err != nil {
		return "", "", tmpl, false, fmt.Errorf("%s/%s: %w", head.Kind, head.Metadata.Name, err)
	}
	return head.Kind, head.Metadata.Name, tmpl, ok, nil
}

// isWorkload says whether objects of kind have a pod template that
// decodeWorkload decodes.
func isWorkload(kind string) bool {
	return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
}

// decodeWorkload decodes doc as a workload of kind (Deployment,
// StatefulSet or DaemonSet): its type and object metadata and its pod
// template; ok false, nothing decoded, for another kind.
func decodeWorkload(kind string, doc []byte) (meta metav1.TypeMeta, objectMeta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, ok bool, err error) {
	switch kind {
	case "Deployment":
		var d appsv1.Deployment
		err = yaml.Unmarshal(doc, &d)
		return d.TypeMeta, d.ObjectMeta, d.Spec.Template, true, err
	case "StatefulSet":
		var s appsv1.StatefulSet
		err = yaml.Unmarshal(doc, &s)
		return s.TypeMeta, s.ObjectMeta, s.Spec.Template, true, err
	case "DaemonSet":
		var s appsv1.DaemonSet
		err = yaml.Unmarshal(doc, &s)
		return s.TypeMeta, s.ObjectMeta, s.Spec.Template, true, err
	}
	return meta, objectMeta, tmpl, false, nil
}
