package charts_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// listDir lists a folder's files with their modification times.
func listDir(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[de.Name()] = fi.ModTime()
	}
	return out
}

func names(m map[string]time.Time) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// age sets every file of dir an hour back, so that a rewrite shows.
func age(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for n := range listDir(t, dir) {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVendor(t *testing.T) {
	sub := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, sub...)
	umbrella := chartstest.Build(t, chartstest.Umbrella, "", repo.URL)
	repo.Add(umbrella)
	reg := testserver.NewChartRegistry(t, sub[0])
	refs := []charts.Ref{
		{Name: umbrella.Name, Version: umbrella.Version, Repository: repo.URL + "/", Digest: umbrella.Digest},
		{Name: "jupyterhub", Version: "4.4.0", Repository: reg.Repository},
		{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL}, // also the umbrella's
	}
	c := newCache(t)
	dir := filepath.Join(t.TempDir(), "vendor", "charts")

	lock, err := c.Vendor(ctx(t), dir, refs, charts.VendorOptions{})
	if err == nil {
		t.Fatalf("Vendor of two jupyterhub 4.4.0 = %+v, want an error", lock)
	}
	if !strings.Contains(err.Error(), "would both be jupyterhub-4.4.0.tgz") {
		t.Errorf("Vendor: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("failed Vendor wrote %s", dir)
	}
	refs = refs[:1]

	lock, err = c.Vendor(ctx(t), dir, refs, charts.VendorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := charts.Lock{Charts: []charts.LockEntry{
		{Name: "dask-gateway", Version: "2026.3.0", Repository: repo.URL, Digest: sub[1].Digest},
		{Name: "hubchart", Version: "0.1.0", Repository: repo.URL, Digest: umbrella.Digest},
		{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL, Digest: sub[0].Digest},
	}}
	if !reflect.DeepEqual(lock, want) {
		t.Fatalf("lock %+v, want %+v", lock, want)
	}
	files := listDir(t, dir)
	if got := names(files); !reflect.DeepEqual(got, []string{"charts.lock", "dask-gateway-2026.3.0.tgz", "hubchart-0.1.0.tgz", "jupyterhub-4.4.0.tgz"}) {
		t.Fatalf("vendored %q", got)
	}
	for _, p := range []chartstest.Package{sub[0], sub[1], umbrella} {
		if chartstest.Digest(readFile(t, filepath.Join(dir, p.File()))) != p.Digest {
			t.Errorf("vendored %s is not the package", p.File())
		}
	}
	wantLock, _ := want.Marshal()
	if got := string(readFile(t, filepath.Join(dir, charts.LockFile))); got != string(wantLock) || !strings.HasPrefix(got, "{\n  \"charts\": [\n    {\n      \"name\": \"dask-gateway\",") {
		t.Errorf("charts.lock:\n%s", got)
	}
	if read, err := charts.ReadLock(dir); err != nil || !reflect.DeepEqual(read, want) {
		t.Errorf("ReadLock = %+v, %v", read, err)
	}

	t.Run("again is a no-op", func(t *testing.T) {
		age(t, dir)
		before := listDir(t, dir)
		repo.Close() // all from the cache
		again, err := c.Vendor(ctx(t), dir, refs, charts.VendorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, want) {
			t.Errorf("lock %+v", again)
		}
		if after := listDir(t, dir); !reflect.DeepEqual(after, before) {
			t.Errorf("files changed: %v, then %v", before, after)
		}
	})

	t.Run("served offline", func(t *testing.T) {
		v := &charts.Cache{Dir: t.TempDir(), Offline: true, VendorDir: dir}
		ch, err := v.Load(ctx(t), "", refs[0])
		if err != nil {
			t.Fatal(err)
		}
		checkUmbrella(t, ch, "dask-gateway@2026.3.0", "jupyterhub@4.4.0")
		path, digest, err := v.Get(ctx(t), charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL})
		if err != nil || path != filepath.Join(dir, "jupyterhub-4.4.0.tgz") || digest != sub[0].Digest {
			t.Errorf("Get = %s %s %v", path, digest, err)
		}
		// Not vendored: the cache, empty and offline.
		_, _, err = v.Get(ctx(t), charts.Ref{Name: "jupyterhub", Version: "4.3.0", Repository: repo.URL})
		if !errors.Is(err, charts.ErrOffline) {
			t.Errorf("Get of a chart not vendored: %v", err)
		}
		// Pinned to another digest.
		_, _, err = v.Get(ctx(t), charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL, Digest: sub[1].Digest})
		if !errors.Is(err, charts.ErrDigest) {
			t.Errorf("Get with another pin: %v", err)
		}
	})

	t.Run("tampered", func(t *testing.T) {
		// The repository is down: vendor from the cache, offline.
		off := &charts.Cache{Dir: c.Dir, Offline: true}
		tampered := filepath.Join(t.TempDir(), "charts")
		if _, err := off.Vendor(ctx(t), tampered, refs, charts.VendorOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tampered, "dask-gateway-2026.3.0.tgz"), sub[0].Data, 0o644); err != nil {
			t.Fatal(err)
		}
		v := &charts.Cache{Dir: t.TempDir(), Offline: true, VendorDir: tampered}
		_, err := v.Load(ctx(t), "", refs[0])
		if !errors.Is(err, charts.ErrCorrupt) || !strings.Contains(err.Error(), "charts.lock says "+sub[1].Digest) {
			t.Fatalf("Load: %v", err)
		}
		t.Log(err)
		// Vendor refuses to replace it, unless told to.
		if _, err := off.Vendor(ctx(t), tampered, refs, charts.VendorOptions{}); err == nil || !strings.Contains(err.Error(), "--update") {
			t.Fatalf("Vendor over a tampered package: %v", err)
		}
		if _, err := off.Vendor(ctx(t), tampered, refs, charts.VendorOptions{Update: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Load(ctx(t), "", refs[0]); err != nil {
			t.Fatalf("Load after Vendor --update: %v", err)
		}
	})

	t.Run("republished", func(t *testing.T) {
		// The repository now serves another jupyterhub 4.4.0.
		re := variant(t, sub[0])
		repo2 := testserver.NewChartRepo(t, re, sub[1])
		umbrella2 := chartstest.Build(t, chartstest.Umbrella, "", repo2.URL)
		repo2.Add(umbrella2)
		dir2 := t.TempDir()
		ref := charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo2.URL}
		if _, err := newCache(t).Vendor(ctx(t), dir2, []charts.Ref{{Name: umbrella2.Name, Version: umbrella2.Version, Repository: repo2.URL}}, charts.VendorOptions{}); err != nil {
			t.Fatal(err)
		}
		repo2.Add(sub[0])
		before := readFile(t, filepath.Join(dir2, charts.LockFile))
		_, err := newCache(t).Vendor(ctx(t), dir2, []charts.Ref{ref}, charts.VendorOptions{})
		if err == nil || !strings.Contains(err.Error(), "refusing to replace") || !strings.Contains(err.Error(), re.Digest) {
			t.Fatalf("Vendor of a republished chart: %v", err)
		}
		t.Log(err)
		if after := readFile(t, filepath.Join(dir2, charts.LockFile)); string(after) != string(before) {
			t.Error("refused Vendor changed the lock")
		}
		// Updating replaces it and drops what is no longer needed.
		lock, err := newCache(t).Vendor(ctx(t), dir2, []charts.Ref{ref}, charts.VendorOptions{Update: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(lock.Charts) != 1 || lock.Charts[0].Digest != sub[0].Digest {
			t.Errorf("lock %+v", lock)
		}
		if got := names(listDir(t, dir2)); !reflect.DeepEqual(got, []string{"charts.lock", "jupyterhub-4.4.0.tgz"}) {
			t.Errorf("vendored %q", got)
		}
	})

	t.Run("nothing", func(t *testing.T) {
		empty := t.TempDir()
		lock, err := c.Vendor(ctx(t), empty, nil, charts.VendorOptions{})
		if err != nil || lock.Charts == nil || len(lock.Charts) != 0 {
			t.Fatalf("Vendor(nil) = %+v, %v", lock, err)
		}
		if got := string(readFile(t, filepath.Join(empty, charts.LockFile))); got != "{\n  \"charts\": []\n}\n" {
			t.Errorf("charts.lock %q", got)
		}
	})
}

func TestVendorKeepsLockedVersions(t *testing.T) {
	sub := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, sub...)
	umbrella := chartstest.Build(t, chartstest.Umbrella, "", repo.URL)
	repo.Add(umbrella)
	refs := []charts.Ref{{Name: umbrella.Name, Version: umbrella.Version, Repository: repo.URL}}
	dir := t.TempDir()
	c := newCache(t)
	version := func(l charts.Lock) string {
		for _, e := range l.Charts {
			if e.Name == "dask-gateway" {
				return e.Version
			}
		}
		return ""
	}
	tests := []struct {
		name   string
		opts   charts.VendorOptions
		offer  string // a newer dask-gateway the repository offers
		locked string
	}{
		{name: "first", locked: "2026.3.0"},
		{name: "newer in range, kept", offer: "2026.3.1", locked: "2026.3.0"},
		{name: "updated", opts: charts.VendorOptions{Update: true}, locked: "2026.3.1"},
		{name: "newer out of range", offer: "2026.4.0", locked: "2026.3.1"},
	}
	for _, tt := range tests {
		if tt.offer != "" {
			repo.Add(chartstest.Build(t, "dask-gateway", tt.offer, ""))
		}
		lock, err := c.Vendor(ctx(t), dir, refs, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := version(lock); got != tt.locked {
			t.Errorf("%s: dask-gateway %s, want %s", tt.name, got, tt.locked)
		}
		if _, err := os.Stat(filepath.Join(dir, "dask-gateway-"+tt.locked+".tgz")); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if n := len(listDir(t, dir)); n != 4 {
			t.Errorf("%s: %d files in %s, want 4", tt.name, n, dir)
		}
	}
}
