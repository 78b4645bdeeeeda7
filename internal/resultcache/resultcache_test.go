package resultcache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type result struct {
	Text  string   `json:"text"`
	Items []string `json:"items"`
}

// TestGetPut: an entry put is got back, under its key only, by the
// binary that put it only; a missing, truncated or undecodable entry is a
// miss, and putting it again mends it.
func TestGetPut(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, "build-1")
	key := c.NewHasher("test").Add([]byte("input")).Key()
	var got result
	if c.Get(key, &got) {
		t.Fatal("hit in an empty cache")
	}
	want := result{Text: "found", Items: []string{"a", "b"}}
	if err := c.Put(key, want); err != nil {
		t.Fatal(err)
	}
	if !c.Get(key, &got) || got.Text != want.Text || strings.Join(got.Items, ",") != "a,b" {
		t.Fatalf("Get = %+v, want %+v", got, want)
	}
	if c.Get(other(c), &got) {
		t.Error("hit for another input")
	}
	if c.Get(New(dir, "build-2").NewHasher("test").Add([]byte("input")).Key(), &got) {
		t.Error("hit for another binary")
	}
	if info, err := os.Stat(c.path(key)); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o644 {
		t.Errorf("entry's mode: %v, want 0644 (a shared cache folder serves every user)", info.Mode())
	}
	for name, data := range map[string]string{
		"truncated":              `{"key": "` + key.String() + `", "result": {"text": "fou`,
		"not JSON":               "\x00\x01",
		"empty":                  "",
		"a bare result":          `{"text": "found", "items": ["a", "b"]}`,
		"another key's entry":    `{"key": "` + other(c).String() + `", "result": {"text": "found"}}`,
		"no result":              `{"key": "` + key.String() + `"}`,
		"a result not JSON of v": `{"key": "` + key.String() + `", "result": {"text": 1}}`,
	} {
		if err := os.WriteFile(c.path(key), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if c.Get(key, &result{}) {
			t.Errorf("%s entry: hit", name)
		}
	}
	if err := c.Put(key, want); err != nil {
		t.Fatal(err)
	}
	if !c.Get(key, &got) || got.Text != "found" {
		t.Errorf("entry put again: Get = %+v", got)
	}
	// No temporary file is left beside the entries.
	files, err := filepath.Glob(filepath.Join(dir, "*", ".tmp-*"))
	if err != nil || len(files) > 0 {
		t.Errorf("temporary files left: %v %v", files, err)
	}
}

// other is the key of another input than TestGetPut's.
func other(c *Cache) Key { return c.NewHasher("test").Add([]byte("other input")).Key() }

// TestHasher: inputs are told apart by their lengths, so that splitting
// the same bytes otherwise, or another kind, is another key.
func TestHasher(t *testing.T) {
	c := New(t.TempDir(), "build")
	keys := map[Key]string{}
	for name, h := range map[string]*Hasher{
		"ab,c":        c.NewHasher("k").Add([]byte("ab")).Add([]byte("c")),
		"a,bc":        c.NewHasher("k").Add([]byte("a")).Add([]byte("bc")),
		"abc":         c.NewHasher("k").Add([]byte("abc")),
		"abc,empty":   c.NewHasher("k").Add([]byte("abc")).Add(nil),
		"other kind":  c.NewHasher("l").Add([]byte("abc")),
		"other build": New(t.TempDir(), "build2").NewHasher("k").Add([]byte("abc")),
	} {
		k := h.Key()
		if other, ok := keys[k]; ok {
			t.Errorf("%s and %s have one key", name, other)
		}
		keys[k] = name
	}
	m1, m2 := c.NewHasher("k"), c.NewHasher("k")
	if err := m1.AddJSON(map[string]int{"a": 1, "b": 2}); err != nil {
		t.Fatal(err)
	}
	if err := m2.AddJSON(map[string]int{"b": 2, "a": 1}); err != nil {
		t.Fatal(err)
	}
	if m1.Key() != m2.Key() {
		t.Error("equal maps hash differently")
	}
	if err := c.NewHasher("k").AddJSON(func() {}); err == nil {
		t.Error("AddJSON of a func: no error")
	}
}

