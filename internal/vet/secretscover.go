package vet

import (
	"fmt"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/input"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/secrets"
	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// secretsCoverage: the secrets file of each env of a hub sets every value
// the jupyterhub chart would otherwise make up at random
// (release.GeneratedSecrets, over the defaults of ch, the hub's loaded
// chart, or without them when its charts are not cached): a value left to
// the chart changes on every deploy, and with it the hub's Secret and the
// checksums that restart the hub and the proxy. Plaintext files (stubs
// included: a stub is written once, so one written before, say, the hub
// moved to the gateway backend lacks the gateway's token) and sops files
// (whose keys are plaintext) are read; git-crypt ciphertext cannot be, and
// a missing file is the tree check's. It reports the lacks secretsLacks
// found in the files of hub h.
func (c *checker) secretsCoverage(h *hub.Hub, lacks []secretsLack) {
	for _, l := range lacks {
		c.add(&finding.Finding{Check: "secrets", Hub: h.Name, CUEPath: []string{l.rel}, Pos: finding.FilePos(c.fed.Root, l.rel, 1, 1),
			Message: coverageMessage(l.missing)})
	}
}

// secretsLack is a secrets file (slash path rel) that lacks the values
// missing.
type secretsLack struct {
	rel     string
	missing []secrets.Generated
}

// secretsLacks are what the secrets files of the envs of the hub of out
// lack (secretsCoverage; ch is the hub's loaded chart, nil when its charts
// are not cached), in env order, in the repository at root. It
// touches neither the checker nor CUE, so that hubs are checked side by
// side (RunWith).
func secretsLacks(root string, out *gen.Output, ch *chart.Chart) []secretsLack {
	h := out.Hub
	var lacks []secretsLack
	for _, env := range hub.EnvNames {
		rel := release.SecretsPath(h.Name, env)
		data, err := input.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil || secretscan.Classify(data) == secretscan.GitCrypt {
			continue
		}
		var sec map[string]any
		if err := yaml.Unmarshal(data, &sec); err != nil || sec == nil {
			continue // not values: render says so
		}
		if missing := release.GeneratedSecrets(ch, values.Merge(out.Values.Merged(env), sec)); len(missing) > 0 {
			lacks = append(lacks, secretsLack{rel, missing})
		}
	}
	return lacks
}

// coverageMessage says what a secrets file lacks and how to make each.
func coverageMessage(missing []secrets.Generated) string {
	what := make([]string, len(missing))
	for i, g := range missing {
		what[i] = fmt.Sprintf("%s (%s)", g, strings.TrimPrefix(g.Stub, gen.Placeholder+": "))
	}
	if len(what) == 1 {
		return fmt.Sprintf("the secrets file lacks %s: the jupyterhub chart makes up a new random value for it on every render, so every deploy would change it and restart the hub; add it", what[0])
	}
	return fmt.Sprintf("the secrets file lacks %s: the jupyterhub chart makes up a new random value for each on every render, so every deploy would change them and restart the hub; add them", strings.Join(what, ", "))
}
