package secretscan

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// keyRE is keyPattern compiled: the specification findKey is held to.
var keyRE = regexp.MustCompile(keyPattern)

// checkFindKey fails t when findKey and keyRE disagree on b.
func checkFindKey(t *testing.T, b []byte) {
	t.Helper()
	key, keyEnd, end, ok := findKey(b)
	m := keyRE.FindSubmatchIndex(b)
	if ok != (m != nil) || ok && (key != m[2] || keyEnd != m[3] || end != m[1]) {
		t.Fatalf("findKey(%q) = %d, %d, %d, %v; keyRE: %v", b, key, keyEnd, end, ok, m)
	}
}

func TestFindKeyIsKeyRE(t *testing.T) {
	for _, s := range []string{
		"", ":", "=", "a", "a:", "a=", "a :", "a\t=\t x", "password: hunter2",
		`"password": "x"`, `'password' = 'x'`, `"a':`, `'a":`, `""a:`, `"a"":`,
		"  - password: x", "x.password: y", "x-password=y", "9a: b", "_a: b",
		"a b: c", "a:b:c", "#a: b", "é password: x", "épassword: x", "\xffa: b",
		"\xff\xfea:", "a\xff: b", "ab.cd-ef_9: v", "-a: b", ".a: b", "a-: b",
		"url: http://x.y/z?token=abc", "{\"a\": 1, \"token\": \"t\"}", "a:: b",
		"key  :   value  ", "key\t:", "\"\":", "'':", "ü:", "a\u00a0: b",
		"A_TOKEN=abc", "export API_KEY=abc", "x=\"y\" token=z", "[a]: b",
	} {
		checkFindKey(t, []byte(s))
	}
}

// TestFindKeyRandom compares findKey with keyRE on lines drawn from the
// characters the pattern cares about (and a multi-byte and an invalid
// one), from a fixed seed.
func TestFindKeyRandom(t *testing.T) {
	pieces := []string{"a", "Z", "_", "9", ".", "-", "\"", "'", " ", "\t", ":", "=", "#", ",", "é", "\xff", "key", "token"}
	r := rand.New(rand.NewPCG(10, 100))
	for range 20000 {
		var b []byte
		for range r.IntN(12) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		checkFindKey(t, b)
	}
}

// FuzzFindKey compares findKey with keyRE on any bytes.
func FuzzFindKey(f *testing.F) {
	f.Add([]byte(`"password": "x"`))
	f.Add([]byte("é'a\":\t"))
	f.Fuzz(checkFindKey)
}
