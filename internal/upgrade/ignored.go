package upgrade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Schema is what a chart's values.schema.json says of the keys of its
// values: which maps are closed (additionalProperties false) and the keys
// they hold. Only the keys matter here, not their types.
type Schema struct {
	root *schemaNode
}

type schemaNode struct {
	Properties map[string]*schemaNode `json:"properties"`
	// Additional is additionalProperties: false (closed), a schema (every
	// other key), or absent or true (open).
	Additional json.RawMessage            `json:"additionalProperties"`
	Pattern    map[string]json.RawMessage `json:"patternProperties"`
}

// ParseSchema reads a chart's values.schema.json.
func ParseSchema(data []byte) (*Schema, error) {
	var n schemaNode
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("values schema: %w", err)
	}
	return &Schema{root: &n}, nil
}

// closed says whether the map n describes refuses the keys it does not
// name: additionalProperties false and no patternProperties (a pattern's
// keys, annotations and traitlets sections, are not the chart's own).
func (n *schemaNode) closed() bool {
	return len(n.Pattern) == 0 && bytes.Equal(bytes.TrimSpace(n.Additional), []byte("false"))
}

// child is the schema of key k under n: nil when n leaves k open (any
// value), ok false when n refuses it.
func (n *schemaNode) child(k string) (c *schemaNode, ok bool) {
	if c, ok := n.Properties[k]; ok {
		return c, true
	}
	if n.closed() {
		return nil, false
	}
	a := bytes.TrimSpace(n.Additional)
	if len(a) > 0 && a[0] == '{' && len(n.Pattern) == 0 {
		var c schemaNode
		if json.Unmarshal(a, &c) == nil {
			return &c, true
		}
	}
	return nil, true
}

// Accepts reports whether the schema has the key path (dotted): each
// element a property of its map, or a key of a map left open.
func (s *Schema) Accepts(path string) bool {
	n := s.root
	for _, k := range strings.Split(path, ".") {
		if n == nil {
			return true
		}
		c, ok := n.child(k)
		if !ok {
			return false
		}
		n = c
	}
	return true
}

// Unknown lists the keys of values v that the schema refuses as unknown (a
// key of a closed map that is not one of its properties), sorted; it does
// not look below them.
func (s *Schema) Unknown(v map[string]any) [][]string {
	var out [][]string
	var walk func(n *schemaNode, m map[string]any, path []string)
	walk = func(n *schemaNode, m map[string]any, path []string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			c, ok := n.child(k)
			p := append(slices.Clone(path), k)
			switch sub, isMap := m[k].(map[string]any); {
			case !ok:
				out = append(out, p)
			case c != nil && isMap:
				walk(c, sub, p)
			}
		}
	}
	walk(s.root, v, nil)
	return out
}

// PreSchema is the first jupyterhub chart release with a values schema
// (1.0.0, Breaking changes: "Schema validation of chart config"): before
// it, the chart's templates read the keys they knew and ignored the others.
const PreSchema = "1.0.0"

// Era is the chart release the old values are older than, from the changes
// JupyterHub made of them: each translated or refused key was refused by
// the chart from its rule's release on, so values holding it ran on an
// older chart. "" when no change tells.
func Era(changes []Change) string {
	var era *semver.Version
	for _, c := range changes {
		v, err := semver.NewVersion(c.Chart)
		if err != nil {
			continue
		}
		if era == nil || v.LessThan(era) {
			era = v
		}
	}
	if era == nil {
		return ""
	}
	return era.Original()
}

// Ignored removes, in place, the keys of jh (one file's jupyterhub values,
// translated by JupyterHub) that the current chart's schema refuses as
// unknown and that no Table rule names (at, above or below the key): as
// the Table is complete, no jupyterhub chart release ever had such a key.
// When era (see Era) is at most PreSchema, the old chart had no values
// schema and its templates never read the key: dropping it loses nothing
// (a Dropped change). Otherwise nothing shows the old chart ignored it: it
// stays, a loss (a Lost change). Keys a rule names are the rule's.
func Ignored(jh map[string]any, s *Schema, era string) []Change {
	var out []Change
	ignored := false
	if v, err := semver.NewVersion(era); err == nil {
		ignored = !v.GreaterThan(semver.MustParse(PreSchema))
	}
	for _, path := range s.Unknown(jh) {
		if ruled(path) {
			continue
		}
		if !ignored {
			out = append(out, Change{Old: path, Lost: "not a key of the jupyterhub chart (its values schema refuses it), nor of any release before (internal/upgrade's table), and nothing shows the old chart ignored it (a chart from " + PreSchema + " on refuses unknown keys)"})
			continue
		}
		remove(jh, path)
		out = append(out, Change{Old: path, Chart: era, Dropped: fmt.Sprintf("no effect in chart before %s: no jupyterhub chart release has this key, and before %s the chart ignored the keys it did not read", era, PreSchema)})
	}
	return out
}

// ruled says whether a Table rule, or the auth: section, names path or a
// key above or below it.
func ruled(path []string) bool {
	if path[0] == "auth" {
		return true
	}
	p := strings.Join(path, ".")
	for _, r := range Table {
		if p == r.Old || strings.HasPrefix(p, r.Old+".") || strings.HasPrefix(r.Old, p+".") {
			return true
		}
	}
	return false
}

// Wrapper is an old umbrella chart that hubs nested their values under
// (pangeo:), one that no longer exists: what its own templates read and
// the charts it depended on. A value under it that is neither reached no
// template.
type Wrapper struct {
	// Reads are the top-level keys of the wrapper's values its templates
	// read.
	Reads []string
	// Dependencies are its dependencies' keys.
	Dependencies []string
}

// Wrappers are the old umbrella charts by their key. pangeo is
// pangeo-data/helm-chart's pangeo chart: its one template
// (dask-kubernetes-rbac.yaml) reads rbac.enabled, its NOTES.txt no value,
// and its requirements.yaml and values.yaml name the dependencies
// jupyterhub and (from 2020) dask-gateway. daskhub is not here: its
// templates are not known to read nothing else.
var Wrappers = map[string]Wrapper{
	"pangeo": {Reads: []string{"rbac"}, Dependencies: []string{"jupyterhub", "dask-gateway"}},
}

// WrapperKey is the change of key, a top-level key of the values nested
// under the old umbrella chart wrapper: dropped when the wrapper is one of
// Wrappers and neither its templates nor its dependencies take the key.
func WrapperKey(wrapper, key string) (Change, bool) {
	w, ok := Wrappers[wrapper]
	if !ok || slices.Contains(w.Reads, key) || slices.Contains(w.Dependencies, key) {
		return Change{}, false
	}
	return Change{Old: []string{key}, Chart: wrapper, Dropped: fmt.Sprintf("no effect in chart %s: its templates read only %s and its dependencies take %s", wrapper, strings.Join(w.Reads, ", "), strings.Join(w.Dependencies, ", "))}, true
}
