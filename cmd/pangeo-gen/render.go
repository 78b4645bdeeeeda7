package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/render"
)

func newRender(g *globals) *cobra.Command {
	var (
		req     release.Request
		cluster string
		output  string
		offline bool
		force   bool
		helm    *choice
	)
	cmd := &cobra.Command{
		Use:   "render (HUB | --cluster NAME)",
		Short: "Render a hub-env, or a cluster's autoscaler, into the Kubernetes objects to apply (kubectl apply -f -)",
		Long: `render renders one hub-env, release and namespace <hub>-<env>, into one YAML
stream: the Namespace, then CRDs, then every object in Helm's install order, each
labelled app.kubernetes.io/part-of: pangeo, pangeo.io/hub and pangeo.io/env. Helm
runs in process, client-only; its hooks are left out.

render loads the hub alone: hubs/HUB.cue, the hubs/ files that declare no
hub (hubs.cue, templates.cue) and schema/, so that its cost does not grow
with the federation. The hub's own problems are refused as vet reports them;
what concerns several hubs (unique domains, the shared pins of the
generated chart) is vet's to check.

The values are layered as hubploy deploys them: chart defaults, config/common.yaml,
config/<env>.yaml, the secrets, then the image (jupyterhub.singleuser.image), all as
gen generates them now. The secrets come from deployments/<hub>/secrets/<env>.yaml
(plaintext in an unlocked git-crypt checkout, or decrypted with sops), or --secrets.

The chart is the hub's pin: the generated umbrella deployments/chart, whose
dependencies come through the chart cache, or the pinned chart itself; --chart
replaces it. The cache is $PANGEO_GEN_CACHE or pangeo-gen/charts in the user's cache
folder; vendor/charts (pangeo-gen charts vendor) is used first when present.

The output holds the hub's secrets: -o FILE writes it with mode 0600, atomically,
its first line a comment ("# rendered by pangeo-gen render HUB --env ENV: ...")
that marks it as render output (stdout gets the stream without it). -o
overwrites a file only when it is render output; it refuses, unless --force, any
other existing file, and inside the repository a hub, schema or cue.mod file, a
secrets file, a file gen generated and any file in deployments/. A folder, a
symbolic link or a device is always refused.

--secrets - reads the secret values from standard input.

--cluster NAME renders instead the objects a cluster needs once, whatever hubs
run on it: for an EKS cluster the cluster-autoscaler (EKS has none of its own),
from the chart the cluster's cloud.autoscaler pins (or --chart), release
cluster-autoscaler in kube-system, with the IAM service account the cluster's
eksctl.yaml creates (not rendered here), the cluster's region, auto-discovery of
its node groups by their tags and an image of the cluster's Kubernetes minor;
--kube-version defaults to that minor. Each object is labelled
app.kubernetes.io/part-of: pangeo and pangeo.io/cluster: NAME; there is no
Namespace object. A GKE or AKS cluster runs the cloud's autoscaler: render
says so on stderr, prints nothing and exits 0. Give exactly one of HUB and
--cluster; --env, --secrets, --placeholder-secrets and --pin-digests are for
hubs only.

Helm is the major the hub's helm field chooses (v3 unless it says v4);
--helm v3|v4 renders with the other for this run.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := renderUsage(cmd, args, cluster); err != nil {
				return err
			}
			if cluster != "" {
				// A cluster's objects come from all the hubs on it.
				fed, findings, err := g.loadFederation()
				if err != nil {
					return err
				}
				if findings != nil {
					return g.report(fed.Root, "text", findings)
				}
				if err := refuseOutput(fed.Root, output, force); err != nil {
					return err
				}
				if req.Cache, err = release.NewCache(fed.Root, offline); err != nil {
					return err
				}
				return g.renderCluster(cmd, release.ClusterRequest{
					Fed: fed, Cluster: cluster, Chart: req.Chart, KubeVersion: kubeVersion(cmd, req.KubeVersion), Cache: req.Cache,
				}, output, force)
			}
			root, err := g.findRoot()
			if err != nil {
				return err
			}
			if req.Cache, err = release.NewCache(root, offline); err != nil {
				return err
			}
			// A --chart folder or .tgz loads on the second core while CUE
			// loads the hub, alone: the federation-wide checks are vet's.
			req.Ahead = release.PrefetchChart(cmd.Context(), req.Cache, req.Chart)
			fed, findings, err := g.loadHub(args[0])
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			fed = fed.WithoutPositions()
			if err := refuseOutput(fed.Root, output, force); err != nil {
				return err
			}
			req.Fed, req.Hub, req.Stdin, req.Helm = fed, args[0], cmd.InOrStdin(), helm.String()
			out, err := release.Render(cmd.Context(), req)
			if err != nil {
				return err
			}
			if output == "" {
				_, err := g.stdout.Write(out)
				return err
			}
			return release.WriteOutput(fed.Root, output, req.Hub, req.Env, out, force)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Env, "env", "staging", "environment: staging or prod")
	f.StringVar(&req.Chart, "chart", "", "chart to render instead of the hub's pin: a folder, a .tgz, an https repository URL, or oci://host/path/name[:version]")
	f.StringVar(&req.KubeVersion, "kube-version", render.DefaultKubeVersion, "Kubernetes version the charts see (with --cluster the default is the cluster's kubernetesVersion)")
	f.StringVar(&req.Secrets, "secrets", "", "file of secret values to use instead of deployments/<hub>/secrets/<env>.yaml (- for standard input)")
	f.BoolVar(&req.PlaceholderSecrets, "placeholder-secrets", false, "fill unfilled secret stubs with fake, deterministic values (for tests and review)")
	f.BoolVar(&req.PinDigests, "pin-digests", false, "pin every container image to its digest (looked up in its registry)")
	f.StringVarP(&output, "output", "o", "", "write the stream to FILE (mode 0600) instead of stdout")
	f.BoolVar(&offline, "offline", false, "use only vendored and cached charts")
	helm = helmFlag(cmd)
	f.BoolVar(&force, "force", false, "let -o overwrite a file that is not render output (a hub, schema, generated or secrets file included)")
	f.StringVar(&cluster, "cluster", "", "render the cluster's own objects (the cluster-autoscaler of an EKS cluster) instead of a hub-env")
	cmd.Example = `  pangeo-gen render alpha --env prod | kubectl apply -f -
  pangeo-gen render alpha --placeholder-secrets --offline -o alpha-staging.yaml
  pangeo-gen render --cluster pangeo-glaciers | kubectl apply -f -`
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if cmd.Flags().Changed("cluster") {
			return nil, cobra.ShellCompDirectiveNoFileComp // no HUB with --cluster
		}
		return g.completeHub(cmd, args, toComplete)
	}
	completeEnv(cmd)
	g.completeClusterFlag(cmd, "cluster")
	return cmd
}

// refuseOutput refuses a bad -o (release.CheckOutput) before the work of
// rendering; no -o is fine.
func refuseOutput(root, output string, force bool) error {
	if output == "" {
		return nil
	}
	_, err := release.CheckOutput(root, output, force)
	return err
}

// hubOnlyFlags are the render flags that mean nothing for --cluster.
var hubOnlyFlags = []string{"env", "secrets", "placeholder-secrets", "pin-digests"}

// renderUsage checks that render has exactly one of HUB and --cluster, and
// no hub flag with --cluster (bad usage, exit 2).
func renderUsage(cmd *cobra.Command, args []string, cluster string) error {
	switch {
	case cluster == "" && cmd.Flags().Changed("cluster"):
		return &usageError{errors.New("render: --cluster needs a cluster name")}
	case cluster == "" && len(args) == 0:
		return &usageError{errors.New("render: give a HUB, or --cluster NAME")}
	case cluster != "" && len(args) > 0:
		return &usageError{fmt.Errorf("render: give a HUB or --cluster, not both (%s and --cluster %s)", args[0], cluster)}
	case cluster != "":
		for _, name := range hubOnlyFlags {
			if cmd.Flags().Changed(name) {
				return &usageError{fmt.Errorf("render: --%s is for a hub-env, not --cluster", name)}
			}
		}
	}
	return nil
}

// kubeVersion is --kube-version when it was given, else "" (for
// --cluster: the cluster's own version).
func kubeVersion(cmd *cobra.Command, v string) string {
	if cmd.Flags().Changed("kube-version") {
		return v
	}
	return ""
}

// renderCluster renders the cluster's own release (release.RenderCluster)
// to stdout or -o. A cluster whose autoscaler is the cloud's is a note on
// stderr and exit 0, with nothing printed or written.
func (g *globals) renderCluster(cmd *cobra.Command, req release.ClusterRequest, output string, force bool) error {
	out, err := release.RenderCluster(cmd.Context(), req)
	var cloud *release.CloudAutoscalerError
	if errors.As(err, &cloud) {
		fmt.Fprintf(g.stderr, "note: %v\n", cloud)
		return nil
	}
	if err != nil {
		return err
	}
	if output == "" {
		_, err := g.stdout.Write(out)
		return err
	}
	return release.WriteClusterOutput(req.Fed.Root, output, req.Cluster, out, force)
}
