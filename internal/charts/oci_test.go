package charts_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

func TestOCI(t *testing.T) {
	sub := chartstest.Subcharts(t)
	reg := testserver.NewChartRegistry(t, sub...)
	umbrella := chartstest.Build(t, chartstest.Umbrella, "", reg.Repository)
	reg.Push(t,
		umbrella,
		chartstest.Build(t, "dask-gateway", "2026.3.1", ""),
		chartstest.Build(t, "dask-gateway", "2026.4.0", ""),
		chartstest.Build(t, "jupyterhub", "4.4.0+build.1", ""),
	)
	c := newCache(t)
	jh := charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: reg.Repository, Digest: sub[0].Digest}

	t.Run("Get", func(t *testing.T) {
		path, digest, err := c.Get(ctx(t), jh)
		if err != nil {
			t.Fatal(err)
		}
		if digest != sub[0].Digest || !bytes.Equal(readFile(t, path), sub[0].Data) {
			t.Errorf("Get = %s %s, want digest %s", path, digest, sub[0].Digest)
		}
		if files := untar(t, readFile(t, path)); len(files) == 0 || !strings.HasPrefix(files[0], "jupyterhub/") {
			t.Errorf("package holds %q", files)
		}
	})
	t.Run("build metadata", func(t *testing.T) {
		// "+" is "_" in an OCI tag.
		if _, _, err := c.Get(ctx(t), charts.Ref{Name: "jupyterhub", Version: "4.4.0+build.1", Repository: reg.Repository}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Load umbrella with OCI dependencies", func(t *testing.T) {
		ch, err := c.Load(ctx(t), reg.Ref(umbrella), charts.Ref{})
		if err != nil {
			t.Fatal(err)
		}
		checkUmbrella(t, ch, "dask-gateway@2026.3.1", "jupyterhub@4.4.0")
	})
	t.Run("Load with the version apart", func(t *testing.T) {
		ch, err := c.Load(ctx(t), reg.Repository+"/"+umbrella.Name, charts.Ref{Version: umbrella.Version, Digest: umbrella.Digest})
		if err != nil {
			t.Fatal(err)
		}
		checkUmbrella(t, ch, "dask-gateway@2026.3.1", "jupyterhub@4.4.0")
	})
	t.Run("digest mismatch", func(t *testing.T) {
		bad := jh
		bad.Digest = sub[1].Digest
		_, _, err := newCache(t).Get(ctx(t), bad)
		if !errors.Is(err, charts.ErrDigest) {
			t.Fatalf("Get: %v", err)
		}
	})
	t.Run("unknown tag", func(t *testing.T) {
		_, _, err := newCache(t).Get(ctx(t), charts.Ref{Name: "jupyterhub", Version: "9.9.9", Repository: reg.Repository})
		if !errors.Is(err, charts.ErrNotFound) || !strings.Contains(err.Error(), "chart jupyterhub 9.9.9 from "+reg.Repository+"/jupyterhub:9.9.9: ") {
			t.Fatalf("Get: %v", err)
		}
		t.Log(err)
	})
	t.Run("not a chart", func(t *testing.T) {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag(reg.Host + "/charts/image:1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img); err != nil {
			t.Fatal(err)
		}
		_, _, err = newCache(t).Get(ctx(t), charts.Ref{Name: "image", Version: "1.0.0", Repository: reg.Repository})
		if err == nil || !strings.Contains(err.Error(), "is not a Helm chart") {
			t.Fatalf("Get: %v", err)
		}
	})
	t.Run("registry down", func(t *testing.T) {
		reg.Close()
		// Cached: still served.
		if _, d, err := c.Get(ctx(t), jh); err != nil || d != sub[0].Digest {
			t.Fatalf("Get from the cache: %s %v", d, err)
		}
		ch, err := (&charts.Cache{Dir: c.Dir, Offline: true}).Load(ctx(t), reg.Ref(umbrella), charts.Ref{})
		if err != nil {
			t.Fatal(err)
		}
		checkUmbrella(t, ch, "dask-gateway@2026.3.1", "jupyterhub@4.4.0")
		// Not cached: a clear error after the retries.
		_, _, err = newCache(t).Get(ctx(t), jh)
		if err == nil || !strings.Contains(err.Error(), "chart jupyterhub 4.4.0 from "+reg.Ref(sub[0])+": ") ||
			!strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "tried 3 times") {
			t.Fatalf("Get: %v", err)
		}
		t.Log(err)
	})
}
