package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/ci"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

func newCI(g *globals) *cobra.Command {
	var check, force bool
	cmd := &cobra.Command{
		Use:   "ci [--check]",
		Short: "Write the CircleCI setup config .circleci/config.yml",
		Long: `ci writes .circleci/config.yml: CircleCI 2.1 dynamic configuration whose job
installs pangeo-gen from the commit under test, runs 'pangeo-gen ci plan' and
continues the pipeline with one vet → build → deploy chain per affected hub.
gen writes the same file with the shared files; this verb writes only it.
Like gen, it records the file in deployments/.pangeo-gen-manifest.json and
refuses to overwrite a file it did not write or that was edited by hand
(unless --force, which never overwrites a file pangeo-gen did not write).

  --check  write nothing; exit 1 naming the file when it is missing, stale,
           edited by hand or not pangeo-gen's, with the command that fixes it`,
		Example: `  pangeo-gen ci
  pangeo-gen ci --check
  pangeo-gen ci plan --base origin/main --format json`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			setup, err := ci.SetupConfig(ci.SetupOptions{})
			if err != nil {
				return err
			}
			files := []gen.File{setup}
			// Only the config is in scope: every other manifest entry is
			// kept as it is.
			scope := func(p string) bool { return p == ci.ConfigPath }
			plan, err := tree.Compare(fed.Root, files, scope)
			if err != nil {
				return err
			}
			pending := plan.Pending()
			if check {
				for _, c := range pending {
					fmt.Fprintf(g.stderr, "%s: %s\n", c.Path, checkAdvice(c.Action))
				}
				if len(pending) > 0 {
					return &exitError{1}
				}
				return nil
			}
			if err := plan.Apply(force); err != nil {
				return err
			}
			for _, c := range pending {
				action := c.Action
				if action == tree.Edited {
					action = tree.Update
				}
				fmt.Fprintf(g.stdout, "%-7s %s\n", action, c.Path)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; exit 1 when .circleci/config.yml is missing or stale")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the config when it was edited by hand")
	cmd.AddCommand(newCIPlan(g))
	return cmd
}

// checkAdvice is what ci --check says of a config that needs action, with
// the command that then succeeds: ci writes a missing or stale config,
// overwrites one edited by hand only with --force, and never overwrites
// a file pangeo-gen did not write (tree.Plan.Apply).
func checkAdvice(a tree.Action) string {
	switch a {
	case tree.Create:
		return "missing: run pangeo-gen ci"
	case tree.Edited:
		return "edited by hand: run pangeo-gen ci --force (it discards the edits; move them into hubs/ or pangeo-gen first)"
	case tree.Foreign:
		return "not written by pangeo-gen: move it away, then run pangeo-gen ci (ci never overwrites it, even with --force)"
	case tree.Linked:
		return "a symbolic link is on its path (pangeo-gen never writes through one): replace it with a folder or remove it, then run pangeo-gen ci"
	default:
		return "stale: run pangeo-gen ci"
	}
}
