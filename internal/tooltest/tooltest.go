// Package tooltest gives tests the programs pangeo-gen runs for secrets:
// sops, a tool dependency of the small tools/ module beside the main one
// (`go tool -modfile=tools/go.mod sops`; its other tool, cue, generates the
// Go hub model, see ToolPath), so that the tests need no install
// and the main go.mod holds only what the binary and its tests use, and git
// and git-crypt, which must be installed (.ci/run installs git-crypt).
//
// A test whose program is missing is skipped with a message on a
// workstation, but fails under CI (CI=true), so that CI never passes
// without running it.
package tooltest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/gen"
)

// CI reports whether the tests run under CI (CI=true): a missing program
// is then a failure, not a skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips t, or fails it under CI, saying why.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: a test may not skip for a missing program)", msg)
	}
	t.Skip(msg)
}

// Need returns the paths of the programs named, looked up on PATH;
// Unavailable when one is missing.
func Need(t testing.TB, names ...string) []string {
	t.Helper()
	var paths []string
	for _, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			hint := ""
			if name == "git-crypt" {
				hint = " (apt-get install git-crypt, brew install git-crypt)"
			}
			Unavailable(t, "%s is not installed%s: %v", name, hint, err)
		}
		paths = append(paths, p)
	}
	return paths
}

// ToolsModFile is the go.mod of the tools module, relative to the
// repository root: the module whose tool directives pin sops and cue.
const ToolsModFile = "tools/go.mod"

// tools caches ToolPath's answer per program, once per test binary.
var tools sync.Map // name -> func() (string, error)

// ToolPath is the program name of the tools module's tool dependencies
// (sops, cue): `go tool -modfile=<root>/tools/go.mod -n NAME` (the go
// command of the running toolchain, the root being the main module's,
// found from the current folder with go env GOMOD) builds it into the
// build cache, once per test binary, and prints its path.
func ToolPath(name string) (string, error) {
	f, _ := tools.LoadOrStore(name, sync.OnceValues(func() (string, error) {
		return toolPathOf(filepath.Join(runtime.GOROOT(), "bin", "go"), name)
	}))
	return f.(func() (string, error))()
}

// SopsPath is ToolPath("sops").
func SopsPath() (string, error) { return ToolPath("sops") }

// toolPathOf asks the go command goCmd for the path of the tools
// module's program name, building it when the build cache lacks it.
func toolPathOf(goCmd, name string) (string, error) {
	out, err := goOutput(goCmd, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	if out == "" || out == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the pangeo-gen module")
	}
	modfile := filepath.Join(filepath.Dir(out), filepath.FromSlash(ToolsModFile))
	p, err := goOutput(goCmd, "tool", "-modfile="+modfile, "-n", name)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("go tool -modfile=%s -n %s: %w", modfile, name, err)
	}
	return p, nil
}

// goOutput runs the go command with args and returns its trimmed
// standard output; an error carries its standard error.
func goOutput(goCmd string, args ...string) (string, error) {
	cmd := exec.Command(goCmd, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// LinkSops makes dir hold a program named sops that is SopsPath (a
// symbolic link), so that dir on PATH gives sops as users install it.
func LinkSops(dir string) error {
	p, err := SopsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Symlink(p, filepath.Join(dir, "sops"))
}

// Sops puts sops first on PATH for the rest of the test (t.Setenv), with
// no sops configuration or age key of the user's in sight, and returns
// its path; Unavailable when it cannot be built.
func Sops(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	if err := LinkSops(dir); err != nil {
		Unavailable(t, "sops, the tools module's tool dependency, is unavailable: %v", err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	Isolate(t)
	return filepath.Join(dir, "sops")
}

// Isolate points HOME and the XDG folders at an empty folder and unsets the
// sops and age variables, so that no key or configuration of the user's is
// used (t.Setenv).
func Isolate(t testing.TB) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD", "SOPS_AGE_RECIPIENTS", "SOPS_PGP_FP", "GNUPGHOME"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// AgeIdentity makes a new age key pair and returns the identity
// (AGE-SECRET-KEY-1..., what SOPS_AGE_KEY holds) and its recipient
// (age1..., what sops encrypts to).
func AgeIdentity() (identity, recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return id.String(), id.Recipient().String(), nil
}

// Fill fills a secret stub gen writes with values as an admin would: every
// CHANGEME value the stub says to make with `openssl rand -hex 32` gets 64
// random hex digits (values it says must be the same get the same one),
// any other a random "real-..." string. It returns the filled YAML and
// the values by path (a.b[0].c, as secrets reports them).
func Fill(stub []byte) ([]byte, map[string]string, error) {
	var v any
	if err := yaml.Unmarshal(stub, &v); err != nil {
		return nil, nil, err
	}
	filled := map[string]string{}
	shared := map[string]string{}
	random := func(n int) string {
		b := make([]byte, n)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	var walk func(v any, path string) any
	walk = func(v any, path string) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				p := k
				if path != "" {
					p = path + "." + k
				}
				v[k] = walk(e, p)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		case string:
			if !strings.Contains(v, gen.Placeholder) {
				return v
			}
			var s string
			switch i := strings.Index(v, "the same value in"); {
			case i >= 0:
				if shared[v[i:]] == "" {
					shared[v[i:]] = random(32)
				}
				s = shared[v[i:]]
			case strings.Contains(v, "-hex 32"):
				s = random(32)
			default:
				s = "real-" + random(16)
			}
			filled[path] = s
			return s
		}
		return v
	}
	v = walk(v, "")
	out, err := yaml.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	if len(filled) == 0 {
		return nil, nil, fmt.Errorf("no %s value in the stub", gen.Placeholder)
	}
	return out, filled, nil
}
