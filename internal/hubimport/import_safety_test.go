package hubimport

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/input"
	loader "github.com/pangeo-data/pangeo-gen/internal/load"
)

// tinyHub is a small hand-kept hubploy hub, without a wrapper, that imports
// without a loss.
var tinyHub = map[string]string{
	"hubploy.yaml": `images:
  image_name: us.gcr.io/pangeo-tiny/tiny-notebook
  image_config_path: jupyterhub.singleuser.image
cluster:
  provider: gcloud
  gcloud:
    project: pangeo-tiny
    cluster: tiny
    zone: us-central1-b
    service_key: gcloud-service-key.json
`,
	"config/common.yaml": `jupyterhub:
  proxy:
    https:
      letsencrypt:
        contactEmail: admins@tiny.example.org
  singleuser:
    extraEnv:
      TINY_MODE: "1"
`,
	"config/staging.yaml": `jupyterhub:
  proxy:
    https:
      hosts: [staging.tiny.example.org]
`,
	"config/prod.yaml": `jupyterhub:
  proxy:
    https:
      hosts: [tiny.example.org]
`,
	"image/binder/apt.txt": "vim\n",
	"image/binder/environment.yml": `channels: [conda-forge]
dependencies:
  - xarray=2024.1.0
`,
}

// importFixture makes a repository root (cue.mod, schema, hubs/hubs.cue)
// and the old hub's folder old/tiny in it, from files; it returns the root
// and the folder.
func importFixture(t testing.TB, files map[string]string) (root, dir string) {
	t.Helper()
	repo, err := loader.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	root = t.TempDir()
	copyTree(t, filepath.Join(repo, "cue.mod"), filepath.Join(root, "cue.mod"))
	copyTree(t, filepath.Join(repo, "schema"), filepath.Join(root, "schema"))
	write := func(p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "hubs", "hubs.cue"), "package hubs\n\nimport \"github.com/pangeo-data/pangeo-gen/schema\"\n\nhubs: [Name=string]: schema.#Hub & {name: Name}\n")
	dir = filepath.Join(root, "old", "tiny")
	for rel, data := range files {
		write(filepath.Join(dir, filepath.FromSlash(rel)), data)
	}
	return root, dir
}

