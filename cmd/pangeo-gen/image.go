package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

func newImage(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Show a hub's notebook image (which its Dask workers run too)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "tag HUB",
		Short: "Print the tag of a hub's image: a content hash of its build context",
		Long: `tag prints the content hash of deployments/<hub>/image/ as gen generates it
(every file's path, mode and bytes): the same content gives the same tag on any
machine and any git history. For a prebuilt image it prints that image's tag.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := g.imageRef(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, ref.Tag)
			return nil
		},
	}, &cobra.Command{
		Use:   "ref HUB",
		Short: "Print the full reference of a hub's image: repository:tag",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := g.imageRef(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, ref)
			return nil
		},
	})
	return cmd
}

// imageRef loads the federation and computes one hub's image reference.
func (g *globals) imageRef(name string) (gen.ImageRef, error) {
	fed, findings, err := g.loadFederation()
	if err != nil {
		return gen.ImageRef{}, err
	}
	if findings != nil {
		return gen.ImageRef{}, g.report(fed.Root, "text", findings)
	}
	h := fed.Hub(name)
	if h == nil {
		return gen.ImageRef{}, fmt.Errorf("no hub named %q (hubs: %s)", name, strings.Join(fed.Names(), ", "))
	}
	return imageOf(h)
}

func imageOf(h *hub.Hub) (gen.ImageRef, error) {
	files, err := gen.ImageFiles(h)
	if err != nil {
		return gen.ImageRef{}, fmt.Errorf("image %s: %w", h.Name, err)
	}
	return gen.NotebookImage(h, files), nil
}
