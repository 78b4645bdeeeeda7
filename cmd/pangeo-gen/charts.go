package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/federation"
	"github.com/pangeo-data/pangeo-gen/internal/release"
)

func newCharts(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "charts",
		Short: "Fill the chart cache, or vendor the pinned charts, so that render works offline",
		Example: `  pangeo-gen charts pull
  pangeo-gen charts vendor --update`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var quiet bool
	pull := &cobra.Command{
		Use:   "pull [HUB...]",
		Short: "Download every chart the hubs (or those named) pin into the chart cache",
		Long: `pull downloads the charts every hub (or every hub named) pins into the chart cache
($PANGEO_GEN_CACHE, or pangeo-gen/charts in the user's cache folder): jupyterhub,
dask-gateway, and the umbrella chart when it is pulled rather than generated, with
the dependencies it does not bundle; for a hub on an EKS cluster also the
cluster-autoscaler its cloud.autoscaler pins (render --cluster). Each package's digest is checked against its
pin and recorded. It prints one line per pinned chart: name, version, source, digest.
While it works, and when stderr is a terminal, it says on stderr what each
chart took: "pulled NAME VERSION (DIGEST)", or "cached ..." when the cache held
it already; --quiet leaves that out.`,
		Example: `  pangeo-gen charts pull
  pangeo-gen charts pull alpha bravo`,
		ValidArgsFunction: g.completeHubs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			selected, err := federation.Select(fed, args)
			if err != nil {
				return err
			}
			dir, err := charts.DefaultDir()
			if err != nil {
				return err
			}
			var progress func(release.Pulled)
			if !quiet && isTerminal(g.stderr) {
				progress = func(p release.Pulled) { fmt.Fprintln(g.stderr, pullProgress(p)) }
			}
			pulled, err := release.Pull(cmd.Context(), &charts.Cache{Dir: dir}, fed, selected, progress)
			if err != nil {
				return err
			}
			for _, p := range pulled {
				fmt.Fprintf(g.stdout, "%s %s %s %s\n", p.Ref.Name, p.Ref.Version, p.Ref.Source(), p.Digest)
			}
			return nil
		},
	}
	pull.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress lines on stderr")
	cmd.AddCommand(pull)
	var update bool
	vendor := &cobra.Command{
		Use:   "vendor",
		Short: "Write every pinned chart into vendor/charts, with the lock file charts.lock",
		Long: `vendor writes the chart packages every hub pins (and the cluster-autoscaler of
every EKS cluster), and the dependencies they do not bundle, into vendor/charts/ with vendor/charts/charts.lock listing each one's source
and digest; render uses them first, offline. Packages come through the chart cache.
A vendored package whose digest would change is refused unless --update; packages no
hub needs any more are removed. It prints the lock's entries: name, version,
repository, digest.`,
		Example: `  pangeo-gen charts vendor
  pangeo-gen charts vendor --update`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			dir, err := charts.DefaultDir()
			if err != nil {
				return err
			}
			lock, err := release.Vendor(cmd.Context(), &charts.Cache{Dir: dir}, fed, update)
			if err != nil {
				return err
			}
			for _, e := range lock.Charts {
				fmt.Fprintf(g.stdout, "%s %s %s %s\n", e.Name, e.Version, e.Repository, e.Digest)
			}
			return nil
		},
	}
	vendor.Flags().BoolVar(&update, "update", false, "replace vendored packages whose digest changed")
	cmd.AddCommand(vendor)
	return cmd
}

// pullProgress is the progress line of a chart charts pull got:
// "pulled jupyterhub 4.4.0 (sha256:...)", or "cached ..." when nothing was
// downloaded.
func pullProgress(p release.Pulled) string {
	what := "pulled"
	if p.Cached {
		what = "cached"
	}
	return fmt.Sprintf("%s %s %s (%s)", what, p.Ref.Name, p.Ref.Version, p.Digest)
}
