package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/git"
	"github.com/pangeo-data/pangeo-gen/internal/hubdiff"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

// worktreeLabel names the working tree in diff headers.
const worktreeLabel = "working tree"

func newDiff(g *globals) *cobra.Command {
	var (
		req     release.Request
		against string
		values  bool
		offline bool
		helm    *choice
		run     func(cmd *cobra.Command, args []string) error
	)
	cmd := &cobra.Command{
		Use:   "diff HUB",
		Short: "Show what the working tree changes in a hub's rendered objects (or values) against a revision",
		Long: `diff renders a hub-env (as render does) from the working tree and from a
revision, and prints a unified diff per object that differs, headed
"--- REV kind/namespace/name" and "+++ working tree kind/namespace/name"
(kind/name for a cluster-scoped object), ordered by kind as render orders
them, then by name; an object on one side only is all removed or added.
The data and stringData values of Secrets are masked: "<masked sha256:H>",
H the first 8 hex digits of the value's SHA-256, so a change still shows.
--values diffs the layered values (as YAML) instead, the secrets masked.

REV (--against) is a revision; a branch means its merge base with HEAD, as
for ci plan --base. The default is main, that is, the merge base with main.
Its cue.mod/, schema/ and hubs/ are taken with git archive; a hub that does
not exist there shows as all added. Both sides use the same chart (--chart
relative to the current folder, or each side's pin), the working tree's
chart cache and vendor/charts, and the same secrets: the working tree's
secrets file, --secrets, or --placeholder-secrets. Each side loads the hub
alone, as render does (the federation-wide checks are vet's), and renders with
the Helm major its hub's helm field chooses, or both with --helm v3|v4.

Exit codes as diff(1)'s: 0 nothing changed, 1 something changed, 2 trouble
(bad usage, a hub that does not load, an unknown hub or revision, a
render that fails, an interrupt).`,
		Example: `  pangeo-gen diff alpha
  pangeo-gen diff alpha --env prod --against origin/main --values`,
		ValidArgsFunction: g.completeHub,
		Args:              usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return diffExit(run(cmd, args))
		},
	}
	run = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		name := args[0]
		// The hub alone on each side, as render loads it.
		fed, findings, err := g.loadHub(name)
		if err != nil {
			return err
		}
		if findings != nil {
			return g.report(fed.Root, "text", findings)
		}
		req.Helm = helm.String()
		if _, err := release.HubEnv(fed, name, req.Env); err != nil {
			return err
		}
		if req.Cache, err = release.NewCache(fed.Root, offline); err != nil {
			return err
		}
		if req.Chart, err = localChart(req.Chart); err != nil {
			return err
		}
		if req.Secrets != "" {
			if req.Secrets, err = filepath.Abs(req.Secrets); err != nil {
				return err
			}
		}
		rev := against
		if rev == "" {
			rev = "main"
		}
		repo, err := git.Open(ctx, fed.Root)
		if err != nil {
			return fmt.Errorf("--against %s: %w", rev, err)
		}
		commit, err := repo.ResolveBase(ctx, rev, "HEAD", func(line string) {
			fmt.Fprintf(g.stderr, "diff: %s\n", line)
		})
		if err != nil {
			return fmt.Errorf("--against %s: %w", rev, err)
		}
		tmp, err := os.MkdirTemp("", "pangeo-gen-diff-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		baseFed, err := revFederation(ctx, repo, commit, tmp, name)
		if err != nil {
			return fmt.Errorf("%s: %w", rev, err)
		}
		label := rev
		if against == "" {
			label = fmt.Sprintf("main (merge base %.12s)", commit)
		}
		// The revision side reads the working tree's secrets.
		baseReq := req
		baseReq.Fed = baseFed
		if baseReq.Secrets == "" && !baseReq.PlaceholderSecrets {
			baseReq.Secrets = filepath.Join(fed.Root, filepath.FromSlash(release.SecretsPath(name, req.Env)))
		}
		req.Fed, req.Hub, baseReq.Hub = fed, name, name
		var text string
		if values {
			var a, b map[string]any
			if a, err = maskedValues(ctx, baseReq); err != nil {
				return fmt.Errorf("%s: %w", rev, err)
			}
			if b, err = maskedValues(ctx, req); err != nil {
				return err
			}
			text, err = hubdiff.Values(label+" values", worktreeLabel+" values", a, b)
		} else {
			var a, b []byte
			if present(baseFed, name, req.Env) {
				if a, err = release.Render(ctx, baseReq); err != nil {
					return fmt.Errorf("%s: %w", rev, err)
				}
			}
			if b, err = release.Render(ctx, req); err != nil {
				return err
			}
			text, err = hubdiff.Streams(label, worktreeLabel, a, b)
		}
		if err != nil {
			return err
		}
		if text == "" {
			return nil
		}
		if _, err := fmt.Fprint(g.stdout, text); err != nil {
			return err
		}
		return errChanged
	}
	f := cmd.Flags()
	f.StringVar(&req.Env, "env", "staging", "environment: staging or prod")
	f.StringVar(&against, "against", "", "the revision to compare with; a branch means its merge base with HEAD (default: the merge base with main)")
	f.BoolVar(&values, "values", false, "diff the layered values instead of the rendered objects")
	f.StringVar(&req.Chart, "chart", "", "chart to render both sides with instead of the hub's pin: a folder, a .tgz, an https repository URL, or oci://host/path/name[:version]")
	f.StringVar(&req.Secrets, "secrets", "", "file of secret values to use on both sides instead of the working tree's deployments/<hub>/secrets/<env>.yaml")
	f.BoolVar(&req.PlaceholderSecrets, "placeholder-secrets", false, "fill unfilled secret stubs with fake, deterministic values on both sides")
	f.BoolVar(&offline, "offline", false, "use only vendored and cached charts")
	helm = helmFlag(cmd)
	completeEnv(cmd)
	return cmd
}

