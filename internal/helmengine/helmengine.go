// Package helmengine renders Helm charts in process, behind one small
// interface so that the Helm major version can change without touching
// its callers: Helm 3 (NewV3, the default) and Helm 4 (NewV4), both in one
// binary; New picks one by its major.
//
// Rendering is client-only: nothing talks to a cluster, and the Kubernetes
// version the charts see is the one the request names (Helm without it
// assumes v1.20, which the hub charts refuse).
package helmengine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
)

// Engine renders a chart the way `helm template` / a client-only install
// does, with one major version of Helm.
type Engine interface {
	// Render renders one release of a chart.
	Render(ctx context.Context, req Request) (*Result, error)
	// CheckValues checks values against the values.schema.json files of a
	// chart and its enabled subcharts as this Helm's install checks them,
	// without rendering (see the package's CheckValues).
	CheckValues(ch *chart.Chart, vals map[string]any) ([]SchemaProblem, error)
	// Major is the Helm major version: V3 or V4.
	Major() string
}

// The Helm major versions an Engine can be.
const (
	V3 = "v3"
	V4 = "v4"
	// Default is the major of a hub that chooses none (schema/hub.cue's
	// helm field says the same). Helm 3's security fixes end on
	// 2027-02-10; V4 becomes the default no later than that.
	Default = V3
)

// Majors are the Helm majors New takes, oldest first.
var Majors = []string{V3, V4}

// New returns the Engine of a Helm major version: "v3" (NewV3), "v4"
// (NewV4), or "" for Default.
func New(major string) (Engine, error) {
	switch major {
	case "":
		return New(Default)
	case V3:
		return NewV3(), nil
	case V4:
		return NewV4(), nil
	}
	return nil, fmt.Errorf("unknown Helm major version %q (want one of %s)", major, strings.Join(Majors, ", "))
}

// Request is one release of one chart to render.
type Request struct {
	// Chart is the loaded chart (helm.sh/helm/v3/pkg/chart/loader). It is not
	// modified: the engine renders a copy (Helm prunes disabled subcharts
	// and imports values into the chart it installs).
	Chart *chart.Chart
	// ReleaseName and Namespace are .Release.Name and .Release.Namespace.
	ReleaseName, Namespace string
	// Values are the user-supplied values, coalesced over the chart's
	// defaults by Helm. Not modified.
	Values map[string]any
	// KubeVersion is the Kubernetes version the templates see as
	// .Capabilities.KubeVersion, e.g. "1.33.0"; charts' kubeVersion
	// constraints are checked against it. Required.
	KubeVersion string
	// IncludeCRDs puts the files of the charts' crds/ directories into the
	// manifest (before the templates' objects), as `helm template
	// --include-crds` does.
	IncludeCRDs bool
}

// Result is what a render produced.
type Result struct {
	// Manifest is the release manifest: a YAML stream of the templates'
	// objects in Helm's install order, each document preceded by a
	// "# Source: <chart file>" comment, the CRDs first when asked for.
	// Hooks are not in it.
	Manifest string
	// Hooks are the objects annotated helm.sh/hook, in Helm's order.
	Hooks []Hook
}

// Hook is one hook object of a release.
type Hook struct {
	Name     string // metadata.name
	Kind     string // Kubernetes kind
	Path     string // chart file that produced it
	Manifest string // the object's YAML
	Events   []string
	Weight   int
}

// NewV3 returns the Engine of Helm v3: what a client-only dry-run install
// of helm.sh/helm/v3/pkg/action renders, with its checks and errors, made
// of Helm 3's chartutil, engine and releaseutil without the install around
// it (the pangeo-gen binary does not link Helm's action packages; the
// installref package holds the engines to Helm's own install in tests).
// The charts' values.schema.json files are enforced; hooks are rendered
// (not disabled) but returned apart from the manifest. A Render is safe to
// call concurrently with others, on the same chart too.
func NewV3() Engine { return v3Engine{} }

// v3Engine is Helm 3's Engine; deps, when not nil, is Memoized's memo.
type v3Engine struct{ deps *depMemo }

func (v3Engine) Major() string { return V3 }

// CheckValues is the package's CheckValues.
func (v3Engine) CheckValues(ch *chart.Chart, vals map[string]any) ([]SchemaProblem, error) {
	return CheckValues(ch, vals)
}

// check refuses a request Helm would render wrongly (no chart, or no
// Kubernetes version, when Helm would assume v1.20) and names its chart.
func (req Request) check() (name string, err error) {
	if req.Chart == nil || req.Chart.Metadata == nil {
		return "", errors.New("helm render: no chart")
	}
	name = req.Chart.Name()
	if req.KubeVersion == "" {
		return "", fmt.Errorf("helm render of chart %s: no Kubernetes version given (Helm would assume v1.20)", name)
	}
	return name, nil
}

func (e v3Engine) Render(ctx context.Context, req Request) (*Result, error) {
	name, err := req.check()
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion(req.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("helm render of chart %s: Kubernetes version %q: %w", name, req.KubeVersion, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := v3Render(req, kv, e.deps)
	if err != nil {
		return nil, req.renderError(name, err)
	}
	return res, nil
}

// renderError is Helm's error err in the render of req, of chart name,
// with context: Helm's text names the chart file and line of a template
// error, and the chart and value path of a schema violation.
func (req Request) renderError(name string, err error) error {
	return &renderError{fmt.Sprintf("helm render of chart %s, release %s in namespace %s", name, req.ReleaseName, req.Namespace), err}
}

// renderError is Helm's error with context, less the trailing blank lines
// of Helm's schema errors.
type renderError struct {
	context string
	err     error
}

func (e *renderError) Error() string {
	return e.context + ": " + strings.TrimRight(e.err.Error(), "\n ")
}

func (e *renderError) Unwrap() error { return e.err }

// V3Hook is a hook of a Helm 3 release as a Result's Hook.
func V3Hook(h *release.Hook) Hook {
	ev := make([]string, len(h.Events))
	for i, e := range h.Events {
		ev[i] = e.String()
	}
	return Hook{Name: h.Name, Kind: h.Kind, Path: h.Path, Manifest: h.Manifest, Events: ev, Weight: h.Weight}
}
