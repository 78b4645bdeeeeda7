package charts

import (
	"maps"
	"slices"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// parsed holds every chart package parsed in this process, by digest
// (sha256:<hex> of the .tgz, checked by get just before): a process that
// renders several hub-envs on the same charts (render --all, ci plan,
// diff, vet) unpacks and parses each package once. The charts stored are
// never handed out; loadPackage returns copies.
var parsed sync.Map // digest -> *chart.Chart

// loadPackage loads the chart package at path, whose digest is digest, or
// a copy of the one parsed before with that digest.
func loadPackage(path, digest string) (*chart.Chart, error) {
	if v, ok := parsed.Load(digest); ok {
		return Copy(v.(*chart.Chart)), nil
	}
	ch, err := loader.LoadFile(path)
	if err != nil {
		return nil, err
	}
	if digest != "" {
		parsed.LoadOrStore(digest, Copy(ch))
	}
	return ch, nil
}

// Copy copies what a caller may change in a chart (its values, its
// metadata and its list of subcharts, which ensureDeps and Helm's install
// change), recursively; templates, files and schemas are shared, read only.
// It is the one chart copy: the cache hands out copies, and the Helm
// engines install one.
func Copy(c *chart.Chart) *chart.Chart {
	out := &chart.Chart{
		Raw:       c.Raw,
		Lock:      c.Lock,
		Templates: c.Templates,
		Values:    values.CopyMap(c.Values),
		Schema:    c.Schema,
		Files:     c.Files,
	}
	if c.Metadata != nil {
		md := *c.Metadata
		md.Annotations = maps.Clone(c.Metadata.Annotations)
		md.Maintainers = slices.Clone(c.Metadata.Maintainers)
		md.Keywords = slices.Clone(c.Metadata.Keywords)
		md.Sources = slices.Clone(c.Metadata.Sources)
		md.Dependencies = nil
		for _, d := range c.Metadata.Dependencies {
			if d == nil {
				md.Dependencies = append(md.Dependencies, nil)
				continue
			}
			dc := *d
			dc.Tags = slices.Clone(d.Tags)
			if d.ImportValues != nil {
				dc.ImportValues, _ = values.Copy(d.ImportValues).([]any)
			}
			md.Dependencies = append(md.Dependencies, &dc)
		}
		out.Metadata = &md
	}
	deps := make([]*chart.Chart, 0, len(c.Dependencies()))
	for _, d := range c.Dependencies() {
		deps = append(deps, Copy(d))
	}
	out.SetDependencies(deps...)
	return out
}
