// Package pin pins the container images of rendered Kubernetes objects to
// their digests: every image of the containers and init containers of the
// Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and
// CronJobs of a YAML stream is looked up in its registry (a HEAD of its
// manifest, go-containerregistry with the docker keychain) and rewritten as
// name@sha256:<digest>, so that what was reviewed is what runs.
//
// Images in other places (the jupyterhub user image in the hub's ConfigMap,
// the Dask worker image in the gateway's configuration) are not touched.
package pin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/registry"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"sigs.k8s.io/yaml"
)

// DefaultRetryDelays are the waits between the tries of a lookup when
// Resolver.RetryDelays is nil: four tries in all.
var DefaultRetryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// ErrNotFound: the registry has no such image.
var ErrNotFound = errors.New("not found")

// Resolver looks images up in their registries. The zero value is ready to
// use.
type Resolver struct {
	// Keychain gives registry credentials; nil is authn.DefaultKeychain
	// (docker's config.json and credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil is remote.DefaultTransport.
	Transport http.RoundTripper
	// RetryDelays are the waits between the tries of a lookup that failed
	// transiently (registry unreachable, 5xx, 429, timeouts); nil is
	// DefaultRetryDelays, an empty slice tries once.
	RetryDelays []time.Duration
	// Parallel is how many lookups run at once; 4 when 0.
	Parallel int
}

// Digest returns the digest ("sha256:<hex>") of the manifest (or index, for
// a multi-platform image) that image names.
func (r *Resolver) Digest(ctx context.Context, image string) (string, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", image, err)
	}
	if d, ok := ref.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	rt := r.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(rt),
		remote.WithUserAgent("pangeo-gen"),
		// No retries of its own: retry does them, with its delays.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
	}
	var digest string
	err = r.retry(ctx, func() error {
		desc, err := remote.Head(ref, opts...)
		if err != nil {
			return err
		}
		digest = desc.Digest.String()
		return nil
	})
	if err != nil {
		return "", describe(image, ref, err)
	}
	return digest, nil
}

// describe turns a lookup error into one line that names the image and
// what to do.
func describe(image string, ref name.Reference, err error) error {
	host := ref.Context().RegistryStr()
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("image %s: %w in registry %s (push it first, or check its name and tag)", image, ErrNotFound, host)
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("image %s: registry %s refused access (%d): log in to it (docker login %s) or check the image's name", image, host, te.StatusCode, host)
		}
	}
	if registry.Transient(err) {
		return fmt.Errorf("image %s: registry %s is unreachable or failing: %w", image, host, err)
	}
	return fmt.Errorf("image %s: %w", image, err)
}

// retry tries f as registry.Retry does, with the resolver's delays.
func (r *Resolver) retry(ctx context.Context, f func() error) error {
	delays := r.RetryDelays
	if delays == nil {
		delays = DefaultRetryDelays
	}
	return registry.Retry(ctx, delays, f)
}

// podSpecPaths are where each kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// containerFields are the container lists of a pod spec whose images are
// pinned.
var containerFields = []string{"initContainers", "containers"}

// doc is one document of a YAML stream.
type doc struct {
	text string
	obj  map[string]any // nil when the document has no images to pin
}

// Images lists the images of the containers and init containers of the
// workloads of a YAML stream, sorted, each once.
func Images(stream []byte) ([]string, error) {
	docs, err := split(stream)
	if err != nil {
		return nil, err
	}
	return imagesOf(docs), nil
}

func imagesOf(docs []doc) []string {
	seen := map[string]bool{}
	for _, d := range docs {
		eachContainer(d.obj, func(c map[string]any) {
			if s, ok := c["image"].(string); ok && s != "" {
				seen[s] = true
			}
		})
	}
	images := make([]string, 0, len(seen))
	for s := range seen {
		images = append(images, s)
	}
	sort.Strings(images)
	return images
}

// Pin rewrites the images of the workloads of stream (see the package doc)
// as name@sha256:<digest>, looking each image up once; an image already
// given by digest is kept. Documents without images are kept byte for
// byte; those with images are re-encoded as render encodes objects (sorted
// keys). All lookups must succeed: the first error (in image order) is
// returned, and nothing else.
func (r *Resolver) Pin(ctx context.Context, stream []byte) ([]byte, error) {
	docs, err := split(stream)
	if err != nil {
		return nil, err
	}
	pinned, err := r.resolveAll(ctx, imagesOf(docs))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			out.WriteString("---\n")
		}
		if d.obj == nil {
			out.WriteString(d.text)
			continue
		}
		eachContainer(d.obj, func(c map[string]any) {
			if s, ok := c["image"].(string); ok && pinned[s] != "" {
				c["image"] = pinned[s]
			}
		})
		b, err := yaml.Marshal(d.obj)
		if err != nil {
			return nil, err
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

// resolveAll maps every image to its pinned reference.
func (r *Resolver) resolveAll(ctx context.Context, images []string) (map[string]string, error) {
	n := r.Parallel
	if n <= 0 {
		n = 4
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pinned := make([]string, len(images))
	errs := make([]error, len(images))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, image := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pinned[i], errs[i] = r.pinned(ctx, image)
		}()
	}
	wg.Wait()
	out := map[string]string{}
	for i, image := range images {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[image] = pinned[i]
	}
	return out, nil
}

// pinned is image as name@digest: its repository as written (without its
// tag) and the digest the registry has for it.
func (r *Resolver) pinned(ctx context.Context, image string) (string, error) {
	if strings.Contains(image, "@") {
		if _, err := name.NewDigest(image); err != nil {
			return "", fmt.Errorf("image %q: %w", image, err)
		}
		return image, nil
	}
	digest, err := r.Digest(ctx, image)
	if err != nil {
		return "", err
	}
	return repository(image) + "@" + digest, nil
}

// repository is image without its tag.
func repository(image string) string {
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon]
	}
	return image
}

// split cuts a YAML stream at its "---" lines and decodes the documents
// that are workloads.
func split(stream []byte) ([]doc, error) {
	var docs []doc
	var cur strings.Builder
	flush := func() error {
		d := doc{text: cur.String()}
		cur.Reset()
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(d.text), &head); err != nil {
			return fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		if _, ok := podSpecPaths[head.Kind]; ok {
			if err := yaml.Unmarshal([]byte(d.text), &d.obj, func(dec *json.Decoder) *json.Decoder {
				dec.UseNumber()
				return dec
			}); err != nil {
				return fmt.Errorf("document %d: %w", len(docs)+1, err)
			}
		}
		docs = append(docs, d)
		return nil
	}
	lines := strings.SplitAfter(string(stream), "\n")
	for _, line := range lines {
		if strings.TrimRight(line, "\r\n") == "---" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 || len(docs) > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// eachContainer calls f on every container and init container of the pod
// spec of obj, if it is a workload.
func eachContainer(obj map[string]any, f func(c map[string]any)) {
	if obj == nil {
		return
	}
	kind, _ := obj["kind"].(string)
	path, ok := podSpecPaths[kind]
	if !ok {
		return
	}
	var spec any = obj
	for _, k := range path {
		m, ok := spec.(map[string]any)
		if !ok {
			return
		}
		spec = m[k]
	}
	m, ok := spec.(map[string]any)
	if !ok {
		return
	}
	for _, field := range containerFields {
		cs, _ := m[field].([]any)
		for _, c := range cs {
			if cm, ok := c.(map[string]any); ok {
				f(cm)
			}
		}
	}
}
