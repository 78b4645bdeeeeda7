// Package release builds and renders the Helm release of one hub-env
// (<hub>-<env>) into the Kubernetes objects to apply; it never deploys
// (CI's helm upgrade does): it finds the hub's chart (through the chart
// cache), layers the hub's values as hubploy deploys them
// (config/common.yaml, config/<env>.yaml, the secrets, then the image),
// renders them with internal/render and, when asked, pins every workload
// image to its digest (internal/pin). It also writes render's -o output
// and fills the chart cache or vendor/charts with the charts the releases
// need (charts pull, charts vendor).
package release

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/pin"
	"github.com/pangeo-data/pangeo-gen/internal/render"
	"github.com/pangeo-data/pangeo-gen/internal/secrets"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Labels that every rendered object carries besides render.PartOfLabel.
const (
	HubLabel = "pangeo.io/hub"
	EnvLabel = "pangeo.io/env"
)

// VendorDir is the vendored chart folder, relative to the repository root.
const VendorDir = "vendor/charts"

// Request is one hub-env to render.
type Request struct {
	// Fed is the loaded federation. Required.
	Fed *load.Federation
	// Hub and Env name the hub-env. Required.
	Hub, Env string
	// Chart replaces the hub's pinned chart: a chart folder, a .tgz, an
	// http(s) chart repository (the chart's name and version are the hub's
	// pin), or oci://host/path/name[:version]. Empty: the hub's pin.
	Chart string
	// KubeVersion is the Kubernetes version the charts see;
	// render.DefaultKubeVersion if empty.
	KubeVersion string
	// Secrets is a file of secret values to use instead of
	// deployments/<hub>/secrets/<env>.yaml; secrets.Stdin ("-") reads
	// Stdin. Read with internal/input's size limit, regular files only.
	Secrets string
	// Stdin is standard input, read when Secrets is secrets.Stdin.
	Stdin io.Reader
	// PlaceholderSecrets lets secret stubs through, filled with
	// placeholders (secrets.Placeholders).
	PlaceholderSecrets bool
	// PinDigests pins every workload image to its digest.
	PinDigests bool
	// Cache gets charts. Required.
	Cache *charts.Cache
	// Resolver looks images up for PinDigests; nil is a zero Resolver.
	Resolver *pin.Resolver
	// Helm is the Helm major to render with ("v3", "v4"), over the hub's
	// helm field; empty: the hub's. Engine, when set, wins over both.
	Helm string
	// Engine renders the chart; if nil, Engine(hub, Helm)'s.
	Engine helmengine.Engine
	// Ahead, when not nil, is the chart of Chart loading already
	// (PrefetchChart), which Render takes instead of loading it again.
	Ahead *ChartAhead
}

// ChartAhead is a chart loading on another goroutine (PrefetchChart).
type ChartAhead struct {
	source string
	done   chan struct{}
	ch     *chart.Chart
	err    error
}

// PrefetchChart starts loading source, a --chart folder or .tgz, through
// cache on another goroutine, so that it overlaps the load of the hub on a
// second core; set it as Request.Ahead. A folder or file does not depend on
// the hub (a repository URL or an oci:// reference takes the hub's pin), so
// it can load first; for any other source, an empty one included, there is
// nothing to start and PrefetchChart returns nil.
func PrefetchChart(ctx context.Context, cache *charts.Cache, source string) *ChartAhead {
	if !localSource(source) {
		return nil
	}
	a := &ChartAhead{source: source, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.ch, a.err = cache.Load(ctx, source, charts.Ref{})
		if a.err != nil {
			a.err = chartError(a.err, source)
		}
	}()
	return a
}

// localSource reports whether a --chart source is a folder or a file,
// which loadChart loads without the hub's pin.
func localSource(source string) bool {
	return source != "" && !strings.HasPrefix(source, "oci://") && !strings.HasPrefix(source, "https://") && !strings.HasPrefix(source, "http://")
}

