package placement

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

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
		component := tmpl.Labels["component"]
		if c := tmpl.Labels["app.kubernetes.io/component"]; c != "" {
			component = c
		}
		cc, ok := chartComponents[component]
		if !ok {
			continue
		}
		object := kind + "/" + objName
		name := object
		if release != "" {
			name = strings.ReplaceAll(object, release, "<release>")
		}
		p := Pod{Name: name, Object: object, Role: cc.role, Spec: tmpl.Spec, Selector: map[string]Source{}, Affinity: cc.affinity}
		for k := range p.Spec.NodeSelector {
			p.Selector[k] = at(cc.values, "nodeSelector", k)
		}
		p.TolerationList = at(cc.values, "tolerations")
		for i := range p.Spec.Tolerations {
			p.Tolerations = append(p.Tolerations, indexed(p.TolerationList, i))
		}
		p.Resources = at(cc.values, "resources")
		pods = append(pods, p)
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
