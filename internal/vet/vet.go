// Package vet checks a federation beyond its schema: the Dask worker
// image, the dask-gateway client version, plaintext secrets, node pool
// fit, placement (where every pod can run), a cluster-autoscaler release
// for an EKS cluster's Kubernetes minor, the values against the charts'
// schemas (when the charts are vendored or cached) and whether the
// generated tree is current, on top
// of what generating it checks (internal/federation: duplicate domains,
// raw values that contradict typed ones). Every problem is a
// finding.Finding with a position and a CUE path.
package vet

import (
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/input"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/federation"
	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/machines"
	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Result is a vet run: the findings and what gen produced on the way.
type Result struct {
	Findings []*finding.Finding
	// Outputs are the generated trees of the hubs that generated.
	Outputs []*gen.Output
	// Shared are the repository-level generated files.
	Shared []gen.File
	// Notes are what vet could not check, and why (say, the charts of a
	// hub are not cached): to print, not to fail on.
	Notes []string
}

// Options change how vet checks.
type Options struct {
	// Helm is the Helm major ("v3", "v4") whose schema validation checks
	// the values against the charts, over every hub's helm field; empty:
	// each hub's.
	Helm string
	// Cache keeps what the check of each hub-env against its charts found
	// (the schemas' problems, the charts' pods) between runs, keyed by
	// everything it is computed from; nil checks every hub-env afresh.
	Cache *resultcache.Cache
}

// Run runs every check on the hubs named (all when none), each hub's
// values checked by the Helm major it chooses.
func Run(fed *load.Federation, names []string) (*Result, error) {
	return RunWith(fed, names, Options{})
}

// RunWith is Run with options.
func RunWith(fed *load.Federation, names []string, opts Options) (*Result, error) {
	selected, err := federation.Select(fed, names)
	if err != nil {
		return nil, err
	}
	// The charts are loaded (files only) beside the hubs' generation.
	loads := inBackground(func() *chartLoads { return loadCharts(fed, selected) })
	gr := federation.GenerateHubs(fed, selected)
	r := &Result{Findings: gr.Findings, Outputs: gr.Outputs}
	blocking := len(r.Findings) > 0
	shared, err := federation.Shared(fed.Hubs, gr.Outputs)
	if err != nil {
		return nil, err
	}
	r.Shared = shared
	// The secrets scan and whether the tree is current read files only:
	// they run beside the checks before them, and are reported where
	// they were.
	scanned := inBackground(func() []dirScan { return scanSecrets(fed.Root) })
	// Whether the tree is current is only worth saying once gen can run.
	var compared func() planOrErr
	if !blocking && len(r.Outputs) == len(fed.Hubs) {
		files := append(gr.Files(nil), r.Shared...)
		compared = inBackground(func() planOrErr {
			plan, err := tree.Compare(fed.Root, files, nil)
			return planOrErr{plan, err}
		})
	}
	c := &checker{fed: fed, r: r, helm: opts.Helm}
	jobs, uncached := c.chartValues(loads(), selected, opts.Cache)
	// The jobs of the hubs (values against the charts, placement, secrets
	// coverage) run side by side, beside the checks that read CUE here;
	// what they find is reported after those, in hub order.
	done := runJobs(jobs, fed.Root)
	for _, out := range r.Outputs {
		if !selected[out.Hub.Name] {
			continue
		}
		c.workerImage(out)
		c.profileImages(out)
		c.gatewayVersion(out.Hub)
		c.classicKubernetes(out.Hub)
		c.fit(out.Hub)
		c.autoscalerRelease(out.Hub)
		if err := c.imageContext(out); err != nil {
			done()
			return nil, err
		}
	}
	done()
	c.reportCharts(jobs, uncached)
	for _, j := range jobs {
		c.placement(j.out.Hub, j.placement)
		c.secretsCoverage(j.out.Hub, j.lacks)
	}
	if err := c.secrets(scanned()); err != nil {
		return nil, err
	}
	if compared != nil {
		pe := compared()
		if pe.err != nil {
			return nil, pe.err
		}
		c.generated(pe.plan)
	}
	if len(names) > 0 {
		r.Findings = finding.Filter(r.Findings, selected)
	}
	finding.Sort(r.Findings)
	return r, nil
}

// planOrErr is tree.Compare's result.
type planOrErr struct {
	plan *tree.Plan
	err  error
}

// inBackground starts f and returns what waits for its result.
func inBackground[T any](f func() T) func() T {
	done := make(chan T, 1)
	go func() { done <- f() }()
	return sync.OnceValue(func() T { return <-done })
}

type checker struct {
	fed  *load.Federation
	r    *Result
	helm string // Options.Helm
	// manifest reads gen's manifest once (the image-context check of
	// every hub needs it); nil until the first check.
	manifest func() (tree.Manifest, error)
}

func (c *checker) add(f *finding.Finding) { c.r.Findings = append(c.r.Findings, f) }

// at makes a finding about a hub's field.
func (c *checker) at(check string, h *hub.Hub, elems []string, format string, args ...any) *finding.Finding {
	return finding.At(check, h.Name, elems, c.fed.Pos(h.Name, elems...), format, args...)
}

// workerImage: in every env the Dask workers run exactly the notebook image.
func (c *checker) workerImage(out *gen.Output) {
	h := out.Hub
	want := out.Image.String()
	for _, env := range hub.EnvNames {
		v := out.Values.Merged(env)
		nb := imageAt(v, "jupyterhub", "singleuser", "image")
		if nb != want {
			c.add(c.at("worker-image", h, rawPath(h, env, "jupyterhub", "singleuser", "image"), "%s: notebook image is %s, not the hub's image %s", env, nb, want))
		}
		extraEnv, _ := values.Lookup(v, "jupyterhub", "singleuser", "extraEnv").(map[string]any)
		switch h.Dask.Backend {
		case hub.BackendGateway:
			if w := imageAt(v, "dask-gateway", "gateway", "backend", "image"); w != nb {
				c.add(c.at("worker-image", h, rawPath(h, env, "dask-gateway", "gateway", "backend", "image"), "%s: Dask worker image %s differs from the notebook image %s: workers must run the notebook's image", env, w, nb))
			}
			if got := extraEnv["DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE"]; got != "{JUPYTER_IMAGE_SPEC}" {
				c.add(c.at("worker-image", h, rawPath(h, env, "jupyterhub", "singleuser", "extraEnv", "DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE"), "%s: DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE is %v, not {JUPYTER_IMAGE_SPEC}: workers would not clone the notebook image", env, got))
			}
		case hub.BackendKubernetes:
			for k := range extraEnv {
				if strings.HasPrefix(k, "DASK_KUBERNETES__WORKER_TEMPLATE") {
					c.add(c.at("worker-image", h, rawPath(h, env, "jupyterhub", "singleuser", "extraEnv", k), "%s: %s replaces the worker template that runs the notebook image", env, k))
				}
			}
		}
	}
}

// profileImages: on a hub with Dask, a profile that runs another image than
// the hub's gives its Dask clusters that image too (workers clone the
// notebook's image), whose dask and dask-gateway versions pangeo-gen cannot
// see; the profile says uncheckedDask to accept that.
func (c *checker) profileImages(out *gen.Output) {
	h := out.Hub
	if !h.Dask.Enabled() {
		return
	}
	want := out.Image.String()
	check := func(elems []string, ps []hub.Profile) {
		for i, p := range ps {
			if p.Image == nil || *p.Image == want || p.UncheckedDask {
				continue
			}
			at := append(append([]string{}, elems...), fmt.Sprintf("[%d]", i), "image")
			c.add(c.at("profile-image", h, at, "profile %q runs %s, not the hub's image %s: its Dask workers run it too, and its dask and dask-gateway versions cannot be checked against the hub's Dask (%s backend); use the hub's image or set uncheckedDask: true", p.Slug, *p.Image, want, h.Dask.Backend))
		}
	}
	check([]string{"notebook", "profiles"}, h.Notebook.Profiles)
	for _, env := range hub.EnvNames {
		if e, ok := h.Environments[env]; ok && e.Notebook != nil && e.Notebook.Profiles != nil {
			check([]string{"environments", env, "notebook", "profiles"}, *e.Notebook.Profiles)
		}
	}
}

// rawPath is the path of a raw value in the env's or the hub's values when
// one is set there, else of the hub's image.
func rawPath(h *hub.Hub, env string, keys ...string) []string {
	if values.Lookup(h.Environments[env].Values, keys...) != nil {
		return append([]string{"environments", env, "values"}, keys...)
	}
	if values.Lookup(h.Values, keys...) != nil {
		return append([]string{"values"}, keys...)
	}
	for i := len(keys) - 1; i > 0; i-- {
		if values.Lookup(h.Environments[env].Values, keys[:i]...) != nil {
			return append([]string{"environments", env, "values"}, keys[:i]...)
		}
		if values.Lookup(h.Values, keys[:i]...) != nil {
			return append([]string{"values"}, keys[:i]...)
		}
	}
	return []string{"image"}
}

// imageAt is the reference the charts make of an image: name:tag (a digest
// is written as name "repo@sha256" and tag "<hex>").
func imageAt(v map[string]any, keys ...string) string {
	m, _ := values.Lookup(v, keys...).(map[string]any)
	return fmt.Sprintf("%v:%v", m["name"], m["tag"])
}

var gatewaySpec = regexp.MustCompile(`^dask-gateway\s*(?:(==?|>=|<=|>|<|!=|~=)\s*([^\s,]+))?$`)

var kubernetesSpec = regexp.MustCompile(`^dask-kubernetes\s*==?\s*([0-9][^\s,]*)$`)

// classicKubernetes: the kubernetes backend needs a dask-kubernetes that
// still has the classic KubeCluster (before 2024.1.0).
func (c *checker) classicKubernetes(h *hub.Hub) {
	if !h.Image.Built() || h.Dask.Backend != hub.BackendKubernetes {
		return
	}
	for i, d := range h.Image.Conda.Dependencies {
		m := kubernetesSpec.FindStringSubmatch(strings.TrimSpace(d))
		if m != nil && versionAtLeast(m[1], gen.ClassicDaskKubernetesBefore) {
			c.add(c.at("dask-kubernetes", h, []string{"image", "conda", "dependencies", fmt.Sprintf("[%d]", i)},
				"dask-kubernetes %s has no classic KubeCluster (removed in %s), which the kubernetes backend's worker template needs: pin an older release or use the gateway backend", m[1], gen.ClassicDaskKubernetesBefore))
		}
	}
}

// versionAtLeast compares dotted numeric versions (2024.1.0 >= 2023.10.1).
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}

