package secrets

import (
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/input"
)

const stub = `# secret stub written by pangeo-gen from hubs/alpha.cue: replace every CHANGEME value, then encrypt
dask-gateway:
  gateway:
    auth:
      jupyterhub:
        apiToken: 'CHANGEME: openssl rand -hex 32, the same value in jupyterhub.hub.services.dask-gateway.apiToken and dask-gateway.gateway.auth.jupyterhub.apiToken'
jupyterhub:
  hub:
    config:
      CryptKeeper:
        keys:
          - 'CHANGEME: openssl rand -hex 32'
      GitHubOAuthenticator:
        client_id: 'CHANGEME: client id of the GitHub OAuth app'
        client_secret: 'CHANGEME: client secret of the GitHub OAuth app'
    cookieSecret: 'CHANGEME: openssl rand -hex 32'
    services:
      dask-gateway:
        apiToken: 'CHANGEME: openssl rand -hex 32, the same value in jupyterhub.hub.services.dask-gateway.apiToken and dask-gateway.gateway.auth.jupyterhub.apiToken'
  proxy:
    secretToken: 'CHANGEME: openssl rand -hex 32'
`

const (
	cookie = "4b1d5b1c6e3c4c0e9f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
	token  = "8c5e2f1a0b9d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
)

const filled = `jupyterhub:
  hub:
    cookieSecret: ` + cookie + `
  proxy:
    secretToken: ` + token + `
`

// partial has one value filled in and one left as in the stub.
const partial = `jupyterhub:
  hub:
    cookieSecret: ` + cookie + `
  proxy:
    secretToken: 'CHANGEME: openssl rand -hex 32'
`

const sopsFile = `jupyterhub:
    proxy:
        secretToken: ENC[AES256_GCM,data:q3Rk9ZbXh1TfY2wzK8mN3pQ7rS5tV6uW,iv:Zm9vYmFyYmF6cXV4cXV1eA==,tag:YWJjZGVmZ2hpamtsbW5vcA==,type:str]
sops:
    age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBhYmNkZWZnaGlqa2xtbm9w
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-01-15T10:04:12Z"
    mac: ENC[AES256_GCM,data:Tm90IGEgcmVhbCBtYWM=,iv:aXZpdml2aXZpdml2aXY=,tag:dGFndGFndGFndGFndGFn,type:str]
    version: 3.9.4
`

// fakeSops is a sops that "decrypts" by printing fixed values, and records
// its arguments beside itself.
const fakeSops = `#!/bin/sh
echo "$@" > "$(dirname "$0")/args"
[ "$1" = --decrypt ] || { echo "fake sops: want --decrypt" >&2; exit 2; }
cat <<'END'
jupyterhub:
  proxy:
    secretToken: ` + token + `
END
`

// failingSops fails as sops does without the key.
const failingSops = `#!/bin/sh
echo "Failed to get the data key required to decrypt the SOPS file." >&2
exit 128
`

func write(t *testing.T, dir, name, data string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	systemPath := os.Getenv("PATH")
	gitCrypt := "\x00GITCRYPT\x00\x8f\x12\x99ciphertext"
	filledValues := map[string]any{"jupyterhub": map[string]any{
		"hub":   map[string]any{"cookieSecret": cookie},
		"proxy": map[string]any{"secretToken": token},
	}}
	for _, tc := range []struct {
		name        string
		data        string
		sops        string // the sops script on PATH; "" for none
		placeholder bool
		want        map[string]any
		err         string
		errIs       error
	}{
		{name: "plaintext", data: filled, want: filledValues},
		{name: "plaintext, placeholders asked", data: filled, placeholder: true, want: filledValues},
		{name: "stub refused", data: stub, err: "is an unfilled secret stub: replace every CHANGEME value"},
		{name: "partial stub refused", data: partial, err: "still holds CHANGEME at jupyterhub.proxy.secretToken: fill them in, or pass --placeholder-secrets"},
		{name: "partial stub, placeholders asked", data: partial, placeholder: true, want: map[string]any{"jupyterhub": map[string]any{
			"hub":   map[string]any{"cookieSecret": cookie},
			"proxy": map[string]any{"secretToken": placeholder("alpha", "staging", "jupyterhub.proxy.secretToken", "CHANGEME: openssl rand -hex 32")},
		}}},
		{name: "git-crypt ciphertext refused", data: gitCrypt, err: "secrets are encrypted: run git-crypt unlock", errIs: ErrEncrypted},
		{name: "git-crypt ciphertext refused, placeholders asked", data: gitCrypt, placeholder: true, errIs: ErrEncrypted},
		{name: "sops decrypted", data: sopsFile, sops: fakeSops, want: map[string]any{"jupyterhub": map[string]any{
			"proxy": map[string]any{"secretToken": token},
		}}},
		{name: "sops missing", data: sopsFile, err: "is encrypted with sops, but sops is not installed (no sops on PATH)"},
		{name: "sops fails", data: sopsFile, sops: failingSops, err: "sops --decrypt failed: Failed to get the data key required to decrypt the SOPS file."},
		{name: "empty", data: "# nothing yet\n", err: "holds no values"},
		{name: "not YAML", data: "jupyterhub: [\n", err: "not YAML values"},
		{name: "credential file", data: `{"type": "service_account", "private_key": "x"}`, err: "is a provider credential file, not Helm values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			// Only bin, so that no sops is found, unless the test puts one
			// there (which needs the shell's tools).
			t.Setenv("PATH", bin)
			if tc.sops != "" {
				write(t, bin, "sops", tc.sops, 0o755)
				t.Setenv("PATH", bin+string(os.PathListSeparator)+systemPath)
			}
			path := write(t, dir, "staging.yaml", tc.data, 0o600)
			got, err := Load(path, "alpha", "staging", tc.placeholder)
			if tc.err != "" || tc.errIs != nil {
				if err == nil {
					t.Fatalf("no error; got %v", got)
				}
				if !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), path) {
					t.Errorf("error %q, want %q after the path", err, tc.err)
				}
				if tc.errIs != nil && !errors.Is(err, tc.errIs) {
					t.Errorf("error %v is not %v", err, tc.errIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
			if tc.sops != "" {
				args, err := os.ReadFile(filepath.Join(bin, "args"))
				if err != nil {
					t.Fatal(err)
				}
				if want := "--decrypt " + path + "\n"; string(args) != want {
					t.Errorf("sops ran with %q, want %q", args, want)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "prod.yaml"), "alpha", "prod", true); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want not exist", err)
	}
}

// leaves flattens the string values of a tree by path (a.b[0].c).
func leaves(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			leaves(e, path+"."+k, out)
		}
	case []any:
		for i, e := range v {
			leaves(e, path+"["+strconv.Itoa(i)+"]", out)
		}
	case string:
		out[strings.TrimPrefix(path, ".")] = v
	}
}