// errChanged is diff's "something changed": exit 1, the diff printed.
var errChanged = &exitError{1}

// diffExit maps the outcome of diff to diff(1)'s exit codes: nil (0) and
// errChanged (1) as they are, any other failure to 2, bad usage included;
// findings are already printed, other errors are printed by Main.
func diffExit(err error) error {
	var exit *exitError
	var usage *usageError
	switch {
	case err == nil, err == errChanged, errors.As(err, &usage):
		return err
	case errors.As(err, &exit):
		return &exitError{2}
	default:
		return &codeError{2, err}
	}
}

// localChart makes a --chart folder or file absolute, so that both sides
// read the same one.
func localChart(source string) (string, error) {
	if source == "" || strings.Contains(source, "://") {
		return source, nil
	}
	return filepath.Abs(source)
}

// revFederation materialises the federation at commit into dir, loads the
// hub name of it alone (load.LoadHub) and writes the generated umbrella
// chart the hub pins (deployments/chart is not taken from the revision: it
// is what gen writes from the hubs; for one hub its header names that hub
// alone, which render accepts of a federation of one hub).
func revFederation(ctx context.Context, repo *git.Repo, commit, dir, name string) (*load.Federation, error) {
	if err := repo.Materialise(ctx, commit, dir, load.SourceDirs...); err != nil {
		return nil, err
	}
	fed, err := load.LoadHub(dir, name)
	if err != nil {
		return nil, fmt.Errorf("hub %s does not load: %w", name, err)
	}
	files, err := gen.ChartFiles(fed.Hubs)
	if err == nil {
		for _, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(f.Path))
			if err := tree.WriteFile(filepath.Dir(p), filepath.Base(p), f.Mode, f.Data); err != nil {
				return nil, err
			}
		}
	}
	return fed, nil
}

// present reports whether the federation has the hub-env.
func present(fed *load.Federation, name, env string) bool {
	h := fed.Hub(name)
	if h == nil {
		return false
	}
	_, ok := h.Environments[env]
	return ok
}

// maskedValues are the layered values of the hub-env of r, the secrets
// masked; nil when the federation has no such hub-env.
func maskedValues(ctx context.Context, r release.Request) (map[string]any, error) {
	if !present(r.Fed, r.Hub, r.Env) {
		return nil, nil
	}
	out, err := gen.GenerateHub(r.Fed.Hub(r.Hub))
	if err != nil {
		return nil, err
	}
	v, err := release.Values(ctx, r.Fed.Root, out, r.Env, r.Secrets, r.PlaceholderSecrets)
	if err != nil {
		return nil, err
	}
	sec, err := release.SecretValues(ctx, r.Fed.Root, out, r.Env, r.Secrets, r.PlaceholderSecrets)
	if err != nil {
		return nil, err
	}
	hubdiff.MaskSecrets(v, sec)
	return v, nil
}
