package gen

import (
	"bytes"
	"encoding/json"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

func fxSecretFiles(t *testing.T, h *hub.Hub) map[string]File {
	t.Helper()
	files, err := SecretFiles(h)
	if err != nil {
		t.Fatalf("SecretFiles(%s): %v", h.Name, err)
	}
	out := map[string]File{}
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, "deployments/"+h.Name+"/")
		if !ok {
			t.Errorf("%s outside deployments/%s/", f.Path, h.Name)
		}
		out[rel] = f
	}
	return out
}

func TestSecretFilesLayout(t *testing.T) {
	awsKey := fxAWS()
	awsKey.Cloud.RoleARN = ""
	tests := []struct {
		name      string
		h         *hub.Hub
		stubs     []string
		generated []string
	}{
		{"gcp git-crypt", fxGCP(), []string{"secrets/gcloud-service-key.json", "secrets/prod.yaml", "secrets/staging.yaml"}, []string{".gitattributes"}},
		{"aws role sops", fxAWS(), []string{"secrets/prod.yaml", "secrets/staging.yaml"}, nil},
		{"aws key sops", awsKey, []string{"secrets/aws-config.txt", "secrets/prod.yaml", "secrets/staging.yaml"}, nil},
		{"azure git-crypt key", fxAzure(), []string{"secrets/azure-auth.yaml", "secrets/prod.yaml", "secrets/staging.yaml"}, []string{".gitattributes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := fxSecretFiles(t, tt.h)
			var stubs, generated []string
			for rel, f := range files {
				if f.Mode != 0o644 {
					t.Errorf("%s: mode %o", rel, f.Mode)
				}
				if f.Stub {
					stubs = append(stubs, rel)
					if !IsStub(f.Data) {
						t.Errorf("%s: fresh stub, IsStub false:\n%s", rel, f.Data)
					}
					if !strings.HasSuffix(rel, ".json") && !strings.HasPrefix(string(f.Data), StubHeader(tt.h)) {
						t.Errorf("%s: no stub header: %q", rel, fxFirstLines(f.Data, 1))
					}
				} else {
					generated = append(generated, rel)
					if IsStub(f.Data) {
						t.Errorf("%s: generated file reads as a stub", rel)
					}
				}
			}
			slices.Sort(stubs)
			slices.Sort(generated)
			if !slices.Equal(stubs, tt.stubs) || !slices.Equal(generated, tt.generated) {
				t.Errorf("stubs %v generated %v; want %v %v", stubs, generated, tt.stubs, tt.generated)
			}
		})
	}
}

// secretPaths are the values secrets/<env>.yaml must hold.
func secretPaths(h *hub.Hub) [][]string {
	_, section := Authenticator(h)
	paths := [][]string{
		{"jupyterhub", "proxy", "secretToken"},
		{"jupyterhub", "hub", "cookieSecret"},
		{"jupyterhub", "hub", "config", section, "client_id"},
		{"jupyterhub", "hub", "config", section, "client_secret"},
	}
	if h.Dask.Backend == hub.BackendGateway {
		paths = append(paths,
			[]string{"jupyterhub", "hub", "services", "dask-gateway", "apiToken"},
			[]string{"dask-gateway", "gateway", "auth", "jupyterhub", "apiToken"})
	}
	return paths
}

func TestEnvSecretsStub(t *testing.T) {
	for name, h := range map[string]*hub.Hub{"gateway github": fxGCP(), "kubernetes oauth2": fxAWS()} {
		t.Run(name, func(t *testing.T) {
			files := fxSecretFiles(t, h)
			for _, env := range hub.EnvNames {
				f := files["secrets/"+env+".yaml"]
				var v map[string]any
				if err := yaml.Unmarshal(f.Data, &v); err != nil {
					t.Fatalf("%s: %v", env, err)
				}
				for _, p := range secretPaths(h) {
					s, ok := values.Lookup(v, p...).(string)
					if !ok || !strings.HasPrefix(s, Placeholder) {
						t.Errorf("%s: %s = %v, want a placeholder", env, strings.Join(p, "."), values.Lookup(v, p...))
					}
				}
				keysList, ok := values.Lookup(v, "jupyterhub", "hub", "config", "CryptKeeper", "keys").([]any)
				if !ok || len(keysList) != 1 || !strings.HasPrefix(keysList[0].(string), Placeholder) {
					t.Errorf("%s: CryptKeeper.keys = %v, want a list of one placeholder", env, keysList)
				}
				if h.Dask.Backend != hub.BackendGateway && v["dask-gateway"] != nil {
					t.Errorf("%s: dask-gateway secrets for the %s backend", env, h.Dask.Backend)
				}
				if !bytes.Contains(f.Data, []byte(CallbackURL(h, env))) {
					t.Errorf("%s: placeholder does not name the callback URL %s", env, CallbackURL(h, env))
				}
			}
		})
	}
}

