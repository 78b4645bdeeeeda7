package gen

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// Output is everything generated for one hub.
type Output struct {
	Hub *hub.Hub
	// Image is the notebook image, which the Dask workers run too.
	Image ImageRef
	// Values are the hub's Helm values.
	Values ValueSet
	// Files are the hub's files, sorted by path.
	Files []File
	// cluster is the definition of the hub's cluster as the hub alone
	// makes it (ClusterFiles of clusterFor(Hub)), which the README
	// generated; nil when it did not generate.
	cluster []File
}

// GenerateHub produces a hub's deployments/<hub>/ tree: the image folder
// first (its content hash is the image tag), then the values that name
// that image, hubploy.yaml, secret stubs and the README.
func GenerateHub(h *hub.Hub) (*Output, error) {
	imageFiles, err := ImageFiles(h)
	if err != nil {
		return nil, fmt.Errorf("generate %s: image: %w", h.Name, err)
	}
	out := &Output{Hub: h, Image: NotebookImage(h, imageFiles)}
	out.Values, err = Values(h, out.Image)
	if err != nil {
		return nil, fmt.Errorf("generate %s: values: %w", h.Name, err)
	}
	valueFiles, err := ValuesFiles(h, out.Values)
	if err != nil {
		return nil, fmt.Errorf("generate %s: values: %w", h.Name, err)
	}
	hubploy, err := HubployFile(h)
	if err != nil {
		return nil, fmt.Errorf("generate %s: hubploy.yaml: %w", h.Name, err)
	}
	secrets, err := SecretFiles(h)
	if err != nil {
		return nil, fmt.Errorf("generate %s: secrets: %w", h.Name, err)
	}
	clusterFiles := sync.OnceValues(func() ([]File, error) { return ClusterFiles(clusterFor(h)) })
	readme, err := readmeFile(h, out.Image, clusterFiles)
	if err != nil {
		return nil, fmt.Errorf("generate %s: README: %w", h.Name, err)
	}
	if files, err := clusterFiles(); err == nil {
		out.cluster = files
	}
	out.Files = append(out.Files, imageFiles...)
	out.Files = append(out.Files, valueFiles...)
	out.Files = append(out.Files, secrets...)
	out.Files = append(out.Files, hubploy, readme)
	SortFiles(out.Files)
	return out, nil
}

// Reuse returns prev, the output GenerateHub made for a hub (of another
// revision, say), as the output of h, and true, when h is the same hub:
// reflect.DeepEqual to prev.Hub, name included. GenerateHub is a pure
// function of the hub model, so that is the output it would make for h
// (with h as its Hub); the files are shared, not copied. It returns
// nil, false when h differs.
func Reuse(prev *Output, h *hub.Hub) (*Output, bool) {
	if prev == nil || h == nil || !reflect.DeepEqual(prev.Hub, h) {
		return nil, false
	}
	out := *prev
	out.Hub = h
	return &out, true
}

// Shared returns the files of the repository that depend on several hubs
// and that gen's generators write: the generated umbrella chart, the root
// .sops.yaml and each cluster's definition under clusters/ (ClusterFiles;
// a hub whose cloud section conflicts with its cluster's is left out of it,
// and internal/federation reports the conflict as a finding, without which
// gen does not write). internal/federation.Shared adds the CircleCI setup
// config of internal/ci.
func Shared(hubs []*hub.Hub) ([]File, error) { return SharedWith(hubs, nil) }

// SharedWith is Shared, taking the definition of a cluster of one hub from
// that hub's output in outs (GenerateHub made it for the README; see
// ClusterFilesWith) instead of generating it again.
func SharedWith(hubs []*hub.Hub, outs []*Output) ([]File, error) {
	byHub := OutputsByHub(outs)
	files, err := ChartFiles(hubs)
	if err != nil {
		return nil, err
	}
	if f, ok, err := SopsConfig(hubs); err != nil {
		return nil, fmt.Errorf("generate .sops.yaml: %w", err)
	} else if ok {
		files = append(files, f)
	}
	clusters, _ := GroupClusters(hubs)
	// Each cluster's definition is generated on its own: side by side,
	// then collected in cluster order (the first failing cluster's error).
	type generated struct {
		files []File
		err   error
	}
	defs := make([]generated, len(clusters))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, c := range clusters {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			defs[i].files, defs[i].err = ClusterFilesWith(c, byHub)
		}()
	}
	wg.Wait()
	for i, c := range clusters {
		if err := defs[i].err; err != nil {
			return nil, fmt.Errorf("generate %s: %w", ClusterDir(c.Name), err)
		}
		files = append(files, defs[i].files...)
	}
	return files, nil
}

// OutputsByHub indexes outputs by their hub, for ClusterFilesWith.
func OutputsByHub(outs []*Output) map[*hub.Hub]*Output {
	byHub := make(map[*hub.Hub]*Output, len(outs))
	for _, o := range outs {
		byHub[o.Hub] = o
	}
	return byHub
}

// ClusterFilesWith is ClusterFiles(c), taken from the output of c's hub in
// byHub when c is the cluster of that one hub alone, as GroupClusters
// makes it (the same name and cloud section), and GenerateHub generated
// its definition: ClusterFiles is a pure function of c, and the hub's
// README generated it already.
func ClusterFilesWith(c Cluster, byHub map[*hub.Hub]*Output) ([]File, error) {
	if len(c.Hubs) == 1 {
		h := c.Hubs[0]
		if o := byHub[h]; o != nil && o.cluster != nil && c.Name == h.Cloud.Cluster && reflect.DeepEqual(c.Cloud, h.Cloud) {
			return slices.Clone(o.cluster), nil
		}
	}
	return ClusterFiles(c)
}
