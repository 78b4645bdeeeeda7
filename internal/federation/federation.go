// Package federation generates the federation: it selects hubs by name,
// generates every hub (gen.GenerateHub) together with the checks without
// which gen must not write (a domain used twice, two hubs on one cluster
// that state it differently, a raw value that contradicts a typed one, each
// a finding at its position), assembles the shared files (gen.Shared, the
// cluster definitions among them, and the CircleCI setup config of
// internal/ci), and plans the tree gen writes (internal/tree). The gen, list, charts,
// vet, ci plan and new commands all generate through it.
//
// Dependencies point one way. Below it: gen (pure generators), internal/ci
// (the CircleCI configs), internal/load (the loaded federation),
// internal/tree and internal/finding. Above it: internal/vet (the other
// checks, Helm's schema check among them), internal/ciplan (which
// generates two revisions through it) and cmd/pangeo-gen. It must not
// import vet, Helm or anything that renders: generating stays as light as
// gen itself.
package federation

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"cuelang.org/go/cue/token"
	"golang.org/x/sync/errgroup"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/ci"
	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

// Select resolves hub names to the set of hubs selected: every hub when
// names is empty. An unknown name is a *load.UnknownHubError, which lists
// the hubs there are.
func Select(fed *load.Federation, names []string) (map[string]bool, error) {
	sel := map[string]bool{}
	if len(names) == 0 {
		for _, h := range fed.Hubs {
			sel[h.Name] = true
		}
		return sel, nil
	}
	for _, n := range names {
		if _, err := fed.Lookup(n); err != nil {
			return nil, err
		}
		sel[n] = true
	}
	return sel, nil
}

// Result is the federation generated: the outputs of the hubs that
// generated, and why the others did not.
type Result struct {
	// Outputs are the generated trees of every hub that generated,
	// selected or not, in the federation's order.
	Outputs []*gen.Output
	// Findings are the problems without which gen must not write (a
	// domain used twice, a hub whose cloud section differs from its
	// cluster's, a raw value that contradicts a typed one, a hub that does
	// not generate), about the hubs selected only, sorted.
	Findings []*finding.Finding
	// Reused are the hubs whose output GenerateHubsReusing took from
	// prev (the same hub at both), by name; nil when none was.
	Reused map[string]bool
}

// GenerateHubs generates every hub of fed (the shared files need them
// all) and checks what gen must not write without: domains unique across
// the federation, hubs on one cluster that state it alike, raw values that
// do not contradict typed ones. Findings are limited to the hubs selected
// (see Select).
func GenerateHubs(fed *load.Federation, selected map[string]bool) *Result {
	return GenerateHubsReusing(fed, selected, nil)
}

