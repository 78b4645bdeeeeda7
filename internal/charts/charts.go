// Package charts gets Helm charts reproducibly and offline: from an https
// chart repository (index.yaml) or an OCI registry, through a local cache of
// chart packages whose digests are verified on every use, and from a vendored
// folder (vendor/charts) described by a lock file.
//
// The cache is modelled on timoni's: one folder per chart source, keyed by the
// sha256 of the repository and chart name, holding <name>-<version>.tgz and a
// small JSON record of where the package came from and its digest. Files are
// written to a temporary name and renamed into place, so a reader never sees
// a partial package, and several processes may share one cache.
package charts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// EnvCache names the environment variable that overrides DefaultDir.
const EnvCache = "PANGEO_GEN_CACHE"

// Names of the charts a hub's chart pins (hub.Chart.JupyterHub and
// hub.Chart.DaskGateway).
const (
	JupyterHubChart  = "jupyterhub"
	DaskGatewayChart = "dask-gateway"
)

// Errors that Get, Load and Vendor wrap; test them with errors.Is.
var (
	// ErrOffline: the chart is neither vendored nor cached and the cache is
	// offline.
	ErrOffline = errors.New("not in the chart cache, and offline")
	// ErrDigest: a package's digest differs from the one it is pinned to.
	ErrDigest = errors.New("digest mismatch")
	// ErrCorrupt: a cached or vendored package no longer has the digest that
	// was recorded when it was stored.
	ErrCorrupt = errors.New("corrupted")
	// ErrNotFound: the repository has no such chart or version.
	ErrNotFound = errors.New("not found")
)

// DefaultRetryDelays are the waits between the tries of a download when
// Cache.RetryDelays is nil: three tries in all.
var DefaultRetryDelays = []time.Duration{500 * time.Millisecond, 2 * time.Second}

// Ref names one chart package.
//
// Repository is either an https (or http) chart repository, whose index.yaml
// lists the chart, or an OCI repository "oci://host/path" under which the
// chart is the artifact "host/path/<Name>:<Version>", as in the repository
// field of a Chart.yaml dependency. Version is an exact version. Digest, when
// set, is "sha256:<hex>" of the chart's .tgz, and a package with another
// digest is refused.
type Ref struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
	Digest     string `json:"digest,omitempty"`
}

// String is "chart <name> <version> from <source>", the prefix of every
// error about the chart. Credentials in the repository URL are redacted.
func (r Ref) String() string {
	return fmt.Sprintf("chart %s %s from %s", r.Name, r.Version, r.Source())
}

// Source is where the chart comes from: the chart repository URL, or for OCI
// the full reference oci://host/path/name:version. Credentials are redacted.
func (r Ref) Source() string {
	repo := normRepo(r.Repository)
	if isOCI(repo) {
		s := repo + "/" + r.Name
		if r.Version != "" {
			s += ":" + ociTag(r.Version)
		}
		return s
	}
	return redact(repo)
}

// PinRef is the ref of chart name as pinned by p, such as
// PinRef(JupyterHubChart, h.Chart.JupyterHub).
func PinRef(name string, p hub.Pin) Ref {
	return Ref{Name: name, Version: p.Version, Repository: p.Repository, Digest: p.Digest}
}

// ChartRefs are the refs of the charts a hub pins: its umbrella chart when it
// is pulled rather than generated (hub.GeneratedChart), then jupyterhub and
// dask-gateway.
func ChartRefs(c hub.Chart) []Ref {
	var refs []Ref
	if c.Name != hub.GeneratedChart {
		refs = append(refs, Ref{Name: c.Name, Version: c.Version, Repository: c.Repository, Digest: c.Digest})
	}
	return append(refs, PinRef(JupyterHubChart, c.JupyterHub), PinRef(DaskGatewayChart, c.DaskGateway))
}

// ParseOCI splits a full OCI chart reference "oci://host/path/name[:version]"
// into a Ref (Repository "oci://host/path", Name "name", Version). A digest
// suffix (@sha256:...) is not accepted: OCI manifests' digests are not the
// chart package's.
func ParseOCI(s string) (Ref, error) {
	if !isOCI(s) {
		return Ref{}, fmt.Errorf("%q is not an oci:// reference", s)
	}
	rest := strings.TrimPrefix(s, "oci://")
	if strings.Contains(rest, "@") {
		return Ref{}, fmt.Errorf("oci reference %q: digests are not supported, give a version tag", s)
	}
	slash := strings.LastIndex(rest, "/")
	if slash <= 0 || slash == len(rest)-1 {
		return Ref{}, fmt.Errorf("oci reference %q: want oci://host/path/name[:version]", s)
	}
	r := Ref{Repository: "oci://" + rest[:slash], Name: rest[slash+1:]}
	if i := strings.LastIndex(r.Name, ":"); i >= 0 {
		r.Name, r.Version = r.Name[:i], strings.ReplaceAll(r.Name[i+1:], "_", "+")
	}
	return r, nil
}

