package main

import (
	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/render"
)

func newRender(g *globals) *cobra.Command {
	var (
		req     release.Request
		output  string
		offline bool
		force   bool
		helm    *choice
	)
	cmd := &cobra.Command{
		Use:   "render HUB",
		Short: "Render a hub-env into the Kubernetes objects to apply (kubectl apply -f -)",
		Long: `render renders one hub-env, release and namespace <hub>-<env>, into one YAML
stream: the Namespace, then CRDs, then every object in Helm's install order, each
labelled app.kubernetes.io/part-of: pangeo, pangeo.io/hub and pangeo.io/env. Helm
runs in process, client-only; its hooks are left out.

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

Helm is the major the hub's helm field chooses (v3 unless it says v4);
--helm v3|v4 renders with the other for this run.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			if output != "" {
				// Refuse a bad -o before the work of rendering.
				if _, err := release.CheckOutput(fed.Root, output, force); err != nil {
					return err
				}
			}
			if req.Cache, err = release.NewCache(fed.Root, offline); err != nil {
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
	f.StringVar(&req.KubeVersion, "kube-version", render.DefaultKubeVersion, "Kubernetes version the charts see")
	f.StringVar(&req.Secrets, "secrets", "", "file of secret values to use instead of deployments/<hub>/secrets/<env>.yaml (- for standard input)")
	f.BoolVar(&req.PlaceholderSecrets, "placeholder-secrets", false, "fill unfilled secret stubs with fake, deterministic values (for tests and review)")
	f.BoolVar(&req.PinDigests, "pin-digests", false, "pin every container image to its digest (looked up in its registry)")
	f.StringVarP(&output, "output", "o", "", "write the stream to FILE (mode 0600) instead of stdout")
	f.BoolVar(&offline, "offline", false, "use only vendored and cached charts")
	helm = helmFlag(cmd)
	f.BoolVar(&force, "force", false, "let -o overwrite a file that is not render output (a hub, schema, generated or secrets file included)")
	cmd.Example = `  pangeo-gen render alpha --env prod | kubectl apply -f -
  pangeo-gen render alpha --placeholder-secrets --offline -o alpha-staging.yaml`
	cmd.ValidArgsFunction = g.completeHub
	completeEnv(cmd)
	return cmd
}
