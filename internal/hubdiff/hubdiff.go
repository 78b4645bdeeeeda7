// Package hubdiff shows what a change does to a hub: the unified diff, object
// by object, of two rendered YAML streams (or of two value trees), with the
// values of Secrets masked so that the diff shows that a secret changed but
// not what it is.
package hubdiff

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/render"
)

// Mask is what a secret value is replaced with: the first 8 hex digits of
// the SHA-256 of its text, so that a change still shows.
func Mask(value string) string {
	sum := sha256.Sum256([]byte(value))
	return fmt.Sprintf("<masked sha256:%x>", sum[:4])
}

// maskSecretValue masks the value of one key of a Secret's data (base64)
// or stringData. A configuration file (a key ending in .yaml, .yml or
// .json whose content is a mapping, as the jupyterhub chart keeps the
// hub's values in Secret/hub values.yaml) keeps its keys and has each leaf
// masked, so that a diff says which setting changed; any other value is
// masked whole.
func maskSecretValue(key, value string, base64Data bool) any {
	if !strings.HasSuffix(key, ".yaml") && !strings.HasSuffix(key, ".yml") && !strings.HasSuffix(key, ".json") {
		return Mask(value)
	}
	text := []byte(value)
	if base64Data {
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return Mask(value)
		}
		text = b
	}
	var doc map[string]any
	if err := yamlv3.Unmarshal(text, &doc); err != nil || len(doc) == 0 {
		return Mask(value)
	}
	return maskLeaves(doc)
}

// maskLeaves replaces every scalar of a tree with its Mask, keeping maps
// and lists; a null stays null.
func maskLeaves(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = maskLeaves(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = maskLeaves(x)
		}
		return v
	case nil:
		return nil
	}
	return Mask(fmt.Sprint(v))
}

// object is one document of a stream.
type object struct {
	kind, namespace, name string
	text                  string
}

// ID names the object in diff headers: kind/namespace/name, kind/name for
// a cluster-scoped object.
func (o *object) id() string {
	if o.namespace == "" {
		return o.kind + "/" + o.name
	}
	return o.kind + "/" + o.namespace + "/" + o.name
}

func (o *object) less(p *object) bool {
	if a, b := render.KindRank(o.kind), render.KindRank(p.kind); a != b {
		return a < b
	}
	if o.kind != p.kind {
		return o.kind < p.kind
	}
	if o.namespace != p.namespace {
		return o.namespace < p.namespace
	}
	return o.name < p.name
}

// parse splits a YAML stream into its objects, by id, Secrets masked.
func parse(stream []byte) (map[string]*object, error) {
	objs := map[string]*object{}
	dec := yamlv3.NewDecoder(bytes.NewReader(stream))
	for i := 1; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if doc == nil {
			continue
		}
		o := &object{}
		o.kind, _ = doc["kind"].(string)
		if md, ok := doc["metadata"].(map[string]any); ok {
			o.namespace, _ = md["namespace"].(string)
			o.name, _ = md["name"].(string)
		}
		if o.kind == "Secret" {
			for _, field := range []string{"data", "stringData"} {
				if m, ok := doc[field].(map[string]any); ok {
					for k, v := range m {
						m[k] = maskSecretValue(k, fmt.Sprint(v), field == "data")
					}
				}
			}
		}
		text, err := yaml.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		o.text = string(text)
		if _, dup := objs[o.id()]; dup {
			return nil, fmt.Errorf("document %d: %s appears twice", i, o.id())
		}
		objs[o.id()] = o
	}
}

// Streams diffs two YAML streams of Kubernetes objects, from (labelled
// fromLabel) and to (toLabel): one unified diff per object that differs,
// with the headers "--- fromLabel ID" and "+++ toLabel ID" (ID is
// kind/namespace/name, kind/name for a cluster-scoped object), an object
// only on one side all added or removed; ordered by kind as render orders
// kinds, then namespace and name. The data and stringData values of
// Secrets are masked (Mask). "" means no change.
func Streams(fromLabel, toLabel string, from, to []byte) (string, error) {
	a, err := parse(from)
	if err != nil {
		return "", fmt.Errorf("%s: %w", fromLabel, err)
	}
	b, err := parse(to)
	if err != nil {
		return "", fmt.Errorf("%s: %w", toLabel, err)
	}
	var all []*object
	for _, o := range a {
		all = append(all, o)
	}
	for id, o := range b {
		if _, ok := a[id]; !ok {
			all = append(all, o)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].less(all[j]) })
	var out strings.Builder
	for _, o := range all {
		id := o.id()
		var at, bt string
		if x, ok := a[id]; ok {
			at = x.text
		}
		if x, ok := b[id]; ok {
			bt = x.text
		}
		out.WriteString(Text(fromLabel+" "+id, toLabel+" "+id, at, bt))
	}
	return out.String(), nil
}

// Values diffs two value trees as YAML, headed "--- fromLabel" and
// "+++ toLabel"; nil is a side without the values (all added or removed).
// The caller masks secrets first (MaskSecrets). "" means no change.
func Values(fromLabel, toLabel string, from, to map[string]any) (string, error) {
	var texts [2]string
	for i, v := range []map[string]any{from, to} {
		if v == nil {
			continue
		}
		t, err := yaml.Marshal(v)
		if err != nil {
			return "", err
		}
		texts[i] = string(t)
	}
	return Text(fromLabel, toLabel, texts[0], texts[1]), nil
}

// MaskSecrets replaces, in values, every value at the path of a leaf of
// secrets (the secrets layer merged into them) with its Mask.
func MaskSecrets(values, secrets map[string]any) {
	for k, s := range secrets {
		v, ok := values[k]
		if !ok {
			continue
		}
		sm, sok := s.(map[string]any)
		vm, vok := v.(map[string]any)
		switch {
		case sok && vok:
			MaskSecrets(vm, sm)
		case v != nil:
			text, err := yaml.Marshal(v)
			if err != nil {
				text = []byte(fmt.Sprint(v))
			}
			values[k] = Mask(strings.TrimSuffix(string(text), "\n"))
		}
	}
}

// Text is the unified diff (three lines of context) of two texts with the
// headers "--- fromHeader" and "+++ toHeader"; "" when they are equal.
func Text(fromHeader, toHeader, from, to string) string {
	if from == to {
		return ""
	}
	s, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        lines(from),
		B:        lines(to),
		FromFile: fromHeader,
		ToFile:   toHeader,
		Context:  3,
	})
	if err != nil { // only from writing to a strings.Builder: never
		panic(err)
	}
	return s
}

// lines splits s after each newline, giving a last line without one a
// newline (and the marker diff uses) so that the diff stays line-based.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	ls := strings.SplitAfter(s, "\n")
	if ls[len(ls)-1] == "" {
		return ls[:len(ls)-1]
	}
	ls[len(ls)-1] += "\n\\ No newline at end of file\n"
	return ls
}
