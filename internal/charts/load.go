package charts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// fetched is a package got through the cache: its ref, digest filled in.
type fetched struct {
	Ref  Ref
	Path string
}

// Load loads a chart and makes sure every dependency its Chart.yaml declares
// is present, as Helm's install and template need.
//
// source is a chart folder, a .tgz package, an http(s) chart repository URL
// (the chart is then ref.Name at ref.Version), an OCI reference
// "oci://host/path/name[:version]" (the version defaults to ref.Version), or
// empty for ref itself. Remote charts come through Get.
//
// A dependency that is missing from the chart's charts/ is fetched: from its
// repository (https or oci://) through Get, at the version Chart.lock locks
// it to, else at its version when exact, else at the highest version of the
// repository satisfying its range (when offline: the highest vendored or
// cached one); a file:// dependency is loaded from the folder relative to a
// chart folder. It is attached with chart.AddDependency, and its own
// dependencies are ensured likewise. A dependency present in charts/ must
// satisfy the declared version.
func (c *Cache) Load(ctx context.Context, source string, ref Ref) (*chart.Chart, error) {
	o := getOptions{indexes: map[string]*indexFile{}}
	ch, dir, _, err := c.loadSource(ctx, source, ref, o)
	if err != nil {
		return nil, err
	}
	if _, err := c.ensureDeps(ctx, ch, dir, o); err != nil {
		return nil, err
	}
	return ch, nil
}

// loadSource loads the chart named by source and ref (see Load) without
// ensuring its dependencies. dir is the chart's folder when it is one, for
// file:// dependencies; f is set when the chart came through the cache.
func (c *Cache) loadSource(ctx context.Context, source string, ref Ref, o getOptions) (ch *chart.Chart, dir string, f *fetched, err error) {
	switch {
	case source == "":
	case isOCI(source):
		r, err := ParseOCI(source)
		if err != nil {
			return nil, "", nil, err
		}
		if ref.Name != "" && ref.Name != r.Name {
			return nil, "", nil, fmt.Errorf("%s names chart %s, not %s", source, r.Name, ref.Name)
		}
		if r.Version == "" {
			r.Version = ref.Version
		} else if ref.Version != "" && ref.Version != r.Version {
			return nil, "", nil, fmt.Errorf("%s has version %s, not %s", source, r.Version, ref.Version)
		}
		r.Digest = ref.Digest
		ref = r
	case strings.HasPrefix(source, "https://") || strings.HasPrefix(source, "http://"):
		ref.Repository = source
	default:
		fi, err := os.Stat(source)
		if err != nil {
			return nil, "", nil, fmt.Errorf("chart %s: %w", source, err)
		}
		ch, err := loader.Load(source)
		if err != nil {
			return nil, "", nil, fmt.Errorf("chart %s: %w", source, err)
		}
		if fi.IsDir() {
			dir = source
		}
		return ch, dir, nil, nil
	}
	path, digest, err := c.get(ctx, ref, o)
	if err != nil {
		return nil, "", nil, err
	}
	ch, err = loadPackage(path, digest)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %s: %w", ref, path, err)
	}
	ref.Repository, ref.Digest = normRepo(ref.Repository), digest
	return ch, "", &fetched{Ref: ref, Path: path}, nil
}

// ensureDeps attaches the missing dependencies of ch, and theirs, and
// returns those that came through the cache. dir is ch's folder, if any.
func (c *Cache) ensureDeps(ctx context.Context, ch *chart.Chart, dir string, o getOptions) ([]fetched, error) {
	if ch.Metadata == nil {
		return nil, fmt.Errorf("chart without Chart.yaml")
	}
	var got []fetched
	for _, d := range ch.Metadata.Dependencies {
		if d == nil {
			continue
		}
		what := fmt.Sprintf("chart %s %s: dependency %s %s", ch.Name(), ch.Metadata.Version, d.Name, d.Version)
		if sub := subchart(ch, d.Name); sub != nil {
			if err := satisfies(sub.Metadata.Version, d.Version); err != nil {
				return nil, fmt.Errorf("%s: charts/%s: %w", what, d.Name, err)
			}
			subdir := ""
			if dir != "" {
				if fi, err := os.Stat(filepath.Join(dir, "charts", d.Name)); err == nil && fi.IsDir() {
					subdir = filepath.Join(dir, "charts", d.Name)
				}
			}
			more, err := c.ensureDeps(ctx, sub, subdir, o)
			if err != nil {
				return nil, err
			}
			got = append(got, more...)
			continue
		}
		sub, subdir, f, err := c.fetchDep(ctx, ch, d, dir, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if f != nil {
			got = append(got, *f)
		}
		more, err := c.ensureDeps(ctx, sub, subdir, o)
		if err != nil {
			return nil, err
		}
		got = append(got, more...)
		ch.AddDependency(sub)
	}
	return got, nil
}

// subchart is the dependency of ch named name, if loaded.
func subchart(ch *chart.Chart, name string) *chart.Chart {
	for _, sub := range ch.Dependencies() {
		if sub.Metadata != nil && sub.Metadata.Name == name {
			return sub
		}
	}
	return nil
}

// satisfies checks that version meets the declared constraint.
func satisfies(version, constraint string) error {
	if constraint == "" || constraint == version {
		return nil
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return fmt.Errorf("version %s, but Chart.yaml wants %q, which is not a version range: %w", version, constraint, err)
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return fmt.Errorf("version %q: %w", version, err)
	}
	if !cons.Check(v) {
		return fmt.Errorf("version %s does not satisfy %s", version, constraint)
	}
	return nil
}

// fetchDep loads the missing dependency d of ch; dir is ch's folder, if any.
func (c *Cache) fetchDep(ctx context.Context, ch *chart.Chart, d *chart.Dependency, dir string, o getOptions) (*chart.Chart, string, *fetched, error) {
	repo := strings.TrimSpace(d.Repository)
	switch {
	case repo == "":
		return nil, "", nil, errors.New("missing from charts/, and no repository to fetch it from")
	case strings.HasPrefix(repo, "file://"):
		if dir == "" {
			return nil, "", nil, fmt.Errorf("missing from charts/, and %s is relative to a chart folder, not a package", repo)
		}
		p := strings.TrimPrefix(repo, "file://")
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		sub, err := loader.Load(p)
		if err != nil {
			return nil, "", nil, err
		}
		if sub.Metadata.Name != d.Name {
			return nil, "", nil, fmt.Errorf("%s holds chart %s", p, sub.Metadata.Name)
		}
		if err := satisfies(sub.Metadata.Version, d.Version); err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", p, err)
		}
		subdir := ""
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			subdir = p
		}
		return sub, subdir, nil, nil
	case isOCI(repo), strings.HasPrefix(repo, "https://"), strings.HasPrefix(repo, "http://"):
	default:
		return nil, "", nil, fmt.Errorf("repository %q is not a URL (https://, oci:// or file://); helm repository aliases are not supported", repo)
	}
	repo = normRepo(repo)
	version, err := c.depVersion(ctx, ch, d, repo, o)
	if err != nil {
		return nil, "", nil, err
	}
	ref := Ref{Name: d.Name, Version: version, Repository: repo}
	path, digest, err := c.get(ctx, ref, o)
	if err != nil {
		return nil, "", nil, err
	}
	sub, err := loadPackage(path, digest)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %s: %w", ref, path, err)
	}
	ref.Digest = digest
	return sub, "", &fetched{Ref: ref, Path: path}, nil
}

