package helmengine

import (
	"fmt"
	"log"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// sortManifests is releaseutil.SortManifests(files, nil,
// releaseutil.InstallOrder), Helm 3's split of rendered template files
// into hooks and manifests in install order, with the same results and
// errors (TestSortManifestsIsHelms) for less: sortDocuments with the heads
// parsed as Helm parses them (sigs.k8s.io/yaml into
// releaseutil.SimpleHead).
func sortManifests(files map[string]string) ([]*release.Hook, []releaseutil.Manifest, error) {
	return sortDocuments(files, func(path, doc string) (releaseutil.SimpleHead, releaseutil.Manifest, error) {
		var head releaseutil.SimpleHead
		err := yaml.Unmarshal([]byte(doc), &head)
		return head, releaseutil.Manifest{Name: path, Content: doc, Head: &head}, err
	})
}

// A Decoder reads a document of a rendered template once, for
// CheckDecoded: doc is the document as Helm 3 splits the file
// (releaseutil.SplitManifests, trimmed), path the template's. It gives
// the document's head as Helm's SortManifests reads it, with that read's
// error (sigs.k8s.io/yaml into releaseutil.SimpleHead: the hooks are told
// apart and the manifests ordered by its kind and annotations), and what
// the caller keeps of the document. It is called concurrently.
type Decoder[T any] func(path, doc string) (releaseutil.SimpleHead, T, error)

// sortDocuments is Helm 3's sortManifestsByKind of rendered template
// files (releaseutil.SortManifests with InstallOrder) with the heads of
// the documents read by decode: the hooks, and what decode made of the
// other documents in install order, with Helm's errors (the YAML parse
// error of the first document in Helm's order whose head decode cannot
// read; hooks and manifests then unsorted, as Helm returns them). The
// files are split by splitManifests, a linear scan, not Helm's regular
// expression (half of SortManifests' time on the jupyterhub chart), and
// their documents decoded side by side, GOMAXPROCS files at a time.
func sortDocuments[T any](files map[string]string, decode Decoder[T]) ([]*release.Hook, []T, error) {
	type file struct {
		path    string
		entries []string
		heads   []releaseutil.SimpleHead
		decoded []T
		err     error
	}
	var todo []*file
	for _, p := range slices.Sorted(mapsKeys(files)) {
		content := files[p]
		if strings.HasPrefix(path.Base(p), "_") || strings.TrimSpace(content) == "" {
			continue
		}
		todo = append(todo, &file{path: p, entries: splitManifests(content)})
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, f := range todo {
		g.Go(func() error {
			f.heads = make([]releaseutil.SimpleHead, len(f.entries))
			f.decoded = make([]T, len(f.entries))
			for i, m := range f.entries {
				var err error
				if f.heads[i], f.decoded[i], err = decode(f.path, m); err != nil {
					f.heads, f.err = f.heads[:i], fmt.Errorf("YAML parse error on %s: %w", f.path, err)
					return nil
				}
			}
			return nil
		})
	}
	g.Wait()
	type kept struct {
		kind    string
		decoded T
	}
	var hooks []*release.Hook
	var generic []kept
	for _, f := range todo {
		for i := range f.heads {
			entry, m := f.heads[i], f.entries[i]
			if h, isHook := hookOf(entry, f.path, m); isHook {
				if h != nil {
					hooks = append(hooks, h)
				}
				continue
			}
			generic = append(generic, kept{entry.Kind, f.decoded[i]})
		}
		if f.err != nil {
			return hooks, mapped(generic, func(k kept) T { return k.decoded }), f.err // unsorted, as Helm returns them
		}
	}
	generic = sortByKind(generic, func(k kept) string { return k.kind })
	return sortByKind(hooks, func(h *release.Hook) string { return h.Kind }), mapped(generic, func(k kept) T { return k.decoded }), nil
}

// mapped is f of each of xs.
func mapped[X, Y any](xs []X, f func(X) Y) []Y {
	var ys []Y
	for _, x := range xs {
		ys = append(ys, f(x))
	}
	return ys
}

// mapsKeys is maps.Keys of a map of strings.
func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// hookEvents are the hook annotation's values Helm 3 knows
// (releaseutil's events).
var hookEvents = map[string]release.HookEvent{
	release.HookPreInstall.String():   release.HookPreInstall,
	release.HookPostInstall.String():  release.HookPostInstall,
	release.HookPreDelete.String():    release.HookPreDelete,
	release.HookPostDelete.String():   release.HookPostDelete,
	release.HookPreUpgrade.String():   release.HookPreUpgrade,
	release.HookPostUpgrade.String():  release.HookPostUpgrade,
	release.HookPreRollback.String():  release.HookPreRollback,
	release.HookPostRollback.String(): release.HookPostRollback,
	release.HookTest.String():         release.HookTest,
	"test-success":                    release.HookTest,
}

// hookOf is what Helm 3's manifestFile.sort makes of a document of the
// file at path: not a hook (isHook false: a manifest), a hook, or a hook
// of an unknown type (isHook true, nil: skipped, as Helm logs it).
func hookOf(entry releaseutil.SimpleHead, path, m string) (h *release.Hook, isHook bool) {
	if entry.Metadata == nil || len(entry.Metadata.Annotations) == 0 {
		return nil, false
	}
	hookTypes, ok := entry.Metadata.Annotations[release.HookAnnotation]
	if !ok {
		return nil, false
	}
	hw, err := strconv.Atoi(entry.Metadata.Annotations[release.HookWeightAnnotation])
	if err != nil {
		hw = 0
	}
	h = &release.Hook{
		Name:              entry.Metadata.Name,
		Kind:              entry.Kind,
		Path:              path,
		Manifest:          m,
		Events:            []release.HookEvent{},
		Weight:            hw,
		DeletePolicies:    []release.HookDeletePolicy{},
		OutputLogPolicies: []release.HookOutputLogPolicy{},
	}
	for _, t := range strings.Split(hookTypes, ",") {
		e, ok := hookEvents[strings.ToLower(strings.TrimSpace(t))]
		if !ok {
			log.Printf("info: skipping unknown hook: %q", hookTypes)
			return nil, true
		}
		h.Events = append(h.Events, e)
	}
	each := func(annotation string, f func(string)) {
		if v, ok := entry.Metadata.Annotations[annotation]; ok {
			for _, p := range strings.Split(v, ",") {
				f(strings.ToLower(strings.TrimSpace(p)))
			}
		}
	}
	each(release.HookDeleteAnnotation, func(v string) { h.DeletePolicies = append(h.DeletePolicies, release.HookDeletePolicy(v)) })
	each(release.HookOutputLogAnnotation, func(v string) {
		h.OutputLogPolicies = append(h.OutputLogPolicies, release.HookOutputLogPolicy(v))
	})
	return h, true
}

// installRanks are the places of the kinds in releaseutil.InstallOrder.
var installRanks = func() map[string]int {
	m := make(map[string]int, len(releaseutil.InstallOrder))
	for i, k := range releaseutil.InstallOrder {
		m[k] = i
	}
	return m
}()

// sortByKind sorts xs, stably, as releaseutil's sortManifestsByKind and
// sortHooksByKind do with InstallOrder (lessByKind): known kinds in that
// order, then unknown kinds by name.
func sortByKind[T any](xs []T, kind func(T) string) []T {
	sort.SliceStable(xs, func(i, j int) bool {
		a, b := kind(xs[i]), kind(xs[j])
		first, aok := installRanks[a]
		second, bok := installRanks[b]
		switch {
		case !aok && !bok:
			return a < b
		case !aok:
			return false
		case !bok:
			return true
		}
		return first < second
	})
	return xs
}

// splitManifests is the documents of releaseutil.SplitManifests(bigFile)
// in its order (BySplitManifestsOrder): the text, trimmed, split at every
// match of Helm's separator (?:^|\s*\n)---\s* (Go's \s: tab, newline,
// form feed, carriage return, space), the empty pieces dropped and the
// others trimmed. A linear scan instead of the regular expression, the
// same pieces (TestSplitManifestsIsHelms, FuzzSplitManifests).
func splitManifests(bigFile string) []string {
	s := strings.TrimSpace(bigFile)
	var docs []string
	add := func(d string) {
		if d != "" {
			docs = append(docs, strings.TrimSpace(d))
		}
	}
	beg := 0 // the start of the current piece: the end of the last match
	if strings.HasPrefix(s, "---") {
		// The ^ alternative: a match at 0, whose empty piece before it
		// Split leaves out.
		beg = skipSpace(s, 3)
	}
	for from := beg; ; {
		q := strings.Index(s[from:], "\n---")
		if q < 0 {
			break
		}
		q += from
		// The match starts where the run of \s before the newline does
		// (the leftmost start), never before the last match's end.
		start := q
		for start > beg && isRegexpSpace(s[start-1]) {
			start--
		}
		add(s[beg:start])
		beg = skipSpace(s, q+4)
		from = beg
	}
	add(s[beg:])
	return docs
}

// skipSpace is the index of the first byte of s at or after i that is not
// \s.
func skipSpace(s string, i int) int {
	for i < len(s) && isRegexpSpace(s[i]) {
		i++
	}
	return i
}

// isRegexpSpace is the class \s of Go's regexp: [\t\n\f\r ].
func isRegexpSpace(c byte) bool {
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}
