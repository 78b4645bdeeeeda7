package helmengine

import (
	"fmt"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// v3Render is what a client-only dry-run install of Helm 3
// (action.Install.RunWithContext, helm.sh/helm/v3 v3.22.0) makes of req,
// at Kubernetes version kv, without the install around it: its checks and
// errors in its order (the release name as availableName checks it, the
// dependencies processed by chartutil.ProcessDependenciesWithMerge, the
// values coalesced and checked against the charts' schemas as
// chartutil.ToRenderValuesWithSchemaValidation does, then
// Configuration.renderResources: the chart's kubeVersion, the templates
// executed, the manifests sorted, v3Manifest), the same manifest, hooks
// and error text (the installref tests). The schema check runs on the
// second core, beside the templates' execution, on a copy of the values
// (a template may change them with set); its error comes first, as in
// Helm, where it stops the install before the render.
func v3Render(req Request, kv *chartutil.KubeVersion, deps *depMemo) (*Result, error) {
	c, top, err := v3Prepare(req, kv, deps)
	if err != nil {
		return nil, err
	}
	snapshot := values.CopyMap(top["Values"].(chartutil.Values))
	checked := make(chan error, 1)
	go func() { checked <- chartutil.ValidateAgainstSchema(c, snapshot) }()
	res, err := v3Resources(c, top, top["Capabilities"].(*chartutil.Capabilities), req.IncludeCRDs, deps)
	if verr := <-checked; verr != nil {
		return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", verr.Error())
	}
	return res, err
}

// v3Resources is Helm 3's Configuration.renderResources for a client-only
// install with capabilities caps, of chart c whose dependencies were
// processed: the chart's kubeVersion checked, then v3Manifest.
func v3Resources(c *chart.Chart, top chartutil.Values, caps *chartutil.Capabilities, includeCRDs bool, deps *depMemo) (*Result, error) {
	if c.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	return v3Manifest(c, top, includeCRDs, deps)
}

// v3Prepare is what Helm 3's client-only install does before the
// schemas are checked, with its errors: the release name checked (as
// availableName does), the dependencies of a copy of the chart processed
// (chartutil.ProcessDependenciesWithMerge) with the values, and the
// render values made (chartutil.ToRenderValuesWithSchemaValidation, as
// v3RenderValues, the schemas left to the caller) with the default
// capabilities at
// Kubernetes version kv: the chart c to render (which the caller must not
// change: with memo deps it serves other renders), and top, whose
// "Values" are the coalesced values and "Capabilities" the capabilities.
func v3Prepare(req Request, kv *chartutil.KubeVersion, deps *depMemo) (c *chart.Chart, top chartutil.Values, err error) {
	if err := chartutil.ValidateReleaseName(req.ReleaseName); err != nil {
		return nil, nil, fmt.Errorf("release name %q: %w", req.ReleaseName, err)
	}
	// Neither step changes the values: both coalesce a copy.
	vals := req.Values
	if vals == nil {
		vals = map[string]any{}
	}
	if c, err = deps.processDependencies(req.Chart, vals); err != nil {
		return nil, nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	options := chartutil.ReleaseOptions{Name: req.ReleaseName, Namespace: req.Namespace, Revision: 1, IsInstall: true}
	top, err = v3RenderValues(c, vals, options, caps)
	if err != nil {
		return nil, nil, err
	}
	return c, top, nil
}
