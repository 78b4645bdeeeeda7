package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"

	yamlv3 "gopkg.in/yaml.v3"
	k8syaml "sigs.k8s.io/yaml"
)

func fxTagFiles() []File {
	return []File{
		{Path: "deployments/alpha/image/binder/environment.yml", Mode: 0o644, Data: []byte("dependencies: [python]\n")},
		{Path: "deployments/alpha/image/binder/postBuild", Mode: 0o755, Data: []byte("#!/bin/bash\ntrue\n")},
		{Path: "deployments/alpha/image/notebooks/a.ipynb", Mode: 0o644, Data: []byte("{}")},
	}
}

var tagShape = regexp.MustCompile(`^[0-9a-f]{12,64}g?$`)

func TestImageTagStable(t *testing.T) {
	files := fxTagFiles()
	tag := ImageTag(files)
	if !tagShape.MatchString(tag) {
		t.Fatalf("tag %q is not a shortened hex digest", tag)
	}
	if again := ImageTag(fxTagFiles()); again != tag {
		t.Errorf("equal content, different tags: %s %s", tag, again)
	}
	reversed := []File{files[2], files[0], files[1]}
	if got := ImageTag(reversed); got != tag {
		t.Errorf("file order changed the tag: %s %s", tag, got)
	}
	// The hub's name is not part of the content.
	var renamed []File
	for _, f := range files {
		f.Path = strings.Replace(f.Path, "deployments/alpha/", "deployments/zulu/", 1)
		renamed = append(renamed, f)
	}
	if got := ImageTag(renamed); got != tag {
		t.Errorf("moving the folder to another hub changed the tag: %s %s", tag, got)
	}
	// Stub and other flags are not content.
	stubbed := fxTagFiles()
	stubbed[0].Stub = true
	if got := ImageTag(stubbed); got != tag {
		t.Errorf("Stub flag changed the tag")
	}
}

func TestImageTagChanges(t *testing.T) {
	base := ImageTag(fxTagFiles())
	tests := map[string]func([]File) []File{
		"one byte":        func(f []File) []File { f[2].Data = []byte("{ }"); return f },
		"trailing byte":   func(f []File) []File { f[0].Data = append(f[0].Data, '\n'); return f },
		"mode":            func(f []File) []File { f[1].Mode = 0o644; return f },
		"path":            func(f []File) []File { f[2].Path = "deployments/alpha/image/notebooks/b.ipynb"; return f },
		"added file":      func(f []File) []File { return append(f, File{Path: "deployments/alpha/image/x", Mode: 0o644}) },
		"removed file":    func(f []File) []File { return f[:2] },
		"empty file kept": func(f []File) []File { f[2].Data = nil; return f },
		// Framing: bytes moved between a path and the data must not collide.
		"path/data boundary": func(f []File) []File {
			f[2].Path += "{"
			f[2].Data = []byte("}")
			return f
		},
		"file boundary": func(f []File) []File {
			f[0].Data = append(f[0].Data, f[1].Data...)
			f[1].Data = nil
			return f
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ImageTag(mutate(fxTagFiles())); got == base {
				t.Errorf("tag did not change: %s", got)
			}
		})
	}
}

func TestImageTagRealFolders(t *testing.T) {
	seen := map[string]string{}
	for name, h := range fxHubs() {
		files, err := ImageFiles(h)
		if err != nil {
			t.Fatal(err)
		}
		tag := ImageTag(files)
		if !tagShape.MatchString(tag) || !safeTag(tag) {
			t.Errorf("%s: tag %q", name, tag)
		}
		if other, dup := seen[tag]; dup {
			t.Errorf("%s and %s share tag %s", name, other, tag)
		}
		seen[tag] = name
		img := NotebookImage(h, files)
		if img.Name != h.Image.Repository || img.Tag != tag {
			t.Errorf("%s: NotebookImage = %+v", name, img)
		}
	}
}

func TestNotebookImagePrebuilt(t *testing.T) {
	h := fxPrebuilt()
	if got := NotebookImage(h, nil); got != (ImageRef{Name: "pangeo/pangeo-notebook", Tag: "2025.11.13"}) {
		t.Errorf("NotebookImage(prebuilt) = %+v", got)
	}
	h.Image.Prebuilt = "quay.io/x/y@sha256:" + strings.Repeat("a", 64)
	if got := NotebookImage(h, nil).String(); got != h.Image.Prebuilt {
		t.Errorf("NotebookImage(digest) = %s", got)
	}
}

// readsAsString reports whether both YAML readers take s for a string.
func readsAsString(s string) bool {
	var a, b any
	if yamlv3.Unmarshal([]byte(s), &a) != nil || k8syaml.Unmarshal([]byte(s), &b) != nil {
		return false
	}
	_, okA := a.(string)
	_, okB := b.(string)
	return okA && okB
}

func TestShortenTag(t *testing.T) {
	pad := func(prefix string) string { return prefix + strings.Repeat("0", 64-len(prefix)) }
	tests := []struct {
		name, digest, want string
	}{
		{"letter at once", pad("abc123456789"), "abc123456789"},
		{"letter in the 12th place", pad("12345678901f"), "12345678901f"},
		{"digits then a letter", pad("1234567890123a"), "1234567890123a"},
		{"float exponent", pad("1234567890e12345a"), ""},
		{"all digits", strings.Repeat("1", 64), strings.Repeat("1", 12) + "g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shortenTag(tt.digest)
			if tt.name == "float exponent" {
				// 1234567890e1 reads as a float; the first safe prefix is longer.
				if !readsAsString(got) || !strings.HasPrefix(tt.digest, got) || len(got) <= 12 {
					t.Errorf("shortenTag(%s) = %s", tt.digest, got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("shortenTag(%s) = %s, want %s", tt.digest, got, tt.want)
			}
		})
	}
	if readsAsString("1234567890e1") || safeTag("1234567890e1") {
		t.Fatalf("test premise: 1234567890e1 should read as a number")
	}
}

// TestShortenTagProperties checks many real digests: every tag holds a
// letter, reads as a string, is the shortest such prefix of at least 12.
func TestShortenTagProperties(t *testing.T) {
	for i := 0; i < 20000; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		digest := hex.EncodeToString(sum[:])
		tag := shortenTag(digest)
		if !strings.ContainsAny(tag, "abcdefg") || !readsAsString(tag) {
			t.Fatalf("digest %s: tag %q unsafe", digest, tag)
		}
		if !strings.HasPrefix(digest, tag) || len(tag) < 12 {
			t.Fatalf("digest %s: tag %q not a prefix of length >= 12", digest, tag)
		}
		if len(tag) > 12 && safeTag(tag[:len(tag)-1]) {
			t.Fatalf("digest %s: tag %q not the shortest safe prefix", digest, tag)
		}
	}
}