// TestAddValue: values that JSON writes alike (int 1 and float 1.0, a
// string with invalid UTF-8 and one with U+FFFD, a nil and an empty map)
// hash apart; equal values, maps in any order, hash alike.
func TestAddValue(t *testing.T) {
	c := New(t.TempDir(), "build")
	key := func(v any) Key {
		h := c.NewHasher("k")
		if err := h.AddValue(v); err != nil {
			t.Fatalf("AddValue(%#v): %v", v, err)
		}
		return h.Key()
	}
	m := func(v any) map[string]any { return map[string]any{"a": v, "b": []any{"x", true}} }
	tests := []struct {
		name string
		a, b any
		same bool
	}{
		{"equal maps built apart", m(1), m(1), true},
		{"int and float", m(1), m(1.0), false},
		{"int and int64", m(1), m(int64(1)), false},
		{"invalid UTF-8 and U+FFFD", m("\xff"), m("\ufffd"), false},
		{"nil and empty map", m(nil), m(map[string]any{}), false},
		{"nil map and empty map", m(map[string]any(nil)), m(map[string]any{}), false},
		{"nil list and empty list", m([]any(nil)), m([]any{}), false},
		{"string and number", m("1"), m(1), false},
		{"list split otherwise", []any{[]any{"a", "b"}, "c"}, []any{[]any{"a"}, "b", "c"}, false},
		{"other type, as JSON", m(struct{ X int }{1}), m(struct{ X int }{1}), true},
		{"other type and a map", m(struct{ X int }{1}), m(map[string]any{"X": 1}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := key(tt.a) == key(tt.b); same != tt.same {
				t.Errorf("keys alike = %v, want %v", same, tt.same)
			}
		})
	}
	if err := c.NewHasher("k").AddValue(m(func() {})); err == nil {
		t.Error("AddValue of a func: no error")
	}
}

// TestTrim: entries and temporary files unused for TrimAge go, the
// others stay; a hit renews an old entry; a trim within TrimInterval of
// the last does nothing.
func TestTrim(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c := New(dir, "build")
	c.now = func() time.Time { return now }
	put := func(name string, age time.Duration) Key {
		k := c.NewHasher("t").Add([]byte(name)).Key()
		if err := c.Put(k, result{Text: name}); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(c.path(k), now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		return k
	}
	fresh := put("fresh", time.Hour)
	old := put("old", TrimAge+time.Hour)
	renewed := put("renewed", TrimAge+time.Hour)
	if !c.Get(renewed, &result{}) {
		t.Fatal("renewed: miss")
	}
	tmp := filepath.Join(filepath.Dir(c.path(fresh)), ".tmp-left")
	if err := os.WriteFile(tmp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, now.Add(-TrimAge-time.Hour), now.Add(-TrimAge-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.Trim(); err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]Key{"fresh": fresh, "renewed": renewed} {
		if !c.Get(k, &result{}) {
			t.Errorf("%s entry trimmed", name)
		}
	}
	if c.Get(old, &result{}) {
		t.Error("old entry kept")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("old temporary file kept: %v", err)
	}
	// Within TrimInterval of that trim, an entry gone stale stays.
	now = now.Add(TrimInterval / 2)
	stale := put("stale", TrimAge+time.Hour)
	if err := c.Trim(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(stale)); err != nil {
		t.Errorf("trimmed within TrimInterval of the last trim: %v", err)
	}
	now = now.Add(TrimInterval)
	if err := c.Trim(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(stale)); !os.IsNotExist(err) {
		t.Errorf("stale entry kept a TrimInterval later: %v", err)
	}
	// A last trim dated in the future (the clock set back) does not hold
	// trimming off.
	stale = put("stale again", TrimAge+time.Hour)
	now = now.Add(-30 * 24 * time.Hour)
	if err := os.Chtimes(c.path(stale), now.Add(-TrimAge-time.Hour), now.Add(-TrimAge-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.Trim(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(stale)); !os.IsNotExist(err) {
		t.Errorf("stale entry kept after the clock was set back: %v", err)
	}
}

// TestDir: $PANGEO_GEN_RESULT_CACHE names the folder (made absolute) or
// turns the cache off; unset, it is pangeo-gen/results in the user's cache
// folder.
func TestDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	user, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env, dir string
		on       bool
	}{
		{env: "", dir: filepath.Join(user, "pangeo-gen", "results"), on: true},
		{env: "/var/cache/pg", dir: "/var/cache/pg", on: true},
		{env: "rel", dir: filepath.Join(wd, "rel"), on: true},
		{env: Off},
	} {
		t.Setenv(EnvDir, tc.env)
		dir, on, err := Dir()
		if err != nil || dir != tc.dir || on != tc.on {
			t.Errorf("%s=%q: Dir() = %q, %v, %v; want %q, %v", EnvDir, tc.env, dir, on, err, tc.dir, tc.on)
		}
	}
	t.Setenv(EnvDir, Off)
	if c, err := Open(); c != nil || err != nil {
		t.Errorf("Open() with the cache off = %v, %v; want nil, nil", c, err)
	}
	t.Setenv(EnvDir, t.TempDir())
	if c, err := Open(); c == nil || err != nil {
		t.Errorf("Open() = %v, %v; want a cache", c, err)
	}
}
