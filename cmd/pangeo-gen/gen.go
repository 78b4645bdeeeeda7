package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/federation"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

func newGen(g *globals) *cobra.Command {
	var dryRun, force bool
	cmd := &cobra.Command{
		Use:   "gen [HUB...]",
		Short: "Write the deployments/ tree of every hub (or of the hubs named)",
		Long: `gen writes deployments/<hub>/ for every hub: config/{common,staging,prod}.yaml,
hubploy.yaml, image/ (the repo2docker build context), secrets/ stubs (only where no
file exists; an existing secrets file is never touched), README.md, and the
encryption rules. Writes are atomic. A manifest (deployments/.pangeo-gen-manifest.json)
records what gen wrote, so gen removes its own stale outputs and never overwrites
or deletes a file it did not write. A generated file edited by hand is refused
unless --force. Nothing is written when any hub has a problem. gen never writes
through a symbolic link (even with --force). One gen writes at a time: it holds
deployments/.pangeo-gen.lock while it writes. A failed or killed gen leaves every
file as it was or as generated; the next gen completes the tree and removes the
temporary files (.pangeo-gen-tmp-*) the interrupted one left ("clean").`,
		Example: `  pangeo-gen gen
  pangeo-gen gen alpha --dry-run`,
		ValidArgsFunction: g.completeHubs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			return g.generate(fed, args, dryRun, force)
		},
	}
	cmd.Flags().BoolVarP(&dryRun, "dry-run", "n", false, "print what would change, write nothing")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite generated files that were edited by hand")
	return cmd
}

// generate writes the deployments/ tree of the hubs named (every hub when
// none) of a federation that loaded without problems: what `gen` does.
func (g *globals) generate(fed *load.Federation, names []string, dryRun, force bool) error {
	plan, findings, err := federation.TreePlan(fed, names)
	if err != nil {
		return err
	}
	if findings != nil {
		return g.report(fed.Root, "text", findings)
	}
	if dryRun {
		for _, p := range plan.Leftovers {
			fmt.Fprintf(g.stdout, "%-7s %s (temporary file of an interrupted gen)\n", "clean", p)
		}
		for _, c := range plan.Pending() {
			fmt.Fprintf(g.stdout, "%-7s %s\n", c.Action, c.Path)
		}
		return nil
	}
	err = plan.Apply(force)
	for _, p := range plan.Cleaned {
		fmt.Fprintf(g.stdout, "%-7s %s (temporary file of an interrupted gen)\n", "clean", p)
	}
	if err != nil {
		return err
	}
	for _, c := range plan.Pending() {
		if c.Action == tree.Edited && c.File == nil {
			fmt.Fprintf(g.stderr, "kept    %s (edited by hand, no longer generated)\n", c.Path)
			continue
		}
		action := c.Action
		if action == tree.Edited { // overwritten with --force
			action = tree.Update
		}
		fmt.Fprintf(g.stdout, "%-7s %s\n", action, c.Path)
	}
	return nil
}
