package tree

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
)

// setHook sets Hook for the test.
func setHook(t *testing.T, h func(op Op, rel string) error) {
	t.Helper()
	Hook = h
	t.Cleanup(func() { Hook = nil })
}

// failOn is a hook that fails op on rel with err.
func failOn(op Op, rel string, err error) func(Op, string) error {
	return func(o Op, p string) error {
		if o == op && p == rel {
			return err
		}
		return nil
	}
}

// tempFiles lists the files under dir whose name is a staged file's.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), TempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// consistent checks that every manifest entry describes the file on disk,
// by Files or by Pending (an entry of a file that is gone is no harm: the
// next gen creates or forgets it).
func consistent(t *testing.T, root string) Manifest {
	t.Helper()
	m, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range m.Files {
		fi, err := os.Stat(filepath.Join(root, p))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if have := Digest(fi.Mode(), []byte(read(t, root, p))); have != d && have != m.Pending[p] {
			t.Errorf("manifest digest of %s is not what is on disk", p)
		}
	}
	return m
}

func TestLinksAreNeverFollowed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		link    string // the link, relative to the root
		target  func(root, outside string) string
		files   []gen.File
		escapes bool
	}{
		{"secrets folder leaving the repository", "deployments/a/secrets",
			func(_, outside string) string { return outside },
			[]gen.File{file("deployments/a/x", "1"), {Path: "deployments/a/secrets/prod.yaml", Mode: 0o644, Data: []byte("stub"), Stub: true}}, true},
		{"image folder link to ~/.ssh", "deployments/a/image/x",
			func(_, outside string) string { return outside },
			[]gen.File{file("deployments/a/image/x/authorized_keys", "ssh-ed25519 AAAA")}, true},
		{"relative link out of the repository", "deployments/a/image",
			func(root, outside string) string {
				r, _ := filepath.Rel(filepath.Join(root, "deployments/a"), outside)
				return r
			},
			[]gen.File{file("deployments/a/image/apt.txt", "git\n")}, true},
		{"the whole deployments folder", "deployments",
			func(_, outside string) string { return outside },
			[]gen.File{file("deployments/a/x", "1")}, true},
		{"a file that is a link", "deployments/a/x",
			func(_, outside string) string { return filepath.Join(outside, "victim") },
			[]gen.File{file("deployments/a/x", "1")}, true},
		{"a link that stays inside the repository", "deployments/a/image",
			func(string, string) string { return "../b" },
			[]gen.File{file("deployments/a/image/apt.txt", "git\n")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			root, outside := filepath.Join(base, "repo"), filepath.Join(base, "elsewhere")
			if tc.link != "deployments" {
				os.MkdirAll(filepath.Join(root, "deployments/b"), 0o755)
			}
			os.MkdirAll(outside, 0o755)
			os.WriteFile(filepath.Join(outside, "victim"), []byte("victim"), 0o644)
			os.MkdirAll(filepath.Dir(filepath.Join(root, tc.link)), 0o755)
			if err := os.Symlink(tc.target(root, outside), filepath.Join(root, tc.link)); err != nil {
				t.Fatal(err)
			}
			p, err := Compare(root, tc.files, nil)
			if err != nil {
				t.Fatal(err)
			}
			linked := 0
			for _, c := range p.Changes {
				if c.Action == Linked {
					linked++
					if c.Link.Path != tc.link || c.Link.Escapes != tc.escapes {
						t.Errorf("%s: link %+v", c.Path, *c.Link)
					}
				}
			}
			if linked == 0 || len(p.Links) != 1 || p.Links[0].Path != tc.link {
				t.Errorf("changes %+v, links %+v", p.Changes, p.Links)
			}
			err = p.Apply(true)
			if err == nil || !strings.Contains(err.Error(), tc.link+" is a symbolic link") {
				t.Fatalf("Apply = %v, want a refusal naming the link", err)
			}
			if tc.escapes && !strings.Contains(err.Error(), "outside the repository") {
				t.Errorf("Apply = %v, want it to say the link leaves the repository", err)
			}
			entries, _ := os.ReadDir(outside)
			if len(entries) != 1 || read(t, outside, "victim") != "victim" {
				t.Errorf("written outside the repository: %v", entries)
			}
			if entries, _ := os.ReadDir(filepath.Join(root, "deployments/b")); len(entries) != 0 {
				t.Errorf("written through the link inside the repository: %v", entries)
			}
			if _, err := os.Lstat(filepath.Join(root, ManifestPath)); err == nil {
				t.Error("manifest written")
			}
		})
	}
}