// gatewayVersion: the dask-gateway client in a built image equals the
// dask-gateway chart version (a mismatch breaks cluster creation).
func (c *checker) gatewayVersion(h *hub.Hub) {
	if !h.Image.Built() || h.Dask.Backend != hub.BackendGateway {
		return
	}
	chart := h.Chart.DaskGateway.Version
	check := func(elems []string, spec string) {
		m := gatewaySpec.FindStringSubmatch(strings.TrimSpace(spec))
		if m == nil {
			return
		}
		switch {
		case m[1] == "":
			c.add(c.at("gateway-version", h, elems, "dask-gateway is not pinned: pin dask-gateway=%s, the dask-gateway chart's version", chart))
		case (m[1] == "=" || m[1] == "==") && strings.TrimSuffix(m[2], ".*") != chart:
			c.add(c.at("gateway-version", h, elems, "dask-gateway client %s does not match the dask-gateway chart %s (chart.daskGateway.version): pin dask-gateway=%s", m[2], chart, chart))
		case m[1] != "=" && m[1] != "==":
			c.add(c.at("gateway-version", h, elems, "dask-gateway %s%s is a range: pin dask-gateway=%s, the chart's version", m[1], m[2], chart))
		}
	}
	for i, d := range h.Image.Conda.Dependencies {
		check([]string{"image", "conda", "dependencies", fmt.Sprintf("[%d]", i)}, d)
	}
	for i, d := range h.Image.Conda.Pip {
		check([]string{"image", "conda", "pip", fmt.Sprintf("[%d]", i)}, d)
	}
}