func TestPlaceholders(t *testing.T) {
	path := write(t, t.TempDir(), "staging.yaml", stub, 0o600)
	a, err := Load(path, "alpha", "staging", true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(path, "alpha", "staging", true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("placeholders differ from one run to the next")
	}
	got := map[string]string{}
	leaves(a, "", got)
	if len(got) != 7 {
		t.Fatalf("%d values, want the stub's 7: %v", len(got), got)
	}
	// The values the charts (and JupyterHub) need as 32 bytes of hex.
	hex64 := []string{
		"jupyterhub.proxy.secretToken",
		"jupyterhub.hub.cookieSecret",
		"jupyterhub.hub.config.CryptKeeper.keys[0]",
		"jupyterhub.hub.services.dask-gateway.apiToken",
		"dask-gateway.gateway.auth.jupyterhub.apiToken",
	}
	distinct := map[string]bool{}
	for _, p := range hex64 {
		v := got[p]
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
			t.Errorf("%s = %q: not 32 bytes of hex (openssl rand -hex 32)", p, v)
		}
		if !strings.HasPrefix(v, "0000000000000000") || !IsPlaceholder(v) {
			t.Errorf("%s = %q does not read as a placeholder", p, v)
		}
		distinct[v] = true
	}
	// The gateway token is the same in both places; the others all differ.
	if got[hex64[3]] != got[hex64[4]] {
		t.Errorf("the dask-gateway API tokens differ: %q, %q", got[hex64[3]], got[hex64[4]])
	}
	if len(distinct) != 4 {
		t.Errorf("hex placeholders collide: %v", got)
	}
	for _, p := range []string{"jupyterhub.hub.config.GitHubOAuthenticator.client_id", "jupyterhub.hub.config.GitHubOAuthenticator.client_secret"} {
		if v := got[p]; !strings.HasPrefix(v, PlaceholderPrefix) || len(v) != len(PlaceholderPrefix)+32 || !IsPlaceholder(v) {
			t.Errorf("%s = %q, want placeholder- and 32 hex digits", p, v)
		}
	}
	for p, v := range got {
		if strings.Contains(v, gen.Placeholder) {
			t.Errorf("%s still holds %s", p, gen.Placeholder)
		}
	}

	// Derived from hub, env and path: another env, or hub, gets others.
	for _, other := range [][2]string{{"alpha", "prod"}, {"bravo", "staging"}} {
		c, err := Load(path, other[0], other[1], true)
		if err != nil {
			t.Fatal(err)
		}
		values := map[string]string{}
		leaves(c, "", values)
		for p, v := range values {
			if got[p] == v {
				t.Errorf("%s: alpha/staging and %s/%s share placeholder %q", p, other[0], other[1], v)
			}
		}
	}
	if IsPlaceholder(cookie) {
		t.Error("a real-looking token reads as a placeholder")
	}
}

func TestPlaceholdersKeepsOtherValues(t *testing.T) {
	m := map[string]any{
		"a": []any{"CHANGEME: openssl rand -hex 32", 3.0, "kept"},
		"b": map[string]any{"c": "CHANGEME: client id"},
	}
	out := Placeholders(m, "h", "prod")
	if m["a"].([]any)[0] != "CHANGEME: openssl rand -hex 32" {
		t.Error("Placeholders modified its argument")
	}
	list := out["a"].([]any)
	if !IsPlaceholder(list[0].(string)) || list[1] != 3.0 || list[2] != "kept" {
		t.Errorf("list: %v", list)
	}
	if s := out["b"].(map[string]any)["c"].(string); !strings.HasPrefix(s, PlaceholderPrefix) {
		t.Errorf("b.c = %q", s)
	}
}

// TestRead: secrets files are read with internal/input's bounds, and "-"
// is standard input with the same limit.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("a: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(input.LimitEnv, "10")
	for _, tc := range []struct {
		name, path string
		stdin      io.Reader
		want, err  string
	}{
		{"file", small, nil, "a: b\n", ""},
		{"stdin", Stdin, strings.NewReader("c: d\n"), "c: d\n", ""},
		{"no stdin", Stdin, nil, "", "standard input (--secrets -): no standard input here"},
		{"stdin over the limit", Stdin, strings.NewReader("c: 0123456789\n"), "", "standard input (--secrets -): larger than 10 bytes"},
		{"device", "/dev/zero", nil, "", "not a regular file (a character device)"},
		{"folder", dir, nil, "", "not a regular file (a folder)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.path, tc.stdin)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
