// Package render turns one hub-env (a chart, its layered values, a release
// name and a namespace) into one ordered Kubernetes YAML stream for
// `kubectl apply -f -`, with Helm and kustomize run as libraries in process.
//
// The steps:
//
//  1. Helm renders the chart client-only (internal/helmengine), CRDs
//     included, the charts' values.schema.json files enforced.
//  2. The release manifest is split into objects, its files parsed side
//     by side (on GOMAXPROCS cores, in manifest order); empty documents
//     are dropped. Helm's hooks are left out on purpose: the hub charts' hooks
//     are the jupyterhub image-puller (Job hook-image-awaiter, DaemonSet
//     hook-image-puller and their RBAC), which exist to make `helm upgrade`
//     wait until images are pulled. Under `kubectl apply` nothing waits on
//     them, and a Job cannot be updated in place (the next apply with a
//     changed spec fails on immutable fields), so applying them would break
//     every later deploy.
//  3. kustomize applies the patches, sets the namespace of every
//     namespaced object (and of the ServiceAccount subjects named "default"
//     of role bindings), and adds the labels to every object's metadata
//     only: never to selectors or pod templates, since a changed Deployment
//     selector is an immutable-field error on the next apply to a live hub.
//     With patches that is krusty on an in-memory file system; without,
//     kustomize's namespace and labels filters on the objects themselves
//     (transform), which give krusty's bytes without its set-up and second
//     parse, the objects written out side by side.
//  4. A Namespace object is added (unless Options.NamespaceExists), and
//     the objects are ordered: the Namespace first, then CRDs, then the rest in Helm's install order
//     (releaseutil.InstallOrder; kinds it does not know last, by kind), by
//     name within a kind.
//
// The output is deterministic: the same chart, values and options give the
// same bytes (provided the values pin what the charts would otherwise
// generate at random, such as the jupyterhub secrets).
package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// DefaultKubeVersion is the Kubernetes version the charts see when
// Options.KubeVersion is empty.
const DefaultKubeVersion = "1.33.0"

// PartOfLabel is the label every rendered object carries, with the value
// PartOfValue unless Options.Labels sets it.
const (
	PartOfLabel = "app.kubernetes.io/part-of"
	PartOfValue = "pangeo"
)

// Options is one hub-env to render.
type Options struct {
	// Release and Namespace are the Helm release name and the namespace of
	// every namespaced object, both <hub>-<env>. Required. The charts name
	// their cluster-scoped objects (ClusterRoles, PriorityClasses, ...)
	// after the release, which keeps two hub-envs on one cluster apart;
	// CRDs are shared.
	Release, Namespace string
	// Chart is the loaded umbrella chart. Required; not modified.
	Chart *chart.Chart
	// Values are layers of chart values, later layers winning, merged as
	// Helm merges -f files (values.Merge): maps merge deeply, lists and
	// scalars replace, and a null is kept, in any layer, so that Helm,
	// coalescing the result over the charts' defaults, deletes the key and
	// the chart's default with it. Not modified.
	Values []map[string]any
	// KubeVersion is the Kubernetes version the charts see;
	// DefaultKubeVersion if empty.
	KubeVersion string
	// Labels are added to the metadata of every object (not to selectors
	// or pod templates), over the labels the charts set. PartOfLabel is
	// always among them.
	Labels map[string]string
	// Patches are applied, in order, to the objects Helm rendered (and the
	// Namespace object), before the namespace and the labels are set.
	Patches []Patch
	// Engine renders the chart; helmengine.NewV3() if nil.
	Engine helmengine.Engine
	// NamespaceExists says that Namespace is one every cluster has
	// (kube-system): no Namespace object is rendered for it, so that
	// applying the stream never takes ownership of it.
	NamespaceExists bool

	// krusty runs krusty even without patches (for the test that holds
	// transform to krusty's output).
	krusty bool
}

