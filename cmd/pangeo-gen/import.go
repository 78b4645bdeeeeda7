package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/hubimport"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

func newImport(g *globals) *cobra.Command {
	var name string
	var allowLoss, upgrade bool
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Migrate a hand-kept hubploy hub (hubploy.yaml, config/, image/binder/) into hubs/<hub>.cue",
		Long: `import reads a hub of a hubploy monorepo (DIR: hubploy.yaml,
config/common.yaml, staging.yaml, prod.yaml, image/binder/) and writes
hubs/<HUB>.cue (HUB: --name, default DIR's base name). It does not run gen.

The values, nested under the old umbrella chart's key (pangeo:, daskhub:),
are unwrapped to the daskhub layout (jupyterhub:, dask-gateway:) and kept as
raw values: config/common.yaml as the hub's values, staging.yaml and
prod.yaml as their environment's. What the schema types is lifted: cloud
from hubploy.yaml's cluster, image.repository from images.image_name, each
environment's domain (proxy.https.hosts) and loadBalancerIP, contact from
the Let's Encrypt contact, notebook cpu, memory, startTimeout, defaultURL and
culling from singleuser and cull. image/binder/ (Dockerfile FROM,
environment.yml, apt.txt, postBuild, start) becomes the image section; a
dask_config.yaml with a kubernetes.worker-template makes the Dask backend
kubernetes with the template's cores, memory and threads. Secrets are never
read: their file names are recorded in a comment. Fields the old hub lacks
(title, owners, auth, node pools) get valid TODO(operator) placeholders.

DIR is read only beneath it: a link that leaves DIR, anything that is not a
regular file (a FIFO, a device) and a file over the input size limit
(PANGEO_GEN_MAX_FILE_BYTES, 16 MiB) are never read. Such a file in
image/binder/ is a loss; hubploy.yaml or a values file is an error (exit 1,
nothing written). A values file whose top level is not a map, and every
YAML document after its first, are losses.

A plaintext secret in config/*.yaml (proxy.secretToken, hub.cookieSecret,
client_secret, the dask-gateway apiTokens, CryptKeeper keys, a token or key
anywhere) is never written into hubs/: each is listed on stderr as
"secret: FILE: KEY: plaintext secret left out; move it into
deployments/<HUB>/secrets/<ENV>.yaml as PATH". It is not a loss: the hub is
written (exit 0); render refuses the stubs gen writes until they are filled.

After gen, every value of the old files keeps its value in the generated
values (which add what the typed fields generate), except the losses: keys
outside the wrapper, raw values that contradict what the typed fields
generate, and what the image conversion cannot hold. They are listed on
stderr by file and key; import then exits 1 and writes nothing, unless
--allow-loss (it writes the hub and still lists them).

--upgrade also translates the keys the jupyterhub chart renamed or removed
since the old values were written (z2jh 0.8 to 4.4, the table of
internal/upgrade), before the typed fields are lifted, and lists each on
stderr ("upgrade: FILE: OLD -> NEW"): the top-level auth: becomes hub.config
(JupyterHub.authenticator_class, the authenticator's section,
Authenticator.admin_users and allowed_users), singleuser.cloudMetadata.enabled
the inverse blockWithIptables, proxy.nodeSelector proxy.chp.nodeSelector, ...
An authentication that maps cleanly onto auth.github or auth.oauth2 is
lifted there. A removed key with no successor is a loss. A key no jupyterhub
chart release ever had (a typo), in values that predate the chart's 1.0.0
values schema, and a key of the old pangeo umbrella chart that its
templates never read, had no effect: each is dropped and listed ("upgrade:
FILE: OLD: dropped (no effect in chart X)"). Telling those keys needs the
jupyterhub chart's values schema: the pinned chart, vendored or cached
(pangeo-gen charts pull); without it they stay as written.`,
		Example: `  pangeo-gen import ../pangeo-cloud-federation/deployments/ocean
  pangeo-gen import ../pangeo-cloud-federation/deployments/icesat2 --name icesat --upgrade`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("name") && name == "" {
				return &usageError{fmt.Errorf("--name needs a hub name")}
			}
			if fi, err := os.Stat(args[0]); err != nil || !fi.IsDir() {
				return &usageError{fmt.Errorf("%s is not a folder", args[0])}
			}
			return g.importHub(args[0], name, allowLoss, upgrade)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the hub's name (default: DIR's base name)")
	cmd.Flags().BoolVar(&allowLoss, "allow-loss", false, "write the hub even when some values cannot be represented (they are still listed)")
	cmd.Flags().BoolVar(&upgrade, "upgrade", false, "translate the keys the jupyterhub chart renamed or removed since the old values were written (they are listed on stderr)")
	return cmd
}

func (g *globals) importHub(dir, name string, allowLoss, upgrade bool) error {
	root, err := g.findRoot()
	if err != nil {
		return err
	}
	env, err := hubfile.Open(root)
	if err != nil {
		return err
	}
	parts := []string{"pangeo-gen", "import", dir}
	if name != "" {
		parts = append(parts, "--name", name)
	}
	if allowLoss {
		parts = append(parts, "--allow-loss")
	}
	if upgrade {
		parts = append(parts, "--upgrade")
	}
	opts := hubimport.Options{Dir: dir, Name: name, Command: strings.Join(parts, " "), Upgrade: upgrade}
	if pin, ok := hubimport.JupyterHubPin(env); upgrade && ok {
		if opts.JupyterHubSchema, err = release.CachedValuesSchema(root, charts.JupyterHubChart, pin); err != nil {
			return err
		}
	}
	res, err := hubimport.Import(env, opts)
	if err != nil {
		return err
	}
	for _, u := range res.Upgrades {
		fmt.Fprintf(g.stderr, "upgrade: %s\n", u)
	}
	for _, n := range res.Normalized {
		fmt.Fprintf(g.stderr, "normalized: %s\n", n)
	}
	for _, s := range res.Secrets {
		fmt.Fprintf(g.stderr, "secret: %s\n", s)
	}
	for _, l := range res.Losses {
		fmt.Fprintf(g.stderr, "loss: %s\n", l)
	}
	if len(res.Losses) > 0 && !allowLoss {
		fmt.Fprintf(g.stderr, "pangeo-gen: %d value(s) of %s cannot be represented; nothing written (--allow-loss writes the hub anyway)\n", len(res.Losses), dir)
		return &exitError{1}
	}
	if err := tree.WriteFile(root, res.Path, 0o644, res.Data); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%-7s %s\n", tree.Create, res.Path)
	for _, n := range res.Notes {
		if !strings.HasPrefix(n, "TODO(operator)") {
			n = "note: " + n
		}
		fmt.Fprintln(g.stdout, n)
	}
	if len(res.Losses) > 0 {
		fmt.Fprintf(g.stderr, "pangeo-gen: written with %d loss(es) (--allow-loss)\n", len(res.Losses))
	}
	if len(res.Secrets) > 0 {
		fmt.Fprintf(g.stderr, "pangeo-gen: %d plaintext secret(s) left out of %s: move each into the secrets file named, then encrypt it, before deploying\n", len(res.Secrets), res.Path)
	}
	return nil
}