func TestOrphanBehindALinkIsNotDeleted(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "repo"), filepath.Join(base, "elsewhere")
	os.Mkdir(root, 0o755)
	generated(t, root, file("deployments/old/x", "1"))
	// The folder is replaced by a link to a folder with the same file.
	os.MkdirAll(outside, 0o755)
	os.WriteFile(filepath.Join(outside, "x"), []byte("1"), 0o644)
	os.RemoveAll(filepath.Join(root, "deployments/old"))
	os.Symlink(outside, filepath.Join(root, "deployments/old"))
	p, err := Compare(root, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Action != Linked {
		t.Fatalf("changes %+v", p.Changes)
	}
	if err := p.Apply(true); err == nil {
		t.Fatal("Apply deleted through a link")
	}
	if read(t, outside, "x") != "1" {
		t.Error("file outside the repository deleted")
	}
}

func TestFailedRenameLeavesATreeTheNextGenCompletes(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   Op
		rel  string
	}{
		{"one file's rename fails", OpRename, "deployments/a/c"},
		{"the new file's rename fails", OpRename, "deployments/a/new"},
		{"the last manifest is not written", OpRename, ManifestPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			v1 := []gen.File{file("deployments/a/a", "1"), file("deployments/a/b", "1"), file("deployments/a/c", "1"), file("deployments/a/old", "1")}
			v2 := []gen.File{file("deployments/a/a", "2"), file("deployments/a/b", "2"), file("deployments/a/c", "2"), file("deployments/a/new", "2")}
			generated(t, root, v1...)
			renames := 0
			setHook(t, func(op Op, rel string) error {
				if op == OpRename && rel == ManifestPath {
					renames++
					if tc.rel == ManifestPath && renames == 2 { // the first is the one before the files
						return syscall.ENOSPC
					}
					return nil
				}
				return failOn(tc.op, tc.rel, syscall.EPERM)(op, rel)
			})
			p, err := Compare(root, v2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(false); err == nil || !strings.Contains(err.Error(), "run gen again") {
				t.Fatalf("Apply = %v, want a failure saying what to do", err)
			}
			Hook = nil
			consistent(t, root)
			if got := tempFiles(t, root); len(got) != 0 {
				t.Errorf("temporary files left: %v", got)
			}
			// The next gen, the same or the one before, completes without force.
			for _, files := range [][]gen.File{v1, v2} {
				p, err = Compare(root, files, nil)
				if err != nil {
					t.Fatal(err)
				}
				if refused := p.Refused(); len(refused) > 0 {
					t.Fatalf("next gen refuses: %s", describeRefused(refused, false))
				}
				if err := p.Apply(false); err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					if read(t, root, f.Path) != string(f.Data) {
						t.Errorf("%s: %q, want %q", f.Path, read(t, root, f.Path), f.Data)
					}
				}
				if m := consistent(t, root); len(m.Pending) != 0 || len(m.Files) != len(files) {
					t.Errorf("manifest %+v", m)
				}
			}
		})
	}
}