// Patch is a kustomize patch: a strategic merge patch or a JSON 6902 patch.
type Patch struct {
	// Patch is the patch text. A strategic merge patch is a partial object
	// (YAML or JSON) naming its object by apiVersion, kind and
	// metadata.name, with no metadata.namespace (the objects are patched
	// before they get their namespace); with a Target it applies to every
	// object the target selects instead. A JSON 6902 patch is a list of
	// operations ("- op: replace\n  path: /spec/replicas\n  value: 2") and
	// needs a Target.
	Patch string
	// Target selects the objects to patch; empty fields match anything.
	Target *Target
}

// Target selects objects for a Patch. Name is a regular expression
// anchored at both ends, as in kustomize.
type Target struct {
	Group, Version, Kind, Name        string
	LabelSelector, AnnotationSelector string
}

// Render renders one hub-env into a YAML stream (see the package doc).
func Render(ctx context.Context, o Options) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	kubeVersion := o.KubeVersion
	if kubeVersion == "" {
		kubeVersion = DefaultKubeVersion
	}
	engine := o.Engine
	if engine == nil {
		engine = helmengine.NewV3()
	}
	labels := map[string]string{PartOfLabel: PartOfValue}
	maps.Copy(labels, o.Labels)
	if err := checkLabels(labels); err != nil {
		return nil, fmt.Errorf("render %s: %w", o.Release, err)
	}

	res, err := engine.Render(ctx, helmengine.Request{
		Chart:       o.Chart,
		ReleaseName: o.Release,
		Namespace:   o.Namespace,
		Values:      values.Merge(o.Values...),
		KubeVersion: kubeVersion,
		IncludeCRDs: true,
	})
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", o.Release, err)
	}
	// res.Hooks are dropped on purpose: see the package doc.

	objs, err := splitManifest(res.Manifest)
	if err != nil {
		return nil, fmt.Errorf("render %s: helm manifest: %w", o.Release, err)
	}
	if err := prepare(objs, o.Namespace); err != nil {
		return nil, fmt.Errorf("render %s: %w", o.Release, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := objs
	if !o.NamespaceExists {
		all = append([]*object{namespaceObject(o.Namespace)}, objs...)
	}
	var out []*kustomized
	if len(o.Patches) > 0 || o.krusty || needsKrusty(all) {
		out, err = kustomize(all, o.Namespace, labels, o.Patches)
	} else {
		out, err = transform(all, o.Namespace, labels)
	}
	if err != nil {
		return nil, fmt.Errorf("render %s: kustomize: %w", o.Release, err)
	}
	if err := checkOutput(out, o.Namespace); err != nil {
		return nil, fmt.Errorf("render %s: %w", o.Release, err)
	}
	sortObjects(out)
	var b bytes.Buffer
	for i, r := range out {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(r.yaml)
	}
	return b.Bytes(), nil
}

func (o *Options) check() error {
	switch {
	case o.Release == "":
		return errors.New("render: no release name")
	case o.Namespace == "":
		return fmt.Errorf("render %s: no namespace", o.Release)
	case o.Chart == nil:
		return fmt.Errorf("render %s: no chart", o.Release)
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return fmt.Errorf("render %s: namespace %q: %s", o.Release, o.Namespace, strings.Join(errs, "; "))
	}
	for i, p := range o.Patches {
		if strings.TrimSpace(p.Patch) == "" {
			return fmt.Errorf("render %s: patch %d is empty", o.Release, i+1)
		}
	}
	return nil
}

func checkLabels(labels map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("label key %q: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			return fmt.Errorf("label %s value %q: %s", k, labels[k], strings.Join(errs, "; "))
		}
	}
	return nil
}

// object is one object of a Helm manifest.
type object struct {
	node   *kyaml.RNode
	source string // the chart file, from Helm's "# Source:" comment
}

func (ob *object) String() string {
	s := fmt.Sprintf("%s %s", ob.node.GetKind(), ob.node.GetName())
	if ob.source != "" {
		s += " (from " + ob.source + ")"
	}
	return s
}

// sourceSeparator starts each file's documents in a Helm manifest.
const sourceSeparator = "\n---\n# Source: "

