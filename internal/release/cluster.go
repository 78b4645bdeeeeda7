package release

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/render"
)

// ClusterLabel is the label every object of a cluster's own release (the
// cluster-autoscaler) carries, with the cluster's name, besides
// render.PartOfLabel.
const ClusterLabel = "pangeo.io/cluster"

// ClusterRequest is the release of one cluster to render: the objects a
// cluster needs once, whatever hubs run on it. That is the
// cluster-autoscaler of an EKS cluster (gen.AutoscalerValues); GKE and AKS
// run their own.
type ClusterRequest struct {
	// Fed is the loaded federation. Required.
	Fed *load.Federation
	// Cluster names the cluster (cloud.cluster of its hubs). Required.
	Cluster string
	// Chart replaces the cluster's pinned chart (cloud.autoscaler), as
	// Request.Chart replaces a hub's. Empty: the pin.
	Chart string
	// KubeVersion is the Kubernetes version the chart sees; empty: the
	// cluster's own (cloud.kubernetesVersion, patch 0).
	KubeVersion string
	// Cache gets charts. Required.
	Cache *charts.Cache
	// Engine renders the chart; helmengine.NewV3() if nil.
	Engine helmengine.Engine
}

// CloudAutoscalerError says that a cluster's autoscaler is the cloud's
// (GKE, AKS): the cluster has no release of its own, so there is nothing
// to render. It is not a failure; render --cluster prints it and exits 0.
type CloudAutoscalerError struct {
	// Cluster and Provider ("gcp", "azure") are the cluster's.
	Cluster, Provider string
}

// Error is "cluster NAME is GKE: its autoscaler is the cloud's; nothing to
// render".
func (e *CloudAutoscalerError) Error() string {
	return fmt.Sprintf("cluster %s is %s: its autoscaler is the cloud's; nothing to render", e.Cluster, kubernetesService(e.Provider))
}

// kubernetesService is the provider's Kubernetes service.
func kubernetesService(provider string) string {
	switch provider {
	case "gcp":
		return "GKE"
	case "aws":
		return "EKS"
	case "azure":
		return "AKS"
	}
	return provider
}

// RenderCluster renders cluster r.Cluster's own release into one YAML
// stream: for an EKS cluster the cluster-autoscaler chart (the pin
// cloud.autoscaler, or r.Chart) with gen.AutoscalerValues, release
// gen.AutoscalerRelease in gen.AutoscalerNamespace (kube-system, which
// every cluster has: no Namespace object), the chart's objects in install
// order, each labelled app.kubernetes.io/part-of: pangeo and ClusterLabel.
// The service account is the EKS definition's (it holds the IAM role), so
// the stream has none. A GKE or AKS cluster is a *CloudAutoscalerError; a
// name no hub uses a *gen.UnknownClusterError.
func RenderCluster(ctx context.Context, r ClusterRequest) ([]byte, error) {
	c, err := gen.LookupCluster(r.Fed.Hubs, r.Cluster)
	if err != nil {
		return nil, err
	}
	if c.Cloud.Provider != "aws" {
		return nil, &CloudAutoscalerError{Cluster: c.Name, Provider: c.Cloud.Provider}
	}
	vals, err := gen.AutoscalerValues(c)
	if err != nil {
		return nil, err
	}
	ch, err := LoadClusterChart(ctx, r.Cache, c, r.Chart)
	if err != nil {
		return nil, err
	}
	kubeVersion := r.KubeVersion
	if kubeVersion == "" {
		kubeVersion = c.Cloud.KubernetesVersion + ".0"
	}
	return render.Render(ctx, render.Options{
		Release:         gen.AutoscalerRelease,
		Namespace:       gen.AutoscalerNamespace,
		NamespaceExists: true,
		Chart:           ch,
		Values:          []map[string]any{vals},
		KubeVersion:     kubeVersion,
		Labels:          map[string]string{ClusterLabel: c.Name},
		Engine:          r.Engine,
	})
}

// LoadClusterChart loads the cluster-autoscaler chart of EKS cluster c
// through cache: the pin cloud.autoscaler, or source (--chart) as
// LoadChart takes it.
func LoadClusterChart(ctx context.Context, cache *charts.Cache, c gen.Cluster, source string) (*chart.Chart, error) {
	pinned := charts.PinRef(gen.AutoscalerChart, c.Cloud.Autoscaler)
	ch, err := loadPinned(ctx, cache, pinned, source)
	if err != nil {
		return nil, chartError(err, source)
	}
	if ch.Name() != gen.AutoscalerChart {
		return nil, fmt.Errorf("cluster %s: the chart is %s, not %s", c.Name, ch.Name(), gen.AutoscalerChart)
	}
	return ch, nil
}
