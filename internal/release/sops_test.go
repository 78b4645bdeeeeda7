package release

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
	"github.com/pangeo-data/pangeo-gen/internal/tooltest"
)

// stub is the secrets stub gen writes for hub-env.
func stub(t *testing.T, hubName, env string) []byte {
	t.Helper()
	out, err := gen.GenerateHub(federation(t).Hub(hubName))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Files {
		if f.Path == SecretsPath(hubName, env) {
			return f.Data
		}
	}
	t.Fatalf("gen writes no %s", SecretsPath(hubName, env))
	return nil
}

// secretData is the data of the Secret named name in a rendered stream,
// stringData and base64-decoded data together.
func secretData(t *testing.T, stream []byte, name string) map[string]string {
	t.Helper()
	for _, o := range objects(t, stream) {
		if o.Kind != "Secret" || o.Metadata.Name != name {
			continue
		}
		out := map[string]string{}
		for k, v := range o.StringData {
			out[k] = v
		}
		for k, v := range o.Data {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("Secret %s: data %s is not base64: %v", name, k, err)
			}
			out[k] = string(b)
		}
		return out
	}
	t.Fatalf("no Secret %s rendered", name)
	return nil
}

// TestRenderSops encrypts a filled secrets file with sops (the tools
// module's tool dependency) for an age key made here, and renders from it: the
// decrypted values reach the charts' Secrets. With another key, or none,
// the render fails with sops' reason.
func TestRenderSops(t *testing.T) {
	sops := tooltest.Sops(t)
	identity, recipient, err := tooltest.AgeIdentity()
	if err != nil {
		t.Fatal(err)
	}
	f := federation(t)
	const hubName, env = "alpha", "staging"
	plain, filled, err := tooltest.Fill(stub(t, hubName, env))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plainFile := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plainFile, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sops, "--encrypt", "--age", recipient, "--input-type", "yaml", "--output-type", "yaml", plainFile)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	enc, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops --encrypt: %v\n%s", err, stderr.String())
	}
	if got := secretscan.Classify(enc); got != secretscan.Sops {
		t.Fatalf("sops output classified %v, not sops:\n%s", got, enc)
	}
	for path, v := range filled {
		if bytes.Contains(enc, []byte(v)) {
			t.Errorf("the encrypted file holds %s in plaintext", path)
		}
	}
	file := filepath.Join(dir, env+".yaml")
	if err := os.WriteFile(file, enc, 0o600); err != nil {
		t.Fatal(err)
	}

	r := Request{
		Fed: f, Hub: hubName, Env: env, Chart: umbrella(t, f), Secrets: file,
		Cache: &charts.Cache{Dir: filepath.Join(t.TempDir(), "cache"), Offline: true},
	}
	t.Setenv("SOPS_AGE_KEY", identity)
	y, err := Render(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	hubSecret := secretData(t, y, "hub")
	for key, path := range map[string]string{
		"proxy.token":                                   "jupyterhub.proxy.secretToken",
		"hub.config.JupyterHub.cookie_secret":           "jupyterhub.hub.cookieSecret",
		"hub.config.CryptKeeper.keys":                   "jupyterhub.hub.config.CryptKeeper.keys[0]",
		"hub.services.dask-gateway.apiToken":            "jupyterhub.hub.services.dask-gateway.apiToken",
		"hub.config.GitHubOAuthenticator.client_id":     "jupyterhub.hub.config.GitHubOAuthenticator.client_id",
		"hub.config.GitHubOAuthenticator.client_secret": "jupyterhub.hub.config.GitHubOAuthenticator.client_secret",
	} {
		if want := filled[path]; want == "" || hubSecret[key] != want {
			t.Errorf("Secret hub %s = %q, want %s = %q", key, hubSecret[key], path, want)
		}
	}
	// dask-gateway's Secret holds its token base64-encoded (data).
	gw := secretData(t, y, "api-"+Release(hubName, env)+"-dask-gateway")
	if want := filled["dask-gateway.gateway.auth.jupyterhub.apiToken"]; want == "" || gw["jupyterhub-api-token"] != want {
		t.Errorf("dask-gateway Secret jupyterhub-api-token = %q, want %q", gw["jupyterhub-api-token"], want)
	}

	// Another key cannot decrypt it, and neither can no key at all.
	other, _, err := tooltest.AgeIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, key, reason string }{
		{"wrong key", other, "identity did not match any of the recipients"},
		{"no key", "", "failed to load age identities"},
	} {
		t.Setenv("SOPS_AGE_KEY", tc.key)
		_, err := Render(context.Background(), r)
		if err == nil {
			t.Fatalf("%s: rendered", tc.name)
		}
		msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "|", "")), " ")
		if want := file + ": sops --decrypt failed: Failed to get the data key"; !strings.HasPrefix(msg, want) || !strings.Contains(msg, tc.reason) {
			t.Errorf("%s: error %q, want %q ... %q", tc.name, err, want, tc.reason)
		}
	}
}