// TestEnvSecretsStubServices: a service the raw values declare without a
// token gets a slot in the stub (the jupyterhub chart would make its token
// up at random), in the env that declares it; one with a token, or
// deleted by the env, does not.
func TestEnvSecretsStubServices(t *testing.T) {
	h := fxAWS() // the kubernetes backend: no dask-gateway service of its own
	h.Values = map[string]any{"jupyterhub": map[string]any{"hub": map[string]any{"services": map[string]any{
		"mlflow":  map[string]any{"url": "http://mlflow"},
		"tokened": map[string]any{"apiToken": "set-elsewhere"},
		"gone":    map[string]any{"url": "http://gone"},
	}}}}
	prod := h.Environments["prod"]
	prod.Values = map[string]any{"jupyterhub": map[string]any{"hub": map[string]any{"services": map[string]any{
		"gone": nil, "dask-gateway": map[string]any{"display": false},
	}}}}
	h.Environments["prod"] = prod
	files := fxSecretFiles(t, h)
	for env, want := range map[string][]string{"staging": {"gone", "mlflow"}, "prod": {"dask-gateway", "mlflow"}} {
		var v map[string]any
		if err := yaml.Unmarshal(files["secrets/"+env+".yaml"].Data, &v); err != nil {
			t.Fatal(err)
		}
		services, _ := values.Lookup(v, "jupyterhub", "hub", "services").(map[string]any)
		got := slices.Sorted(maps.Keys(services))
		if !slices.Equal(got, want) {
			t.Errorf("%s: stub services %v, want %v", env, got, want)
		}
		for _, name := range got {
			tok, _ := values.Lookup(services, name, "apiToken").(string)
			wantStub := StubRandom
			if name == "dask-gateway" {
				wantStub = StubShared
			}
			if tok != wantStub {
				t.Errorf("%s: %s.apiToken = %q, want %q", env, name, tok, wantStub)
			}
		}
	}
}

// seedServiceKey is the service-account skeleton of the seed document.
func seedServiceKey(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, "seed/000_c85e349c5872e604.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\{\s*"type": "service_account".*?\n\}`).Find(data)
	if m == nil {
		t.Fatal("no service-account JSON in the seed")
	}
	var v map[string]any
	if err := json.Unmarshal(m, &v); err != nil {
		t.Fatalf("seed JSON: %v", err)
	}
	return v
}

func TestGCloudServiceKeyStub(t *testing.T) {
	seed := seedServiceKey(t)
	h := fxGCP()
	data := fxSecretFiles(t, h)["secrets/gcloud-service-key.json"].Data
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("stub is not JSON: %v\n%s", err, data)
	}
	if !slices.Equal(fxKeys(got), fxKeys(seed)) {
		t.Errorf("keys %v, seed has %v", fxKeys(got), fxKeys(seed))
	}
	if got["project_id"] != "pangeo-ocean" {
		t.Errorf("project_id = %v", got["project_id"])
	}
	for _, k := range []string{"type", "auth_uri", "token_uri", "auth_provider_x509_cert_url"} {
		if got[k] != seed[k] {
			t.Errorf("%s = %v, seed has %v", k, got[k], seed[k])
		}
	}
	// The seed itself, a placeholder key with X's, is no stub of ours.
	seedJSON, _ := json.Marshal(seed)
	if IsStub(seedJSON) {
		t.Errorf("the seed's skeleton (no %s) reads as a stub", Placeholder)
	}
}

func TestGitAttributes(t *testing.T) {
	for _, tt := range []struct {
		h    *hub.Hub
		want string
	}{
		{fxGCP(), "secrets/** filter=git-crypt diff=git-crypt\n"},
		{fxAzure(), "secrets/** filter=git-crypt-atmos diff=git-crypt-atmos\n"},
	} {
		f := fxSecretFiles(t, tt.h)[".gitattributes"]
		if got, want := string(f.Data), HashHeader(tt.h)+tt.want; got != want {
			t.Errorf("%s .gitattributes = %q, want %q", tt.h.Name, got, want)
		}
	}
	// The reference repo's rule has the same form (one line per hub at the root).
	ref, err := os.ReadFile(shareddata.Path(t, "reference/pangeo-cloud-federation/2019-08/.gitattributes"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ref), "deployments/ooi/secrets/** filter=git-crypt-ooi diff=git-crypt-ooi") {
		t.Errorf("reference .gitattributes changed")
	}
}

