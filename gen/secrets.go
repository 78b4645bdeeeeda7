package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	vals "github.com/pangeo-data/pangeo-gen/internal/values"
)

// Placeholder is the marker every stub value carries ("CHANGEME: openssl
// rand -hex 32"): a secret still holding it has not been filled in.
const Placeholder = "CHANGEME"

// Secrets backends (schema #Secrets).
const (
	secretsGitCrypt = "git-crypt"
	secretsSops     = "sops"
)

// secretsDir is the secrets folder of a hub, relative to the repository
// root.
func secretsDir(name string) string { return path.Join(HubDir(name), "secrets") }

// SopsConfigPath is the repository-root sops configuration.
const SopsConfigPath = ".sops.yaml"

// StubHeader is the first line of a secret stub whose format allows a
// comment, with its newline. Unlike Header it asks to be edited: a stub is
// written once and never overwritten.
func StubHeader(h *hub.Hub) string {
	return fmt.Sprintf("# secret stub written by pangeo-gen from %s: replace every %s value, then encrypt (see %s)\n",
		h.Source(), Placeholder, path.Join(HubDir(h.Name), "README.md"))
}

// The placeholders of the stubs: each says how to make the value.
const (
	// StubRandom is the stub value of a random token.
	StubRandom = Placeholder + ": openssl rand -hex 32"
	// StubShared is the stub value of the dask-gateway API token, which
	// the hub and the gateway must share.
	StubShared = Placeholder + ": openssl rand -hex 32, the same value in jupyterhub.hub.services.dask-gateway.apiToken and dask-gateway.gateway.auth.jupyterhub.apiToken"

	placeholderRandom = StubRandom
	placeholderShared = StubShared
)

// SecretFiles returns the secret stubs of a hub (Stub: true, written only
// where no file exists) and its encryption rules file:
//
//   - secrets/staging.yaml and secrets/prod.yaml: Helm values holding every
//     secret the charts need (proxy secret token, cookie secret, CryptKeeper
//     key, the authenticator's OAuth client id and secret, for the
//     gateway backend the dask-gateway API token, in both places, and the
//     API token of every other service the raw values declare in
//     jupyterhub.hub.services without one, which the jupyterhub chart would
//     otherwise make up at random on every render);
//   - the provider's credential file hubploy uses (CredentialFile): a GCP
//     service-account key, an AWS credentials file (none for an AWS hub with
//     a roleArn) or an Azure service principal (appId, tenant, password);
//   - for git-crypt, deployments/<hub>/.gitattributes (a normal generated
//     file) sending secrets/** through the hub's git-crypt key. sops rules
//     live in the repository-root .sops.yaml (SopsConfig).
//
// Every stub value holds Placeholder; IsStub tells a stub from a filled
// file.
func SecretFiles(h *hub.Hub) ([]File, error) {
	dir := secretsDir(h.Name)
	var files []File
	for _, env := range hub.EnvNames {
		if _, ok := h.Environments[env]; !ok {
			return nil, fmt.Errorf("hub %s: secrets: no environment %q", h.Name, env)
		}
		data, err := envSecretsStub(h, env)
		if err != nil {
			return nil, fmt.Errorf("hub %s: secrets/%s.yaml: %w", h.Name, env, err)
		}
		files = append(files, File{Path: path.Join(dir, env+".yaml"), Mode: 0o644, Data: data, Stub: true})
	}

	cred, err := CredentialFile(h)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	if cred != "" {
		data, err := credentialStub(h, cred)
		if err != nil {
			return nil, fmt.Errorf("hub %s: secrets/%s: %w", h.Name, cred, err)
		}
		files = append(files, File{Path: path.Join(dir, cred), Mode: 0o644, Data: data, Stub: true})
	}

	switch h.Secrets.Backend {
	case secretsGitCrypt:
		files = append(files, File{Path: path.Join(HubDir(h.Name), ".gitattributes"), Mode: 0o644, Data: gitAttributes(h)})
	case secretsSops:
		if len(sopsKeys(h)) == 0 {
			return nil, fmt.Errorf("hub %s: secrets: sops needs at least one of age, gcpKms, awsKms, azureKeyVault", h.Name)
		}
	default:
		return nil, fmt.Errorf("hub %s: secrets: unknown backend %q", h.Name, h.Secrets.Backend)
	}
	SortFiles(files)
	return files, nil
}