// chart is LoadChart's result: the chart loaded ahead when there is one
// for the same source, else LoadChart's.
func (r Request) chart(ctx context.Context, h *hub.Hub) (*chart.Chart, error) {
	if a := r.Ahead; a != nil && a.source == r.Chart {
		select {
		case <-a.done:
			return a.ch, a.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return LoadChart(ctx, r.Cache, r.Fed, h, r.Chart)
}

// Engine is the Helm engine that renders and checks hub h: the major
// override when not empty (the --helm flag), else the hub's helm field,
// else helmengine.Default.
func Engine(h *hub.Hub, override string) (helmengine.Engine, error) {
	major := cmp.Or(override, h.Helm)
	e, err := helmengine.New(major)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", h.Name, err)
	}
	return e, nil
}

// Release is the Helm release name and namespace of a hub-env.
func Release(hubName, env string) string { return hubName + "-" + env }

// Render renders the hub-env of r into one YAML stream (render.Render):
// the Namespace, CRDs, then the objects in install order, each labelled
// with app.kubernetes.io/part-of: pangeo, pangeo.io/hub and pangeo.io/env.
func Render(ctx context.Context, r Request) ([]byte, error) {
	h, err := HubEnv(r.Fed, r.Hub, r.Env)
	if err != nil {
		return nil, err
	}
	out, err := gen.GenerateHub(h)
	if err != nil {
		return nil, err
	}
	sec, err := secretValues(ctx, r.Fed.Root, out, r.Env, r.Secrets, r.Stdin, r.PlaceholderSecrets)
	if err != nil {
		return nil, err
	}
	values, err := layered(out, r.Env, sec)
	if err != nil {
		return nil, err
	}
	engine := r.Engine
	if engine == nil {
		if engine, err = Engine(h, r.Helm); err != nil {
			return nil, err
		}
	}
	ch, err := r.chart(ctx, h)
	if err != nil {
		return nil, err
	}
	if r.PlaceholderSecrets {
		// Placeholders for what the chart would make up at random too
		// (say the daskhub chart's dask-gateway service token on a
		// kubernetes-backend hub), so that the output is the same on
		// every run.
		values = secrets.Cover(values, GeneratedSecrets(ch, values), h.Name, r.Env)
	}
	release := Release(h.Name, r.Env)
	labels, patches := kustomizeLayer(h, r.Env)
	y, err := render.Render(ctx, render.Options{
		Release:     release,
		Namespace:   release,
		Chart:       ch,
		Values:      []map[string]any{values},
		KubeVersion: r.KubeVersion,
		Labels:      labels,
		Patches:     patches,
		Engine:      engine,
	})
	if err != nil {
		return nil, err
	}
	if r.PinDigests {
		res := r.Resolver
		if res == nil {
			res = &pin.Resolver{}
		}
		if y, err = res.Pin(ctx, y); err != nil {
			return nil, fmt.Errorf("pin digests of %s: %w", release, err)
		}
	}
	return y, nil
}

// kustomizeLayer is what the hub declares for kustomize in env: the hub's
// labels and the env's, then the hub and env labels (which neither can
// change); the hub's patches, then the env's.
func kustomizeLayer(h *hub.Hub, env string) (map[string]string, []render.Patch) {
	labels := map[string]string{}
	maps.Copy(labels, h.Kustomize.Labels)
	maps.Copy(labels, h.Environments[env].Kustomize.Labels)
	labels[HubLabel] = h.Name
	labels[EnvLabel] = env
	var patches []render.Patch
	for _, ps := range [][]hub.Patch{h.Kustomize.Patches, h.Environments[env].Kustomize.Patches} {
		for _, p := range ps {
			rp := render.Patch{Patch: p.Patch}
			if t := p.Target; t != nil {
				rp.Target = &render.Target{Group: t.Group, Version: t.Version, Kind: t.Kind, Name: t.Name, LabelSelector: t.LabelSelector, AnnotationSelector: t.AnnotationSelector}
			}
			patches = append(patches, rp)
		}
	}
	return labels, patches
}

// HubEnv returns the hub named hubName after checking that it has
// environment env: the hub-env a release is built for. An unknown hub is
// a *load.UnknownHubError.
func HubEnv(fed *load.Federation, hubName, env string) (*hub.Hub, error) {
	h, err := fed.Lookup(hubName)
	if err != nil {
		return nil, err
	}
	if _, ok := h.Environments[env]; !ok {
		return nil, fmt.Errorf("hub %s has no environment %q (environments: %s)", h.Name, env, strings.Join(hub.EnvNames, ", "))
	}
	return h, nil
}

// Values are the values of a hub-env as hubploy deploys them, merged into
// one layer as Helm merges `-f` files and `--set` flags (maps merge deeply,
// anything else replaces, and a null is kept, so that Helm then deletes the
// chart's default):
//
//  1. config/common.yaml (out.Values.Common),
//  2. config/<env>.yaml (out.Values.Env[env]),
//  3. the secrets: the file secretsFile, or else
//     deployments/<hub>/secrets/<env>.yaml (secrets.Parse; when that file
//     does not exist and placeholder is set, the stub gen writes),
//  4. the notebook image, jupyterhub.singleuser.image.name and .tag as
//     strings (hubploy's --set and --set-string), so that no secrets file
//     can change it.
func Values(ctx context.Context, root string, out *gen.Output, env, secretsFile string, placeholder bool) (map[string]any, error) {
	sec, err := secretValues(ctx, root, out, env, secretsFile, nil, placeholder)
	if err != nil {
		return nil, err
	}
	return layered(out, env, sec)
}

// StubValues are the values of a hub-env as Values layers them, with the
// secrets of the stub gen writes filled with placeholders
// (secrets.Placeholders) instead of any secrets file: values in the shape
// the charts get, for checking them without reading (or decrypting) a
// secret.
func StubValues(out *gen.Output, env string) (map[string]any, error) {
	h := out.Hub
	for _, f := range out.Files {
		if f.Path == SecretsPath(h.Name, env) {
			sec, err := secrets.Parse(context.Background(), f.Path+" (the stub gen writes)", f.Data, h.Name, env, true)
			if err != nil {
				return nil, err
			}
			return layered(out, env, sec)
		}
	}
	return nil, fmt.Errorf("hub %s: gen writes no %s", h.Name, SecretsPath(h.Name, env))
}

// layered merges the layers of Values: common, env, the secrets sec, the
// image.
func layered(out *gen.Output, env string, sec map[string]any) (map[string]any, error) {
	h := out.Hub
	layers := []map[string]any{out.Values.Common, out.Values.Env[env], sec}
	if img, ok := values.Lookup(out.Values.Merged(env), "jupyterhub", "singleuser", "image").(map[string]any); ok {
		layers = append(layers, map[string]any{"jupyterhub": map[string]any{"singleuser": map[string]any{"image": map[string]any{
			"name": fmt.Sprint(img["name"]),
			"tag":  fmt.Sprint(img["tag"]),
		}}}})
	} else {
		return nil, fmt.Errorf("hub %s: the values have no jupyterhub.singleuser.image", h.Name)
	}
	return values.Merge(layers...), nil
}

// secretValues reads the secrets of a hub-env (see Values) with
// secrets.Read: the size limit, regular files only, secrets.Stdin from
// stdin.
func secretValues(ctx context.Context, root string, out *gen.Output, env, secretsFile string, stdin io.Reader, placeholder bool) (map[string]any, error) {
	h := out.Hub
	file := secretsFile
	if file == "" {
		file = filepath.Join(root, filepath.FromSlash(SecretsPath(h.Name, env)))
	}
	data, err := secrets.Read(file, stdin)
	switch {
	case err == nil:
		return secrets.Parse(ctx, file, data, h.Name, env, placeholder)
	case errors.Is(err, fs.ErrNotExist) && secretsFile == "" && placeholder:
		for _, f := range out.Files {
			if f.Path == SecretsPath(h.Name, env) {
				return secrets.Parse(ctx, f.Path+" (the stub gen writes)", f.Data, h.Name, env, true)
			}
		}
		return nil, fmt.Errorf("hub %s: gen writes no %s", h.Name, SecretsPath(h.Name, env))
	case errors.Is(err, fs.ErrNotExist) && secretsFile == "":
		return nil, fmt.Errorf("%s does not exist: run `pangeo-gen gen` to write its stub and fill it in, pass --secrets FILE, or pass --placeholder-secrets to render with fake values", file)
	default:
		return nil, fmt.Errorf("secrets: %w", err)
	}
}

// SecretsPath is the secrets file of a hub-env, relative to the root.
func SecretsPath(hubName, env string) string {
	return path.Join(gen.HubDir(hubName), "secrets", env+".yaml")
}

// NewCache is the chart cache of the repository at root: charts.DefaultDir
// (or $PANGEO_GEN_CACHE), serving root/vendor/charts first when it exists.
func NewCache(root string, offline bool) (*charts.Cache, error) {
	dir, err := charts.DefaultDir()
	if err != nil {
		return nil, err
	}
	c := &charts.Cache{Dir: dir, Offline: offline}
	vendor := filepath.Join(root, filepath.FromSlash(VendorDir))
	if fi, err := os.Stat(vendor); err == nil && fi.IsDir() {
		c.VendorDir = vendor
	}
	return c, nil
}

// CachedValuesSchema is the values.schema.json of the chart named name at
// pin when the repository at root vendors it or the chart cache holds it,
// read offline; nil when neither has it (or it has no schema).
func CachedValuesSchema(root, name string, pin hub.Pin) ([]byte, error) {
	cache, err := NewCache(root, true)
	if err != nil {
		return nil, err
	}
	ref := charts.PinRef(name, pin)
	if !cache.Has(ref) {
		return nil, nil
	}
	ch, err := cache.Load(context.Background(), "", ref)
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", name, pin.Version, err)
	}
	return ch.Schema, nil
}