func TestSecretFilesErrors(t *testing.T) {
	noKeys := fxAWS()
	noKeys.Secrets = hub.Secrets{Backend: "sops"}
	unknown := fxGCP()
	unknown.Secrets.Backend = "vault"
	noEnv := fxGCP()
	delete(noEnv.Environments, "prod")
	for name, h := range map[string]*hub.Hub{"sops without keys": noKeys, "unknown backend": unknown, "missing env": noEnv} {
		if _, err := SecretFiles(h); err == nil || !strings.Contains(err.Error(), h.Name) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// fillPlaceholders replaces every placeholder value with a real-looking one.
func fillPlaceholders(data []byte) []byte {
	re := regexp.MustCompile(Placeholder + `[^"\n]*`)
	return re.ReplaceAll(data, []byte("0123abcd"))
}

func TestIsStub(t *testing.T) {
	awsKey := fxAWS()
	awsKey.Cloud.RoleARN = ""
	stubs := map[string][]byte{}
	for _, h := range []*hub.Hub{fxGCP(), awsKey, fxAzure()} {
		for rel, f := range fxSecretFiles(t, h) {
			if f.Stub {
				stubs[h.Name+"/"+rel] = f.Data
			}
		}
	}
	for name, data := range stubs {
		t.Run(name, func(t *testing.T) {
			if !IsStub(data) {
				t.Errorf("fresh stub: IsStub false")
			}
			filled := fillPlaceholders(data)
			if bytes.Contains(filled, []byte(Placeholder)) {
				t.Fatalf("test could not fill in:\n%s", filled)
			}
			if IsStub(filled) {
				t.Errorf("filled file: IsStub true:\n%s", filled)
			}
			// Fill in one value only.
			body := 0
			if bytes.HasPrefix(data, []byte("#")) {
				body = bytes.IndexByte(data, '\n') + 1 // past the stub header
			}
			i := body + bytes.Index(data[body:], []byte(Placeholder))
			j := i + bytes.IndexAny(data[i:], "\"\n")
			partial := append(append(append([]byte{}, data[:i]...), "0123abcd"...), data[j:]...)
			if !bytes.Contains(partial, []byte(Placeholder)) {
				t.Fatalf("partial fill removed every placeholder")
			}
			if IsStub(partial) {
				t.Errorf("partially filled file: IsStub true:\n%s", partial)
			}
		})
	}

	others := map[string]struct {
		data string
		want bool
	}{
		"empty":            {"", false},
		"comments only":    {"# CHANGEME\n", false},
		"null value":       {"a:\n  b: CHANGEME\n  c:\n", false},
		"number filled":    {"a: CHANGEME\nb: 42\n", false},
		"list of stubs":    {"- 'CHANGEME: x'\n- CHANGEME\n", true},
		"unquoted colon":   {"- CHANGEME: x\n", false},
		"yaml stub":        {"jupyterhub:\n  proxy:\n    secretToken: 'CHANGEME: openssl rand -hex 32'\n", true},
		"sops encrypted":   {"jupyterhub:\n  proxy:\n    secretToken: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]\nsops:\n  version: 3.9.0\n", false},
		"sops on a stub":   {"a: ENC[AES256_GCM,data:CHANGEMEisnotit]\nsops:\n  mac: ENC[x]\n", false},
		"git-crypt binary": {"\x00GITCRYPT\x00\x8f\x12\xa0\xff\x00\x01CHANGEME", false},
		"ini stub":         {"[default]\naws_access_key_id = CHANGEME: id\naws_secret_access_key = CHANGEME: key\n", true},
		"ini filled":       {"[default]\naws_access_key_id = AKIA123\naws_secret_access_key = CHANGEME: key\n", false},
		"ini comment":      {"; note\n[default]\nkey = CHANGEME\n", true},
		"json filled key": {`{"type": "service_account", "project_id": "p", "private_key_id": "abc",
			"private_key": "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n", "client_email": "d@p.iam.gserviceaccount.com"}`, false},
		"json stub key": {`{"type": "service_account", "project_id": "p", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
			"private_key_id": "CHANGEME", "client_email": "CHANGEME@p.iam.gserviceaccount.com"}`, true},
		"fixed fields only": {`{"type": "service_account", "project_id": "p"}`, false},
		"type not at top":   {`{"x": {"type": "service_account", "project_id": "p"}, "k": "CHANGEME"}`, false},
	}
	for name, tt := range others {
		if got := IsStub([]byte(tt.data)); got != tt.want {
			t.Errorf("IsStub(%s) = %v, want %v", name, got, tt.want)
		}
	}
}

func TestSopsConfig(t *testing.T) {
	if _, ok, err := SopsConfig([]*hub.Hub{fxGCP(), fxAzure()}); ok || err != nil {
		t.Errorf("no sops hub: ok %v err %v", ok, err)
	}
	second := fxAWS()
	second.Name = "atlas"
	second.Secrets = hub.Secrets{
		Backend:       "sops",
		GCPKMS:        []string{"projects/p/locations/global/keyRings/r/cryptoKeys/a", "projects/p/locations/global/keyRings/r/cryptoKeys/b"},
		AzureKeyVault: []string{"https://v.vault.azure.net/keys/k/1"},
	}
	bravo := fxAWS()
	bravo.Secrets.Age = append(bravo.Secrets.Age, "age1"+strings.Repeat("q", 58))
	f, ok, err := SopsConfig([]*hub.Hub{fxGCP(), bravo, second})
	if err != nil || !ok {
		t.Fatalf("SopsConfig: ok %v err %v", ok, err)
	}
	if f.Path != ".sops.yaml" || f.Stub || f.Mode != 0o644 {
		t.Errorf("file %+v", f)
	}
	if want := "# generated by pangeo-gen from hubs/atlas.cue, hubs/bravo.cue, do not edit\n"; !strings.HasPrefix(string(f.Data), want) {
		t.Errorf("header %q", fxFirstLines(f.Data, 1))
	}
	var cfg struct {
		CreationRules []map[string]any `yaml:"creation_rules"`
	}
	if err := yaml.Unmarshal(f.Data, &cfg); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{
			"path_regex":     `^deployments/atlas/secrets/.*`,
			"gcp_kms":        "projects/p/locations/global/keyRings/r/cryptoKeys/a,projects/p/locations/global/keyRings/r/cryptoKeys/b",
			"azure_keyvault": "https://v.vault.azure.net/keys/k/1",
		},
		{
			"path_regex": `^deployments/bravo/secrets/.*`,
			"age":        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p,age1" + strings.Repeat("q", 58),
			"kms":        "arn:aws:kms:us-west-2:783380859522:key/5b7e6c1e-6f0a-4c43-9f3e-2b0c8c1d9a77",
		},
	}
	if len(cfg.CreationRules) != len(want) {
		t.Fatalf("rules %v", cfg.CreationRules)
	}
	for i := range want {
		if !mapsEqual(cfg.CreationRules[i], want[i]) {
			t.Errorf("rule %d = %v, want %v", i, cfg.CreationRules[i], want[i])
		}
		if _, set := cfg.CreationRules[i]["encrypted_regex"]; set {
			t.Errorf("rule %d sets encrypted_regex", i)
		}
	}
	re := regexp.MustCompile(cfg.CreationRules[1]["path_regex"].(string))
	for p, match := range map[string]bool{
		"deployments/bravo/secrets/prod.yaml":               true,
		"deployments/bravo/secrets/gcloud-service-key.json": true,
		"deployments/bravox/secrets/prod.yaml":              false,
		"deployments/bravo/config/prod.yaml":                false,
		"other/deployments/bravo/secrets/prod.yaml":         false,
	} {
		if re.MatchString(p) != match {
			t.Errorf("path_regex on %s: %v, want %v", p, !match, match)
		}
	}

	noKeys := fxAWS()
	noKeys.Secrets = hub.Secrets{Backend: "sops"}
	if _, _, err := SopsConfig([]*hub.Hub{noKeys}); err == nil || !strings.Contains(err.Error(), "bravo") {
		t.Errorf("sops hub without keys: err = %v", err)
	}
	if _, _, err := SopsConfig([]*hub.Hub{fxAWS(), fxAWS()}); err == nil {
		t.Errorf("hub twice accepted")
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
