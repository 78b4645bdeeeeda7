package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// hubNames are the names of the federation's hubs for shell completion,
// sorted: every hub the hubs/ files declare, even when the federation does
// not load (vet HUB is how one finds out why); none when there is no
// repository or its CUE cannot be read at all.
func (g *globals) hubNames() []string {
	fed := g.completionFederation()
	if fed == nil {
		return nil
	}
	return fed.Labels()
}

// completionFederation is the federation as far as it loads, for shell
// completion; nil when there is no repository or its CUE cannot be read.
func (g *globals) completionFederation() *load.Federation {
	root, err := g.findRoot()
	if err != nil {
		return nil
	}
	fed, _ := load.Load(root)
	return fed
}

// completeHub completes the one HUB argument of a command.
func (g *globals) completeHub(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return prefixed(g.hubNames(), toComplete, nil), cobra.ShellCompDirectiveNoFileComp
}

// completeHubs completes the HUB... arguments of a command: the hubs not
// yet named.
func (g *globals) completeHubs(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return prefixed(g.hubNames(), toComplete, args), cobra.ShellCompDirectiveNoFileComp
}

// completeHubFlag makes flag name of cmd complete with the hubs' names.
func (g *globals) completeHubFlag(cmd *cobra.Command, name string) {
	_ = cmd.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return prefixed(g.hubNames(), toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	})
}

// clusterNames are the names of the federation's clusters for shell
// completion, sorted (gen.ClusterNames); none when the federation does not
// load.
func (g *globals) clusterNames() []string {
	fed := g.completionFederation()
	if fed == nil {
		return nil
	}
	return gen.ClusterNames(fed.Hubs)
}

// completeClusterFlag makes flag name of cmd complete with the clusters'
// names.
func (g *globals) completeClusterFlag(cmd *cobra.Command, name string) {
	_ = cmd.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return prefixed(g.clusterNames(), toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	})
}

// completeEnv makes --env of cmd complete with the environments every hub
// has.
func completeEnv(cmd *cobra.Command) {
	completeValues(cmd, "env", hub.EnvNames...)
}

// prefixed are the names that start with prefix, less those in skip.
func prefixed(names []string, prefix string, skip []string) []cobra.Completion {
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !slices.Contains(skip, n) {
			out = append(out, n)
		}
	}
	return out
}