// ChartsCached reports whether every chart hub h pins (charts.ChartRefs)
// is vendored or cached, so that LoadChart can get them offline; it reads
// no package (charts.Cache.Has).
func ChartsCached(cache *charts.Cache, h *hub.Hub) bool {
	for _, ref := range charts.ChartRefs(h.Chart) {
		if !cache.Has(ref) {
			return false
		}
	}
	return true
}

// UmbrellaRef is the ref of the hub's umbrella chart; for the generated
// chart, its name and version (gen.UmbrellaVersion) and no repository.
func UmbrellaRef(h *hub.Hub) charts.Ref {
	c := h.Chart
	if c.Name == hub.GeneratedChart {
		return charts.Ref{Name: c.Name, Version: gen.UmbrellaVersion}
	}
	return charts.Ref{Name: c.Name, Version: c.Version, Repository: c.Repository, Digest: c.Digest}
}

// LoadChart loads the chart of hub h with its dependencies, through cache:
//
//   - source (--chart) when set: a chart folder or .tgz; an http(s) chart
//     repository, from which the hub's umbrella chart (name, version and
//     digest of its pin) is pulled; or an oci:// reference, whose version
//     defaults to the pin's when it names the pinned chart;
//   - else for the generated chart (chart.name "pangeo-deploy"),
//     deployments/chart, which must be what gen writes, its dependencies
//     jupyterhub and dask-gateway coming through the cache (checked against
//     the digests the hub pins them to, if any);
//   - else the pinned chart, pulled by repository, version and digest.
func LoadChart(ctx context.Context, cache *charts.Cache, fed *load.Federation, h *hub.Hub, source string) (*chart.Chart, error) {
	ch, err := loadChart(ctx, cache, fed, h, source)
	if err != nil {
		return nil, chartError(err, source)
	}
	return ch, nil
}