// Cache is a folder of chart packages keyed by source and version:
// <Dir>/<sha256(repository+"\x00"+name)>/<name>-<version>.tgz, beside
// <name>-<version>.json recording the source, version and digest. The
// repository is taken without trailing slashes. A Cache is safe for
// concurrent use, also by several processes.
type Cache struct {
	// Dir is the cache folder; DefaultDir when empty.
	Dir string
	// Offline forbids the network: a chart that is neither vendored nor
	// cached is an error (ErrOffline).
	Offline bool
	// VendorDir, when set, is a vendored folder (see Vendor) whose packages
	// are served, digest-checked against its charts.lock, before the cache.
	VendorDir string
	// HTTP is the client for chart repositories, and its Transport for OCI
	// registries; nil is a client with timeouts.
	HTTP *http.Client
	// Keychain gives OCI registry credentials; nil is authn.DefaultKeychain
	// (docker's config.json and credential helpers).
	Keychain authn.Keychain
	// RetryDelays are the waits between tries of a network operation that
	// failed transiently (5xx, 429, connection refused or reset, timeouts);
	// nil is DefaultRetryDelays, an empty slice tries once.
	RetryDelays []time.Duration
}

// DefaultDir is the chart cache folder: $PANGEO_GEN_CACHE when set, else
// pangeo-gen/charts in the user's cache folder ($XDG_CACHE_HOME or
// ~/.cache on Linux, ~/Library/Caches on macOS).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", fmt.Errorf("chart cache $%s: %w", EnvCache, err)
		}
		return abs, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("chart cache: %w; set $%s", err, EnvCache)
	}
	return filepath.Join(d, "pangeo-gen", "charts"), nil
}

func (c *Cache) dir() (string, error) {
	if c.Dir != "" {
		return c.Dir, nil
	}
	return DefaultDir()
}