// envSecretsStub is secrets/<env>.yaml: the secret Helm values, merged by
// helm after config/common.yaml and config/<env>.yaml.
func envSecretsStub(h *hub.Hub, env string) ([]byte, error) {
	_, section := Authenticator(h)
	app := "GitHub OAuth app"
	if o := h.Auth.OAuth2; o != nil {
		app = o.LoginService + " OAuth client"
	}
	callback := CallbackURL(h, env)
	hubValues := map[string]any{
		"cookieSecret": placeholderRandom,
		"config": map[string]any{
			"CryptKeeper": map[string]any{"keys": []string{placeholderRandom}},
			section: map[string]any{
				"client_id":     fmt.Sprintf("%s: client id of the %s with callback URL %s", Placeholder, app, callback),
				"client_secret": fmt.Sprintf("%s: client secret of the %s with callback URL %s", Placeholder, app, callback),
			},
		},
	}
	values := map[string]any{
		"jupyterhub": map[string]any{
			"proxy": map[string]any{"secretToken": placeholderRandom},
			"hub":   hubValues,
		},
	}
	services := map[string]any{}
	if h.Dask.Backend == hub.BackendGateway {
		services["dask-gateway"] = map[string]any{"apiToken": placeholderShared}
	}
	// Every other service the raw values declare without a token: the
	// jupyterhub chart would make one up at random on every render.
	raw := vals.Apply(h.Values, h.Environments[env].Values)
	declared, _ := vals.Lookup(raw, "jupyterhub", "hub", "services").(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		svc, ok := declared[name].(map[string]any)
		if !ok || services[name] != nil || hasToken(svc) {
			continue
		}
		stub := placeholderRandom
		if name == "dask-gateway" {
			stub = placeholderShared
		}
		services[name] = map[string]any{"apiToken": stub}
	}
	if len(services) > 0 {
		hubValues["services"] = services
	}
	if h.Dask.Backend == hub.BackendGateway {
		values["dask-gateway"] = map[string]any{
			"gateway": map[string]any{
				"auth": map[string]any{
					"jupyterhub": map[string]any{"apiToken": placeholderShared},
				},
			},
		}
	}
	var buf bytes.Buffer
	buf.WriteString(StubHeader(h))
	if err := encodeYAML(&buf, values); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hasToken reports whether a jupyterhub service sets its API token
// (apiToken or api_token, not empty).
func hasToken(svc map[string]any) bool {
	for _, k := range []string{"apiToken", "api_token"} {
		if v, ok := svc[k]; ok && v != nil && v != "" {
			return true
		}
	}
	return false
}

// gcloudServiceKey is a Google Cloud service-account key, fields in the
// order gcloud writes them.
type gcloudServiceKey struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
}

// serviceAccountFixed are the fields of a service-account key that are the
// same before and after it is filled in (no secret): IsStub skips them.
var serviceAccountFixed = map[string]bool{
	"type": true, "project_id": true, "auth_uri": true, "token_uri": true,
	"auth_provider_x509_cert_url": true, "universe_domain": true,
}

type azureAuth struct {
	AppID    string `yaml:"appId"`
	Tenant   string `yaml:"tenant"`
	Password string `yaml:"password"`
}

