package values

// Get returns the value at path in the nested maps of v, and whether it is
// there: ok is false when a key is missing or a value on the way is not a
// map[string]any. A key set to null is there (nil, true). An empty path is
// v itself.
func Get(v any, path ...string) (any, bool) {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Lookup is Get without the ok: nil when the path is not there (or holds
// null).
func Lookup(v any, path ...string) any {
	v, _ = Get(v, path...)
	return v
}

// Set sets the value at path in m to v, in place, making the maps on the
// way: a missing key or one whose value is not a map[string]any gets a new
// empty map. An empty path changes nothing.
func Set(m map[string]any, path []string, v any) {
	if len(path) == 0 {
		return
	}
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok || next == nil {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// Delete deletes the key at path from the nested maps of m, in place, and
// reports whether it was there. Maps it leaves empty stay.
func Delete(m map[string]any, path []string) bool {
	if len(path) == 0 {
		return false
	}
	parent, ok := Get(m, path[:len(path)-1]...)
	if !ok {
		return false
	}
	pm, ok := parent.(map[string]any)
	if !ok {
		return false
	}
	_, ok = pm[path[len(path)-1]]
	delete(pm, path[len(path)-1])
	return ok
}