func TestFailedDeleteStaysAnOrphan(t *testing.T) {
	root := t.TempDir()
	generated(t, root, file("deployments/a/x", "1"), file("deployments/a/y", "1"))
	setHook(t, failOn(OpRemove, "deployments/a/y", syscall.EBUSY))
	p, err := Compare(root, []gen.File{file("deployments/a/x", "2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err == nil || !strings.Contains(err.Error(), "delete deployments/a/y") {
		t.Fatalf("Apply = %v", err)
	}
	Hook = nil
	m := consistent(t, root)
	if _, ok := m.Files["deployments/a/y"]; !ok {
		t.Fatal("the orphan that could not be deleted is not in the manifest: no gen or vet would see it")
	}
	p, err = Compare(root, []gen.File{file("deployments/a/x", "2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pending := p.Pending(); len(pending) != 1 || pending[0].Path != "deployments/a/y" || pending[0].Action != Delete {
		t.Fatalf("pending %+v", pending)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "deployments/a/y")); !os.IsNotExist(err) {
		t.Error("orphan not deleted by the next gen")
	}
}

func TestFullDiskChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first bool // no deployments/ yet
		op    Op
		rel   string
	}{
		{"a new hub's file", false, OpStage, "deployments/b/image/binder/apt.txt"},
		{"a new hub's folder", false, OpMkdir, "deployments/b/image/binder"},
		{"the sync", false, OpSync, ""},
		{"the first manifest", false, OpRename, ManifestPath},
		{"the first gen", true, OpStage, "deployments/b/image/binder/apt.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if !tc.first {
				generated(t, root, file("deployments/a/x", "1"))
			}
			before, _ := os.ReadFile(filepath.Join(root, ManifestPath))
			setHook(t, failOn(tc.op, tc.rel, syscall.ENOSPC))
			p, err := Compare(root, []gen.File{file("deployments/a/x", "2"), file("deployments/b/config/common.yaml", "b"), file("deployments/b/image/binder/apt.txt", "git\n")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Apply(false)
			if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("Apply = %v", err)
			}
			if _, err := os.Lstat(filepath.Join(root, "deployments/b")); !os.IsNotExist(err) {
				t.Error("the new hub's folders are left")
			}
			if tc.first {
				if _, err := os.Lstat(filepath.Join(root, "deployments")); !os.IsNotExist(err) {
					t.Error("deployments/ is left")
				}
				return
			}
			if read(t, root, "deployments/a/x") != "1" {
				t.Error("a file was changed")
			}
			if after, _ := os.ReadFile(filepath.Join(root, ManifestPath)); string(after) != string(before) {
				t.Error("the manifest was changed")
			}
			if got := tempFiles(t, root); len(got) != 0 {
				t.Errorf("temporary files left: %v", got)
			}
		})
	}
}

func TestLeftoversAreRemoved(t *testing.T) {
	root := t.TempDir()
	generated(t, root, file("deployments/a/image/apt.txt", "git\n"), file(".sops.yaml", "rules\n"))
	leftovers := []string{
		".pangeo-gen-tmp-0123456789abcdef-.sops.yaml",
		"deployments/.pangeo-gen-tmp-0123456789abcdef-.pangeo-gen-manifest.json",
		"deployments/a/image/.apt.txt.tmp-123456",
		"deployments/a/image/.pangeo-gen-tmp-0123456789abcdef-apt.txt",
		"deployments/gone/.pangeo-gen-tmp-0123456789abcdef-README.md",
	}
	kept := []string{"deployments/a/image/.notes.tmp-1", ".other.tmp-2", "hubs/.pangeo-gen-tmp-x"}
	for _, p := range append(append([]string{}, leftovers...), kept...) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte("partial"), 0o644)
	}
	files := []gen.File{file("deployments/a/image/apt.txt", "git\n"), file(".sops.yaml", "rules\n")}
	p, err := Compare(root, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Leftovers, " ") != strings.Join(leftovers, " ") {
		t.Errorf("leftovers\n%v, want\n%v", p.Leftovers, leftovers)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Cleaned, " ") != strings.Join(leftovers, " ") {
		t.Errorf("cleaned %v", p.Cleaned)
	}
	for _, l := range leftovers {
		if _, err := os.Lstat(filepath.Join(root, l)); !os.IsNotExist(err) {
			t.Errorf("%s not removed", l)
		}
	}
	for _, k := range kept {
		if read(t, root, k) != "partial" {
			t.Errorf("%s removed", k)
		}
	}
}

func TestGeneratedNamesMustNotBeReserved(t *testing.T) {
	for _, p := range []string{"deployments/a/image/.pangeo-gen-tmp-x", ManifestPath, LockPath} {
		if _, err := Compare(t.TempDir(), []gen.File{file(p, "x")}, nil); err == nil {
			t.Errorf("%s: generated", p)
		}
	}
}

