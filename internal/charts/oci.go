package charts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Media types of a Helm chart stored in an OCI registry.
const (
	// HelmConfigMediaType is the config of a Helm chart artifact (the
	// chart's metadata as JSON).
	HelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	// HelmChartMediaType is the layer holding the chart's .tgz package.
	HelmChartMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	// helmLegacyChartMediaType is the chart layer of Helm before 3.8.
	helmLegacyChartMediaType = "application/tar+gzip"
)

// remoteOptions are go-containerregistry's options: the keychain, the
// transport of c.HTTP, and no retries of its own (c.retry does them).
func (c *Cache) remoteOptions(ctx context.Context) []remote.Option {
	kc := c.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	var rt http.RoundTripper = remote.DefaultTransport
	if c.HTTP != nil && c.HTTP.Transport != nil {
		rt = c.HTTP.Transport
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(rt),
		remote.WithUserAgent("pangeo-gen"),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
	}
}

// ociRepository is the OCI repository of chart name under repo (oci://...).
func ociRepository(repo, chart string) (name.Repository, error) {
	r, err := name.NewRepository(strings.TrimPrefix(repo, "oci://") + "/" + chart)
	if err != nil {
		return name.Repository{}, fmt.Errorf("oci repository: %w", err)
	}
	return r, nil
}

// pullOCI downloads the chart layer of the Helm artifact of ref into a
// temporary file of dir; its digest is the layer's.
func (c *Cache) pullOCI(ctx context.Context, ref Ref, dir string) (tmp, digest, from string, err error) {
	repo, err := ociRepository(ref.Repository, ref.Name)
	if err != nil {
		return "", "", "", err
	}
	tag := repo.Tag(ociTag(ref.Version))
	from = "oci://" + tag.String()
	opts := c.remoteOptions(ctx)

	var desc *remote.Descriptor
	err = c.retry(ctx, func() (err error) {
		desc, err = remote.Get(tag, opts...)
		return err
	})
	if err != nil {
		return "", "", "", fmt.Errorf("get manifest: %w", ociErr(err))
	}
	if desc.MediaType.IsIndex() {
		return "", "", "", fmt.Errorf("%s is an image index (%s), not a Helm chart", from, desc.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return "", "", "", fmt.Errorf("manifest: %w", err)
	}
	if m.Config.MediaType != HelmConfigMediaType {
		return "", "", "", fmt.Errorf("%s is not a Helm chart: config media type %q, want %q", from, m.Config.MediaType, HelmConfigMediaType)
	}
	var layers []v1.Descriptor
	for _, l := range m.Layers {
		if l.MediaType == HelmChartMediaType || l.MediaType == helmLegacyChartMediaType {
			layers = append(layers, l)
		}
	}
	if len(layers) != 1 {
		return "", "", "", fmt.Errorf("%s is not a Helm chart: %d layers of media type %s, want 1", from, len(layers), HelmChartMediaType)
	}
	want := layers[0].Digest
	if want.Algorithm != "sha256" {
		return "", "", "", fmt.Errorf("%s: chart layer digest %s is not sha256", from, want)
	}
	if layers[0].Size > maxPackage {
		return "", "", "", fmt.Errorf("%s: chart layer of %d bytes is too large", from, layers[0].Size)
	}
	layer, err := remote.Layer(repo.Digest(want.String()), opts...)
	if err != nil {
		return "", "", "", fmt.Errorf("chart layer %s: %w", want, ociErr(err))
	}
	err = c.retry(ctx, func() error {
		rc, err := layer.Compressed()
		if err != nil {
			return err
		}
		defer rc.Close()
		tmp, digest, err = writeTemp(dir, ref.Name+"-"+ref.Version+".tgz", &limitReader{r: rc, max: maxPackage})
		return err
	})
	if err != nil {
		return "", "", "", fmt.Errorf("chart layer %s: %w", want, ociErr(err))
	}
	if digest != want.String() {
		os.Remove(tmp)
		return "", "", "", fmt.Errorf("%w: chart layer %s downloaded as %s", ErrDigest, want, digest)
	}
	return tmp, digest, from, nil
}

// ociTags lists the tags of chart name under repo (oci://...).
func (c *Cache) ociTags(ctx context.Context, repo, chart string) ([]string, error) {
	r, err := ociRepository(repo, chart)
	if err != nil {
		return nil, err
	}
	var tags []string
	err = c.retry(ctx, func() (err error) {
		tags, err = remote.List(r, c.remoteOptions(ctx)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tags of oci://%s: %w", r, ociErr(err))
	}
	return tags, nil
}

// ociErr marks a registry's "no such manifest or repository" as ErrNotFound.
func ociErr(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", err, ErrNotFound)
	}
	return err
}
