package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/ci"
	"github.com/pangeo-data/pangeo-gen/internal/ciplan"
	"github.com/pangeo-data/pangeo-gen/internal/finding"
)

func newCIPlan(g *globals) *cobra.Command {
	var base, head string
	var format *choice
	cmd := &cobra.Command{
		Use:   "plan --base REV [--head REV] [--format yaml|json]",
		Short: "Name the hubs and clusters whose generated output differs between two revisions",
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

--base REV: when REV is a plain branch name (main, origin/main: what git
check-ref-format --branch accepts, without ~ ^ : @{ .. or HEAD) of a local
branch, a remote-tracking branch or a branch of origin, the base is the merge
base of that branch and the head (git merge-base). Any other revision (HEAD,
HEAD~1, main^, a tag, a commit id) is used as it is: --base HEAD~1 is the
head's parent, never origin's. In a shallow or partial clone, what is missing
is fetched from origin: the branch or tag (a commit id: that commit), then
history with --deepen (50, then 500) and finally --unshallow. If the base still cannot be resolved, or a revision's
federation does not load or generate, every hub is listed with the reason
(and a warning on stderr): unknown never means "nothing changed".

--head REV (default HEAD); --head . compares with the working tree, uncommitted
changes included.

The running pangeo-gen generates both revisions: a change of pangeo-gen's own
code between them is seen only as far as the running binary has it (it
applies to both sides alike). Run the head's pangeo-gen (go run ./cmd/pangeo-gen).

By default it prints the continuation config for CircleCI: one independent
vet → build → deploy chain per affected hub (removed hubs have nothing to
build), built from the checked-out federation: the head that plan loaded, when
the working tree holds the head's cue.mod/, schema/ and hubs/ byte for byte and
no *.cue at its root, as in a CI job; otherwise the working tree, loaded again.
When that does not load, each hub listed gets a vet job alone, which prints
why the hub is listed, runs pangeo-gen vet (file:line:col of each problem) and
fails; the problems are also printed on stderr, with a warning.

Clusters: each cluster's generated definition (clusters/<cluster>/...) is
compared too. A changed cluster is listed with its provider and reasons
("definition changed: main.tf", "new cluster", "cluster removed"); the
continuation config validates it with one job, validate-cluster-<cluster>,
that never applies it (terraform init -backend=false and terraform validate
for GKE and AKS; the ClusterConfig checked against the pinned eksctl's
schema for EKS, no AWS credentials). Applying a cluster change is the
operator's decision. A cluster change does not make its hubs deploy: a hub
is listed only when its own files change.

--format json prints {"hubs": [{"hub", "reasons"}...], "clusters":
[{"cluster", "provider", "reasons"}...]}, each list sorted by name (empty
lists when nothing changed); --format yaml the same as YAML.`,
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
			res, err := ciplan.Plan(cmd.Context(), ciplan.PlanOptions{Root: root, Base: base, Head: head, Log: g.stderr})
			if err != nil {
				return err
			}
			if res.Hubs == nil {
				res.Hubs = []ci.Affected{}
			}
			if res.Clusters == nil {
				res.Clusters = []ci.AffectedCluster{}
			}
			affected := res.Hubs
			if format.String() == "json" {
				data, err := json.MarshalIndent(res, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(g.stdout, "%s\n", data)
				return err
			}
			if format.String() == "yaml" {
				data, err := yaml.Marshal(res)
				if err != nil {
					return err
				}
				_, err = g.stdout.Write(data)
				return err
			}
			// The checked-out federation: the head Plan loaded when it
			// is the working tree's (a CI job checks out the head), or
			// the working tree loaded here.
			fed := res.Checkout
			var findings []*finding.Finding
			if fed == nil {
				if fed, findings, err = g.loadFederation(); err != nil {
					return err
				}
			}
			var build []ci.Affected
			if findings != nil {
				// The checked-out federation does not load: every hub
				// listed gets a vet job that shows the problems and
				// fails (ci.Continuation with no federation).
				finding.Print(g.stderr, fed.Root, findings)
				fmt.Fprintf(g.stderr, "ci plan: warning: the checked-out federation does not load (%s): each hub listed gets a vet job only, which fails\n", finding.Summary(findings))
				build, fed = affected, nil
			} else {
				for _, a := range affected {
					switch {
					case a.Removed():
					case fed.Hub(a.Hub) == nil:
						fmt.Fprintf(g.stderr, "ci plan: %s is not in the checked-out federation: nothing to build or deploy\n", a.Hub)
					default:
						build = append(build, a)
					}
				}
			}
			// Clusters to validate: not removed ones, and none when the
			// checked-out federation does not load (its hubs' vet jobs
			// fail and say why; what clusters/ holds is then unknown).
			var clusters []ci.AffectedCluster
			for _, c := range res.Clusters {
				if fed != nil && !c.Removed() {
					clusters = append(clusters, c)
				}
			}
			data, err := ci.Continuation(fed, build, clusters, ci.ContinuationOptions{})
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(data)
			return err
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "the base revision (as it is), or a branch name (its merge base with the head)")
	cmd.Flags().StringVar(&head, "head", "HEAD", "the head revision, or . for the working tree")
	format = formatFlag(cmd, "format", "", "config (the CircleCI continuation config), yaml or json", "config", "yaml", "json")
	return cmd
}
