package tooltest

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goMod is the part of `go mod edit -json` the test reads.
type goMod struct {
	Module  struct{ Path string }
	Require []struct {
		Path    string
		Version string
	}
	Tool []struct{ Path string }
}

func readGoMod(t *testing.T, file string) goMod {
	t.Helper()
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "mod", "edit", "-json", file).Output()
	if err != nil {
		t.Fatalf("go mod edit -json %s: %v", file, err)
	}
	var m goMod
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestToolsModule: sops and cue are the tools of tools/go.mod, not of the
// main module, whose go.mod then holds only what the binary and its tests
// use; SopsPath builds sops from there.
func TestToolsModule(t *testing.T) {
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	mainMod := readGoMod(t, filepath.Join(root, "go.mod"))
	tools := readGoMod(t, filepath.Join(root, filepath.FromSlash(ToolsModFile)))

	if len(mainMod.Tool) != 0 {
		t.Errorf("the main go.mod has tool directives %v: tools belong in %s", mainMod.Tool, ToolsModFile)
	}
	for _, r := range mainMod.Require {
		if r.Path == "github.com/getsops/sops/v3" {
			t.Errorf("the main go.mod requires %s %s: only the tools module needs it", r.Path, r.Version)
		}
	}
	if want := mainMod.Module.Path + "/tools"; tools.Module.Path != want {
		t.Errorf("%s: module %s, want %s", ToolsModFile, tools.Module.Path, want)
	}
	var paths []string
	for _, tool := range tools.Tool {
		paths = append(paths, tool.Path)
	}
	if want := "cuelang.org/go/cmd/cue github.com/getsops/sops/v3/cmd/sops"; strings.Join(paths, " ") != want {
		t.Errorf("%s: tools %v, want %s", ToolsModFile, paths, want)
	}
	// cue generates the hub model from the schema that pangeo-gen loads
	// with cuelang.org/go: both modules must use the same version.
	cueVersion := func(m goMod) string {
		for _, r := range m.Require {
			if r.Path == "cuelang.org/go" {
				return r.Version
			}
		}
		return "none"
	}
	if a, b := cueVersion(mainMod), cueVersion(tools); a != b {
		t.Errorf("cuelang.org/go is %s in go.mod but %s in %s: keep them the same", a, b, ToolsModFile)
	}

	p, err := SopsPath()
	if err != nil {
		Unavailable(t, "sops: %v", err)
	}
	version, err := exec.Command(p, "--version", "--disable-version-check").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", p, err)
	}
	if !strings.HasPrefix(string(version), "sops ") {
		t.Errorf("%s --version printed %q", p, version)
	}
}