// fit: requests fit the machines of the pools they are scheduled on.
func (c *checker) fit(h *hub.Hub) {
	for _, p := range machines.Fit(h) {
		c.add(c.at("fit", h, load.SplitPath(p.Path), "%s", p.Message))
	}
}

// autoscalerRelease: an EKS cluster's Kubernetes minor has a
// cluster-autoscaler release (gen.AutoscalerImageTag), which render
// --cluster installs with the image of that minor.
func (c *checker) autoscalerRelease(h *hub.Hub) {
	if h.Cloud.Provider != "aws" {
		return
	}
	if _, err := gen.AutoscalerImageTag(h.Cloud.KubernetesVersion); err != nil {
		c.add(c.at("autoscaler", h, []string{"cloud", "kubernetesVersion"}, "EKS cluster %s: %v; render --cluster cannot install its autoscaler", h.Cloud.Cluster, err))
	}
}

// scanDirs are the folders checked for plaintext secrets.
var scanDirs = []string{load.HubsDir, "schema", gen.Deployments, gen.Clusters}

// secrets: no plaintext secret material in hubs/, schema/, deployments/,
// clusters/ (a backend.tf or a state file of the operator's).
// A file in a hub's secrets/ folder is fine when it is a stub, git-crypt
// ciphertext, sops-encrypted, or plaintext in a repository whose git-crypt
// key is unlocked (the filter encrypts it on commit).
func (c *checker) secrets(dirs []dirScan) error {
	for _, d := range dirs {
		for i, rel := range d.files {
			if err := d.scans[i].err; err != nil {
				return fmt.Errorf("scan for secrets: %w", err)
			}
			c.scanFile(rel, d.scans[i])
		}
		if d.walkErr != nil {
			return fmt.Errorf("scan for secrets: %w", d.walkErr)
		}
	}
	return nil
}

