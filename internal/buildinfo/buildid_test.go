package buildinfo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildIDOf reads the build ID of a small program linked for each
// executable format and compares it with what `go tool buildid` prints;
// the running test binary's too.
func TestBuildIDOf(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on $PATH: cannot build executables to read")
	}
	want := func(t *testing.T, exe string) string {
		out, err := exec.Command(goTool, "tool", "buildid", exe).Output()
		if err != nil {
			t.Fatalf("go tool buildid %s: %v", exe, err)
		}
		return strings.TrimSpace(string(out))
	}
	t.Run("running", func(t *testing.T) {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		got, err := BuildID()
		if err != nil {
			t.Fatal(err)
		}
		if w := want(t, exe); got != w {
			t.Errorf("BuildID() = %q, go tool buildid says %q", got, w)
		}
	})
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ goos, goarch, ldflags string }{
		{"linux", "amd64", ""},
		{"darwin", "arm64", ""},
		{"windows", "amd64", ""},
		{"linux", "amd64", "-buildid="},
		{"windows", "amd64", "-buildid="},
	} {
		t.Run(tc.goos+"/"+tc.goarch+tc.ldflags, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), "hello")
			cmd := exec.Command(goTool, "build", "-ldflags="+tc.ldflags, "-o", exe, ".")
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "GOOS="+tc.goos, "GOARCH="+tc.goarch, "CGO_ENABLED=0", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			got, err := BuildIDOf(exe)
			if tc.ldflags != "" {
				if !errors.Is(err, ErrNoBuildID) {
					t.Fatalf("BuildIDOf(linked with -buildid=) = %q, %v; want ErrNoBuildID", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := want(t, exe); got != w {
				t.Errorf("BuildIDOf = %q, go tool buildid says %q", got, w)
			}
		})
	}
	t.Run("not an executable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "text")
		if err := os.WriteFile(file, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := BuildIDOf(file); !errors.Is(err, ErrNoBuildID) {
			t.Errorf("BuildIDOf(a script) error = %v, want ErrNoBuildID", err)
		}
	})
}
