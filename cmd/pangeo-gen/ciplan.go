package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/ci"
)

func newCIPlan(g *globals) *cobra.Command {
	var base, head string
	var format *choice
	cmd := &cobra.Command{
		Use:   "plan --base REV [--head REV] [--format yaml|json]",
		Short: "Name the hubs whose generated output differs between two revisions",
		Long: `plan decides which hubs a change affects by generating both revisions, not by
file-name rules: the hubs/, schema/ and cue.mod/ of each revision are taken out
with git archive into a temporary folder, loaded and generated, and each hub's
files (deployments/<hub>/..., plus deployments/chart/ when the hub uses the
generated chart and its rule of .sops.yaml for a sops hub) are compared, path,
bytes and mode. A change of a shared CUE file (hubs/templates.cue) affects
exactly the hubs whose output it changes; a README-only change affects none.

Each affected hub comes with the kinds of change: "image changed (tag A → B)",
"values changed: config/prod.yaml", "hubploy.yaml changed", "chart changed: ...",
"secret stubs changed: ...", "sops rule changed (.sops.yaml)", "README.md
changed", "new hub", or "hub removed" (listed, but nothing to build or deploy).

--base REV: when REV names a branch (main, origin/main, or a branch of origin),
the base is the merge base of that branch and the head (git merge-base); any
other revision is used as it is. In a shallow or partial clone, what is missing
is fetched from origin: the branch, then history with --deepen (50, then 500)
and finally --unshallow. If the base still cannot be resolved, or a revision's
federation does not load or generate, every hub is listed with the reason
(and a warning on stderr): unknown never means "nothing changed".

--head REV (default HEAD); --head . compares with the working tree, uncommitted
changes included.

The running pangeo-gen generates both revisions: a change of pangeo-gen's own
code between them is seen only as far as the running binary has it (it
applies to both sides alike). Run the head's pangeo-gen (go run ./cmd/pangeo-gen).

By default it prints the continuation config for CircleCI: one independent
vet → build → deploy chain per affected hub (removed hubs have nothing to
build), built from the checked-out federation. --format json prints a JSON
array of {"hub", "reasons"} sorted by hub; --format yaml the same list as YAML.`,
		Example: `  pangeo-gen ci plan --base origin/main > continuation.yml
  pangeo-gen ci plan --base main --head . --format json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if base == "" {
				return &usageError{fmt.Errorf("--base is required")}
			}
			root, err := g.findRoot()
			if err != nil {
				return err
			}
			affected, err := ci.Plan(cmd.Context(), ci.PlanOptions{Root: root, Base: base, Head: head, Log: g.stderr})
			if err != nil {
				return err
			}
			if affected == nil {
				affected = []ci.Affected{}
			}
			if format.String() == "json" {
				data, err := json.MarshalIndent(affected, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(g.stdout, "%s\n", data)
				return err
			}
			if format.String() == "yaml" {
				data, err := yaml.Marshal(affected)
				if err != nil {
					return err
				}
				_, err = g.stdout.Write(data)
				return err
			}
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings != nil {
				return g.report(fed.Root, "text", findings)
			}
			var build []ci.Affected
			for _, a := range affected {
				if !a.Removed() {
					build = append(build, a)
				}
			}
			data, err := ci.Continuation(fed, build, ci.ContinuationOptions{})
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(data)
			return err
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "the base revision or target branch (merge base with the head)")
	cmd.Flags().StringVar(&head, "head", "HEAD", "the head revision, or . for the working tree")
	format = formatFlag(cmd, "format", "", "config (the CircleCI continuation config), yaml or json", "config", "yaml", "json")
	return cmd
}
