package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/federation"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// listRow is one hub-env of `list`.
type listRow struct {
	Hub      string    `json:"hub"`
	Env      string    `json:"env"`
	Provider string    `json:"provider"`
	Cluster  string    `json:"cluster"`
	Region   string    `json:"region"`
	Domain   string    `json:"domain"`
	Image    string    `json:"image"`
	Chart    listChart `json:"chart"`
	Dask     string    `json:"dask"`
}

// listChart is the chart a hub is deployed with and its pins.
type listChart struct {
	Name string `json:"name"`
	// Version is a pulled chart's version ("" for the generated one).
	Version string `json:"version,omitempty"`
	// Generated is true for pangeo-deploy, the umbrella pangeo-gen writes.
	Generated   bool   `json:"generated"`
	JupyterHub  string `json:"jupyterhub"`
	DaskGateway string `json:"daskGateway"`
}

// String is the table's cell: name@version for a pulled chart; the
// generated chart with the versions it bundles.
func (c listChart) String() string {
	if c.Generated {
		return fmt.Sprintf("%s (generated): jupyterhub@%s, dask-gateway@%s", c.Name, c.JupyterHub, c.DaskGateway)
	}
	return c.Name + "@" + c.Version
}

func newList(g *globals) *cobra.Command {
	var format *choice
	cmd := &cobra.Command{
		Use:   "list [HUB...]",
		Short: "List every hub and environment: cloud, domain, image, chart and Dask backend",
		Long: `list prints one row per hub and environment: the hub, the env, the provider,
the cluster, its region (GCP location, AWS region, Azure location), the domain,
the image the notebook and its Dask workers run (repository:content-hash tag,
as gen writes it), the chart (pangeo-deploy, generated, with the jupyterhub
and dask-gateway versions it bundles, or a pulled chart's name@version) and
the Dask backend. --format table (aligned columns) or json (an array of
objects). Rows are sorted by hub, then staging before prod.`,
		Example: `  pangeo-gen list
  pangeo-gen list alpha --format json`,
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
			rows := []listRow{}
			for _, h := range fed.Hubs {
				if !selected[h.Name] {
					continue
				}
				out, err := gen.GenerateHub(h)
				if err != nil {
					// Say why as vet does (each conflicting raw value at
					// its position).
					if res := federation.GenerateHubs(fed, map[string]bool{h.Name: true}); len(res.Findings) > 0 {
						return g.report(fed.Root, "text", res.Findings)
					}
					return err
				}
				rows = append(rows, hubRows(h, out.Image.String())...)
			}
			if format.String() == "json" {
				data, err := json.MarshalIndent(rows, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s\n", data)
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "HUB\tENV\tPROVIDER\tCLUSTER\tREGION\tDOMAIN\tIMAGE\tCHART\tDASK")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Hub, r.Env, r.Provider, r.Cluster, r.Region, r.Domain, r.Image, r.Chart, r.Dask)
			}
			return tw.Flush()
		},
	}
	format = formatFlag(cmd, "format", "", "output format: table or json", "table", "json")
	return cmd
}

// hubRows are a hub's rows, one per environment.
func hubRows(h *hub.Hub, image string) []listRow {
	region := h.Cloud.Location
	if h.Cloud.Provider == "aws" {
		region = h.Cloud.Region
	}
	chart := listChart{
		Name:        h.Chart.Name,
		Generated:   h.Chart.Name == hub.GeneratedChart,
		JupyterHub:  h.Chart.JupyterHub.Version,
		DaskGateway: h.Chart.DaskGateway.Version,
	}
	if !chart.Generated {
		chart.Version = h.Chart.Version
	}
	var rows []listRow
	for _, env := range hub.EnvNames {
		rows = append(rows, listRow{
			Hub:      h.Name,
			Env:      env,
			Provider: h.Cloud.Provider,
			Cluster:  h.Cloud.Cluster,
			Region:   region,
			Domain:   h.Environments[env].Domain,
			Image:    image,
			Chart:    chart,
			Dask:     h.Dask.Backend,
		})
	}
	return rows
}
