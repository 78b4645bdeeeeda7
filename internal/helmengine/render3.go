package helmengine

import (
	"context"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// v3Render is what a client-only dry-run install of Helm 3
// (action.Install.RunWithContext) makes of req when it succeeds, without
// the install around it: the dependencies processed, the render values
// made by chartutil.ToRenderValuesWithSchemaValidation, the templates
// executed and the manifests sorted as renderResources does (v3Manifest),
// the same manifest and hooks (TestRenderIsInstall). It checks the values
// against the charts' schemas with Helm's own chartutil.ValidateAgainstSchema
// on the second core, beside the templates' execution, on a copy of the
// values (a template may change them with set). It returns false when
// anything fails or differs from the common case (the request, the
// release name, the chart's kubeVersion, the dependencies, the schemas,
// the templates): the install then runs, to fail or succeed in Helm's
// own words.
func v3Render(ctx context.Context, req Request) (*Result, bool) {
	if _, err := req.check(); err != nil || ctx.Err() != nil || chartutil.ValidateReleaseName(req.ReleaseName) != nil {
		return nil, false
	}
	kv, err := chartutil.ParseKubeVersion(req.KubeVersion)
	if err != nil {
		return nil, false
	}
	c := charts.Copy(req.Chart)
	vals := values.CopyMap(req.Values)
	if vals == nil {
		vals = map[string]any{}
	}
	if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
		return nil, false
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	if c.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, false
	}
	options := chartutil.ReleaseOptions{Name: req.ReleaseName, Namespace: req.Namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(c, vals, options, caps, true)
	if err != nil {
		return nil, false
	}
	coalesced, _ := top["Values"].(chartutil.Values)
	snapshot := values.CopyMap(coalesced)
	checked := make(chan error, 1)
	go func() { checked <- chartutil.ValidateAgainstSchema(c, snapshot) }()
	res, err := v3Manifest(c, top, req.IncludeCRDs)
	if verr := <-checked; verr != nil || err != nil {
		return nil, false
	}
	return res, true
}