// GenerateHubsReusing is GenerateHubs, taking a hub's output from prev
// (the outputs of another GenerateHubs by this binary: of another
// revision, in ci plan) when prev holds one for the same hub, equal in
// every field (gen.Reuse): the hub is not generated again, and Reused
// names it. The checks run on fed as GenerateHubs runs them.
func GenerateHubsReusing(fed *load.Federation, selected map[string]bool, prev []*gen.Output) *Result {
	byName := make(map[string]*gen.Output, len(prev))
	for _, o := range prev {
		byName[o.Hub.Name] = o
	}
	r := &Result{Findings: append(domains(fed), clusters(fed)...)}
	// gen.GenerateHub is pure and touches no CUE value: generate the hubs
	// side by side, then collect them (and place their errors, which
	// reads CUE) in hub order.
	type generated struct {
		out *gen.Output
		err error
	}
	outs := make([]generated, len(fed.Hubs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, h := range fed.Hubs {
		if out, ok := gen.Reuse(byName[h.Name], h); ok {
			outs[i].out = out
			if r.Reused == nil {
				r.Reused = map[string]bool{}
			}
			r.Reused[h.Name] = true
			continue
		}
		g.Go(func() error {
			outs[i].out, outs[i].err = gen.GenerateHub(h)
			return nil
		})
	}
	g.Wait()
	for i, h := range fed.Hubs {
		if err := outs[i].err; err != nil {
			r.Findings = append(r.Findings, generateFindings(fed, h, err)...)
			continue
		}
		r.Outputs = append(r.Outputs, outs[i].out)
	}
	if len(selected) < len(fed.Hubs) {
		r.Findings = finding.Filter(r.Findings, selected)
	}
	finding.Sort(r.Findings)
	return r
}

// Files are the files of the outputs of the hubs selected (all when
// selected is nil), in output order.
func (r *Result) Files(selected map[string]bool) []gen.File {
	var files []gen.File
	for _, out := range r.Outputs {
		if selected == nil || selected[out.Hub.Name] {
			files = append(files, out.Files...)
		}
	}
	return files
}

// Shared returns the files of the repository that depend on several hubs:
// gen's (the generated umbrella chart, the root .sops.yaml, the cluster
// definitions under clusters/) and the CircleCI setup config
// (.circleci/config.yml, ci.SetupConfig). outs, the hubs' outputs
// (GenerateHubs; nil for none), spare generating again the definition of a
// cluster of one hub (gen.SharedWith).
func Shared(hubs []*hub.Hub, outs []*gen.Output) ([]gen.File, error) {
	files, err := gen.SharedWith(hubs, outs)
	if err != nil {
		return nil, err
	}
	setup, err := ci.SetupConfig(ci.SetupOptions{})
	if err != nil {
		return nil, err
	}
	return append(files, setup), nil
}

// SharedFor returns the shared files as they are for h alone: the
// generated chart when h is deployed with it, h's rule of .sops.yaml. The
// hubs on the generated chart must pin the same versions (Shared fails
// otherwise), so the chart of one hub is the chart, but for the header
// naming its sources. ci plan compares them per hub.
func SharedFor(h *hub.Hub) ([]gen.File, error) {
	files, err := gen.ChartFiles([]*hub.Hub{h})
	if err != nil {
		return nil, err
	}
	f, ok, err := gen.SopsConfig([]*hub.Hub{h})
	if err != nil {
		return nil, err
	}
	if ok {
		files = append(files, f)
	}
	return files, nil
}

// TreePlan generates the hubs named (every hub when none) of a federation
// that loaded without problems and compares what gen writes with the tree
// on disk: the hubs' files and the shared files. With names, only those
// hubs' folders under deployments/ are in scope (the shared files always
// are). When a hub does not generate, the findings say why and the plan is
// nil: gen writes nothing.
func TreePlan(fed *load.Federation, names []string) (*tree.Plan, []*finding.Finding, error) {
	selected, err := Select(fed, names)
	if err != nil {
		return nil, nil, err
	}
	res := GenerateHubs(fed, selected)
	if len(res.Findings) > 0 {
		return nil, res.Findings, nil
	}
	shared, err := Shared(fed.Hubs, res.Outputs)
	if err != nil {
		return nil, nil, err
	}
	files := append(res.Files(selected), shared...)
	var scope tree.Scope
	if len(names) > 0 {
		scope = func(p string) bool {
			for name := range selected {
				if strings.HasPrefix(p, gen.HubDir(name)+"/") {
					return true
				}
			}
			return !strings.HasPrefix(p, gen.Deployments+"/")
		}
	}
	plan, err := tree.Compare(fed.Root, files, scope)
	if err != nil {
		return nil, nil, err
	}
	return plan, nil, nil
}

// domains: every environment's domain is unique across the federation; a
// domain used again is a finding at the second use, naming the first.
func domains(fed *load.Federation) []*finding.Finding {
	type use struct {
		h   *hub.Hub
		env string
	}
	var out []*finding.Finding
	seen := map[string]use{}
	for _, h := range fed.Hubs {
		for _, env := range hub.EnvNames {
			d := h.Environments[env].Domain
			elems := []string{"environments", env, "domain"}
			if first, ok := seen[d]; ok {
				f := finding.At("domain", h.Name, elems, fed.Pos(h.Name, elems...), "domain %s is already used by %s.%s", d, first.h.Name, first.env)
				f.Also = []token.Pos{fed.Pos(first.h.Name, "environments", first.env, "domain")}
				out = append(out, f)
				continue
			}
			seen[d] = use{h, env}
		}
	}
	return out
}

// clusters: hubs that name the same cluster state its cloud section
// alike (its definition under clusters/ is generated from all of them); a
// hub that differs from the first hub on the cluster (by name) is a finding
// at the first field where they differ, with that field of the other hub.
func clusters(fed *load.Federation) []*finding.Finding {
	_, conflicts := gen.GroupClusters(fed.Hubs)
	var out []*finding.Finding
	for _, c := range conflicts {
		elems := append([]string{"cloud"}, c.Path...)
		f := finding.At("cluster", c.Hub.Name, elems, fed.Pos(c.Hub.Name, elems...),
			"cluster %s is also %s's, where cloud.%s is %s, not %s: hubs on one cluster must state its cloud section alike (or name another cluster)",
			c.Cluster, c.Other.Name, hub.JoinPath(c.Path), show(c.OtherValue), show(c.Value))
		f.Also = []token.Pos{fed.Pos(c.Other.Name, elems...)}
		out = append(out, f)
	}
	return out
}

// generateFindings say why a hub did not generate: each raw value that
// contradicts a typed one at its own position, else the error at the hub.
func generateFindings(fed *load.Federation, h *hub.Hub, err error) []*finding.Finding {
	var conflicts gen.ConflictErrors
	if !errors.As(err, &conflicts) {
		if fe := (*hub.FieldError)(nil); errors.As(err, &fe) {
			// A typed field gen refuses, at that field.
			return []*finding.Finding{finding.At("generate", h.Name, fe.Path, fed.Pos(h.Name, fe.Path...), "%s", fe.Msg)}
		}
		return []*finding.Finding{finding.At("generate", h.Name, nil, fed.Pos(h.Name), "%v", err)}
	}
	var out []*finding.Finding
	for _, ce := range conflicts {
		elems := []string{"values"}
		if ce.Env != "" {
			elems = []string{"environments", ce.Env, "values"}
		}
		elems = append(elems, ce.Path...)
		out = append(out, finding.At("values", h.Name, elems, fed.Pos(h.Name, elems...), "raw value %s contradicts the typed value %s: set it through the typed field, or remove it", show(ce.Raw), show(ce.Typed)))
	}
	return out
}

// show is a value as a finding quotes it: Go syntax, strings quoted, at
// most 80 characters.
func show(v any) string {
	s := fmt.Sprintf("%#v", v)
	if str, ok := v.(string); ok {
		s = strconv.Quote(str)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