func runImport(t *testing.T, root, dir string) (*Result, error) {
	t.Helper()
	e, err := hubfile.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return Import(e, Options{Dir: dir, Name: "tiny", Command: "pangeo-gen import"})
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestImportRefuses: import reads the old hub's folder only through
// input.ReadIn beneath it: a link that leaves the folder, a FIFO, a device
// or a file over the size limit is never read. In image/binder/ such a file
// is a loss naming what was refused and why; a values file or hubploy.yaml
// is an error. A link that stays inside the folder is read.
func TestImportRefuses(t *testing.T) {
	const canary = "canary-4f1e9b"
	for _, tc := range []struct {
		name string
		// setup changes the old hub's folder; outside is a folder beside
		// it holding secret, start and values.yaml (each with canary).
		setup    func(t *testing.T, dir, outside string)
		limit    string
		wantErr  []string // the error holds each
		wantLoss string   // "FILE: " + a part of why
		noLoss   bool
		want     string // the hub file holds it
	}{
		{
			name: "postBuild links to a file outside (absolute)",
			setup: func(t *testing.T, dir, outside string) {
				symlink(t, filepath.Join(outside, "secret"), filepath.Join(dir, "image", "binder", "postBuild"))
			},
			wantLoss: "image/binder/postBuild: a link to " + "OUTSIDE/secret, outside old/tiny: not read",
		},
		{
			name: "start links to a credentials file outside (relative)",
			setup: func(t *testing.T, dir, outside string) {
				symlink(t, "../../../outside/start", filepath.Join(dir, "image", "binder", "start"))
			},
			wantLoss: "image/binder/start: a link to old/outside/start, outside old/tiny: not read",
		},
		{
			name: "postBuild links to the zero device",
			setup: func(t *testing.T, dir, outside string) {
				symlink(t, "/dev/zero", filepath.Join(dir, "image", "binder", "postBuild"))
			},
			wantLoss: "image/binder/postBuild: a link to /dev/zero, outside old/tiny: not read",
		},
		{
			name: "postBuild is a FIFO",
			setup: func(t *testing.T, dir, outside string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "image", "binder", "postBuild"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantLoss: "image/binder/postBuild: not a regular file (a FIFO): not read",
		},
		{
			// Found by FuzzImportRead: listing a FIFO's names waited for a writer.
			name: "binder and secrets are FIFOs",
			setup: func(t *testing.T, dir, outside string) {
				if err := os.RemoveAll(filepath.Join(dir, "image", "binder")); err != nil {
					t.Fatal(err)
				}
				for _, p := range []string{"image/binder", "secrets"} {
					if err := syscall.Mkfifo(filepath.Join(dir, filepath.FromSlash(p)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			},
			wantLoss: "image/binder: not a folder: not read",
		},
		{
			name: "binder links to a folder outside",
			setup: func(t *testing.T, dir, outside string) {
				if err := os.RemoveAll(filepath.Join(dir, "image", "binder")); err != nil {
					t.Fatal(err)
				}
				symlink(t, outside, filepath.Join(dir, "image", "binder"))
			},
			wantLoss: "image/binder: a link to OUTSIDE, outside old/tiny: not read",
		},
		{
			name: "a binder file over the size limit",
			// Above the schema's size (import loads the hub it writes),
			// below the postBuild's.
			limit: "65536",
			setup: func(t *testing.T, dir, outside string) {
				big := "#!/bin/bash\n" + strings.Repeat("echo "+canary+"\n", 4000)
				if err := os.WriteFile(filepath.Join(dir, "image", "binder", "postBuild"), []byte(big), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantLoss: "image/binder/postBuild: larger than 65536 bytes, the limit for an input file (set PANGEO_GEN_MAX_FILE_BYTES to raise it): not read",
		},
		{
			name: "staging.yaml links to a values file outside",
			setup: func(t *testing.T, dir, outside string) {
				p := filepath.Join(dir, "config", "staging.yaml")
				os.Remove(p)
				symlink(t, filepath.Join(outside, "values.yaml"), p)
			},
			wantErr: []string{"old/tiny/config/staging.yaml: a link to OUTSIDE/values.yaml, outside old/tiny: refused", "copy the file into the folder"},
		},
		{
			name: "config links to a folder outside",
			setup: func(t *testing.T, dir, outside string) {
				if err := os.RemoveAll(filepath.Join(dir, "config")); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Join(outside, "config"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(outside, "config", "common.yaml"), []byte(tinyHub["config/common.yaml"]), 0o644); err != nil {
					t.Fatal(err)
				}
				symlink(t, filepath.Join(outside, "config"), filepath.Join(dir, "config"))
			},
			wantErr: []string{"old/tiny/config/common.yaml: a link to OUTSIDE/config/common.yaml, outside old/tiny: refused"},
		},
		{
			name: "hubploy.yaml is a FIFO",
			setup: func(t *testing.T, dir, outside string) {
				p := filepath.Join(dir, "hubploy.yaml")
				os.Remove(p)
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: []string{"old/tiny/hubploy.yaml: not a regular file (a FIFO): refused"},
		},
		{
			name: "prod.yaml is a broken link",
			setup: func(t *testing.T, dir, outside string) {
				p := filepath.Join(dir, "config", "prod.yaml")
				os.Remove(p)
				symlink(t, "prod-gone.yaml", p)
			},
			wantErr: []string{"old/tiny/config/prod.yaml: a broken link: refused"},
		},
		{
			name: "a link that stays inside the folder is read",
			setup: func(t *testing.T, dir, outside string) {
				if err := os.WriteFile(filepath.Join(dir, "apt-shared.txt"), []byte("graphviz\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(dir, "image", "binder", "apt.txt")
				os.Remove(p)
				symlink(t, "../../apt-shared.txt", p)
			},
			noLoss: true,
			want:   `apt: ["graphviz"]`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, dir := importFixture(t, tinyHub)
			outside := filepath.Join(root, "old", "outside")
			if err := os.MkdirAll(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range map[string]string{
				"secret":      "echo " + canary + "\n",
				"start":       "#!/bin/bash\n# " + canary + "\nexport TOKEN=" + canary + "\nexec \"$@\"\n",
				"values.yaml": "jupyterhub:\n  hub:\n    extraEnv:\n      CANARY: " + canary + "\n",
			} {
				if err := os.WriteFile(filepath.Join(outside, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.limit != "" {
				t.Setenv(input.LimitEnv, tc.limit)
			}
			tc.setup(t, dir, outside)
			// Messages name the folder as given.
			rel, err := filepath.Rel(root, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(root)
			res, err := runImport(t, root, rel)
			show := func(s string) string { return strings.ReplaceAll(s, "OUTSIDE", outside) }
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("import succeeded, want an error; the file:\n%s", res.Data)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), show(w)) {
						t.Errorf("error %q lacks %q", err, show(w))
					}
				}
				if strings.Contains(err.Error(), canary) {
					t.Errorf("the error shows what the refused file holds: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var losses []string
			for _, l := range res.Losses {
				losses = append(losses, l.String())
			}
			if tc.noLoss && len(losses) > 0 {
				t.Errorf("losses %q, want none", losses)
			}
			if tc.wantLoss != "" && !containsPrefix(losses, show(tc.wantLoss)) {
				t.Errorf("losses %q lack %q", losses, show(tc.wantLoss))
			}
			if strings.Contains(string(res.Data), canary) {
				t.Errorf("the hub file holds what a refused file holds:\n%s", res.Data)
			}
			if tc.want != "" && !strings.Contains(string(res.Data), tc.want) {
				t.Errorf("the hub file lacks %q:\n%s", tc.want, res.Data)
			}
		})
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestImportValuesShapes: a values file whose top level is a list or a
// scalar, a value of the wrapper that is not a map, and a second YAML
// document are each listed as a loss of their file, never dropped
// silently. An empty file or an empty trailing document is nothing lost.
func TestImportValuesShapes(t *testing.T) {
	for _, tc := range []struct {
		name, file, data string
		wantLoss         string // "" : no loss
	}{
		{"top level is a list", "config/staging.yaml", "- jupyterhub: {}\n- b\n", "config/staging.yaml: the top level is a list, not a map of values: not imported"},
		{"top level is a scalar", "config/prod.yaml", "just a string\n", "config/prod.yaml: the top level is a string, not a map of values: not imported"},
		{"second document", "config/common.yaml", tinyHub["config/common.yaml"] + "---\njupyterhub:\n  hub:\n    extraEnv:\n      LATE: x\n", "config/common.yaml: document 2: a further YAML document (Helm reads only the first of a values file): not imported"},
		{"second document of hubploy.yaml", "hubploy.yaml", tinyHub["hubploy.yaml"] + "---\nimages: {}\n", "hubploy.yaml: document 2: a further YAML document (hubploy reads only one): not imported"},
		{"dask config is a list", "image/binder/dask_config.yaml", "- distributed\n", "image/binder/dask_config.yaml: the top level is a list, not a map of values: not imported"},
		{"empty file", "config/staging.yaml", "# nothing here\n", ""},
		{"empty trailing document", "config/prod.yaml", tinyHub["config/prod.yaml"] + "---\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range tinyHub {
				files[k] = v
			}
			files[tc.file] = tc.data
			root, dir := importFixture(t, files)
			t.Chdir(root)
			res, err := runImport(t, root, "old/tiny")
			if err != nil {
				t.Fatal(err)
			}
			var losses []string
			for _, l := range res.Losses {
				losses = append(losses, l.String())
			}
			_ = dir
			if tc.wantLoss == "" {
				if len(losses) > 0 {
					t.Errorf("losses %q, want none", losses)
				}
				return
			}
			if !containsPrefix(losses, tc.wantLoss) {
				t.Errorf("losses %q lack %q", losses, tc.wantLoss)
			}
		})
	}
}

// TestImportWrapperNotAMap: the wrapper's value that is not a map is a
// loss, not an empty hub.
func TestImportWrapperNotAMap(t *testing.T) {
	files := map[string]string{}
	for k, v := range tinyHub {
		files[k] = v
	}
	files["hubploy.yaml"] = strings.Replace(tinyHub["hubploy.yaml"], "image_config_path: jupyterhub.", "image_config_path: pangeo.jupyterhub.", 1)
	files["config/common.yaml"] = "pangeo:\n  jupyterhub:\n    singleuser:\n      extraEnv:\n        TINY_MODE: \"1\"\n"
	files["config/staging.yaml"] = "pangeo:\n  - jupyterhub\n"
	files["config/prod.yaml"] = "pangeo:\n  jupyterhub:\n    proxy:\n      https:\n        hosts: [tiny.example.org]\n"
	root, _ := importFixture(t, files)
	t.Chdir(root)
	res, err := runImport(t, root, "old/tiny")
	if err != nil {
		t.Fatal(err)
	}
	var losses []string
	for _, l := range res.Losses {
		losses = append(losses, l.String())
	}
	if want := "config/staging.yaml: pangeo: a list, not a map of values: not imported"; !containsPrefix(losses, want) {
		t.Errorf("losses %q lack %q", losses, want)
	}
}

// fakeHex is n hex digits that look random, made when the test runs (this
// file holds no secret a scanner would report).
func fakeHex(seed, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 12345
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = digits[x%16]
	}
	return string(b)
}

// TestImportSecrets: plaintext secrets of the old config files (the proxy
// token, the cookie secret, the OAuth client secret, the dask-gateway
// tokens, CryptKeeper keys, a secret in an extraConfig snippet, a short
// hand-made token at a key the charts read a secret from) are never
// written into the hub's file; each is named by file and key with where
// to move it, and is not a loss: the hub imports.
func TestImportSecrets(t *testing.T) {
	token, cookie, client, gw, crypt, snippet := fakeHex(1, 64), fakeHex(2, 64), fakeHex(3, 40), fakeHex(4, 64), fakeHex(5, 64), fakeHex(6, 40)
	short := "hunter2-" + fakeHex(7, 6)
	files := map[string]string{}
	for k, v := range tinyHub {
		files[k] = v
	}
	files["config/common.yaml"] = `jupyterhub:
  proxy:
    secretToken: ` + token + `
    https:
      letsencrypt:
        contactEmail: admins@tiny.example.org
  singleuser:
    extraEnv:
      TINY_MODE: "1"
  hub:
    cookieSecret: ` + cookie + `
    config:
      CryptKeeper:
        keys: [` + crypt + `]
      GitHubOAuthenticator:
        client_id: 0a1b2c3d4e5f
        client_secret: ` + client + `
    extraConfig:
      auth: |
        c.GitHubOAuthenticator.client_secret = "` + snippet + `"
`
	files["config/staging.yaml"] = tinyHub["config/staging.yaml"] + `  hub:
    services:
      dask-gateway:
        apiToken: ` + gw + `
dask-gateway:
  gateway:
    auth:
      jupyterhub:
        apiToken: ` + gw + `
    proxyToken: ` + short + `
`
	root, _ := importFixture(t, files)
	t.Chdir(root)
	res, err := runImport(t, root, "old/tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{token, cookie, client, gw, crypt, snippet, short} {
		if strings.Contains(string(res.Data), s) {
			t.Errorf("the hub file holds the secret %s…:\n%s", s[:8], res.Data)
		}
	}
	if len(res.Losses) > 0 {
		t.Errorf("losses %v, want none: a secret moved is not a loss", res.Losses)
	}
	both := "deployments/tiny/secrets/staging.yaml and deployments/tiny/secrets/prod.yaml"
	want := []string{
		"config/common.yaml: jupyterhub.hub.config.CryptKeeper.keys: plaintext secret left out; move it into " + both + " as jupyterhub.hub.config.CryptKeeper.keys",
		"config/common.yaml: jupyterhub.hub.config.GitHubOAuthenticator.client_secret: plaintext secret left out; move it into " + both + " as jupyterhub.hub.config.GitHubOAuthenticator.client_secret",
		"config/common.yaml: jupyterhub.hub.cookieSecret: plaintext secret left out; move it into " + both + " as jupyterhub.hub.cookieSecret",
		"config/common.yaml: jupyterhub.hub.extraConfig.auth: plaintext secret left out; move it into " + both + " as jupyterhub.hub.extraConfig.auth",
		"config/common.yaml: jupyterhub.proxy.secretToken: plaintext secret left out; move it into " + both + " as jupyterhub.proxy.secretToken",
		"config/staging.yaml: dask-gateway.gateway.auth.jupyterhub.apiToken: plaintext secret left out; move it into deployments/tiny/secrets/staging.yaml as dask-gateway.gateway.auth.jupyterhub.apiToken",
		"config/staging.yaml: dask-gateway.gateway.proxyToken: plaintext secret left out; move it into deployments/tiny/secrets/staging.yaml as dask-gateway.gateway.proxyToken",
		"config/staging.yaml: jupyterhub.hub.services.dask-gateway.apiToken: plaintext secret left out; move it into deployments/tiny/secrets/staging.yaml as jupyterhub.hub.services.dask-gateway.apiToken",
	}
	var got []string
	for _, s := range res.Secrets {
		got = append(got, s.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("secrets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, key := range []string{"jupyterhub.proxy.secretToken", "dask-gateway.gateway.proxyToken"} {
		if !strings.Contains(string(res.Data), key) {
			t.Errorf("the hub file does not name the secret left out at %s:\n%s", key, res.Data)
		}
	}
	for _, keep := range []string{`"0a1b2c3d4e5f"`, `TINY_MODE: "1"`} {
		if !strings.Contains(string(res.Data), keep) {
			t.Errorf("the hub file lacks %s:\n%s", keep, res.Data)
		}
	}
}

// TestImportSecretsUpgrade: a secret --upgrade moves (the old chart's
// auth.github.clientSecret) is named by its key in the old file and goes
// into the secrets files at its new place.
func TestImportSecretsUpgrade(t *testing.T) {
	files := map[string]string{}
	for k, v := range tinyHub {
		files[k] = v
	}
	secret := fakeHex(8, 40)
	files["config/common.yaml"] = tinyHub["config/common.yaml"] + `  auth:
    type: github
    github:
      clientId: 0a1b2c3d4e5f
      clientSecret: ` + secret + `
`
	root, _ := importFixture(t, files)
	t.Chdir(root)
	e, err := hubfile.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(e, Options{Dir: "old/tiny", Name: "tiny", Command: "pangeo-gen import --upgrade", Upgrade: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.Data), secret) {
		t.Errorf("the hub file holds the secret:\n%s", res.Data)
	}
	if len(res.Secrets) != 1 {
		t.Fatalf("secrets %v, want one", res.Secrets)
	}
	if s := res.Secrets[0]; s.Key != "jupyterhub.auth.github.clientSecret" || s.Path != "jupyterhub.hub.config.GitHubOAuthenticator.client_secret" {
		t.Errorf("secret at %s (into %s), want jupyterhub.auth.github.clientSecret into jupyterhub.hub.config.GitHubOAuthenticator.client_secret", s.Key, s.Path)
	}
}

// TestImportNumbers: numbers of the old values keep the kind they were
// written with (values.Plain: 2.0 stays a float, 3 an int, which the
// schema checks of the lifted fields tell apart), and an integer beyond
// int64 becomes the float Helm reads it as, never a wrapped negative int.
func TestImportNumbers(t *testing.T) {
	files := map[string]string{}
	for k, v := range tinyHub {
		files[k] = v
	}
	files["config/common.yaml"] = tinyHub["config/common.yaml"] + `  hub:
    extraConfig:
      numbers:
        ratio: 2.0
        count: 3
        huge: 18446744073709551615
`
	root, _ := importFixture(t, files)
	t.Chdir(root)
	res, err := runImport(t, root, "old/tiny")
	if err != nil {
		t.Fatal(err)
	}
	got := res.Original["common"]["jupyterhub"].(map[string]any)["hub"].(map[string]any)["extraConfig"].(map[string]any)["numbers"]
	want := map[string]any{"ratio": 2.0, "count": int64(3), "huge": 18446744073709551615.0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("old values %#v, want %#v", got, want)
	}
	// The hub file says what Helm reads the huge one as (a float64), not -1.
	if !strings.Contains(string(res.Data), "huge:  18446744073709552000\n") {
		t.Errorf("hub file lacks huge: 18446744073709552000:\n%s", res.Data)
	}
}

// copyTree copies the folder src to dst with the copy import makes of the
// repository's cue.mod and schema (importCopyTree).
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	if err := importCopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
}
