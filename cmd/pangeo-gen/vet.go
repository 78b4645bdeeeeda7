package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
	"github.com/pangeo-data/pangeo-gen/internal/vet"
)

func newVet(g *globals) *cobra.Command {
	var format, helm *choice
	var noCache bool
	cmd := &cobra.Command{
		Use:   "vet [HUB...]",
		Short: "Check hubs, their generated tree and the repository for problems",
		Long: `vet loads and unifies every hub with the schema and reports every problem, each
with file:line:col and CUE path: schema errors, duplicate domains, raw values that
contradict typed ones, a Dask worker image that differs from the notebook image,
a dask-gateway client that does not match the chart, plaintext secrets, requests
that do not fit the node pools, pods that cannot run on their node pool or can
run on one they must not (user servers on core or dask, Dask workers off dask,
core pods on spot nodes), and a deployments/ tree that is not what gen would
write. Once a hub's charts are vendored or cached (charts pull, charts
vendor), each of its environments' values is checked against the charts'
values.schema.json files, offline, and the charts' own pods (hub, proxy,
gateway...) are placed too, each hub's with the Helm major its helm field
chooses (--helm v3|v4 for every hub); a hub whose charts are not gets a note
on stderr instead. Exit 1 when there are findings.

What the check of a hub-env against its charts finds (the schemas'
problems, the charts' pods) is kept in the result cache, as the go command
keeps test results: $PANGEO_GEN_RESULT_CACHE, or pangeo-gen/results in the
user's cache folder. An entry is found by the hash of the pangeo-gen binary
(its Go build ID) and of everything the check reads (the charts' content,
the Helm major, the hub's model and generated files), so a hub that did not
change since the last vet is not rendered again, and any change of it, of
its charts or of pangeo-gen misses. Entries unused for 5 days are removed.
--no-cache checks every hub-env afresh and keeps nothing;
PANGEO_GEN_RESULT_CACHE=off turns the cache off everywhere.`,
		Example: `  pangeo-gen vet
  pangeo-gen vet alpha bravo
  pangeo-gen vet --format json > findings.json`,
		ValidArgsFunction: g.completeHubs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fed, findings, err := g.loadFederation()
			if err != nil {
				return err
			}
			if findings == nil {
				opts := vet.Options{Helm: helm.String()}
				if !noCache {
					// Without a cache (no cache folder, a binary without
					// a build ID) every hub-env is checked afresh.
					opts.Cache, _ = resultcache.Open()
				}
				res, err := vet.RunWith(fed, args, opts)
				if err != nil {
					return err
				}
				if opts.Cache != nil {
					opts.Cache.Trim() // best effort, as the cache is
				}
				findings = res.Findings
				for _, n := range res.Notes {
					fmt.Fprintf(g.stderr, "note: %s\n", n)
				}
			}
			return g.report(fed.Root, format.String(), findings)
		},
	}
	format = formatFlag(cmd, "format", "", "output format: text or json (for CI annotations)", "text", "json")
	helm = helmFlag(cmd)
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "check every hub-env against its charts afresh, without the result cache")
	return cmd
}