// dirScan is what scanSecrets finds in one of scanDirs: its files (slash
// paths relative to the root, in walk order), each scanned, and the
// walk's error.
type dirScan struct {
	files   []string
	scans   []fileScan
	walkErr error
}

// scanSecrets walks and scans the folders of scanDirs under root, for the
// secrets check to report on. It reads files only, touching neither the
// checker nor CUE, so that it runs beside the other checks (RunWith).
func scanSecrets(root string) []dirScan {
	dirs := make([]dirScan, len(scanDirs))
	for k, dir := range scanDirs {
		d := &dirs[k]
		d.walkErr = filepath.WalkDir(filepath.Join(root, dir), func(name string, e fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if e.IsDir() || !e.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(root, name)
			d.files = append(d.files, filepath.ToSlash(rel))
			return nil
		})
		// Reading and scanning the files is the work: do it side by side
		// (the report is in walk order, stopping at the first file that
		// cannot be read as the walk did).
		d.scans = make([]fileScan, len(d.files))
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i, rel := range d.files {
			g.Go(func() error {
				d.scans[i] = scanOne(filepath.Join(root, filepath.FromSlash(rel)), rel)
				return nil
			})
		}
		g.Wait()
	}
	return dirs
}

// fileScan is what the secrets check finds in one file, found without
// the checker (so that files are scanned side by side).
type fileScan struct {
	err       error // the file could not be read
	plaintext bool  // secretscan.Classify says Plaintext
	stub      bool  // gen.IsStub
	matches   []secretscan.Match
}

// scanOne reads the file name (slash path rel) with the size limit of
// every input file (a huge file is an error, not an exhausted memory) and
// scans it: a plaintext secrets file is only classified, any other
// plaintext file scanned for secrets.
func scanOne(name, rel string) fileScan {
	data, err := input.ReadFile(name)
	if err != nil {
		return fileScan{err: err}
	}
	if secretscan.Classify(data) != secretscan.Plaintext {
		return fileScan{}
	}
	if isSecretsFile(rel) {
		return fileScan{plaintext: true, stub: gen.IsStub(data)}
	}
	return fileScan{plaintext: true, matches: secretscan.Scan(rel, data)}
}

