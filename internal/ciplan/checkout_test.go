package ciplan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// TestPlanCheckout: Plan hands over the head it loaded as the checked-out
// federation when, and only when, the working tree holds the head's
// sources byte for byte (or is the head): then it has the hubs a load of
// the working tree gives, rooted there.
func TestPlanCheckout(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("needs git: %v", err)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir := t.TempDir()
	for _, d := range load.SourceDirs {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join("..", "..", d))); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@e"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "first")
	checkout := func(head string) *load.Federation {
		t.Helper()
		res, err := Plan(context.Background(), PlanOptions{Root: dir, Base: "HEAD", Head: head})
		if err != nil {
			t.Fatal(err)
		}
		return res.Checkout
	}
	same := func(what string, got *load.Federation) {
		t.Helper()
		want, err := load.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			t.Fatalf("%s: no checked-out federation", what)
		}
		if got.Root != want.Root || !reflect.DeepEqual(got.Hubs, want.Hubs) {
			t.Errorf("%s: the checked-out federation at %s is not the working tree's (%s)", what, got.Root, want.Root)
		}
	}
	same("clean working tree", checkout(""))

	file := filepath.Join(dir, "hubs", "alpha.cue")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(orig), `"Pangeo Ocean"`, `"Pangeo Ocean, edited"`, 1)
	if edited == string(orig) {
		t.Fatal("alpha's title is not in hubs/alpha.cue")
	}
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if fed := checkout(""); fed != nil {
		t.Error("a working tree with an edit not committed: the head handed over as the checkout")
	}
	same("the working tree as the head", checkout(Worktree))

	if err := os.WriteFile(file, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	same("the edit undone", checkout(""))
	if err := os.WriteFile(filepath.Join(dir, "hubs", "notes.txt"), []byte("n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fed := checkout(""); fed != nil {
		t.Error("a file in hubs/ that git does not hold: the head handed over as the checkout")
	}
}
