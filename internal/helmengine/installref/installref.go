// Package installref renders charts by Helm's own client-only dry-run
// install (helm.sh/helm/v3/pkg/action and helm.sh/helm/v4/pkg/action): the
// reference helmengine's engines, which render without the install, are
// held to in tests (same manifest, hooks and error text). Only tests
// import it: the pangeo-gen binary must not link Helm's action packages.
package installref

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	v4action "helm.sh/helm/v4/pkg/action"
	v4common "helm.sh/helm/v4/pkg/chart/common"
	v4release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// NewV3 returns an Engine of Helm v3 that renders every request by
// Helm 3's client-only dry-run install, with a fresh action.Configuration
// each time; CheckValues and Major are helmengine.NewV3's.
func NewV3() helmengine.Engine { return v3Install{helmengine.NewV3()} }

// NewV4 returns an Engine of Helm v4 that renders every request by
// Helm 4's client-only dry-run install (DryRunStrategy client, a fresh
// action.Configuration whose logger discards) of the chart converted by
// helmengine.ToV4; CheckValues and Major are helmengine.NewV4's.
func NewV4() helmengine.Engine { return v4Install{helmengine.NewV4()} }

type v3Install struct{ helmengine.Engine }

type v4Install struct{ helmengine.Engine }

// prepare is helmengine's check of a request before the render, with
// its errors: the chart's name and the Kubernetes version read by parse.
func prepare[K any](ctx context.Context, req helmengine.Request, parse func(string) (K, error)) (name string, kv K, err error) {
	if req.Chart == nil || req.Chart.Metadata == nil {
		return "", kv, errors.New("helm render: no chart")
	}
	name = req.Chart.Name()
	if req.KubeVersion == "" {
		return "", kv, fmt.Errorf("helm render of chart %s: no Kubernetes version given (Helm would assume v1.20)", name)
	}
	if kv, err = parse(req.KubeVersion); err != nil {
		return "", kv, fmt.Errorf("helm render of chart %s: Kubernetes version %q: %w", name, req.KubeVersion, err)
	}
	return name, kv, ctx.Err()
}

// renderError is helmengine's context of an error of Helm's, less the
// trailing blank lines of Helm's schema errors.
func renderError(name string, req helmengine.Request, err error) error {
	return fmt.Errorf("helm render of chart %s, release %s in namespace %s: %s", name, req.ReleaseName, req.Namespace, strings.TrimRight(err.Error(), "\n "))
}

func (v3Install) Render(ctx context.Context, req helmengine.Request) (*helmengine.Result, error) {
	name, kv, err := prepare(ctx, req, chartutil.ParseKubeVersion)
	if err != nil {
		return nil, err
	}
	cfg := &action.Configuration{Log: func(string, ...any) {}}
	install := action.NewInstall(cfg)
	install.DryRun = true
	install.DryRunOption = "client"
	install.ClientOnly = true
	install.Replace = true
	install.IncludeCRDs = req.IncludeCRDs
	install.DisableHooks = false
	install.ReleaseName = req.ReleaseName
	install.Namespace = req.Namespace
	install.KubeVersion = kv
	install.APIVersions = nil // chartutil.DefaultVersionSet

	rel, err := install.RunWithContext(ctx, charts.Copy(req.Chart), vals(req))
	if err != nil {
		return nil, renderError(name, req, err)
	}
	res := &helmengine.Result{Manifest: rel.Manifest}
	for _, h := range rel.Hooks {
		res.Hooks = append(res.Hooks, helmengine.V3Hook(h))
	}
	return res, nil
}

func (v4Install) Render(ctx context.Context, req helmengine.Request) (*helmengine.Result, error) {
	name, kv, err := prepare(ctx, req, v4common.ParseKubeVersion)
	if err != nil {
		return nil, err
	}
	cfg := v4action.NewConfiguration(v4action.ConfigurationSetLogger(slog.DiscardHandler))
	install := v4action.NewInstall(cfg)
	install.DryRunStrategy = v4action.DryRunClient
	install.Replace = true
	install.IncludeCRDs = req.IncludeCRDs
	install.DisableHooks = false
	install.ReleaseName = req.ReleaseName
	install.Namespace = req.Namespace
	install.KubeVersion = kv
	install.APIVersions = nil // common.DefaultVersionSet

	r, err := install.RunWithContext(ctx, helmengine.ToV4(req.Chart), vals(req))
	if err != nil {
		return nil, renderError(name, req, err)
	}
	rel, ok := r.(*v4release.Release)
	if !ok {
		return nil, fmt.Errorf("helm render of chart %s: Helm 4 returned a release of type %T", name, r)
	}
	res := &helmengine.Result{Manifest: rel.Manifest}
	for _, h := range rel.Hooks {
		res.Hooks = append(res.Hooks, helmengine.V4Hook(h))
	}
	return res, nil
}

// vals is a copy of the request's values, never nil.
func vals(req helmengine.Request) map[string]any {
	v := values.CopyMap(req.Values)
	if v == nil {
		v = map[string]any{}
	}
	return v
}
