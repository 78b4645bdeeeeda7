package release

import (
	"context"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// clusterScopedKinds are kinds that have no namespace; each must come out
// without one.
var clusterScopedKinds = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"PriorityClass": true, "StorageClass": true, "IngressClass": true, "PersistentVolume": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "APIService": true,
}

// TestRenderClusterScopedNames renders every hub-env of the federation, as
// they would all be applied to one cluster: no two hub-envs share the name
// of a cluster-scoped object (the charts name them after the release),
// which would make one deploy take over another's, except the CRDs, which
// all hub-envs share and so must render byte for byte the same.
func TestRenderClusterScopedNames(t *testing.T) {
	f := federation(t)
	chart := umbrella(t, f)
	owner := map[string]string{} // kind/name -> hub-env
	crds := map[string]string{}  // name -> YAML
	crdFrom := map[string]string{}
	var releases []string
	for _, h := range f.Hubs {
		for _, env := range hub.EnvNames {
			release := Release(h.Name, env)
			releases = append(releases, release)
			y, err := Render(context.Background(), request(t, f, chart, h.Name, env))
			if err != nil {
				t.Fatalf("%s: %v", release, err)
			}
			nCluster := 0
			for _, doc := range strings.Split(string(y), "\n---\n") {
				var o struct {
					Kind     string `json:"kind"`
					Metadata struct {
						Name      string `json:"name"`
						Namespace string `json:"namespace"`
					} `json:"metadata"`
				}
				if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
					t.Fatalf("%s: %v", release, err)
				}
				id := o.Kind + "/" + o.Metadata.Name
				if o.Metadata.Namespace != "" {
					if clusterScopedKinds[o.Kind] {
						t.Errorf("%s: cluster-scoped %s has namespace %s", release, id, o.Metadata.Namespace)
					}
					continue
				}
				nCluster++
				if o.Kind == "CustomResourceDefinition" {
					doc = strings.TrimSuffix(doc, "\n") + "\n"
					if first, ok := crds[o.Metadata.Name]; ok && first != doc {
						t.Errorf("%s: CRD %s differs from %s's:\n%s\n--- %s's:\n%s", release, o.Metadata.Name, crdFrom[o.Metadata.Name], doc, crdFrom[o.Metadata.Name], first)
					} else if !ok {
						crds[o.Metadata.Name], crdFrom[o.Metadata.Name] = doc, release
					}
					continue
				}
				if other, ok := owner[id]; ok {
					t.Errorf("%s and %s both render cluster-scoped %s", other, release, id)
					continue
				}
				owner[id] = release
			}
			// The Namespace, the CRDs, the RBAC of the user scheduler and
			// of the dask-gateway controller, the PriorityClass: a chart
			// that rendered none would prove nothing.
			if nCluster < 3 {
				t.Errorf("%s: only %d cluster-scoped objects", release, nCluster)
			}
		}
	}
	if len(crds) == 0 {
		t.Error("no CRD rendered")
	}
	// Every non-CRD cluster-scoped object belongs to one hub-env.
	perRelease := map[string][]string{}
	for id, r := range owner {
		perRelease[r] = append(perRelease[r], id)
	}
	for _, r := range releases {
		sort.Strings(perRelease[r])
		t.Logf("%s: %s", r, strings.Join(perRelease[r], ", "))
	}
}
