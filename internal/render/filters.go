package render

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/kustomize/api/filters/labels"
	"sigs.k8s.io/kustomize/api/filters/namespace"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// namespaceFieldSpecs are the fields kustomize's namespace transformer sets
// besides metadata.namespace (its default configuration, the
// "namespace:" field specs of api/internal/konfig/builtinpluginconsts):
// the name of a Namespace object, an APIService's service and a CRD's
// conversion webhook service.
var namespaceFieldSpecs = types.FsSlice{
	{Gvk: resid.Gvk{Kind: "Namespace"}, Path: "metadata/name", CreateIfNotPresent: true},
	{Gvk: resid.Gvk{Group: "apiregistration.k8s.io", Kind: "APIService"}, Path: "spec/service/namespace", CreateIfNotPresent: true},
	{Gvk: resid.Gvk{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}, Path: "spec/conversion/webhook/clientConfig/service/namespace"},
}

// labelFieldSpecs are where a kustomization's labels without
// includeSelectors or includeTemplates go: the metadata only.
var labelFieldSpecs = types.FsSlice{{Path: "metadata/labels", CreateIfNotPresent: true}}

// transform does what krusty does for a kustomization with the namespace
// and the labels and no patches, with kustomize's own filters on the
// objects as they are (no krusty, no in-memory file system, no second
// parse): the annotations as krusty leaves them, the namespace filter as
// the NamespaceTransformer runs it
// (service account subjects named "default" included), then the labels
// filter on the metadata, the CRDs' labels (crdLabels), then what krusty's
// name reference transformer does when no name changes (subjectNamespaces).
// Objects whose references that transformer would treat otherwise
// (webhook configurations, APIServices, CRDs with a conversion webhook)
// go through krusty instead (needsKrusty). The output is
// byte for byte krusty's (TestTransformIsKrusty).
func transform(objs []*object, ns string, lbls map[string]string) ([]*kustomized, error) {
	nsFilter := namespace.Filter{Namespace: ns, FsSlice: namespaceFieldSpecs, SetRoleBindingSubjects: namespace.DefaultSubjectsOnly}
	labelFilter := labels.Filter{Labels: lbls, FsSlice: labelFieldSpecs}
	serviceAccounts := map[string]bool{}
	for _, ob := range objs {
		if isServiceAccount(ob.node) {
			serviceAccounts[ob.node.GetName()] = true
		}
	}
	// The filters run in order (kustomize's filters share state), stopping
	// at the first object that fails; writing the objects out, most of the
	// work, is each object's own, side by side. The error is the first
	// object's that failed either way, as one pass in order would meet it.
	out := make([]*kustomized, 0, len(objs))
	var filterErr error
	for _, ob := range objs {
		if filterErr = filterObject(ob, nsFilter, labelFilter, lbls, serviceAccounts); filterErr != nil {
			filterErr = fmt.Errorf("%s: %w", ob, filterErr)
			break
		}
		n := ob.node
		id := resid.NewResIdWithNamespace(resid.GvkFromNode(n), n.GetName(), n.GetNamespace())
		out = append(out, &kustomized{id: id, namespace: id.Namespace})
	}
	err := eachIndex(len(out), func(i int) (err error) {
		if out[i].yaml, err = asYAML(objs[i].node); err != nil {
			return fmt.Errorf("%s: %w", objs[i], err)
		}
		return nil
	})
	if err = cmp.Or(err, filterErr); err != nil {
		return nil, err
	}
	return out, nil
}

// filterObject is transform's pass of kustomize's filters over one object.
func filterObject(ob *object, nsFilter namespace.Filter, labelFilter labels.Filter, lbls map[string]string, serviceAccounts map[string]bool) error {
	n := ob.node
	// krusty's namespace transformer records each object's previous id
	// in build annotations and removes them at the end, which rewrites
	// the annotations as a map of strings and drops them when empty
	// (a chart's "annotations:" with nothing under it).
	if err := n.SetAnnotations(n.GetAnnotations()); err != nil {
		return err
	}
	if _, err := nsFilter.Filter([]*kyaml.RNode{n}); err != nil {
		return err
	}
	if n.GetKind() == "CustomResourceDefinition" {
		if err := n.SetLabels(crdLabels(n.GetLabels(), lbls)); err != nil {
			return err
		}
	} else if _, err := labelFilter.Filter([]*kyaml.RNode{n}); err != nil {
		return err
	}
	return subjectNamespaces(n, nsFilter.Namespace, serviceAccounts)
}

// crdLabels are the labels of a CRD: its own and the part-of label alone.
// CRDs are shared by every hub and env on a cluster, so that one hub's
// apply must not relabel them, and deleting a hub by its labels must never
// delete them (and with them every hub's custom resources).
func crdLabels(own, lbls map[string]string) map[string]string {
	if own == nil {
		own = map[string]string{}
	}
	if v, ok := lbls[PartOfLabel]; ok {
		own[PartOfLabel] = v
	}
	return own
}

