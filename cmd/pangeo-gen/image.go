package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/registry"
	"github.com/pangeo-data/pangeo-gen/internal/vet"
)

func newImage(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Show a hub's notebook image (which its Dask workers run too)",
		Example: `  pangeo-gen image tag alpha
  pangeo-gen image exists alpha || repo2docker ... --image-name "$(pangeo-gen image ref alpha)"`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "tag HUB",
		Short: "Print the tag of a hub's image: a content hash of its build context",
		Long: `tag prints the content hash of deployments/<hub>/image/ as gen generates it
(every file's path, mode and bytes): the same content gives the same tag on any
machine and any git history. For a prebuilt image it prints that image's tag.

When deployments/<hub>/image/ exists it must be exactly what gen generates: a
file gen did not write, a missing, stale or edited file, or a symlink there is
named and the command exits 1 (image exists: 2), so that nothing builds that
folder under the tag. image ref checks the same.`,
		Example:           `  pangeo-gen image tag alpha`,
		ValidArgsFunction: g.completeHub,
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := g.imageRef(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, ref.Tag)
			return nil
		},
	}, &cobra.Command{
		Use:               "ref HUB",
		Short:             "Print the full reference of a hub's image: repository:tag",
		Example:           `  docker pull "$(pangeo-gen image ref alpha)"`,
		ValidArgsFunction: g.completeHub,
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := g.imageRef(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, ref)
			return nil
		},
	}, &cobra.Command{
		Use:   "exists HUB",
		Short: "Ask the registry whether a hub's image is there: exit 0 yes, 1 no, 2 cannot tell",
		Long: `exists asks the image's registry (a HEAD of the manifest of 'image ref HUB', the
prebuilt reference for a prebuilt image) whether it holds the hub's image, with the
credentials of docker's config.json and its credential helpers (gcloud, ECR, ACR).
Transient failures (unreachable, 5xx, 429, timeouts) are tried again, four tries in all.

Exit codes, unlike the other verbs:
  0  the image is there (its reference is printed)
  1  the registry says it is not (404, MANIFEST_UNKNOWN, NAME_UNKNOWN)
  2  cannot tell: access refused, registry unreachable or failing, an unknown hub,
     a federation that does not load, or bad usage

1 means absent and nothing else, so a script may build on 1 and must stop on 2.`,
		Example:           `  pangeo-gen image exists alpha; case $? in 0) ;; 1) echo build it ;; *) exit 2 ;; esac`,
		ValidArgsFunction: g.completeHub,
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.imageExists(cmd.Context(), args[0])
		},
	})
	return cmd
}

// existsOptions tune the registry lookups of 'image exists' (tests
// shorten the retry delays).
var existsOptions registry.Options

// imageExists runs 'image exists HUB': anything that stops an answer is
// exit 2, so that 1 means only "absent".
func (g *globals) imageExists(ctx context.Context, hubName string) error {
	ref, err := g.imageRef(hubName)
	if err != nil {
		var exit *exitError
		if !errors.As(err, &exit) {
			fmt.Fprintf(g.stderr, "pangeo-gen: %v\n", err)
		}
		return &exitError{2}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ok, err := registry.Exists(ctx, ref.String(), existsOptions)
	switch {
	case err != nil:
		fmt.Fprintf(g.stderr, "pangeo-gen: %v\n", err)
		return &exitError{2}
	case !ok:
		fmt.Fprintf(g.stderr, "pangeo-gen: image %s is not in its registry\n", ref)
		return &exitError{1}
	}
	fmt.Fprintln(g.stdout, ref)
	return nil
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
	h, err := fed.Lookup(name)
	if err != nil {
		return gen.ImageRef{}, err
	}
	files, err := gen.ImageFiles(h)
	if err != nil {
		return gen.ImageRef{}, fmt.Errorf("image %s: %w", h.Name, err)
	}
	// The tag names gen's build context: refuse it for a folder on disk
	// that a build would turn into another image.
	diffs, err := vet.ImageContext(fed.Root, h, files)
	if err != nil {
		return gen.ImageRef{}, err
	}
	if len(diffs) > 0 {
		lines := make([]string, len(diffs))
		for i, d := range diffs {
			lines[i] = "\n  " + d.String()
		}
		return gen.ImageRef{}, fmt.Errorf("image %s: %s/ is not the build context pangeo-gen generates, so a build of it would not be the image its tag names:%s", h.Name, path.Join(gen.HubDir(h.Name), "image"), strings.Join(lines, ""))
	}
	return gen.NotebookImage(h, files), nil
}
