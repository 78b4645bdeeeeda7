package pin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

func resolver() *Resolver {
	return &Resolver{Keychain: authn.NewMultiKeychain(), RetryDelays: []time.Duration{time.Millisecond, time.Millisecond}}
}

// stream is a rendered stream naming images on host.
func stream(host string) string {
	return `apiVersion: v1
kind: Namespace
metadata:
  name: alpha-staging
---
apiVersion: v1
data:
  values.yaml: |
    image: ` + host + `/jupyterhub/k8s-hub:4.4.0
kind: ConfigMap
metadata:
  name: hub
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hub
spec:
  replicas: 1
  template:
    spec:
      containers:
      - image: ` + host + `/jupyterhub/k8s-hub:4.4.0
        name: hub
      - image: ` + host + `/library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000
        name: pinned
      initContainers:
      - image: ` + host + `/library/busybox:1.37.0
        name: init
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - image: ` + host + `/library/busybox:1.37.0
            name: cleanup
  schedule: '@daily'
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
  - image: ` + host + `/jupyterhub/k8s-hub:4.4.0
    name: debug
`
}

func TestPin(t *testing.T) {
	reg := testserver.NewRegistry(t)
	hubDigest := reg.PushRandom(t, "jupyterhub/k8s-hub:4.4.0")
	boxDigest := reg.PushRandom(t, "library/busybox:1.37.0")
	in := stream(reg.Host)

	images, err := Images([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		reg.Host + "/jupyterhub/k8s-hub:4.4.0",
		reg.Host + "/library/busybox:1.37.0",
		reg.Host + "/library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000",
	}
	if strings.Join(images, " ") != strings.Join(want, " ") {
		t.Errorf("images %v, want %v", images, want)
	}

	before := reg.Requests()
	out, err := resolver().Pin(context.Background(), []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.Requests() - before; n > 4 {
		t.Errorf("%d requests for 2 images: each image once (and a ping)", n)
	}
	docs := strings.Split(string(out), "---\n")
	inDocs := strings.Split(in, "---\n")
	if len(docs) != len(inDocs) {
		t.Fatalf("%d documents, want %d:\n%s", len(docs), len(inDocs), out)
	}
	// Documents without workload images are kept byte for byte.
	for _, i := range []int{0, 1} {
		if docs[i] != inDocs[i] {
			t.Errorf("document %d changed:\n%s", i, docs[i])
		}
	}
	hub := reg.Host + "/jupyterhub/k8s-hub@" + hubDigest
	box := reg.Host + "/library/busybox@" + boxDigest
	wantDocs := map[int]string{
		2: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hub
spec:
  replicas: 1
  template:
    spec:
      containers:
      - image: ` + hub + `
        name: hub
      - image: ` + reg.Host + `/library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000
        name: pinned
      initContainers:
      - image: ` + box + `
        name: init
`,
		3: strings.ReplaceAll(inDocs[3], reg.Host+"/library/busybox:1.37.0", box),
		4: strings.ReplaceAll(inDocs[4], reg.Host+"/jupyterhub/k8s-hub:4.4.0", hub),
	}
	for i, w := range wantDocs {
		if docs[i] != w {
			t.Errorf("document %d:\n%s\nwant:\n%s", i, docs[i], w)
		}
	}
	// Every document is still YAML.
	for i, d := range docs {
		var v map[string]any
		if err := yaml.Unmarshal([]byte(d), &v); err != nil || v["kind"] == nil {
			t.Errorf("document %d: %v", i, err)
		}
	}
}

func TestPinAbsentImage(t *testing.T) {
	reg := testserver.NewRegistry(t)
	reg.PushRandom(t, "jupyterhub/k8s-hub:4.4.0")
	_, err := resolver().Pin(context.Background(), []byte(stream(reg.Host)))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error %v, want not found", err)
	}
	want := "image " + reg.Host + "/library/busybox:1.37.0: not found in registry " + reg.Host
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}

func TestPinRegistryDown(t *testing.T) {
	reg := testserver.NewRegistry(t)
	reg.Close()
	r := resolver()
	var tries atomic.Int32
	r.Transport = roundTripper(func(req *http.Request) (*http.Response, error) {
		tries.Add(1)
		return http.DefaultTransport.RoundTrip(req)
	})
	start := time.Now()
	_, err := r.Digest(context.Background(), reg.Host+"/jupyterhub/k8s-hub:4.4.0")
	if err == nil {
		t.Fatal("no error")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v with 1 ms delays", time.Since(start))
	}
	for _, s := range []string{"image " + reg.Host + "/jupyterhub/k8s-hub:4.4.0: registry " + reg.Host + " is unreachable or failing", "connection refused", "(tried 3 times)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	// Three tries; go-containerregistry pings a loopback registry over
	// https, then http, in each.
	if n := tries.Load(); n != 3 && n != 6 {
		t.Errorf("%d requests, want 3 tries", n)
	}
}

func TestPinRetriesServerErrors(t *testing.T) {
	reg := testserver.NewRegistry(t)
	digest := reg.PushRandom(t, "jupyterhub/k8s-hub:4.4.0")
	reg.Fail(http.StatusServiceUnavailable, http.StatusBadGateway)
	got, err := resolver().Digest(context.Background(), reg.Host+"/jupyterhub/k8s-hub:4.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if got != digest {
		t.Errorf("digest %s, want %s", got, digest)
	}

	// Still failing after the last try: an error saying so.
	reg.Fail(503, 503, 503, 503)
	_, err = resolver().Digest(context.Background(), reg.Host+"/jupyterhub/k8s-hub:4.4.0")
	if err == nil || !strings.Contains(err.Error(), "is unreachable or failing") || !strings.Contains(err.Error(), "tried 3 times") {
		t.Errorf("error %v", err)
	}
}

func TestPinBadReference(t *testing.T) {
	for _, s := range []string{"UPPER/case:tag", "host/x@sha256:nothex"} {
		_, err := resolver().Pin(context.Background(), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: "+s+"\n    name: c\n"))
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %v", s, err)
		}
	}
}

func TestRepository(t *testing.T) {
	for in, want := range map[string]string{
		"busybox:1.37.0":                     "busybox",
		"busybox":                            "busybox",
		"127.0.0.1:5000/a/b:c":               "127.0.0.1:5000/a/b",
		"127.0.0.1:5000/a/b":                 "127.0.0.1:5000/a/b",
		"quay.io/jupyterhub/k8s-hub:4.4.0":   "quay.io/jupyterhub/k8s-hub",
		"registry.k8s.io/pause:3.10":         "registry.k8s.io/pause",
		"ghcr.io/dask/dask-gateway:2026.3.0": "ghcr.io/dask/dask-gateway",
	} {
		if got := repository(in); got != want {
			t.Errorf("repository(%q) = %q, want %q", in, got, want)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