// splitManifest parses a Helm manifest into its objects, dropping empty
// documents. Each object's source is the chart file named in the
// "# Source:" line Helm writes before the documents of each file.
// The files are parsed side by side (eachIndex), their objects kept in
// manifest order.
func splitManifest(manifest string) ([]*object, error) {
	type file struct{ source, text string }
	var files []file
	for i, chunk := range strings.Split("\n"+manifest, sourceSeparator) {
		source := "?"
		if i > 0 {
			var ok bool
			source, chunk, ok = strings.Cut(chunk, "\n")
			if !ok {
				continue
			}
			source = strings.TrimSpace(source)
		}
		files = append(files, file{source, chunk})
	}
	parsed := make([][]*object, len(files))
	err := eachIndex(len(files), func(i int) (err error) {
		parsed[i], err = splitDocuments(files[i].text, files[i].source)
		return err
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(parsed...), nil
}

// eachIndex calls f(i) for every i below n, side by side (GOMAXPROCS at
// a time), and returns the error of the lowest i that failed: the error
// a loop in order would stop at.
func eachIndex(n int, f func(i int) error) error {
	errs := make([]error, n)
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error {
			errs[i] = f(i)
			return nil
		})
	}
	g.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// splitDocuments parses a YAML stream into its objects, dropping empty
// documents.
func splitDocuments(stream, source string) ([]*object, error) {
	dec := kyaml.NewDecoder(strings.NewReader(stream))
	var objs []*object
	for i := 1; ; i++ {
		var doc kyaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", source, i, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		n := doc.Content[0]
		if n.Kind == kyaml.ScalarNode && n.Tag == kyaml.NodeTagNull {
			continue
		}
		if n.Kind != kyaml.MappingNode {
			return nil, fmt.Errorf("%s, document %d: not an object", source, i)
		}
		if len(n.Content) == 0 {
			continue
		}
		ob := &object{node: kyaml.NewRNode(n), source: source}
		if ob.node.GetApiVersion() == "" || ob.node.GetKind() == "" || ob.node.GetName() == "" {
			return nil, fmt.Errorf("%s, document %d: an object needs apiVersion, kind and metadata.name", source, i)
		}
		objs = append(objs, ob)
	}
}

// objectKey identifies an object on a cluster: the same group, kind,
// namespace and name is the same object whatever the API version.
type objectKey struct{ group, kind, namespace, name string }

func keyOf(apiVersion, kind, namespace, name string) objectKey {
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	return objectKey{group, kind, namespace, name}
}

// prepare checks the objects Helm rendered and clears their namespace so
// that patches match them whether or not a template set it (kustomize sets
// it again on the namespaced ones).
func prepare(objs []*object, namespace string) error {
	seen := map[objectKey]*object{}
	for _, ob := range objs {
		n := ob.node
		if n.GetKind() == "Namespace" {
			return fmt.Errorf("the chart renders a Namespace (%s): render adds namespace %s itself", ob, namespace)
		}
		ns := n.GetNamespace()
		if ns != "" && ns != namespace {
			return fmt.Errorf("%s is in namespace %s: every object of the release must be in %s", ob, ns, namespace)
		}
		k := keyOf(n.GetApiVersion(), n.GetKind(), namespace, n.GetName())
		if prev := seen[k]; prev != nil {
			return fmt.Errorf("the chart renders %s twice: %s and %s", ob.node.GetKind()+" "+ob.node.GetName(), prev.source, ob.source)
		}
		seen[k] = ob
		if ns != "" {
			if _, err := n.Pipe(kyaml.Lookup("metadata"), kyaml.Clear("namespace")); err != nil {
				return fmt.Errorf("%s: %w", ob, err)
			}
		}
	}
	return nil
}

func namespaceObject(name string) *object {
	n := kyaml.NewMapRNode(nil)
	n.SetApiVersion("v1")
	n.SetKind("Namespace")
	if err := n.SetName(name); err != nil {
		panic(err) // cannot fail on a fresh map node
	}
	return &object{node: n, source: "render"}
}

// kustomizeMu serializes krusty runs: concurrent runs race on kustomize's
// global OpenAPI schema.
var kustomizeMu sync.Mutex

// kustomized is one object of kustomize's output.
type kustomized struct {
	id        resid.ResId
	namespace string
	yaml      []byte
}

const kustomizeDir = "/render"

func kustomize(objs []*object, namespace string, labels map[string]string, patches []Patch) ([]*kustomized, error) {
	crdOriginalLabels := map[string]map[string]string{}
	for _, ob := range objs {
		if ob.node.GetKind() == "CustomResourceDefinition" {
			crdOriginalLabels[ob.node.GetName()] = ob.node.GetLabels()
		}
	}
	var resources bytes.Buffer
	for i, ob := range objs {
		if i > 0 {
			resources.WriteString("---\n")
		}
		s, err := ob.node.String()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ob, err)
		}
		resources.WriteString(s)
	}
	k := types.Kustomization{
		TypeMeta:  types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Resources: []string{"resources.yaml"},
		Namespace: namespace,
		Labels:    []types.Label{{Pairs: labels, IncludeSelectors: false}},
	}
	for _, p := range patches {
		kp := types.Patch{Patch: p.Patch}
		if t := p.Target; t != nil {
			kp.Target = &types.Selector{
				ResId:              resid.ResId{Gvk: resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind}, Name: t.Name},
				LabelSelector:      t.LabelSelector,
				AnnotationSelector: t.AnnotationSelector,
			}
		}
		k.Patches = append(k.Patches, kp)
	}
	kyml, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	fs := filesys.MakeFsInMemory()
	if err := fs.MkdirAll(kustomizeDir); err != nil {
		return nil, err
	}
	if err := fs.WriteFile(kustomizeDir+"/kustomization.yaml", kyml); err != nil {
		return nil, err
	}
	if err := fs.WriteFile(kustomizeDir+"/resources.yaml", resources.Bytes()); err != nil {
		return nil, err
	}

	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, kustomizeDir)
	if err != nil {
		return nil, err
	}
	var out []*kustomized
	for _, r := range m.Resources() {
		if r.GetKind() == "CustomResourceDefinition" {
			if err := r.SetLabels(crdLabels(crdOriginalLabels[r.GetName()], labels)); err != nil {
				return nil, fmt.Errorf("%s: %w", r.CurId(), err)
			}
		}
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		out = append(out, &kustomized{id: r.CurId(), namespace: r.GetNamespace(), yaml: y})
	}
	return out, nil
}