func loadChart(ctx context.Context, cache *charts.Cache, fed *load.Federation, h *hub.Hub, source string) (*chart.Chart, error) {
	if source != "" || h.Chart.Name != hub.GeneratedChart {
		return loadPinned(ctx, cache, UmbrellaRef(h), source)
	}
	dir, err := generatedChart(fed, h)
	if err != nil {
		return nil, err
	}
	// The dependencies' pinned digests: Load takes the versions from
	// Chart.yaml, so get the pinned packages first (Get checks their
	// digests); Load then finds them cached.
	for _, ref := range charts.ChartRefs(h.Chart) {
		if ref.Digest == "" {
			continue
		}
		if _, _, err := cache.Get(ctx, ref); err != nil {
			return nil, err
		}
	}
	return cache.Load(ctx, dir, charts.Ref{})
}

// loadPinned loads the chart pinned as pinned, or source (--chart) when
// set: a chart folder or .tgz; an http(s) chart repository, from which the
// pinned chart (its name, version and digest) is pulled; an oci://
// reference, whose version defaults to the pin's when it names the pinned
// chart.
func loadPinned(ctx context.Context, cache *charts.Cache, pinned charts.Ref, source string) (*chart.Chart, error) {
	switch {
	case strings.HasPrefix(source, "oci://"):
		r, err := charts.ParseOCI(source)
		if err != nil {
			return nil, err
		}
		ref := charts.Ref{Name: r.Name, Version: r.Version}
		if r.Name == pinned.Name && (r.Version == "" || r.Version == pinned.Version) {
			ref.Version, ref.Digest = pinned.Version, pinned.Digest
		}
		return cache.Load(ctx, source, ref)
	case strings.HasPrefix(source, "https://") || strings.HasPrefix(source, "http://"):
		return cache.Load(ctx, source, charts.Ref{Name: pinned.Name, Version: pinned.Version, Digest: pinned.Digest})
	case localSource(source):
		return cache.Load(ctx, source, charts.Ref{})
	default:
		return cache.Load(ctx, "", pinned)
	}
}

