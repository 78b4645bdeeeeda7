package hub_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/pangeo-data/pangeo-gen/internal/tooltest"
)

// TestGeneratedModel fails when internal/hub/schema_gen.go is not what
// cue exp gengotypes generates from schema/ now: the Go model and the
// schema can never drift apart unnoticed.
func TestGeneratedModel(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cue, err := tooltest.ToolPath("cue")
	if err != nil {
		t.Fatalf("cue, the tools module's tool dependency, does not build: %v", err)
	}
	out := filepath.Join(t.TempDir(), "schema_gen.go")
	cmd := exec.Command(cue, "exp", "gengotypes", "-o", out, "./schema")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cue exp gengotypes ./schema: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "internal", "hub", "schema_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(string(got)), B: difflib.SplitLines(string(want)),
			FromFile: "internal/hub/schema_gen.go (committed)", ToFile: "cue exp gengotypes ./schema", Context: 2,
		})
		t.Errorf("internal/hub/schema_gen.go is not what schema/ generates: run go generate ./internal/hub\n%s", diff)
	}
}
