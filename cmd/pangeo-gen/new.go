package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/scaffold"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
	"github.com/pangeo-data/pangeo-gen/internal/vet"
)

func newNew(g *globals) *cobra.Command {
	var from, provider, imageFrom string
	cmd := &cobra.Command{
		Use:   "new HUB",
		Short: "Add a hub: write hubs/<hub>.cue (from another hub, or a starter) and generate it",
		Long: `new writes hubs/<HUB>.cue, then generates deployments/<HUB>/ as gen does.

With --from, the new hub embeds the same template as the other hub (for
example #PangeoHub) and states what must differ: new domains, a cluster and an
image repository of its own, and the required fields the template does not
give (copied). Without --from it is a commented starter hub for --provider
(gcp, aws or azure), embedding #PangeoHub when the hubs package defines it.
Every value to replace carries a TODO(operator) comment; the file vets clean
as written.

--image-from GIT_URL[@REF] starts the hub's image from a repository (a local
path or any URL git clones; REF is a branch, tag or commit): its
repo2docker files (binder/environment.yml, apt.txt, postBuild, start,
Dockerfile, requirements.txt, runtime.txt) become the image section, its
other text files image.files (without .git and .gitignore), its README marked
for the operator to adapt.

new refuses a name that is not a hub name (schema #Name) or is taken, and
writes nothing then. If the new file would not vet clean, it is removed
again and the problems are printed.`,
		Example: `  pangeo-gen new charlie --from alpha
  pangeo-gen new delta --provider aws
  pangeo-gen new echo --from alpha --image-from https://github.com/pangeo-data/pangeo-tutorial@main`,
		ValidArgsFunction: cobra.NoFileCompletions,
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("provider") {
				if from != "" {
					return &usageError{fmt.Errorf("--provider is for a starter hub: with --from the new hub is on %s's cloud", from)}
				}
				if !slices.Contains(scaffold.Providers, provider) {
					return &usageError{fmt.Errorf("--provider must be one of %s, not %q", strings.Join(scaffold.Providers, ", "), provider)}
				}
			}
			if cmd.Flags().Changed("from") && from == "" {
				return &usageError{errors.New("--from needs a hub name")}
			}
			if cmd.Flags().Changed("image-from") && imageFrom == "" {
				return &usageError{errors.New("--image-from needs a repository")}
			}
			return g.newHub(cmd, scaffold.Options{
				Name:     args[0],
				From:     from,
				Provider: provider,
				Command:  newCommandLine(args[0], from, provider, cmd.Flags().Changed("provider"), imageFrom),
			}, imageFrom)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "copy this hub's template and shape")
	cmd.Flags().StringVar(&provider, "provider", scaffold.Providers[0], "cloud of a starter hub: "+strings.Join(scaffold.Providers, ", "))
	cmd.Flags().StringVar(&imageFrom, "image-from", "", "start the image from this git repository's binder/ files: GIT_URL[@REF]")
	g.completeHubFlag(cmd, "from")
	completeValues(cmd, "provider", scaffold.Providers...)
	return cmd
}

// newCommandLine is the command as the new file quotes it.
func newCommandLine(name, from, provider string, providerSet bool, imageFrom string) string {
	parts := []string{"pangeo-gen", "new", name}
	if from != "" {
		parts = append(parts, "--from", from)
	}
	if providerSet {
		parts = append(parts, "--provider", provider)
	}
	if imageFrom != "" {
		parts = append(parts, "--image-from", imageFrom)
	}
	return strings.Join(parts, " ")
}