func TestLock(t *testing.T) {
	root := t.TempDir()
	l, err := Acquire(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(root)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() {
		t.Fatalf("second Acquire = %v, want it held by pid %d", err, os.Getpid())
	}
	host, _ := os.Hostname()
	if !strings.Contains(err.Error(), "holds "+LockPath) || !strings.Contains(err.Error(), " on "+host+", since ") {
		t.Errorf("message %q", err)
	}
	p, err := Compare(root, []gen.File{file("deployments/a/x", "1")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); !errors.As(err, &locked) {
		t.Fatalf("Apply while locked = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "deployments/a")); !os.IsNotExist(err) {
		t.Error("written while locked")
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, LockPath)); !os.IsNotExist(err) {
		t.Error("lock file left after release")
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	// A lock file whose holder is gone (killed: flock released) is stale.
	os.WriteFile(filepath.Join(root, LockPath), []byte(`{"pid":999999,"host":"`+host+`","since":"2026-01-01T00:00:00Z"}`), 0o644)
	l, err = Acquire(root)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	l.Release()
}

// Two gens at once: the second compares while the first is between
// renaming its files and writing its last manifest. It must see no hand
// edit, must not write while the first holds the lock, and, once the
// first is done, writes its own tree (compared again), not a stale one.
func TestConcurrentGens(t *testing.T) {
	root := t.TempDir()
	v1 := []gen.File{file("deployments/a/x", "1"), file("deployments/a/y", "1")}
	v2 := []gen.File{file("deployments/a/x", "2"), file("deployments/a/y", "2")}
	v3 := []gen.File{file("deployments/a/x", "3"), file("deployments/a/y", "3")}
	generated(t, root, v1...)
	paused, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	setHook(t, func(op Op, rel string) error {
		if op == OpRename && rel == "deployments/a/y" {
			once.Do(func() { close(paused); <-resume })
		}
		return nil
	})
	first, err := Compare(root, v2, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- first.Apply(false) }()
	<-paused
	second, err := Compare(root, v3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if refused := second.Refused(); len(refused) > 0 {
		t.Fatalf("second gen refuses while the first writes: %s", describeRefused(refused, false))
	}
	var locked *LockedError
	if err := second.Apply(false); !errors.As(err, &locked) {
		t.Fatalf("second Apply while the first writes = %v", err)
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Its plan was made before the first gen's last manifest: Apply
	// compares again, under the lock.
	if err := second.Apply(false); err != nil {
		t.Fatal(err)
	}
	for _, f := range v3 {
		if read(t, root, f.Path) != string(f.Data) {
			t.Errorf("%s: %q", f.Path, read(t, root, f.Path))
		}
	}
	consistent(t, root)
}

// The failure of item 6 for real, where chattr can make a file immutable
// (ext4 as root): a rename onto it fails; the next gen, once the file is
// mutable again, completes the tree without --force.
func TestImmutableFile(t *testing.T) {
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		t.Skip("needs chattr")
	}
	root := t.TempDir()
	v1 := []gen.File{file("deployments/a/a", "1"), file("deployments/a/b", "1"), file("deployments/a/c", "1")}
	v2 := []gen.File{file("deployments/a/a", "2"), file("deployments/a/b", "2"), file("deployments/a/c", "2")}
	generated(t, root, v1...)
	b := filepath.Join(root, "deployments/a/b")
	if out, err := exec.Command(chattr, "+i", b).CombinedOutput(); err != nil {
		t.Skipf("chattr +i does not work here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command(chattr, "-i", b).Run() })
	p, err := Compare(root, v2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err == nil || !strings.Contains(err.Error(), "write deployments/a/b") || !strings.Contains(err.Error(), "2 of 3 files written") {
		t.Fatalf("Apply = %v", err)
	}
	consistent(t, root)
	if got := tempFiles(t, root); len(got) != 0 {
		t.Errorf("temporary files left: %v", got)
	}
	if err := exec.Command(chattr, "-i", b).Run(); err != nil {
		t.Fatal(err)
	}
	p, err = Compare(root, v2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatalf("next gen: %v", err)
	}
	if read(t, root, "deployments/a/b") != "2" {
		t.Error("b not written by the next gen")
	}
}

// TestLinkPlantedInANewFolder: gen does not look into a folder it has just
// made (it is empty), but a link put there meanwhile, where gen makes a
// folder, is not written through: nothing is changed.
func TestLinkPlantedInANewFolder(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	setHook(t, func(op Op, rel string) error {
		if op == OpMkdir && rel == "deployments/b/image/binder" {
			return os.Symlink(outside, filepath.Join(root, "deployments/b/image/binder"))
		}
		return nil
	})
	p, err := Compare(root, []gen.File{file("deployments/b/image/binder/apt.txt", "git\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(false)
	if err == nil || !strings.Contains(err.Error(), "create deployments/b/image/binder: something else made it meanwhile") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Apply = %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written through the link: %v", entries)
	}
}
