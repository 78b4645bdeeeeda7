package gen

import (
	"fmt"
	"runtime"
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
	readme, err := ReadmeFile(h, out.Image)
	if err != nil {
		return nil, fmt.Errorf("generate %s: README: %w", h.Name, err)
	}
	out.Files = append(out.Files, imageFiles...)
	out.Files = append(out.Files, valueFiles...)
	out.Files = append(out.Files, secrets...)
	out.Files = append(out.Files, hubploy, readme)
	SortFiles(out.Files)
	return out, nil
}

// Shared returns the files of the repository that depend on several hubs
// and that gen's generators write: the generated umbrella chart, the root
// .sops.yaml and each cluster's definition under clusters/ (ClusterFiles;
// a hub whose cloud section conflicts with its cluster's is left out of it,
// and internal/federation reports the conflict as a finding, without which
// gen does not write). internal/federation.Shared adds the CircleCI setup
// config of internal/ci.
func Shared(hubs []*hub.Hub) ([]File, error) {
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
			defs[i].files, defs[i].err = ClusterFiles(c)
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