// credentialStub is the stub of a provider credential file.
func credentialStub(h *hub.Hub, name string) ([]byte, error) {
	switch name {
	case gcloudServiceKeyFile:
		project := h.Cloud.Project
		email := Placeholder + "@" + project + ".iam.gserviceaccount.com"
		key := gcloudServiceKey{
			Type:                    "service_account",
			ProjectID:               project,
			PrivateKeyID:            Placeholder + ": gcloud iam service-accounts keys create " + path.Join(secretsDir(h.Name), gcloudServiceKeyFile) + " --iam-account=<deployer>@" + project + ".iam.gserviceaccount.com",
			PrivateKey:              "-----BEGIN PRIVATE KEY-----\n" + Placeholder + "\n-----END PRIVATE KEY-----\n",
			ClientEmail:             email,
			ClientID:                Placeholder,
			AuthURI:                 "https://accounts.google.com/o/oauth2/auth",
			TokenURI:                "https://oauth2.googleapis.com/token",
			AuthProviderX509CertURL: "https://www.googleapis.com/oauth2/v1/certs",
			ClientX509CertURL:       "https://www.googleapis.com/robot/v1/metadata/x509/" + strings.ReplaceAll(email, "@", "%40"),
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(key); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	case awsConfigFile:
		var b bytes.Buffer
		b.WriteString(StubHeader(h))
		b.WriteString("# ~/.aws/credentials format: the deployer's key, allowed to use EKS cluster\n")
		fmt.Fprintf(&b, "# %s and push to ECR in account %s.\n", h.Cloud.Cluster, h.Cloud.AccountID)
		b.WriteString("[default]\n")
		fmt.Fprintf(&b, "aws_access_key_id = %s: access key id of the deployer\n", Placeholder)
		fmt.Fprintf(&b, "aws_secret_access_key = %s: secret access key of the deployer\n", Placeholder)
		return b.Bytes(), nil
	case azureAuthFile:
		var b bytes.Buffer
		b.WriteString(StubHeader(h))
		err := encodeYAML(&b, azureAuth{
			AppID:    Placeholder + ": appId of the deployer service principal (az ad sp create-for-rbac)",
			Tenant:   Placeholder + ": its tenant",
			Password: Placeholder + ": its password",
		})
		if err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	return nil, fmt.Errorf("no stub for credential file %q", name)
}

// gitCryptFilter is the git filter (and diff) name of a git-crypt key:
// "git-crypt" for the default key, "git-crypt-<key>" for a named one.
func gitCryptFilter(key string) string {
	if key == "" || key == "default" {
		return "git-crypt"
	}
	return "git-crypt-" + key
}

// gitAttributes is deployments/<hub>/.gitattributes: every file under
// secrets/ goes through the hub's git-crypt key.
func gitAttributes(h *hub.Hub) []byte {
	f := gitCryptFilter(h.Secrets.Key)
	return []byte(HashHeader(h) + fmt.Sprintf("secrets/** filter=%s diff=%s\n", f, f))
}

// sopsRule is one creation rule of .sops.yaml; sops takes each key list as
// one comma-separated string.
type sopsRule struct {
	PathRegex     string `yaml:"path_regex"`
	Age           string `yaml:"age,omitempty"`
	KMS           string `yaml:"kms,omitempty"`
	GCPKMS        string `yaml:"gcp_kms,omitempty"`
	AzureKeyVault string `yaml:"azure_keyvault,omitempty"`
}

type sopsConfig struct {
	CreationRules []sopsRule `yaml:"creation_rules"`
}

// sopsKeys are all recipients of a sops hub.
func sopsKeys(h *hub.Hub) []string {
	s := h.Secrets
	var keys []string
	keys = append(keys, s.Age...)
	keys = append(keys, s.AWSKMS...)
	keys = append(keys, s.GCPKMS...)
	return append(keys, s.AzureKeyVault...)
}

// sopsPathRegex is the path_regex of a hub's sops creation rule, matched by
// sops against the file's path relative to the repository root.
func sopsPathRegex(name string) string {
	return "^" + regexp.QuoteMeta(secretsDir(name)+"/") + ".*"
}

// SopsConfig returns the repo-root .sops.yaml with one creation rule per
// sops hub, in hub name order: path_regex ^deployments/<hub>/secrets/.*
// and the hub's age, kms (AWS), gcp_kms and azure_keyvault recipients,
// each comma-joined. encrypted_regex is left unset: every value is
// encrypted. (File{}, false, nil) when no hub uses sops.
func SopsConfig(hubs []*hub.Hub) (File, bool, error) {
	var sopsHubs []*hub.Hub
	for _, h := range hubs {
		if h.Secrets.Backend == secretsSops {
			sopsHubs = append(sopsHubs, h)
		}
	}
	if len(sopsHubs) == 0 {
		return File{}, false, nil
	}
	sort.Slice(sopsHubs, func(i, j int) bool { return sopsHubs[i].Name < sopsHubs[j].Name })
	var cfg sopsConfig
	var sources []string
	for i, h := range sopsHubs {
		if i > 0 && h.Name == sopsHubs[i-1].Name {
			return File{}, false, fmt.Errorf("%s: hub %s appears twice", SopsConfigPath, h.Name)
		}
		if len(sopsKeys(h)) == 0 {
			return File{}, false, fmt.Errorf("%s: hub %s: sops needs at least one of age, gcpKms, awsKms, azureKeyVault", SopsConfigPath, h.Name)
		}
		s := h.Secrets
		cfg.CreationRules = append(cfg.CreationRules, sopsRule{
			PathRegex:     sopsPathRegex(h.Name),
			Age:           strings.Join(s.Age, ","),
			KMS:           strings.Join(s.AWSKMS, ","),
			GCPKMS:        strings.Join(s.GCPKMS, ","),
			AzureKeyVault: strings.Join(s.AzureKeyVault, ","),
		})
		sources = append(sources, h.Source())
	}
	data, err := YAML(Sources(sources), cfg)
	if err != nil {
		return File{}, false, fmt.Errorf("%s: %w", SopsConfigPath, err)
	}
	return File{Path: SopsConfigPath, Mode: 0o644, Data: data}, true, nil
}

// IsStub reports whether data is an unfilled secret stub: a YAML, JSON or
// ini-style (key = value) file with at least one value, every value of
// which still holds Placeholder. A file with one value filled in is not a
// stub, nor is an encrypted file (sops values are ENC[...], git-crypt
// files are binary), nor an empty one. The fixed, non-secret fields of a
// service-account key (type, project_id, the Google URLs) do not count.
func IsStub(data []byte) bool {
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return false // binary: encrypted (git-crypt) or not a stub at all
	}
	var values []string
	if isINI(data) {
		values = iniValues(data)
	} else if v, ok := yamlLeaves(data); ok {
		values = v
	} else {
		values = iniValues(data)
	}
	if len(values) == 0 {
		return false
	}
	for _, v := range values {
		if !strings.Contains(v, Placeholder) {
			return false
		}
	}
	return true
}

// yamlLeaves returns the scalar values of a YAML (or JSON) document made of
// mappings and sequences; ok is false when data is not such a document.
func yamlLeaves(data []byte) (values []string, ok bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode && root.Kind != yaml.SequenceNode {
		return nil, false
	}
	serviceAccount := false
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "type" && root.Content[i+1].Value == "service_account" {
				serviceAccount = true
			}
		}
	}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if depth == 0 && serviceAccount && serviceAccountFixed[n.Content[i].Value] {
					continue
				}
				walk(n.Content[i+1], depth+1)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		case yaml.AliasNode:
			if n.Alias != nil && depth < 64 {
				walk(n.Alias, depth+1)
			}
		case yaml.ScalarNode:
			values = append(values, n.Value)
		}
	}
	walk(root, 0)
	return values, true
}

// iniSection is an ini [section] line.
var iniSection = regexp.MustCompile(`^\[[^\[\]]+\]$`)

// isINI reports whether data is an ini-style file: its first line that is
// not blank or a comment is a [section]. (YAML would read that line as a
// flow sequence and ignore the rest.)
func isINI(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		return iniSection.MatchString(line)
	}
	return false
}

// iniValues returns the values of an ini-style file: the text after the
// first '=' (or ':') of each line that is not blank, a comment or a
// [section]; a line without either is a value as a whole.
func iniValues(data []byte) []string {
	var values []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") ||
			(strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]")) {
			continue
		}
		if i := strings.IndexAny(line, "=:"); i >= 0 {
			line = strings.TrimSpace(line[i+1:])
		}
		values = append(values, line)
	}
	if sc.Err() != nil {
		// Not text with lines: binary, so not a stub.
		return []string{string(data)}
	}
	return values
}