// scanFile reports what scanOne found in the file rel.
func (c *checker) scanFile(rel string, sc fileScan) {
	hubName := hubOfPath(rel)
	if strings.HasPrefix(rel, load.HubsDir+"/") && c.fed.Hub(hubName) == nil {
		hubName = "" // a shared file (hubs.cue, templates.cue): the federation's
	}
	if !sc.plaintext {
		return
	}
	if isSecretsFile(rel) {
		if sc.stub {
			return
		}
		if h := c.fed.Hub(hubName); h != nil && h.Secrets.Backend == "git-crypt" && c.gitCryptUnlocked(h.Secrets.Key) {
			return
		}
		c.add(&finding.Finding{Check: "secrets", Hub: hubName, CUEPath: []string{rel}, Pos: finding.FilePos(c.fed.Root, rel, 1, 1),
			Message: "plaintext secrets file: encrypt it (git-crypt: run `git-crypt init` and commit through the filter; sops: `sops --encrypt --in-place " + rel + "`)"})
		return
	}
	for _, m := range sc.matches {
		c.add(&finding.Finding{Check: "secrets", Hub: hubName, CUEPath: []string{rel}, Pos: finding.FilePos(c.fed.Root, rel, m.Line, m.Col),
			Message: fmt.Sprintf("plaintext %s: move it into the hub's encrypted secrets file and rotate it", m.Kind)})
	}
}

// gitCryptUnlocked reports whether the repository holds the git-crypt key
// (it is unlocked, so the filter encrypts secrets on commit).
func (c *checker) gitCryptUnlocked(key string) bool {
	if key == "" {
		key = "default"
	}
	_, err := os.Stat(filepath.Join(c.fed.Root, ".git", "git-crypt", "keys", key))
	return err == nil
}

// isSecretsFile reports whether rel is in deployments/<hub>/secrets/.
func isSecretsFile(rel string) bool {
	parts := strings.Split(rel, "/")
	return len(parts) >= 4 && parts[0] == gen.Deployments && parts[2] == "secrets"
}

// hubOfPath is <hub> of deployments/<hub>/... or hubs/<hub>.cue.
func hubOfPath(rel string) string {
	parts := strings.Split(rel, "/")
	switch {
	case len(parts) >= 3 && parts[0] == gen.Deployments:
		return parts[1]
	case len(parts) == 2 && parts[0] == load.HubsDir:
		return strings.TrimSuffix(parts[1], ".cue")
	}
	return ""
}

// generated: the tree on disk is what gen would write (plan, tree.Compare's
// of the files gen generates).
func (c *checker) generated(plan *tree.Plan) {
	c.treeSafety(plan)
	for _, ch := range plan.Pending() {
		if ch.Action == tree.Linked {
			continue // the link is a finding of its own (treeSafety)
		}
		hubName := hubOfPath(ch.Path)
		f := &finding.Finding{Check: "generated", Hub: hubName, CUEPath: []string{ch.Path}}
		if ch.Action != tree.Create {
			f.Pos = finding.FilePos(c.fed.Root, ch.Path, 1, 1)
		} else if c.fed.Hub(hubName) != nil {
			f.Pos = c.fed.Pos(hubName)
		}
		switch ch.Action {
		case tree.Create:
			f.Message = "missing: run pangeo-gen gen"
		case tree.Update:
			f.Message = "stale: the hubs changed since it was generated; run pangeo-gen gen"
		case tree.Delete:
			f.Message = "no longer generated (its hub is gone or changed): run pangeo-gen gen to remove it"
		case tree.Edited:
			f.Message = "edited by hand since pangeo-gen wrote it: move the change into " + sourceOf(c.fed, hubName) + " and run pangeo-gen gen --force"
		case tree.Foreign:
			f.Message = "not written by pangeo-gen, but gen generates this path: move it away, then run pangeo-gen gen"
		}
		c.add(f)
	}
}

func sourceOf(fed *load.Federation, name string) string {
	if h := fed.Hub(name); h != nil {
		return h.Source()
	}
	return "the hub's .cue file"
}