// entry is the JSON record beside a cached package.
type entry struct {
	Repository string `json:"repository"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	Digest     string `json:"digest"`
	// URL is where the package was downloaded from.
	URL string `json:"url"`
}

// getOptions tune get for Vendor.
type getOptions struct {
	noVendor bool                  // skip VendorDir
	indexes  map[string]*indexFile // repository indexes already fetched, when not nil
	locked   *Lock                 // versions that ranges prefer, when not nil
}

// Get returns the path of the package of ref and its digest ("sha256:<hex>"),
// serving it from VendorDir, else from the cache, else downloading it into
// the cache (unless Offline: then the error wraps ErrOffline and says how to
// fill the cache). A downloaded package is checked to be the chart and
// version asked for and, when ref.Digest is set, to have that digest; one
// that is not is never cached. A cached package's digest is recomputed on
// every Get and must equal the recorded one (else ErrCorrupt).
func (c *Cache) Get(ctx context.Context, ref Ref) (path, digest string, err error) {
	return c.get(ctx, ref, getOptions{})
}

func (c *Cache) get(ctx context.Context, ref Ref, o getOptions) (string, string, error) {
	ref.Repository = normRepo(ref.Repository)
	if err := ref.validate(); err != nil {
		return "", "", err
	}
	if c.VendorDir != "" && !o.noVendor {
		path, digest, ok, err := c.vendored(ref)
		if err != nil || ok {
			return path, digest, err
		}
	}
	dir, err := c.dir()
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", ref, err)
	}
	keyDir := filepath.Join(dir, cacheKey(ref.Repository, ref.Name))
	base := ref.Name + "-" + ref.Version
	tgz := filepath.Join(keyDir, base+".tgz")
	meta := filepath.Join(keyDir, base+".json")

	rec, err := readEntry(meta)
	switch {
	case err == nil:
		got, err := fileDigest(tgz)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("%s: cached package: %w", ref, err)
		}
		if err != nil || got != rec.Digest {
			if err != nil {
				got = "missing"
			}
			return "", "", fmt.Errorf("%s: cached package %s is %w (digest %s, recorded %s): remove %s and pull it again (pangeo-gen charts pull)",
				ref, tgz, ErrCorrupt, got, rec.Digest, keyDir)
		}
		if ref.Digest == "" || ref.Digest == rec.Digest {
			return tgz, rec.Digest, nil
		}
		if c.Offline {
			return "", "", fmt.Errorf("%s: %w: pinned %s, but the cached package %s is %s; going online would fetch it again", ref, ErrDigest, ref.Digest, tgz, rec.Digest)
		}
		// The pin differs from what was cached (say a chart republished
		// under the same version): fetch it again; only a package with
		// the pinned digest replaces the cached one.
	case errors.Is(err, fs.ErrNotExist):
		if c.Offline {
			return "", "", fmt.Errorf("%s: %w (cache %s): run `pangeo-gen charts pull` while online, or pass --chart with a local chart folder or .tgz", ref, ErrOffline, dir)
		}
	default:
		return "", "", fmt.Errorf("%s: cache record: %w: remove %s and pull it again (pangeo-gen charts pull)", ref, err, keyDir)
	}

	if err := os.MkdirAll(keyDir, 0o755); err != nil {
		return "", "", fmt.Errorf("%s: %w", ref, err)
	}
	tmp, digest, from, err := c.download(ctx, ref, keyDir, o)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", ref, err)
	}
	defer os.Remove(tmp) // after a successful rename: no such file
	if ref.Digest != "" && digest != ref.Digest {
		return "", "", fmt.Errorf("%s: %w: pinned %s, downloaded %s from %s (nothing cached)", ref, ErrDigest, ref.Digest, digest, redact(from))
	}
	if err := checkArchive(tmp, ref); err != nil {
		return "", "", fmt.Errorf("%s: downloaded from %s: %w (nothing cached)", ref, redact(from), err)
	}
	rec = entry{Repository: redact(ref.Repository), Name: ref.Name, Version: ref.Version, Digest: digest, URL: redact(from)}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", ref, err)
	}
	// Package first, record second: a record always describes the package
	// beside it, except after a crash between the two renames, which the
	// digest check reports.
	if err := os.Rename(tmp, tgz); err != nil {
		return "", "", fmt.Errorf("%s: cache: %w", ref, err)
	}
	if err := writeFileAtomic(meta, append(b, '\n')); err != nil {
		return "", "", fmt.Errorf("%s: cache: %w", ref, err)
	}
	return tgz, digest, nil
}

// Has reports whether the package of ref is vendored (VendorDir's lock
// lists it) or cached (the cache records it), without reading it: a cheap
// test of whether an offline Get can serve it, for callers that would
// rather skip a chart than fail on it. Get still checks its digests.
func (c *Cache) Has(ref Ref) bool {
	ref.Repository = normRepo(ref.Repository)
	if ref.validate() != nil {
		return false
	}
	if c.VendorDir != "" {
		if lock, err := ReadLock(c.VendorDir); err == nil {
			if _, ok := lock.Find(ref); ok {
				return true
			}
		}
	}
	dir, err := c.dir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, cacheKey(ref.Repository, ref.Name), ref.Name+"-"+ref.Version+".json"))
	return err == nil
}

// checkArchive makes sure the package at path is the chart ref names.
func checkArchive(path string, ref Ref) error {
	ch, err := loader.LoadFile(path)
	if err != nil {
		return fmt.Errorf("not a chart package: %w", err)
	}
	if ch.Metadata.Name != ref.Name || ch.Metadata.Version != ref.Version {
		return fmt.Errorf("package holds chart %s %s", ch.Metadata.Name, ch.Metadata.Version)
	}
	return nil
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// validate checks a ref whose repository is normalised.
func (r Ref) validate() error {
	switch {
	case !nameRE.MatchString(r.Name):
		return fmt.Errorf("%s: invalid chart name %q", r, r.Name)
	case r.Version == "":
		return fmt.Errorf("%s: no version", r)
	case !isExact(r.Version):
		return fmt.Errorf("%s: version %q is not an exact semantic version", r, r.Version)
	case r.Digest != "" && !digestRE.MatchString(r.Digest):
		return fmt.Errorf("%s: digest %q is not sha256:<64 lowercase hex>", r, r.Digest)
	}
	if isOCI(r.Repository) {
		if strings.TrimPrefix(r.Repository, "oci://") == "" {
			return fmt.Errorf("%s: empty oci repository", r)
		}
		return nil
	}
	u, err := url.Parse(r.Repository)
	if err != nil {
		return fmt.Errorf("%s: repository: %w", r, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: repository %q is neither an http(s) chart repository nor oci://", r, redact(r.Repository))
	}
	return nil
}

// isExact reports whether v is one exact semantic version (not a range).
func isExact(v string) bool {
	_, err := semver.StrictNewVersion(v)
	return err == nil
}

func isOCI(repo string) bool { return strings.HasPrefix(repo, "oci://") }

// normRepo drops the trailing slashes of a repository.
func normRepo(repo string) string { return strings.TrimRight(strings.TrimSpace(repo), "/") }

// ociTag is the tag of a chart version: OCI tags cannot hold "+", which
// Helm writes as "_".
func ociTag(version string) string { return strings.ReplaceAll(version, "+", "_") }

// cacheKey is the folder of a chart source in the cache.
func cacheKey(repo, name string) string {
	h := sha256.Sum256([]byte(normRepo(repo) + "\x00" + name))
	return hex.EncodeToString(h[:])
}

// redact hides the password of a URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

func readEntry(path string) (entry, error) {
	var e entry
	b, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s: %w", path, err)
	}
	if !digestRE.MatchString(e.Digest) {
		return e, fmt.Errorf("%s: bad digest %q", path, e.Digest)
	}
	return e, nil
}

// fileDigest is "sha256:<hex>" of a file.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// copyFileAtomic copies src to dst through a temporary file and returns the
// copy's digest.
func copyFileAtomic(dst, src string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	tmp, digest, err := writeTemp(filepath.Dir(dst), filepath.Base(dst), in)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	return digest, os.Rename(tmp, dst)
}

// writeTemp writes r to a new synced temporary file in dir and returns its
// name and digest; the caller renames or removes it.
func writeTemp(dir, base string, r io.Reader) (string, string, error) {
	f, err := os.CreateTemp(dir, ".tmp-"+base+"-*")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", err
	}
	return f.Name(), "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
