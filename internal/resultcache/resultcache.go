// Package resultcache keeps results that pangeo-gen computed from its
// inputs on disk between runs, as the go command keeps the results of its
// builds, tests and vet runs: an entry is named by the hash of the
// binary's build ID and of everything the result was computed from, so
// that another pangeo-gen, or a change of any input, misses it. vet keeps
// there what it found of each hub-env against its charts (the values
// check and the charts' pods), which is most of its work.
//
// The cache is best effort: an entry that cannot be read or decoded is a
// miss, one that cannot be written is not kept, and neither is an error.
// Entries are written atomically (a temporary file renamed), so readers
// and writers in several processes never see half an entry; those unused
// for TrimAge are removed, at most once per TrimInterval.
package resultcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pangeo-data/pangeo-gen/internal/buildinfo"
)

// EnvDir names the environment variable that sets the cache folder;
// "off" turns the cache off.
const EnvDir = "PANGEO_GEN_RESULT_CACHE"

// Off is the value of EnvDir that turns the cache off.
const Off = "off"

const (
	// TrimAge is how long an entry is kept unused.
	TrimAge = 5 * 24 * time.Hour
	// TrimInterval is how often Trim looks for unused entries.
	TrimInterval = 24 * time.Hour
	// touchAfter is how old an entry's modification time must be before a
	// hit renews it (as the go command does, so that hits rarely write).
	touchAfter = time.Hour
	// trimFile holds the time of the last trim.
	trimFile = "trim.txt"
)

// Cache is a folder of results, keyed for one pangeo-gen binary.
type Cache struct {
	dir   string
	build string
	now   func() time.Time
}

// Dir is the cache folder: $PANGEO_GEN_RESULT_CACHE when set, else
// pangeo-gen/results in the user's cache folder ($XDG_CACHE_HOME or
// ~/.cache on Linux, ~/Library/Caches on macOS); on false when the
// variable is "off".
func Dir() (dir string, on bool, err error) {
	switch d := os.Getenv(EnvDir); d {
	case Off:
		return "", false, nil
	case "":
	default:
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", false, fmt.Errorf("result cache $%s: %w", EnvDir, err)
		}
		return abs, true, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", false, fmt.Errorf("result cache: %w; set $%s", err, EnvDir)
	}
	return filepath.Join(d, "pangeo-gen", "results"), true, nil
}

// Open is the cache in Dir for the running binary (buildinfo.BuildID); nil
// and no error when the cache is off. An error says why there is no cache
// (no cache folder, a binary without a build ID); the caller goes on
// without it.
func Open() (*Cache, error) {
	dir, on, err := Dir()
	if err != nil || !on {
		return nil, err
	}
	build, err := buildinfo.BuildID()
	if err != nil {
		return nil, fmt.Errorf("result cache: %w", err)
	}
	return New(dir, build), nil
}

// New is the cache in folder dir for the binary whose build ID is build.
func New(dir, build string) *Cache {
	return &Cache{dir: dir, build: build, now: time.Now}
}

// Key names an entry: the hash of the binary's build ID, the entry's kind
// and its inputs.
type Key [sha256.Size]byte

// String is the key in hexadecimal.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Hasher builds a Key from the inputs of a result, each written whole and
// told apart from the next (Hasher.Add).
type Hasher struct{ h hash.Hash }

// NewDigest starts a hash of content, framed as a Key's inputs are but
// bound to no binary: the digest of a part of the inputs (a chart, a
// hub's output), which a Key then takes as one input.
func NewDigest() *Hasher { return &Hasher{sha256.New()} }

// NewHasher starts the Key of a result of kind (what computed it: "vet
// chart check") for c's binary.
func (c *Cache) NewHasher(kind string) *Hasher {
	return NewDigest().Add([]byte("pangeo-gen result cache v1")).Add([]byte(c.build)).Add([]byte(kind))
}

// Add adds one input, its length first, so that no two lists of inputs
// hash alike.
func (h *Hasher) Add(b []byte) *Hasher {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.h.Write(n[:])
	h.h.Write(b)
	return h
}

// AddJSON adds the JSON encoding of v (encoding/json writes the keys of a
// map sorted, so equal values add alike).
func (h *Hasher) AddJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("result cache key: %w", err)
	}
	h.Add(b)
	return nil
}

