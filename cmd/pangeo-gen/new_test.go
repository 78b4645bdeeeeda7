package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewListExitCodes: new and list exit 2 on bad usage, 1 on a refused
// name, and write nothing then.
func TestNewListExitCodes(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"new"}, 2, "accepts 1 arg(s)"},
		{[]string{"new", "a", "b"}, 2, "accepts 1 arg(s)"},
		{[]string{"new", "zulu", "--provider", "ibm"}, 2, `--provider must be one of gcp, aws, azure, not "ibm"`},
		{[]string{"new", "zulu", "--from", "alpha", "--provider", "gcp"}, 2, "--provider is for a starter hub"},
		{[]string{"new", "zulu", "--from", ""}, 2, "--from needs a hub name"},
		{[]string{"new", "zulu", "--image-from", ""}, 2, "--image-from needs a repository"},
		{[]string{"new", "Zulu"}, 1, `bad hub name "Zulu"`},
		{[]string{"new", "chart"}, 1, `bad hub name "chart": it is reserved`},
		{[]string{"new", "alpha"}, 1, "hub alpha already exists"},
		{[]string{"new", "zulu", "--from", "nosuchhub"}, 1, `--from: no hub named "nosuchhub"`},
		{[]string{"list", "--format", "xml"}, 2, "--format must be table or json"},
		{[]string{"list", "nosuchhub"}, 1, `no hub named "nosuchhub"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(append([]string{"--root", root}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stderr lacks %q:\n%s", tc.err, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout:\n%s", stdout.String())
			}
			if _, err := os.Stat(filepath.Join(root, "hubs", "zulu.cue")); err == nil {
				t.Fatalf("hubs/zulu.cue was written")
			}
		})
	}
}
