package chartstest_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

func TestBuild(t *testing.T) {
	tests := []struct {
		name, version, repository string
		wantVersion               string
		templates, crds           int
		schema                    bool
	}{
		{name: chartstest.JupyterHub, wantVersion: "4.4.0", templates: 7, schema: true},
		{name: chartstest.DaskGateway, version: "2026.3.1", wantVersion: "2026.3.1", templates: 2, crds: 1},
		{name: chartstest.Umbrella, repository: "https://charts.example.org", wantVersion: "0.1.0", templates: 1, schema: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := chartstest.Build(t, tt.name, tt.version, tt.repository)
			if again := chartstest.Build(t, tt.name, tt.version, tt.repository); !bytes.Equal(again.Data, p.Data) || again.Digest != p.Digest {
				t.Error("two builds differ")
			}
			if p.Name != tt.name || p.Version != tt.wantVersion || p.Digest != chartstest.Digest(p.Data) {
				t.Errorf("package %s %s %s", p.Name, p.Version, p.Digest)
			}
			ch, err := loader.LoadArchive(bytes.NewReader(p.Data))
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Templates) != tt.templates || len(ch.CRDObjects()) != tt.crds || (ch.Schema != nil) != tt.schema {
				t.Errorf("%d templates, %d CRDs, schema %v", len(ch.Templates), len(ch.CRDObjects()), ch.Schema != nil)
			}
			for _, d := range ch.Metadata.Dependencies {
				if d.Repository != tt.repository {
					t.Errorf("dependency %s from %q", d.Name, d.Repository)
				}
			}
		})
	}
}

func TestServeUmbrella(t *testing.T) {
	dir, repo := chartstest.ServeUmbrella(t)
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil || !strings.Contains(string(b), "repository: \""+repo.URL+"\"") {
		t.Fatalf("Chart.yaml: %s %v", b, err)
	}
	for _, f := range []string{"index.yaml", "charts/hubchart-0.1.0.tgz", "charts/jupyterhub-4.4.0.tgz", "charts/dask-gateway-2026.3.0.tgz"} {
		resp, err := http.Get(repo.URL + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %s", f, resp.Status)
		}
	}
	if !strings.Contains(string(repo.Index()), "urls:\n    - charts/jupyterhub-4.4.0.tgz") {
		t.Errorf("index.yaml:\n%s", repo.Index())
	}
}

func TestNewOCI(t *testing.T) {
	p := chartstest.Build(t, chartstest.JupyterHub, "", "")
	reg := testserver.NewChartRegistry(t, p)
	ref, err := name.ParseReference(strings.TrimPrefix(reg.Ref(p), "oci://"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != testserver.HelmConfigMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != testserver.HelmChartMediaType || m.Layers[0].Digest.String() != p.Digest {
		t.Errorf("manifest %+v", m)
	}
}