func (g *globals) newHub(cmd *cobra.Command, opts scaffold.Options, imageFrom string) error {
	fed, findings, err := g.loadFederation()
	if err != nil {
		return err
	}
	if findings != nil {
		fmt.Fprintf(g.stderr, "pangeo-gen: the federation does not load; fix it before adding a hub:\n")
		return g.report(fed.Root, "text", findings)
	}
	env, err := hubfile.Open(fed.Root)
	if err != nil {
		return err
	}
	if err := env.CheckName(opts.Name); err != nil {
		return err
	}
	if err := env.CheckFree(opts.Name); err != nil {
		return err
	}
	if opts.From != "" {
		if _, err := fed.Lookup(opts.From); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	if imageFrom != "" {
		url, ref := scaffold.ParseImageFrom(imageFrom)
		repo, err := scaffold.Clone(cmd.Context(), url, ref)
		if err != nil {
			return fmt.Errorf("--image-from: %w", err)
		}
		defer repo.Close()
		opts.Image = repo
	}
	res, err := scaffold.New(env, opts)
	if err != nil {
		return err
	}

	// The new file must not add a problem: compare vet before and after
	// (the tree of the new hub is not generated yet: "generated" findings
	// do not count).
	before, err := vet.Run(fed, nil)
	if err != nil {
		return err
	}
	if err := tree.WriteFile(fed.Root, res.Path, 0o644, res.Data); err != nil {
		return err
	}
	abs := filepath.Join(fed.Root, filepath.FromSlash(res.Path))
	undo := func() {
		if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(g.stderr, "pangeo-gen: remove %s: %v\n", res.Path, err)
		}
	}
	fed2, findings, err := g.loadFederation()
	if err != nil {
		undo()
		return err
	}
	if findings == nil {
		after, err := vet.Run(fed2, nil)
		if err != nil {
			undo()
			return err
		}
		findings = newFindings(before.Findings, after.Findings)
	}
	if len(findings) > 0 {
		fmt.Fprintf(g.stderr, "pangeo-gen: %s as written does not vet clean; it is removed again, nothing is left behind:\n", res.Path)
		err := g.report(fed2.Root, "text", findings)
		undo()
		return err
	}
	fmt.Fprintf(g.stdout, "%-7s %s\n", tree.Create, res.Path)
	if err := g.generate(fed2, []string{opts.Name}, false, false); err != nil {
		undo()
		fmt.Fprintf(g.stderr, "pangeo-gen: gen %s failed; %s is removed again\n", opts.Name, res.Path)
		return err
	}
	for _, n := range res.Notes {
		if !strings.HasPrefix(n, "TODO(operator)") {
			n = "note: " + n
		}
		fmt.Fprintln(g.stdout, n)
	}
	return g.nextSteps(cmd, fed2.Hub(opts.Name), res)
}

// newFindings are the findings of after that before did not have, except
// that the new hub's tree is not generated yet.
func newFindings(before, after []*finding.Finding) []*finding.Finding {
	key := func(f *finding.Finding) string {
		return f.Check + "\x00" + f.Hub + "\x00" + strings.Join(f.Path(), ".") + "\x00" + f.Error()
	}
	seen := map[string]bool{}
	for _, f := range before {
		seen[key(f)] = true
	}
	var out []*finding.Finding
	for _, f := range after {
		if f.Check == "generated" || seen[key(f)] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// nextSteps prints what the operator does next.
func (g *globals) nextSteps(cmd *cobra.Command, h *hub.Hub, res *scaffold.Result) error {
	if h == nil {
		return nil
	}
	secrets, err := gen.SecretFiles(h)
	if err != nil {
		return err
	}
	var secretPaths []string
	for _, f := range secrets {
		if f.Stub {
			secretPaths = append(secretPaths, f.Path)
		}
	}
	dir := gen.HubDir(h.Name)
	w := func(format string, args ...any) { fmt.Fprintf(g.stdout, format, args...) }
	n := 0
	step := func(format string, args ...any) {
		n++
		w("  %d. ", n)
		w(format, args...)
		w("\n")
	}
	w("\nNext steps for %s:\n", h.Name)
	step("Fill in %s: each TODO(operator) marks a value to replace (title, domains, cloud, image); run `pangeo-gen gen %s` after each edit.", res.Path, h.Name)
	step("Fill the secrets: %s (`openssl rand -hex 32` for the tokens; the OAuth app's client id and secret; the deployer's cloud credentials).", strings.Join(secretPaths, ", "))
	switch h.Secrets.Backend {
	case "sops":
		step("Encrypt them: `sops --encrypt --in-place FILE` for each (the rule for %s/secrets/ is in .sops.yaml).", dir)
	default:
		step("Encrypt them: git-crypt (`git-crypt init` once for the repository, or unlock it; %s/.gitattributes routes secrets/** through the filter, so commit encrypts them).", dir)
	}
	step("Check the federation: `pangeo-gen vet`.")
	step("Regenerate the pipeline: `pangeo-gen ci` (its CI job plans, builds and deploys only the hubs whose output changed).")
	step("Commit %s and %s/, and open a pull request.", res.Path, dir)
	return nil
}
