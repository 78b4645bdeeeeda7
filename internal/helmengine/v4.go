package helmengine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"helm.sh/helm/v3/pkg/chart"
	v4common "helm.sh/helm/v4/pkg/chart/common"
	v4commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	v4chart "helm.sh/helm/v4/pkg/chart/v2"
	v4chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	v4engine "helm.sh/helm/v4/pkg/engine"
	v4release "helm.sh/helm/v4/pkg/release/v1"
	v4releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// NewV4 returns the Engine of Helm v4: what a client-only dry-run install
// of helm.sh/helm/v4/pkg/action (DryRunStrategy client) renders, with its
// checks and errors, made of Helm 4's chart utilities, engine and
// releaseutil without the install around it, of the chart converted to
// Helm 4's model of apiVersion v1/v2 charts (helm.sh/helm/v4/pkg/chart/v2).
// The charts' values.schema.json files are enforced by Helm 4; hooks are
// returned apart from the manifest. A Render is safe to call concurrently
// with others, on the same chart too.
func NewV4() Engine { return v4Engine{} }

type v4Engine struct{}

func (v4Engine) Major() string { return V4 }

func (v4Engine) Render(ctx context.Context, req Request) (*Result, error) {
	name, err := req.check()
	if err != nil {
		return nil, err
	}
	kv, err := v4common.ParseKubeVersion(req.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("helm render of chart %s: Kubernetes version %q: %w", name, req.KubeVersion, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := v4Render(ctx, req, kv)
	if err != nil {
		return nil, req.renderError(name, err)
	}
	return res, nil
}

// v4Render is what a client-only dry-run install of Helm 4
// (action.Install.RunWithContext, helm.sh/helm/v4 v4.3.1) makes of req, at
// Kubernetes version kv, without the install around it: its checks and
// errors in its order (the release name, the dependencies processed, the
// render values made by ToRenderValuesWithSchemaValidation with the
// schemas checked, then Configuration.renderResources without
// post-renderer or output folder: the chart's kubeVersion, the templates
// executed, NOTES.txt left out, the manifests sorted by SortManifests),
// the same manifest, hooks and error text (the installref tests).
func v4Render(ctx context.Context, req Request, kv *v4common.KubeVersion) (*Result, error) {
	if err := v4chartutil.ValidateReleaseName(req.ReleaseName); err != nil {
		return nil, fmt.Errorf("release name check failed: %w", fmt.Errorf("release name %q: %w", req.ReleaseName, err))
	}
	c := ToV4(req.Chart)
	vals := values.CopyMap(req.Values)
	if vals == nil {
		vals = map[string]any{}
	}
	if err := v4chartutil.ProcessDependencies(c, vals); err != nil {
		return nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	caps := v4common.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	options := v4common.ReleaseOptions{Name: req.ReleaseName, Namespace: req.Namespace, Revision: 1, IsInstall: true}
	top, err := v4commonutil.ToRenderValuesWithSchemaValidation(c, vals, options, caps, false)
	if err != nil {
		return nil, err
	}
	if c.Metadata.KubeVersion != "" && !v4chartutil.IsCompatibleRange(c.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	var e v4engine.Engine
	files, err := e.RenderWithContext(ctx, c, top)
	if err != nil {
		return nil, err
	}
	hooks, manifests, err := v4releaseutil.SortManifests(withoutNotes(files), nil, v4releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	var crds, docs []sourced
	if req.IncludeCRDs {
		for _, crd := range c.CRDObjects() {
			crds = append(crds, sourced{crd.Filename, string(crd.File.Data)})
		}
	}
	for _, m := range manifests {
		docs = append(docs, sourced{m.Name, m.Content})
	}
	res := &Result{Manifest: manifestOf(crds, docs)}
	for _, h := range hooks {
		res.Hooks = append(res.Hooks, V4Hook(h))
	}
	return res, nil
}

// V4Hook is a hook of a Helm 4 release as a Result's Hook.
func V4Hook(h *v4release.Hook) Hook {
	ev := make([]string, len(h.Events))
	for i, e := range h.Events {
		ev[i] = e.String()
	}
	return Hook{Name: h.Name, Kind: h.Kind, Path: h.Path, Manifest: h.Manifest, Events: ev, Weight: h.Weight}
}

// CheckValues is the package's CheckValues with Helm 4's processing of
// dependencies (conditions, tags, import-values) and coalescing.
func (v4Engine) CheckValues(ch *chart.Chart, vals map[string]any) ([]SchemaProblem, error) {
	if ch == nil || ch.Metadata == nil {
		return nil, errors.New("check values: no chart")
	}
	c := ToV4(ch)
	vals = values.CopyMap(vals)
	if vals == nil {
		vals = map[string]any{}
	}
	if err := v4chartutil.ProcessDependencies(c, vals); err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	coalesced, err := v4commonutil.CoalesceValues(c, vals)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	return checkTree(v4Tree(c), coalesced)
}

// v4Tree is the schema tree of a Helm 4 chart whose dependencies were
// processed.
func v4Tree(c *v4chart.Chart) schemaTree {
	t := schemaTree{name: c.Name(), version: c.Metadata.Version, schema: c.Schema}
	for _, d := range c.Dependencies() {
		t.deps = append(t.deps, v4Tree(d))
	}
	return t
}

// ToV4 converts a chart loaded by Helm 3's loader into Helm 4's model of
// the same (apiVersion v1 and v2) charts: what an install changes (values,
// metadata, the list of subcharts) is copied, templates and files are
// shared, read only. The two models have the same fields; Helm 4 adds
// modification times, which stay zero (render does not read them).
func ToV4(c *chart.Chart) *v4chart.Chart {
	out := &v4chart.Chart{
		Raw:       v4Files(c.Raw),
		Metadata:  v4Metadata(c.Metadata),
		Templates: v4Files(c.Templates),
		Values:    values.CopyMap(c.Values),
		Schema:    c.Schema,
		Files:     v4Files(c.Files),
	}
	if c.Lock != nil {
		out.Lock = &v4chart.Lock{Generated: c.Lock.Generated, Digest: c.Lock.Digest, Dependencies: v4Dependencies(c.Lock.Dependencies)}
	}
	deps := make([]*v4chart.Chart, 0, len(c.Dependencies()))
	for _, d := range c.Dependencies() {
		deps = append(deps, ToV4(d))
	}
	out.SetDependencies(deps...)
	return out
}

func v4Files(fs []*chart.File) []*v4common.File {
	if fs == nil {
		return nil
	}
	out := make([]*v4common.File, len(fs))
	for i, f := range fs {
		if f != nil {
			out[i] = &v4common.File{Name: f.Name, Data: f.Data}
		}
	}
	return out
}

func v4Metadata(m *chart.Metadata) *v4chart.Metadata {
	if m == nil {
		return nil
	}
	out := &v4chart.Metadata{
		Name:         m.Name,
		Home:         m.Home,
		Sources:      slices.Clone(m.Sources),
		Version:      m.Version,
		Description:  m.Description,
		Keywords:     slices.Clone(m.Keywords),
		Icon:         m.Icon,
		APIVersion:   m.APIVersion,
		Condition:    m.Condition,
		Tags:         m.Tags,
		AppVersion:   m.AppVersion,
		Deprecated:   m.Deprecated,
		Annotations:  maps.Clone(m.Annotations),
		KubeVersion:  m.KubeVersion,
		Dependencies: v4Dependencies(m.Dependencies),
		Type:         m.Type,
	}
	for _, mt := range m.Maintainers {
		if mt == nil {
			out.Maintainers = append(out.Maintainers, nil)
			continue
		}
		out.Maintainers = append(out.Maintainers, &v4chart.Maintainer{Name: mt.Name, Email: mt.Email, URL: mt.URL})
	}
	return out
}

func v4Dependencies(ds []*chart.Dependency) []*v4chart.Dependency {
	if ds == nil {
		return nil
	}
	out := make([]*v4chart.Dependency, len(ds))
	for i, d := range ds {
		if d == nil {
			continue
		}
		dc := v4chart.Dependency(*d)
		dc.Tags = slices.Clone(d.Tags)
		if d.ImportValues != nil {
			dc.ImportValues = values.Copy(d.ImportValues).([]any)
		}
		out[i] = &dc
	}
	return out
}