// generatedChart is the folder of the generated umbrella chart, after
// checking that it holds what gen writes. A federation of h alone
// (load.LoadHub) cannot say which hubs share the chart, which its files'
// header comment names: each file must then be what gen writes for h but
// for that header (pangeo-gen vet checks it).
func generatedChart(fed *load.Federation, h *hub.Hub) (string, error) {
	hubs := fed.Hubs
	if !fed.Complete() {
		hubs = []*hub.Hub{h}
	}
	files, err := gen.ChartFiles(hubs)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(fed.Root, filepath.FromSlash(f.Path)))
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s is missing: run `pangeo-gen gen`", f.Path)
		}
		if err != nil {
			return "", err
		}
		if !bytes.Equal(got, f.Data) && (fed.Complete() || !sameBelowHeader(got, f.Data)) {
			return "", fmt.Errorf("%s is not what gen writes: run `pangeo-gen gen` (pangeo-gen vet says more)", f.Path)
		}
	}
	return filepath.Join(fed.Root, filepath.FromSlash(gen.GeneratedChartDir)), nil
}

// sameBelowHeader reports whether got and want are the same generated
// file but for the hub list of the header comment of their first line.
func sameBelowHeader(got, want []byte) bool {
	const prefix = "# generated by pangeo-gen from "
	g, gRest, ok1 := bytes.Cut(got, []byte("\n"))
	w, wRest, ok2 := bytes.Cut(want, []byte("\n"))
	return ok1 && ok2 && bytes.HasPrefix(g, []byte(prefix)) && bytes.HasPrefix(w, []byte(prefix)) && bytes.Equal(gRest, wRest)
}

// chartError adds what to do to an error getting a chart over a network
// that failed (an offline cache's error says it already).
func chartError(err error, source string) error {
	if errors.Is(err, charts.ErrOffline) {
		return err
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		hint := "run `pangeo-gen charts pull` (or `charts vendor`) where the repository is reachable"
		if source == "" {
			hint += ", or pass --chart with a local chart folder or .tgz"
		}
		return fmt.Errorf("%w: %s", err, hint)
	}
	return err
}

// SecretValues are the secrets layer of Values (the same arguments): what
// a diff of the values masks.
func SecretValues(ctx context.Context, root string, out *gen.Output, env, secretsFile string, placeholder bool) (map[string]any, error) {
	return secretValues(ctx, root, out, env, secretsFile, nil, placeholder)
}

// RenderStub renders a hub-env's objects for checks that read them
// offline (vet's placement check): the chart ch, already loaded, with the
// placeholder secrets of StubValues instead of any secrets file, and the
// hub's kustomize patches applied as Render applies them when keep says
// so of one of them. Only then does it run kustomize: the labels and the
// namespace Render adds change no object's spec, and without patches the
// stream is Helm's manifest (kustomize's pass over it costs as much as
// Helm's render). engine is the hub's Helm major (release.Engine). The
// stream holds fake secrets; it is never written
// anywhere.
func RenderStub(ctx context.Context, engine helmengine.Engine, out *gen.Output, env string, ch *chart.Chart, keep func(hub.Patch) bool) ([]byte, error) {
	vals, err := StubValues(out, env)
	if err != nil {
		return nil, err
	}
	if !keepsPatch(out.Hub, env, keep) {
		res, err := engine.Render(ctx, stubRequest(out, env, ch, vals))
		if err != nil {
			return nil, err
		}
		return []byte(res.Manifest), nil
	}
	return renderPatched(ctx, engine, out, env, ch, vals)
}

// StubCheck is what CheckStub found of a hub-env, its documents read
// into T.
type StubCheck[T any] struct {
	// Problems and CheckErr are the engine's CheckValues's.
	Problems []helmengine.SchemaProblem
	CheckErr error
	// Decoded says which of Documents and Objects holds the render: the
	// documents of Helm's manifest, in its order, as decode read them, or
	// RenderStub's objects. Both are nil when there are Problems (nothing
	// was rendered) or a RenderErr.
	Decoded   bool
	Documents []T
	Objects   []byte
	RenderErr error
}

