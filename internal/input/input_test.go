package input

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("abc"), 0o644)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("x", 11)), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(LimitEnv, "10")
	tests := []struct {
		name    string
		file    string
		want    string
		wantErr error
	}{
		{"regular", small, "abc", nil},
		{"over the limit", big, "", ErrTooLarge},
		{"folder", dir, "", ErrNotRegular},
		{"fifo does not hang", fifo, "", ErrNotRegular},
		{"device", "/dev/zero", "", ErrNotRegular},
		{"missing", filepath.Join(dir, "none"), "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(tt.file)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadFile(%s) error %v, want %v", tt.file, err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("ReadFile(%s) = %q, want %q", tt.file, got, tt.want)
			}
		})
	}
}

func TestTooLargeMessage(t *testing.T) {
	t.Setenv(LimitEnv, "2")
	_, err := ReadAll("-", strings.NewReader("abc"))
	want := "-: larger than 2 bytes, the limit for an input file (set PANGEO_GEN_MAX_FILE_BYTES to raise it)"
	if err == nil || err.Error() != want {
		t.Fatalf("ReadAll: %v, want %q", err, want)
	}
}

func TestReadIn(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "key"), []byte("secret"), 0o600)
	os.WriteFile(filepath.Join(dir, "a"), []byte("in"), 0o644)
	os.Symlink("a", filepath.Join(dir, "inner"))
	os.Symlink(filepath.Join(outside, "key"), filepath.Join(dir, "escape"))
	os.Symlink("../"+filepath.Base(outside)+"/key", filepath.Join(dir, "relescape"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if got, err := ReadIn(root, "inner"); err != nil || string(got) != "in" {
		t.Errorf("ReadIn(inner) = %q, %v; want the linked file", got, err)
	}
	for _, rel := range []string{"escape", "relescape", "../x"} {
		if got, err := ReadIn(root, rel); err == nil {
			t.Errorf("ReadIn(%s) = %q, want an error: the link leaves the folder", rel, got)
		}
	}
}

func TestLimit(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want int64
	}{
		{"", DefaultLimit}, {"100", 100}, {"-1", DefaultLimit}, {"x", DefaultLimit},
	} {
		t.Setenv(LimitEnv, tt.env)
		if got := Limit(); got != tt.want {
			t.Errorf("Limit() with %s=%q = %d, want %d", LimitEnv, tt.env, got, tt.want)
		}
	}
}
