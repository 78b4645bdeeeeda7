// Package shareddata finds, for tests, the reference data that lives beside
// the repository and is never copied into it: ../shared/upstream (the real
// charts, schemas and defaults), ../shared/reference (the hand-kept
// monorepo) and ../shared/seed. A user who clones the repository alone has
// none of it: tests that need it skip with one message saying what is
// missing and how to provide it; under CI=true, where the data must be
// there, they fail instead.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Env names the folder that holds upstream/, reference/ and seed/,
// instead of ../shared beside the repository.
const Env = "PANGEO_GEN_SHARED"

// UpstreamEnv names the upstream folder alone, instead of upstream/ of the
// shared folder.
const UpstreamEnv = "PANGEO_GEN_UPSTREAM"

// Locate is the path of rel (a slash path such as
// "upstream/conda/environment.schema.json") in the shared data, and
// whether it exists. It does not need a test.
func Locate(rel string) (string, bool) {
	rel = filepath.FromSlash(rel)
	var p string
	if dir := os.Getenv(UpstreamEnv); dir != "" && (rel == "upstream" || strings.HasPrefix(rel, "upstream"+string(filepath.Separator))) {
		p = filepath.Join(dir, strings.TrimPrefix(strings.TrimPrefix(rel, "upstream"), string(filepath.Separator)))
	} else {
		p = filepath.Join(sharedRoot(), rel)
	}
	_, err := os.Stat(p)
	return p, err == nil
}

// Path is the path of rel in the shared data. When it is missing the test
// skips, saying so once, or fails under CI=true.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p, ok := Locate(rel)
	if !ok {
		Missing(t, p)
	}
	return p
}

// Missing ends the test for want, a shared file that is not there: a skip
// with the message, or a failure under CI=true.
func Missing(t testing.TB, want string) {
	t.Helper()
	msg := Message(want)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Message says what is missing and how to provide it.
func Message(want string) string {
	return fmt.Sprintf("reference data missing: %s (the shared folder beside the repository, ../shared; or set %s to a folder holding upstream/, reference/ and seed/, or %s to the upstream folder)", want, Env, UpstreamEnv)
}

// sharedRoot is $PANGEO_GEN_SHARED, else ../shared beside the module root
// (found by walking up to go.mod from the working directory).
func sharedRoot() string {
	if dir := os.Getenv(Env); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	if err != nil {
		return "shared"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "..", "shared")
		}
	}
}