// CheckStub checks the StubValues of a hub-env against the
// values.schema.json files of ch (engine.CheckValues) and, unless the
// schemas refuse a value, renders its objects as RenderStub does (a check
// that fails with an error renders all the same), the values coalesced
// over the charts' defaults once for both when it can, and then the
// documents of Helm's manifest each read once by decode instead of the
// manifest made (helmengine.CheckDecoded).
func CheckStub[T any](ctx context.Context, engine helmengine.Engine, out *gen.Output, env string, ch *chart.Chart, keep func(hub.Patch) bool, decode helmengine.Decoder[T]) StubCheck[T] {
	vals, err := StubValues(out, env)
	if err != nil {
		return StubCheck[T]{CheckErr: err, RenderErr: err}
	}
	var c StubCheck[T]
	if keepsPatch(out.Hub, env, keep) {
		if c.Problems, c.CheckErr = engine.CheckValues(ch, vals); c.CheckErr == nil && len(c.Problems) > 0 {
			return c
		}
		c.Objects, c.RenderErr = renderPatched(ctx, engine, out, env, ch, vals)
		return c
	}
	r, docs, decoded := helmengine.CheckDecoded(ctx, engine, stubRequest(out, env, ch, vals), decode)
	c = StubCheck[T]{Problems: r.Problems, CheckErr: r.CheckErr, Decoded: decoded, Documents: docs, RenderErr: r.RenderErr}
	if r.Result != nil {
		c.Objects = []byte(r.Result.Manifest)
	}
	return c
}

// keepsPatch says whether keep says so of one of the kustomize patches
// of a hub-env.
func keepsPatch(h *hub.Hub, env string, keep func(hub.Patch) bool) bool {
	for _, ps := range [][]hub.Patch{h.Kustomize.Patches, h.Environments[env].Kustomize.Patches} {
		for _, p := range ps {
			if keep(p) {
				return true
			}
		}
	}
	return false
}

// stubRequest is the Helm request of a hub-env's release with values vals.
func stubRequest(out *gen.Output, env string, ch *chart.Chart, vals map[string]any) helmengine.Request {
	release := Release(out.Hub.Name, env)
	return helmengine.Request{
		Chart:       ch,
		ReleaseName: release,
		Namespace:   release,
		Values:      vals,
		KubeVersion: render.DefaultKubeVersion,
	}
}

// renderPatched renders a hub-env with values vals and its kustomize
// layer, as Render does.
func renderPatched(ctx context.Context, engine helmengine.Engine, out *gen.Output, env string, ch *chart.Chart, vals map[string]any) ([]byte, error) {
	release := Release(out.Hub.Name, env)
	labels, patches := kustomizeLayer(out.Hub, env)
	return render.Render(ctx, render.Options{
		Release:   release,
		Namespace: release,
		Chart:     ch,
		Values:    []map[string]any{vals},
		Labels:    labels,
		Patches:   patches,
		Engine:    engine,
	})
}

// GeneratedSecrets is what the jupyterhub chart in ch (ch itself, or its
// dependency jupyterhub) would make up at random for vals, the user values
// of ch (secrets.Missing, over the defaults of the jupyterhub chart and of
// ch). ch nil is an umbrella whose defaults are not known (its charts not
// cached): the values alone, in the daskhub layout. None when ch holds no
// jupyterhub chart.
func GeneratedSecrets(ch *chart.Chart, vals map[string]any) []secrets.Generated {
	if ch == nil {
		return secrets.Missing([]string{jupyterhubChart}, vals)
	}
	if ch.Name() == jupyterhubChart {
		return secrets.Missing(nil, values.Merge(missingReads(ch.Values), missingReads(vals)))
	}
	key := jupyterhubChart
	if ch.Metadata != nil {
		for _, d := range ch.Metadata.Dependencies {
			if d != nil && d.Name == jupyterhubChart && d.Alias != "" {
				key = d.Alias
			}
		}
	}
	for _, sub := range ch.Dependencies() {
		if sub.Name() == jupyterhubChart {
			under := func(layer map[string]any) map[string]any {
				v, ok := layer[key]
				if !ok {
					return nil
				}
				if m, ok := v.(map[string]any); ok {
					v = missingReads(m)
				}
				return map[string]any{key: v}
			}
			return secrets.Missing([]string{key}, values.Merge(map[string]any{key: missingReads(sub.Values)}, under(ch.Values), under(vals)))
		}
	}
	return nil
}

// missingReads is what secrets.Missing reads of the values m of the
// jupyterhub chart: its entries secrets.MissingReads, shared with m.
// values.Merge merges key by key, so the merge of layers cut so is the
// merge of the whole layers there, for a fraction of the copying (the
// chart's defaults are most of it).
func missingReads(m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range secrets.MissingReads {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// jupyterhubChart is the name of the jupyterhub chart.
const jupyterhubChart = "jupyterhub"
