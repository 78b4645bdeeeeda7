package charts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LockFile is the lock file of a vendored folder.
const LockFile = "charts.lock"

// Lock is the lock file of a vendored folder (vendor/charts/charts.lock):
// every vendored package, sorted by name, version and repository.
type Lock struct {
	Charts []LockEntry `json:"charts"`
}

// LockEntry is one vendored package, stored as <name>-<version>.tgz.
type LockEntry struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
}

// File is the entry's package file name in the vendored folder.
func (e LockEntry) File() string { return e.Name + "-" + e.Version + ".tgz" }

// Find returns the entry of ref's chart, version and repository.
func (l Lock) Find(ref Ref) (LockEntry, bool) {
	repo := redact(normRepo(ref.Repository))
	for _, e := range l.Charts {
		if e.Name == ref.Name && e.Version == ref.Version && e.Repository == repo {
			return e, true
		}
	}
	return LockEntry{}, false
}

// Marshal is the lock file's content: indented JSON ending in a newline.
func (l Lock) Marshal() ([]byte, error) {
	if l.Charts == nil {
		l.Charts = []LockEntry{}
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadLock reads the lock file of vendored folder dir; when there is none,
// the error wraps fs.ErrNotExist.
func ReadLock(dir string) (Lock, error) {
	var l Lock
	path := filepath.Join(dir, LockFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return l, fmt.Errorf("chart lock: %w", err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("chart lock %s: %w", path, err)
	}
	for _, e := range l.Charts {
		if !nameRE.MatchString(e.Name) || !isExact(e.Version) || !digestRE.MatchString(e.Digest) {
			return l, fmt.Errorf("chart lock %s: bad entry %+v", path, e)
		}
	}
	return l, nil
}

// vendored serves ref from c.VendorDir when its lock lists it (ok), after
// checking the package's digest against the lock and ref's pin.
func (c *Cache) vendored(ref Ref) (path, digest string, ok bool, err error) {
	lock, err := ReadLock(c.VendorDir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("%s: %w", ref, err)
	}
	e, ok := lock.Find(ref)
	if !ok {
		return "", "", false, nil
	}
	path = filepath.Join(c.VendorDir, e.File())
	got, err := fileDigest(path)
	if err != nil {
		return "", "", false, fmt.Errorf("%s: vendored package: %w: vendor it again (pangeo-gen charts vendor)", ref, err)
	}
	if got != e.Digest {
		return "", "", false, fmt.Errorf("%s: vendored package %s is %w: digest %s, %s says %s: restore it, or vendor it again (pangeo-gen charts vendor --update)",
			ref, path, ErrCorrupt, got, LockFile, e.Digest)
	}
	if ref.Digest != "" && ref.Digest != e.Digest {
		return "", "", false, fmt.Errorf("%s: %w: pinned %s, vendored %s: vendor it again (pangeo-gen charts vendor --update)", ref, ErrDigest, ref.Digest, e.Digest)
	}
	return path, e.Digest, true, nil
}

// VendorOptions tune Vendor.
type VendorOptions struct {
	// Update lets Vendor replace a vendored package whose digest differs
	// from the one fetched.
	Update bool
}

// Vendor makes dir (such as <repo>/vendor/charts) hold exactly the packages
// of refs and of the dependencies they do not bundle, as
// <name>-<version>.tgz, with the lock file charts.lock listing them, and
// returns the lock. Packages come through the cache (never from VendorDir).
// A dependency's version range resolves to the version dir's lock already
// has, when it satisfies the range, unless opts.Update. Vendor writes only
// what changed, so vendoring again is a no-op, and it refuses to replace a
// vendored package, or a lock entry, with one of another digest unless
// opts.Update is set; packages the old lock listed that are no longer
// needed are removed.
func (c *Cache) Vendor(ctx context.Context, dir string, refs []Ref, opts VendorOptions) (Lock, error) {
	old, err := ReadLock(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Lock{}, fmt.Errorf("vendor: %w", err)
	}
	o := getOptions{noVendor: true, indexes: map[string]*indexFile{}}
	if !opts.Update {
		o.locked = &old
	}
	want := map[string]fetched{} // by file name
	add := func(f fetched) error {
		file := f.Ref.Name + "-" + f.Ref.Version + ".tgz"
		prev, ok := want[file]
		if !ok {
			want[file] = f
			return nil
		}
		if prev.Ref.Repository != f.Ref.Repository || prev.Ref.Digest != f.Ref.Digest {
			return fmt.Errorf("vendor: %s and %s would both be %s", prev.Ref, f.Ref, file)
		}
		return nil
	}
	for _, ref := range refs {
		ch, _, f, err := c.loadSource(ctx, "", ref, o)
		if err != nil {
			return Lock{}, fmt.Errorf("vendor: %w", err)
		}
		if err := add(*f); err != nil {
			return Lock{}, err
		}
		deps, err := c.ensureDeps(ctx, ch, "", o)
		if err != nil {
			return Lock{}, fmt.Errorf("vendor: %w", err)
		}
		for _, d := range deps {
			if err := add(d); err != nil {
				return Lock{}, err
			}
		}
	}

	lock := Lock{Charts: []LockEntry{}}
	for _, f := range want {
		lock.Charts = append(lock.Charts, LockEntry{Name: f.Ref.Name, Version: f.Ref.Version, Repository: redact(f.Ref.Repository), Digest: f.Ref.Digest})
	}
	sort.Slice(lock.Charts, func(i, j int) bool {
		a, b := lock.Charts[i], lock.Charts[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Repository < b.Repository
	})

	oldByFile := map[string]LockEntry{}
	for _, e := range old.Charts {
		oldByFile[e.File()] = e
	}

	// Check everything before writing anything.
	have := map[string]string{} // file name → digest of the vendored package
	var conflicts []string
	for _, e := range lock.Charts {
		file := e.File()
		d, err := fileDigest(filepath.Join(dir, file))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return Lock{}, fmt.Errorf("vendor: %w", err)
		default:
			have[file] = d
		}
		if d, ok := have[file]; ok && d != e.Digest {
			conflicts = append(conflicts, fmt.Sprintf("%s is %s, %s %s from %s is %s", filepath.Join(dir, file), d, e.Name, e.Version, e.Repository, e.Digest))
		} else if p, ok := oldByFile[file]; ok && (p.Digest != e.Digest || p.Repository != e.Repository) {
			conflicts = append(conflicts, fmt.Sprintf("%s locks %s %s from %s at %s, now %s from %s is %s", LockFile, p.Name, p.Version, p.Repository, p.Digest, e.Name, e.Repository, e.Digest))
		}
	}
	if len(conflicts) > 0 && !opts.Update {
		return Lock{}, fmt.Errorf("vendor: refusing to replace vendored charts (vendor with --update to replace them):\n\t%s", strings.Join(conflicts, "\n\t"))
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Lock{}, fmt.Errorf("vendor: %w", err)
	}
	for _, e := range lock.Charts {
		file := e.File()
		if have[file] == e.Digest {
			continue
		}
		f := want[file]
		got, err := copyFileAtomic(filepath.Join(dir, file), f.Path)
		if err != nil {
			return Lock{}, fmt.Errorf("vendor: %s: %w", f.Ref, err)
		}
		if got != e.Digest {
			return Lock{}, fmt.Errorf("vendor: %s: %w: copied %s from the cache as %s, want %s", f.Ref, ErrCorrupt, f.Path, got, e.Digest)
		}
	}
	for file := range oldByFile {
		if _, ok := want[file]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(dir, file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Lock{}, fmt.Errorf("vendor: %w", err)
		}
	}
	b, err := lock.Marshal()
	if err != nil {
		return Lock{}, fmt.Errorf("vendor: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, b) {
		return lock, nil
	}
	if err := writeFileAtomic(path, b); err != nil {
		return Lock{}, fmt.Errorf("vendor: %w", err)
	}
	return lock, nil
}
