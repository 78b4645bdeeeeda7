package main

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestLayoutOrder holds the README's "Repository layout" to its word: the
// packages are listed in the order data flows, so a package imports only
// packages listed above it, and every package of the module is listed.
func TestLayoutOrder(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Repository layout\n")
	if !ok {
		t.Fatal("README.md has no Repository layout section")
	}
	_, block, _ := strings.Cut(section, "```\n")
	block, _, _ = strings.Cut(block, "```")

	// pos is each listed package folder's place in the list.
	pos := map[string]int{}
	for i, line := range strings.Split(block, "\n") {
		// A line starts with its folders: "internal/a, internal/b   text".
		for _, n := range strings.Fields(line) {
			name := strings.TrimSuffix(strings.TrimSuffix(n, ","), "/")
			if name == "gen" || strings.HasPrefix(name, "internal/") && !strings.Contains(name, "*") {
				pos[name] = i
			}
			if !strings.HasSuffix(n, ",") {
				break
			}
		}
	}

	const module = "github.com/pangeo-data/pangeo-gen/"
	fset := token.NewFileSet()
	dirs := []string{"gen"}
	entries, err := os.ReadDir(filepath.Join(root, "internal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, "internal/"+e.Name())
		}
	}
	for _, dir := range dirs {
		at, listed := pos[dir]
		testOnly := strings.HasSuffix(dir, "test") || dir == "internal/shareddata"
		if !listed && !testOnly {
			t.Errorf("README's Repository layout does not list %s", dir)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				dep, ok := strings.CutPrefix(p, module)
				if !ok || !listed {
					continue
				}
				if depAt, ok := pos[dep]; ok && depAt > at {
					t.Errorf("%s imports %s, which the README's Repository layout lists after it (a package imports only those above it or on its line)", dir, dep)
				}
			}
		}
	}
}

// TestNoHelmInstall: the binary does not link Helm's install packages
// (helm.sh/helm/v3/pkg/action, helm.sh/helm/v4/pkg/action) and what they
// bring (client-go's informers, kubectl, controller-runtime): the engines
// render without them, and only the tests use them, as the reference
// (internal/helmengine/installref).
func TestNoHelmInstall(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps lists %d packages: not the binary's", len(deps))
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "helm.sh/helm/") && strings.HasSuffix(p, "/pkg/action") || strings.HasSuffix(p, "/helmengine/installref") {
			t.Errorf("pangeo-gen links %s", p)
		}
	}
}
