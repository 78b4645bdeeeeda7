package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/buildinfo"
)

func newVersion(g *globals) *cobra.Command {
	var output *choice
	cmd := &cobra.Command{
		Use:   "version [-o json]",
		Short: "Print pangeo-gen's version and the revision it was built from",
		Long: `version prints the module version of the running pangeo-gen (a tag or
pseudo-version when installed with go install ...@version, "(devel)" when
built in a checkout), the VCS revision, its time and whether the working
tree was modified when the go command stamped them, and the Go version.
-o json prints them as an object: version, revision, time, modified, go.`,
		Example: `  pangeo-gen version
  pangeo-gen version -o json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			info := buildinfo.Read()
			if output.String() == "json" {
				data, err := json.MarshalIndent(info, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(g.stdout, "%s\n", data)
				return err
			}
			_, err := fmt.Fprintf(g.stdout, "pangeo-gen %s\n", info)
			return err
		},
	}
	output = formatFlag(cmd, "output", "o", "output format: text or json", "text", "json")
	return cmd
}