// depVersion is the exact version of dependency d to fetch from repo.
func (c *Cache) depVersion(ctx context.Context, ch *chart.Chart, d *chart.Dependency, repo string, o getOptions) (string, error) {
	if ch.Lock != nil {
		for _, l := range ch.Lock.Dependencies {
			if l != nil && l.Name == d.Name && normRepo(l.Repository) == repo && isExact(l.Version) {
				if err := satisfies(l.Version, d.Version); err != nil {
					return "", fmt.Errorf("Chart.lock: %w", err)
				}
				return l.Version, nil
			}
		}
	}
	if d.Version == "" {
		return "", errors.New("no version, and not in Chart.lock")
	}
	if isExact(d.Version) {
		return d.Version, nil
	}
	return c.resolve(ctx, repo, d.Name, d.Version, o)
}

// resolve picks the highest version of chart name in repo satisfying
// constraint: among those of o.locked, else of the vendored ones, when any
// does; else (offline) among the cached ones; else among the repository's.
func (c *Cache) resolve(ctx context.Context, repo, name, constraint string, o getOptions) (string, error) {
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return "", fmt.Errorf("version range %q: %w", constraint, err)
	}
	var locks []Lock
	if o.locked != nil {
		locks = append(locks, *o.locked)
	}
	if c.VendorDir != "" && !o.noVendor {
		lock, err := ReadLock(c.VendorDir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		locks = append(locks, lock)
	}
	for _, lock := range locks {
		var vs []string
		for _, e := range lock.Charts {
			if e.Name == name && e.Repository == redact(repo) {
				vs = append(vs, e.Version)
			}
		}
		if v := highest(vs, cons); v != "" {
			return v, nil
		}
	}
	var vs []string
	where := repo
	switch {
	case c.Offline:
		dir, err := c.dir()
		if err != nil {
			return "", err
		}
		where = "the chart cache " + dir
		vs, err = c.cachedVersions(dir, repo, name)
		if err != nil {
			return "", err
		}
		if len(vs) == 0 {
			return "", fmt.Errorf("chart %s %s from %s: %w (cache %s): run `pangeo-gen charts pull` while online, or pass --chart with a local chart folder or .tgz",
				name, constraint, redact(repo), ErrOffline, dir)
		}
	case isOCI(repo):
		tags, err := c.ociTags(ctx, repo, name)
		if err != nil {
			return "", err
		}
		for _, t := range tags {
			vs = append(vs, strings.ReplaceAll(t, "_", "+"))
		}
	default:
		idx, err := c.index(ctx, repo, o)
		if err != nil {
			return "", err
		}
		for _, e := range idx.Entries[name] {
			if !e.Removed {
				vs = append(vs, e.Version)
			}
		}
	}
	v := highest(vs, cons)
	if v == "" {
		return "", fmt.Errorf("no version of chart %s in %s satisfies %q (%w); it has %s", name, redact(where), constraint, ErrNotFound, latest(vs, 5))
	}
	return v, nil
}

// highest is the highest of versions that is exact and satisfies cons, or "".
func highest(versions []string, cons *semver.Constraints) string {
	var best *semver.Version
	for _, s := range versions {
		v, err := semver.StrictNewVersion(s)
		if err != nil || !cons.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return best.Original()
}

// cachedVersions lists the versions of chart name from repo in the cache.
func (c *Cache) cachedVersions(dir, repo, name string) ([]string, error) {
	keyDir := filepath.Join(dir, cacheKey(repo, name))
	des, err := os.ReadDir(keyDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("chart cache: %w", err)
	}
	var vs []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		e, err := readEntry(filepath.Join(keyDir, de.Name()))
		if err == nil && e.Name == name {
			vs = append(vs, e.Version)
		}
	}
	sort.Strings(vs)
	return vs, nil
}