// asYAML is an object as krusty writes it (resource.Resource.AsYAML: the
// object as JSON, the JSON as YAML with sigs.k8s.io/yaml's JSONToYAML),
// without the JSON when it can: the decoded object is turned into what
// go-yaml v2 would decode from its JSON (jsonValue) and encoded by go-yaml
// v2, as JSONToYAML does. An object holding anything but maps, lists,
// strings, booleans, integers and floats (a timestamp, which decoding the
// node itself reads otherwise than decoding its text) takes krusty's way.
// Same bytes (TestAsYAMLIsKrusty), without three of the five passes over
// the text.
func asYAML(n *kyaml.RNode) ([]byte, error) {
	v, err := plainNode(n.YNode())
	if errors.Is(err, errNotPlain) {
		m := map[string]any{}
		if err := n.YNode().Decode(&m); err != nil {
			return nil, err
		}
		v, err = jsonValue(m)
	}
	if errors.Is(err, errNotPlain) {
		j, err := n.MarshalJSON()
		if err != nil {
			return nil, err
		}
		return yaml.JSONToYAML(j)
	}
	if err != nil {
		return nil, err
	}
	return yamlv2.Marshal(v)
}

// plainNode is jsonValue of what n, a mapping, decodes to, built from the
// nodes themselves (no map decoded first, then copied): a string scalar is
// its text, any other scalar is decoded alone. What decoding the whole
// mapping treats otherwise (an alias, a merge key, a key that is not a
// string, a key twice, a tag of its own on a collection) is errNotPlain,
// for asYAML to decode the mapping as a whole.
func plainNode(n *kyaml.Node) (any, error) {
	switch n.Kind {
	case kyaml.MappingNode:
		if n.Tag != "" && n.Tag != kyaml.NodeTagMap {
			return nil, errNotPlain
		}
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != kyaml.ScalarNode || !isString(k) {
				return nil, errNotPlain
			}
			if _, dup := out[k.Value]; dup {
				return nil, errNotPlain
			}
			v, err := plainNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	case kyaml.SequenceNode:
		if n.Tag != "" && n.Tag != kyaml.NodeTagSeq {
			return nil, errNotPlain
		}
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			v, err := plainNode(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kyaml.ScalarNode:
		if isString(n) {
			return jsonValue(n.Value)
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return jsonValue(v)
	}
	return nil, errNotPlain
}

// isString reports whether the scalar n decodes to its text as it is: a
// string by its tag, by its quotes (or block style), or, without a tag, by
// its text (the node's ShortTag; a "!" tag decodes otherwise).
func isString(n *kyaml.Node) bool {
	return n.Tag != "!" && n.ShortTag() == kyaml.NodeTagString
}

// errNotPlain: a value jsonValue leaves to the JSON round trip.
var errNotPlain = errors.New("not a plain value")

// jsonValue is v, a decoded YAML value, as go-yaml v2 decodes the JSON
// that encoding/json makes of it: maps, lists, UTF-8 strings, booleans
// and integers as they are (JSON writes integers as digits, which v2
// decodes to an int), a float through its JSON (which JSON writes in its
// own way, and v2 may read back as an int); anything else is errNotPlain.
func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, int:
		return v, nil
	case string:
		if !utf8.ValidString(v) {
			return nil, errNotPlain
		}
		return v, nil
	case int64:
		return int(v), nil
	case float64:
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var out any
		if err := yamlv2.Unmarshal(j, &out); err != nil {
			return nil, err
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return nil, errNotPlain
}

// isServiceAccount reports whether n is a core v1 ServiceAccount.
func isServiceAccount(n *kyaml.RNode) bool {
	return n.GetApiVersion() == "v1" && n.GetKind() == "ServiceAccount"
}

// subjectNamespaces does what kustomize's name reference transformer does
// to the subjects of a RoleBinding or ClusterRoleBinding when no name
// changes: a subject naming a ServiceAccount of the release (whatever the
// subject's kind, as kustomize matches by name) whose namespace is unset,
// "default" (the effective namespace of the account before the namespace
// was set) or the release's gets the account's namespace, ns. A subject in
// another namespace is left alone.
func subjectNamespaces(n *kyaml.RNode, ns string, serviceAccounts map[string]bool) error {
	if g, _ := resid.ParseGroupVersion(n.GetApiVersion()); g != "rbac.authorization.k8s.io" {
		return nil
	}
	if k := n.GetKind(); k != "RoleBinding" && k != "ClusterRoleBinding" {
		return nil
	}
	subjects, err := n.Pipe(kyaml.Lookup("subjects"))
	if err != nil || subjects == nil || subjects.YNode().Kind != kyaml.SequenceNode {
		return err
	}
	return subjects.VisitElements(func(s *kyaml.RNode) error {
		if s.YNode().Kind != kyaml.MappingNode {
			return nil
		}
		name, err := s.Pipe(kyaml.FieldMatcher{Name: "name"})
		if err != nil || name == nil || !serviceAccounts[name.YNode().Value] {
			return err
		}
		if cur, err := s.Pipe(kyaml.FieldMatcher{Name: "namespace"}); err != nil {
			return err
		} else if cur != nil {
			if v := cur.YNode().Value; v != "default" && v != ns {
				return nil
			}
		}
		if err := s.PipeE(kyaml.FieldSetter{Name: "name", StringValue: name.YNode().Value}); err != nil {
			return err
		}
		return s.PipeE(kyaml.FieldSetter{Name: "namespace", StringValue: ns})
	})
}

// needsKrusty reports whether an object holds a reference that kustomize's
// name reference transformer would rewrite otherwise than
// subjectNamespaces does: a service of a webhook configuration, an
// APIService or a CRD's conversion webhook.
func needsKrusty(objs []*object) bool {
	for _, ob := range objs {
		switch ob.node.GetKind() {
		case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService":
			return true
		case "CustomResourceDefinition":
			if w, _ := ob.node.Pipe(kyaml.Lookup("spec", "conversion", "webhook")); w != nil {
				return true
			}
		}
	}
	return false
}