// checkOutput checks that every object is there once and that exactly the
// namespaced ones are in the namespace.
func checkOutput(objs []*kustomized, namespace string) error {
	seen := map[objectKey]bool{}
	for _, r := range objs {
		id := r.id
		k := keyOf(id.ApiVersion(), id.Kind, r.namespace, id.Name)
		if seen[k] {
			return fmt.Errorf("%s %s is rendered twice", id.Kind, id.Name)
		}
		seen[k] = true
		switch {
		case id.IsClusterScoped() && r.namespace != "":
			return fmt.Errorf("cluster-scoped %s %s has namespace %s", id.Kind, id.Name, r.namespace)
		case !id.IsClusterScoped() && r.namespace != namespace:
			return fmt.Errorf("%s %s is in namespace %q, not %s", id.Kind, id.Name, r.namespace, namespace)
		}
	}
	return nil
}

// installRank is the place of each kind in Helm's install order.
var installRank = func() map[string]int {
	m := make(map[string]int, len(releaseutil.InstallOrder))
	for i, k := range releaseutil.InstallOrder {
		m[k] = i
	}
	return m
}()

// rank orders kinds: Namespace, CRDs, Helm's install order, unknown kinds.
func rank(kind string) int {
	switch kind {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	}
	if i, ok := installRank[kind]; ok {
		return 2 + i
	}
	return 2 + len(installRank)
}

func sortObjects(objs []*kustomized) {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i].id, objs[j].id
		if ra, rb := rank(a.Kind), rank(b.Kind); ra != rb {
			return ra < rb
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return objs[i].namespace < objs[j].namespace
	})
}

// KindRank is the place of a kind in the order Render writes objects:
// Namespace, CRDs, Helm's install order, then kinds it does not know.
func KindRank(kind string) int { return rank(kind) }
