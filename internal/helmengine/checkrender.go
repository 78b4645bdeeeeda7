package helmengine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// Checked is what CheckRender found: the engine's CheckValues and, when
// the schemas take the values, its Render.
type Checked struct {
	// Problems and CheckErr are CheckValues's.
	Problems []SchemaProblem
	CheckErr error
	// Result and RenderErr are Render's; both nil when there are
	// Problems (nothing was rendered).
	Result    *Result
	RenderErr error
}

// CheckRender checks the values of req against the values.schema.json
// files of req.Chart as e.CheckValues does and, unless the schemas refuse
// a value, renders req as e.Render does but for the schemas, which it does
// not check twice (a check that fails with an error renders all the
// same). Helm 3 coalesces the values over the charts' defaults once for
// both (Helm's install does it twice for its render alone, and CheckValues
// again): its render is the client-only install's, the templates executed
// by Helm's engine, the manifests sorted by Helm, without the rest of the
// install. Other majors run CheckValues, then Render.
func CheckRender(ctx context.Context, e Engine, req Request) Checked {
	if v3, ok := e.(v3Engine); ok {
		if c, ok := v3CheckRender(ctx, req, v3.deps, func(c *chart.Chart, top chartutil.Values) (*Result, error) {
			return v3Manifest(c, top, req.IncludeCRDs, v3.deps)
		}); ok {
			return c
		}
	}
	var c Checked
	if c.Problems, c.CheckErr = e.CheckValues(req.Chart, req.Values); c.CheckErr == nil && len(c.Problems) > 0 {
		return c
	}
	req.Chart = withoutSchemas(req.Chart)
	c.Result, c.RenderErr = e.Render(ctx, req)
	return c
}

// CheckDecoded is CheckRender for a caller that reads the rendered
// objects, not the manifest. With Helm 3 (not the install) and without
// CRDs, it checks and renders req as CheckRender does, splits and sorts
// the rendered files as Helm does but reads each document once, with
// decode, and gives what decode made of the documents of CheckRender's
// manifest, in its order (the hooks left out), decoded true and
// Checked.Result nil; the problems and errors are CheckRender's (a
// document whose head decode cannot read is Helm's YAML parse error).
// Otherwise it is CheckRender, decoded false.
func CheckDecoded[T any](ctx context.Context, e Engine, req Request, decode Decoder[T]) (c Checked, objects []T, decoded bool) {
	if v3, ok := e.(v3Engine); ok && !req.IncludeCRDs {
		checked, ok := v3CheckRender(ctx, req, v3.deps, func(ch *chart.Chart, top chartutil.Values) (*Result, error) {
			files, err := v3Files(ch, top, v3.deps)
			if err != nil {
				return nil, err
			}
			_, objs, err := sortDocuments(files, decode)
			if err == nil {
				objects = objs
			}
			return nil, err
		})
		if ok {
			return checked, objects, true
		}
	}
	return CheckRender(ctx, e, req), nil, false
}

// v3CheckRender is CheckRender with Helm 3, the values coalesced once,
// the chart rendered with its render values by render; false when
// anything before the templates' execution fails, so that CheckValues and
// Render say why in their words.
func v3CheckRender(ctx context.Context, req Request, deps *depMemo, render func(*chart.Chart, chartutil.Values) (*Result, error)) (Checked, bool) {
	name, err := req.check()
	if err != nil || ctx.Err() != nil || chartutil.ValidateReleaseName(req.ReleaseName) != nil {
		return Checked{}, false
	}
	kv, err := chartutil.ParseKubeVersion(req.KubeVersion)
	if err != nil {
		return Checked{}, false
	}
	// What Install.RunWithContext does for a client-only dry run, the
	// values coalesced once, for the check too.
	c, top, err := v3Prepare(req, kv, deps)
	if err != nil {
		return Checked{}, false
	}
	problems, err := checkTree(v3Tree(c), top["Values"].(chartutil.Values))
	if err != nil {
		return Checked{}, false
	}
	if len(problems) > 0 {
		return Checked{Problems: problems}, true
	}
	caps := top["Capabilities"].(*chartutil.Capabilities)
	if c.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return Checked{}, false
	}
	res, err := render(c, top)
	if err != nil {
		return Checked{RenderErr: req.renderError(name, err)}, true
	}
	return Checked{Result: res}, true
}

// v3Manifest is what Helm 3's Configuration.renderResources makes of a
// chart whose dependencies were processed, with its render values top,
// for a client-only install without post-renderer or output folder: the
// templates executed, NOTES.txt left out, the hooks apart and the
// manifests in install order.
func v3Manifest(c *chart.Chart, top chartutil.Values, includeCRDs bool, deps *depMemo) (*Result, error) {
	files, err := v3Files(c, top, deps)
	if err != nil {
		return nil, err
	}
	hooks, manifests, err := sortManifests(files)
	if err != nil {
		return nil, err
	}
	var crds, docs []sourced
	if includeCRDs {
		for _, crd := range c.CRDObjects() {
			crds = append(crds, sourced{crd.Filename, string(crd.File.Data)})
		}
	}
	for _, m := range manifests {
		docs = append(docs, sourced{m.Name, m.Content})
	}
	res := &Result{Manifest: manifestOf(crds, docs)}
	for _, h := range hooks {
		res.Hooks = append(res.Hooks, V3Hook(h))
	}
	return res, nil
}

// sourced is a document and the chart file it comes from.
type sourced struct{ source, text string }

// manifestOf is a release manifest as Helm's renderResources writes it:
// the CRDs, then the documents, each after "---" and its "# Source:" line.
func manifestOf(crds, docs []sourced) string {
	var b strings.Builder
	for _, d := range slices.Concat(crds, docs) {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", d.source, d.text)
	}
	return b.String()
}

// v3Files is the rendered template files of Helm 3's
// Configuration.renderResources: the templates of chart c executed with
// its render values top, NOTES.txt left out; by Helm's engine, or, for a
// chart that memo deps processed, by its parsed templates
// (parsedChart.render).
func v3Files(c *chart.Chart, top chartutil.Values, deps *depMemo) (map[string]string, error) {
	var files map[string]string
	var err error
	if p := deps.parsed(c); p != nil {
		files, err = p.render(c, top)
	} else {
		var e engine.Engine
		files, err = e.Render(c, top)
	}
	if err != nil {
		return nil, err
	}
	return withoutNotes(files), nil
}

// withoutNotes is rendered template files without NOTES.txt, which
// Helm's renderResources takes out of the manifest.
func withoutNotes(files map[string]string) map[string]string {
	for k := range files {
		if strings.HasSuffix(k, "NOTES.txt") {
			delete(files, k)
		}
	}
	return files
}

// withoutSchemas is a shallow copy of chart ch and its dependencies
// without their values.schema.json files, for a render of values already
// checked against them.
func withoutSchemas(ch *chart.Chart) *chart.Chart {
	if ch == nil {
		return nil
	}
	out := *ch
	out.Schema = nil
	var deps []*chart.Chart
	for _, d := range ch.Dependencies() {
		deps = append(deps, withoutSchemas(d))
	}
	out.SetDependencies(deps...)
	return &out
}