// AddValue adds a value decoded from YAML, JSON or CUE (maps with string
// keys, lists, strings, numbers, booleans, nil), each part with its Go
// type, so that what JSON would write alike stays apart: int 1 and float
// 1.0, which a chart's typeOf tells apart, or a string and its invalid
// UTF-8 that JSON writes as U+FFFD. Another type is added as its JSON,
// after its type.
func (h *Hasher) AddValue(v any) error {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			h.Add([]byte("nil map")) // JSON's null, not {}
			return nil
		}
		keys := slices.Sorted(maps.Keys(v))
		h.Add([]byte("map")).Add([]byte(strconv.Itoa(len(keys))))
		for _, k := range keys {
			h.Add([]byte(k))
			if err := h.AddValue(v[k]); err != nil {
				return err
			}
		}
	case []any:
		if v == nil {
			h.Add([]byte("nil list")) // JSON's null, not []
			return nil
		}
		h.Add([]byte("list")).Add([]byte(strconv.Itoa(len(v))))
		for _, e := range v {
			if err := h.AddValue(e); err != nil {
				return err
			}
		}
	case string:
		h.Add([]byte("string")).Add([]byte(v))
	case nil:
		h.Add([]byte("nil"))
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		h.Add(fmt.Appendf(nil, "%T", v)).Add(fmt.Appendf(nil, "%v", v))
	default:
		h.Add(fmt.Appendf(nil, "%T", v))
		return h.AddJSON(v)
	}
	return nil
}

// Key is the Key of the inputs added.
func (h *Hasher) Key() Key {
	var k Key
	h.h.Sum(k[:0])
	return k
}

// path is where the entry of k is kept: a folder per first byte, as the
// go command's cache.
func (c *Cache) path(k Key) string {
	s := k.String()
	return filepath.Join(c.dir, s[:2], s+"-r")
}

// entry is what an entry's file holds: the result under the key it was
// put with, so that a file whose content is valid JSON but not an entry
// of that key (another tool's file, one copied into the wrong name) is a
// miss rather than a result.
type entry struct {
	Key    string          `json:"key"`
	Result json.RawMessage `json:"result"`
}

// Get decodes the entry of k into v (encoding/json) and says whether it
// did; a missing, unreadable or undecodable entry, or one not put under
// k, is a miss.
func (c *Cache) Get(k Key, v any) bool {
	p := c.path(k)
	data, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil || e.Key != k.String() || len(e.Result) == 0 {
		return false
	}
	if err := json.Unmarshal(e.Result, v); err != nil {
		return false
	}
	if info, err := os.Stat(p); err == nil && c.now().Sub(info.ModTime()) > touchAfter {
		now := c.now()
		os.Chtimes(p, now, now) // best effort: an entry not renewed is only trimmed sooner
	}
	return true
}

// Put keeps v (encoded by encoding/json) as the entry of k, written to a
// temporary file renamed over the entry, so that a reader sees the old
// entry, the new one or none. Entries are readable by all (0644), as the
// go command's are, so that a cache folder shared by several users (set
// with $PANGEO_GEN_RESULT_CACHE) serves all of them.
func (c *Cache) Put(k Key, v any) error {
	result, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	data, err := json.Marshal(entry{Key: k.String(), Result: result})
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes the file 0600
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("result cache: %w", err)
	}
	return nil
}

// Trim removes the entries unused (neither written nor renewed by a hit)
// for TrimAge, and temporary files as old, unless the last trim was less
// than TrimInterval ago. A last trim dated in the future (a clock that
// was set back) does not hold trimming off.
func (c *Cache) Trim() error {
	now := c.now()
	stamp := filepath.Join(c.dir, trimFile)
	if data, err := os.ReadFile(stamp); err == nil {
		if sec, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil {
			if since := now.Sub(time.Unix(sec, 0)); since >= 0 && since < TrimInterval {
				return nil
			}
		}
	}
	entries, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || len(e.Name()) != 2 {
			continue
		}
		sub := filepath.Join(c.dir, e.Name())
		files, err := os.ReadDir(sub)
		if err != nil {
			continue
		}
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), "-r") && !strings.HasPrefix(f.Name(), ".tmp-") {
				continue
			}
			if info, err := f.Info(); err == nil && now.Sub(info.ModTime()) > TrimAge {
				os.Remove(filepath.Join(sub, f.Name()))
			}
		}
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	if err := os.WriteFile(stamp, []byte(strconv.FormatInt(now.Unix(), 10)+"\n"), 0o644); err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	return nil
}
