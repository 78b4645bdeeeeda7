// Command pangeo-gen compiles a federation of Pangeo JupyterHubs, each one
// CUE file under hubs/, into the deployments/ tree that hubploy, repo2docker
// and Helm use, and checks it before a pull request.
//
// Exit codes: 0 ok, 1 findings or failure, 2 bad usage; for 'image exists'
// 0 present, 1 absent, 2 cannot tell (see its help).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the garbage collector's target (GOGC) a command runs with
// unless GOGC is set: a short-lived process whose heap is mostly Helm's and
// CUE's garbage spends 15-20% less CPU in render at 200 than at Go's 100,
// within render's memory budget (scripts/bench-render.sh prints the peak
// RSS against helm's); the commands that work on the whole federation,
// with no such budget, run at federationGCPercent.
const gcPercent = 200

// federationGCPercent is the GOGC of vet, gen and ci plan, which load and
// generate every hub (ci plan at two revisions) and vet renders every
// hub-env with the charts. Measured at 200 and at 400, alternated, 100
// hubs: BenchmarkVetPlacement (the real charts) 2.9/2.4 s wall, 5.4/4.4 s
// CPU at 200, 2.3/2.6 s, 4.3/4.7 s at 400; gen after one hub's edit,
// whole process, 0.90/1.00 s (1.13/1.27 s user) at 200, 0.90/0.95 s
// (1.05/1.13 s) at 400, peak RSS 195 MB against 200; ci plan, whole
// process, 1.07/1.13 s at 200, 0.99/0.96 s at 400, peak RSS 280-300 MB
// against 340-370; vet without charts 210-225 MB against 255-270.
const federationGCPercent = 400

// setGC sets the collector's target for the command cmd
// (gcPercentFor), unless the user set GOGC (which the runtime has read
// then). It runs before every command (the root's PersistentPreRun), so
// that the benchmarks, which call Main, measure what the binary does.
func setGC(cmd *cobra.Command) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		return
	}
	debug.SetGCPercent(gcPercentFor(cmd.CommandPath()))
}

// gcPercentFor is the collector's target of the command whose path (as
// cobra gives it: "pangeo-gen ci plan") is path: federationGCPercent for
// vet, gen and ci plan, gcPercent for the others.
func gcPercentFor(path string) int {
	switch path {
	case "pangeo-gen vet", "pangeo-gen gen", "pangeo-gen ci plan":
		return federationGCPercent
	}
	return gcPercent
}

// exitError carries an exit code; its message, if any, is already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError marks bad usage (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// codeError is a failure whose message is not yet printed and whose exit
// code is not 1 (diff's trouble is 2).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }

func (e *codeError) Unwrap() error { return e.err }

// Main runs the command line args and returns the exit code. An interrupt
// (Ctrl-C) or SIGTERM cancels the commands' context: they stop, remove
// their temporary folders and exit; a second one ends the process at once.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal has its default effect
	}()
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	msg := func(err error) {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "pangeo-gen: interrupted: %v\n", err)
			return
		}
		fmt.Fprintf(stderr, "pangeo-gen: %v\n", err)
	}
	var exit *exitError
	var usage *usageError
	var coded *codeError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "pangeo-gen: %v\n", usage.err)
		fmt.Fprintf(stderr, "run 'pangeo-gen --help' for usage\n")
		return 2
	case errors.As(err, &coded):
		msg(coded.err)
		return coded.code
	default:
		msg(err)
		return 1
	}
}

// isTerminal reports whether w is a terminal (progress lines are written
// only to one). A variable so that the tests can make stderr one.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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
Every command is listed below; 'pangeo-gen help COMMAND' tells more.

Exit codes: 0 ok, 1 findings or failure, 2 bad usage ('image exists' and
'diff' say what theirs mean).`,
		Example: `  pangeo-gen vet                      # check everything before a pull request
  pangeo-gen gen                      # write the deployments/ tree
  pangeo-gen render alpha --env prod  # the Kubernetes objects to apply
  source <(pangeo-gen completion bash)`,
		Args:             subcommandArgs,
		RunE:             func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		PersistentPreRun: func(cmd *cobra.Command, args []string) { setGC(cmd) },
		SilenceUsage:     true,
		SilenceErrors:    true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.root, "root", "", "repository root (default: the nearest folder up from here holding cue.mod)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// A choice flag's own message ("--format must be text or json,
		// not "xml"") rather than pflag's wrapping of it.
		var bad *choiceError
		if errors.As(err, &bad) {
			return &usageError{bad}
		}
		return &usageError{err}
	})
	root.AddCommand(newVet(g), newGen(g), newImage(g), newRender(g), newCharts(g), newNew(g), newList(g), newCI(g), newDiff(g), newImport(g), newVersion(g))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	addBuiltinExamples(root)
	return root
}

// subcommandArgs is the argument check of a command that groups others
// (pangeo-gen, charts, image, ci): no argument but a known subcommand, so
// that a mistyped one is bad usage (exit 2) rather than a help text and
// exit 0.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += " (did you mean " + strings.Join(s, ", ") + "?)"
	}
	return &usageError{errors.New(msg)}
}

// addBuiltinExamples gives cobra's own help and completion commands the
// Example every command of pangeo-gen has.
func addBuiltinExamples(root *cobra.Command) {
	examples := map[string]string{
		"help":                  "  pangeo-gen help render",
		"completion":            "  source <(pangeo-gen completion bash)",
		"completion bash":       "  source <(pangeo-gen completion bash)\n  pangeo-gen completion bash > /etc/bash_completion.d/pangeo-gen",
		"completion zsh":        "  pangeo-gen completion zsh > \"${fpath[1]}/_pangeo-gen\"",
		"completion fish":       "  pangeo-gen completion fish > ~/.config/fish/completions/pangeo-gen.fish",
		"completion powershell": "  pangeo-gen completion powershell | Out-String | Invoke-Expression",
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if e, ok := examples[path]; ok && c.Example == "" {
			c.Example = e
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
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
