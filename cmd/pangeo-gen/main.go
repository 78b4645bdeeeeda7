// Command pangeo-gen compiles a federation of Pangeo JupyterHubs, each one
// CUE file under hubs/, into the deployments/ tree that hubploy, repo2docker
// and Helm use, and checks it before a pull request.
//
// Exit codes: 0 ok, 1 findings or failure, 2 bad usage; for 'image exists'
// 0 present, 1 absent, 2 cannot tell (see its help).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }

// exitError carries an exit code; its message, if any, is already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError marks bad usage (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// Main runs the command line args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	var exit *exitError
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "pangeo-gen: %v\n", usage.err)
		fmt.Fprintf(stderr, "run 'pangeo-gen --help' for usage\n")
		return 2
	default:
		fmt.Fprintf(stderr, "pangeo-gen: %v\n", err)
		return 1
	}
}

// globals are the flags every verb shares.
type globals struct {
	root   string
	stdout io.Writer
	stderr io.Writer
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "pangeo-gen",
		Short: "Generate and check a federation of Pangeo JupyterHubs from CUE",
		Long: `pangeo-gen compiles hubs/*.cue (unified with schema/) into deployments/<hub>/:
Helm values, hubploy.yaml, the repo2docker image folder, secret stubs and a README.

  pangeo-gen vet            check everything before a pull request
  pangeo-gen gen            write the deployments/ tree
  pangeo-gen image tag HUB  print the content-hash tag of a hub's image
  pangeo-gen render HUB     render a hub-env into the Kubernetes objects to apply
  pangeo-gen charts pull    fill the chart cache (charts vendor: vendor/charts)
  pangeo-gen import DIR     migrate a hand-kept hubploy hub into hubs/<hub>.cue`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.root, "root", "", "repository root (default: the nearest folder up from here holding cue.mod)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newVet(g), newGen(g), newImage(g), newRender(g), newCharts(g), newNew(g), newList(g), newCI(g), newDiff(g), newImport(g))
	return root
}

// usageArgs wraps a cobra argument validator so that its failure exits 2.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
