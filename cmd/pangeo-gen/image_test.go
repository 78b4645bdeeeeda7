package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	reg "github.com/pangeo-data/pangeo-gen/internal/registry"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// existsRoot writes a repository whose hub one is built and pushed to
// host/hubs/one-notebook, and whose hub two is host/pangeo/notebook:1.0.
func existsRoot(t *testing.T, host string) string {
	t.Helper()
	root, dir := repoRoot(t), t.TempDir()
	for _, d := range []string{"cue.mod", "schema"} {
		if err := copyDir(filepath.Join(root, d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	hubs := map[string]string{
		"hubs.cue": "package hubs\n\nimport \"github.com/pangeo-data/pangeo-gen/schema\"\n\nhubs: [Name=string]: schema.#Hub & {name: Name}\n",
		"one.cue":  existsHub("one", `{repository: "`+host+`/hubs/one-notebook", conda: dependencies: ["python=3.12", "dask-gateway=2026.3.0"]}`),
		"two.cue":  existsHub("two", `prebuilt: "`+host+`/pangeo/notebook:1.0"`),
	}
	if err := os.MkdirAll(filepath.Join(dir, "hubs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for f, text := range hubs {
		if err := os.WriteFile(filepath.Join(dir, "hubs", f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func existsHub(name, image string) string {
	return strings.NewReplacer("NAME", name, "IMAGE", image).Replace(`package hubs

hubs: NAME: {
	title: "Hub NAME"
	owners: ["octocat"]
	contact: "admins@NAME.example.org"
	environments: {
		staging: domain: "staging.NAME.example.org"
		prod: domain:    "NAME.example.org"
	}
	cloud: {
		provider: "gcp"
		project:  "pangeo-NAME"
		location: "us-central1-b"
		cluster:  "NAME"
		nodePools: {
			core: {machineType: "n2-standard-2", min: 1, max: 2}
			user: {machineType: "n2-highmem-8", max: 10}
			dask: {machineType: "n2-highmem-4", max: 20}
		}
	}
	image: IMAGE
	auth: github: orgs: ["pangeo-data"]
}
`)
}

// TestImageExistsExitCodes: 0 present, 1 absent, 2 cannot tell.
func TestImageExistsExitCodes(t *testing.T) {
	saved := existsOptions
	existsOptions = reg.Options{Keychain: authn.NewMultiKeychain(), RetryDelays: []time.Duration{time.Millisecond, time.Millisecond}}
	t.Cleanup(func() { existsOptions = saved })

	reg := testserver.NewRegistry(t)
	host := reg.Host
	root := existsRoot(t, host)
	downRoot := existsRoot(t, testserver.ClosedHost())

	run := func(root string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"--root", root}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	_, oneRef, _ := run(root, "image", "ref", "one")
	oneRef = strings.TrimSpace(oneRef)
	if !strings.HasPrefix(oneRef, host+"/hubs/one-notebook:") {
		t.Fatalf("image ref one = %q", oneRef)
	}

	for _, tc := range []struct {
		name   string
		before func()
		root   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "built absent", root: root, args: []string{"one"}, code: 1, stderr: "image " + oneRef + " is not in its registry"},
		{name: "built present", before: func() { reg.PushRandom(t, strings.TrimPrefix(oneRef, host+"/")) }, root: root, args: []string{"one"}, code: 0, stdout: oneRef + "\n"},
		{name: "prebuilt absent", root: root, args: []string{"two"}, code: 1, stderr: "not in its registry"},
		{name: "prebuilt present", before: func() { reg.PushRandom(t, "pangeo/notebook:1.0") }, root: root, args: []string{"two"}, code: 0, stdout: host + "/pangeo/notebook:1.0\n"},
		{name: "unauthorized", before: func() { reg.Deny(testserver.Unauthorized) }, root: root, args: []string{"two"}, code: 2, stderr: "refused access"},
		{name: "registry down", root: downRoot, args: []string{"one"}, code: 2, stderr: "unreachable or failing"},
		{name: "unknown hub", root: root, args: []string{"nosuchhub"}, code: 2, stderr: `no hub named "nosuchhub"`},
		{name: "no hub", root: root, args: nil, code: 2, stderr: "accepts 1 arg(s)"},
		{name: "no repository", root: t.TempDir(), args: []string{"one"}, code: 2, stderr: "no cue.mod found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			code, stdout, stderr := run(tc.root, append([]string{"image", "exists"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}
