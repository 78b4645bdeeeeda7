package secretscan

import (
	"errors"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"io/fs"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Real-looking secrets are generated when the tests run, so that this file
// holds none a scanner (this one included) would report.

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerHex    = "0123456789abcdef"
)

// fake returns n characters of alphabet from a deterministic generator.
var fakeRand = rand.New(rand.NewPCG(2026, 1))

func fake(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[fakeRand.IntN(len(alphabet))]
	}
	return string(b)
}

// pemBody is a base64 PEM body of n full lines, each ending in sep.
func pemBody(n int, indent, sep string) string {
	var b strings.Builder
	for range n {
		b.WriteString(indent + fake(base64Chars, 64) + sep)
	}
	b.WriteString(indent + fake(base64Chars, 20) + "==" + sep)
	return b.String()
}

func TestScanFinds(t *testing.T) {
	var (
		akia       = "AKIA" + fake(upperDigits, 16)
		asia       = "ASIA" + fake(upperDigits, 16)
		awsSecret  = fake(base64Chars, 40)
		awsSecret2 = fake(base64Chars, 40)
		ghp        = "ghp_" + fake(alnum, 36)
		ghs        = "ghs_" + fake(alnum, 36)
		pat        = "github_pat_" + fake(alnum, 22) + "_" + fake(alnum, 59)
		googleKey  = "AIza" + fake(alnum+"_-", 35)
		slack      = "xoxb-" + fake("0123456789", 12) + "-" + fake("0123456789", 13) + "-" + fake(alnum, 24)
		hex64      = func() string { return fake(lowerHex, 64) }
		b64        = fake(alnum+"+/", 43) + "="
	)
	for _, tt := range []struct {
		name, path, data string
		want             []Match
	}{
		{
			name: "PEM RSA key file",
			path: "secrets/deploy_key.pem",
			data: "# deploy key\n-----BEGIN RSA PRIVATE KEY-----\n" + pemBody(3, "", "\n") + "-----END RSA PRIVATE KEY-----\n",
			want: []Match{{2, 1, KindPEMPrivateKey}},
		},
		{
			name: "PEM PKCS#8 key",
			path: "key",
			data: "-----BEGIN PRIVATE KEY-----\n" + pemBody(2, "", "\n") + "-----END PRIVATE KEY-----\n",
			want: []Match{{1, 1, KindPEMPrivateKey}},
		},
		{
			name: "PEM EC key with CRLF",
			path: "ec.key",
			data: "-----BEGIN EC PRIVATE KEY-----\r\n" + pemBody(2, "", "\r\n") + "-----END EC PRIVATE KEY-----\r\n",
			want: []Match{{1, 1, KindPEMPrivateKey}},
		},
		{
			name: "PEM encrypted traditional key with headers",
			path: "rsa.key",
			data: "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC," + fake("0123456789ABCDEF", 32) + "\n\n" +
				pemBody(3, "", "\n") + "-----END RSA PRIVATE KEY-----\n",
			want: []Match{{1, 1, KindPEMPrivateKey}},
		},
		{
			name: "PEM encrypted PKCS#8 key",
			path: "k.pem",
			data: "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + pemBody(3, "", "\n") + "-----END ENCRYPTED PRIVATE KEY-----\n",
			want: []Match{{1, 1, KindPEMPrivateKey}},
		},
		{
			name: "PEM OpenSSH key in a YAML block scalar",
			path: "values.yaml",
			data: "ssh:\n  privateKey: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n" + pemBody(4, "    ", "\n") +
				"    -----END OPENSSH PRIVATE KEY-----\n  user: git\n",
			want: []Match{{3, 5, KindPEMPrivateKey}},
		},
		{
			name: "GCP service account key",
			path: "secrets/gcloud-service-key.json",
			data: "{\n  \"type\": \"service_account\",\n  \"project_id\": \"pangeo-ocean\",\n" +
				"  \"private_key_id\": \"" + fake(lowerHex, 40) + "\",\n" +
				"  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n" + pemBody(25, "", `\n`) + "-----END PRIVATE KEY-----\\n\",\n" +
				"  \"client_email\": \"deployer@pangeo-ocean.iam.gserviceaccount.com\",\n" +
				"  \"client_id\": \"" + fake("0123456789", 21) + "\"\n}\n",
			want: []Match{{5, 19, KindGCPServiceAccountKey}},
		},
		{
			name: "GCP service account key, minified",
			path: "sa.json",
			data: `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\n` + pemBody(20, "", `\n`) + `-----END PRIVATE KEY-----\n","client_email":"a@b.iam.gserviceaccount.com"}`,
			want: []Match{{1, 42, KindGCPServiceAccountKey}},
		},
		{
			name: "AWS credentials file",
			path: "secrets/aws/credentials",
			data: "[default]\naws_access_key_id = " + akia + "\naws_secret_access_key = " + awsSecret + "\nregion = us-west-2\n",
			want: []Match{{2, 21, KindAWSAccessKeyID}, {3, 25, KindAWSSecretAccessKey}},
		},
		{
			name: "AWS session keys in dotenv",
			path: ".env",
			data: "AWS_ACCESS_KEY_ID=" + asia + "\nAWS_SECRET_ACCESS_KEY=" + awsSecret2 + "\n",
			want: []Match{{1, 19, KindAWSAccessKeyID}, {2, 23, KindAWSSecretAccessKey}},
		},
		{
			name: "AWS keys in JSON",
			path: "creds.json",
			data: "{\n  \"Credentials\": {\n    \"AccessKeyId\": \"" + akia + "\",\n    \"SecretAccessKey\": \"" + awsSecret + "\"\n  }\n}\n",
			want: []Match{{3, 21, KindAWSAccessKeyID}, {4, 25, KindAWSSecretAccessKey}},
		},
		{
			name: "GitHub tokens",
			path: "config.yaml",
			data: "github:\n  token: " + ghp + "\nci: {app: " + ghs + "}\nGH_TOKEN=" + pat + "\n",
			want: []Match{{2, 10, KindGitHubToken}, {3, 11, KindGitHubToken}, {4, 10, KindGitHubToken}},
		},
		{
			name: "Google API key",
			path: "maps.py",
			data: "import os\n\nMAPS = dict(key=\"" + googleKey + "\")\n",
			want: []Match{{3, 18, KindGoogleAPIKey}},
		},
		{
			name: "Slack token",
			path: "notify.sh",
			data: "#!/bin/sh\ncurl -H 'Authorization: Bearer " + slack + "' https://slack.com/api/chat.postMessage\n",
			want: []Match{{2, 32, KindSlackToken}},
		},
		{
			name: "JupyterHub secrets in YAML",
			path: "secrets/prod.yaml",
			data: "jupyterhub:\n  proxy:\n    secretToken: " + hex64() + "\n  hub:\n    cookieSecret: \"" + hex64() + "\"\n" +
				"    config:\n      GitHubOAuthenticator:\n        client_id: 8d3e5a1f2b7c9d0e4f6a\n        client_secret: '" + fake(lowerHex, 40) + "'\n" +
				"      CryptKeeper:\n        keys:\n          - " + hex64() + "\n\n          - \"" + hex64() + "\"\n" +
				"    services:\n      dask-gateway:\n        apiToken: " + hex64() + "\n",
			want: []Match{
				{3, 18, KindHexSecret}, {5, 20, KindHexSecret}, {9, 25, KindHexSecret},
				{12, 13, KindHexSecret}, {14, 14, KindHexSecret}, {17, 19, KindHexSecret},
			},
		},
		{
			name: "YAML list at the key's indentation",
			path: "values.yaml",
			data: "keys:\n- " + hex64() + "\nother: 1\n",
			want: []Match{{2, 3, KindHexSecret}},
		},
		{
			name: "secrets in JSON",
			path: "secrets.json",
			data: "{\"apiToken\": \"" + hex64() + "\", \"password\": \"" + b64 + "\",\n \"keys\": [\"" + hex64() + "\", \"" + hex64() + "\"],\n \"tokens\": [\n  \"" + hex64() + "\"\n ]}\n",
			want: []Match{{1, 15, KindHexSecret}, {1, 95, KindBase64Secret}, {2, 12, KindHexSecret}, {2, 80, KindHexSecret}, {4, 4, KindHexSecret}},
		},
		{
			name: "secrets in dotenv, INI and Python",
			path: "jupyterhub_config.py",
			data: "JUPYTERHUB_CRYPT_KEY=" + hex64() + "\n[hub]\napi_token = " + hex64() + "\n" +
				"c.GitHubOAuthenticator.client_secret = '" + fake(lowerHex, 40) + "'\n",
			want: []Match{{1, 22, KindHexSecret}, {3, 13, KindHexSecret}, {4, 41, KindHexSecret}},
		},
		{
			name: "list item mapping under a secret-named key",
			path: "values.yaml",
			data: "tokens:\n  - name: ci\n    token: " + hex64() + "\n",
			want: []Match{{3, 12, KindHexSecret}},
		},
		{
			name: "password in a YAML block scalar",
			path: "values.yaml",
			data: "db:\n  password: |-\n    " + b64 + "\n  user: admin\n",
			want: []Match{{3, 5, KindBase64Secret}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Scan(tt.path, []byte(tt.data))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Scan(%q) = %v, want %v\n%s", tt.path, got, tt.want, tt.data)
			}
		})
	}
}

func TestScanPlaceholders(t *testing.T) {
	for _, tt := range []struct {
		name, path, data string
	}{
		{"PEM of X's", "key.pem", "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("X", 64)+"\n", 10) + "-----END RSA PRIVATE KEY-----\n"},
		{"PEM of CHANGEME", "key.pem", "-----BEGIN PRIVATE KEY-----\nCHANGEME\n-----END PRIVATE KEY-----\n"},
		{"PEM of CHANGEME lines", "key.pem", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Repeat("CHANGEMECHANGEMECHANGEME\n", 6) + "-----END OPENSSH PRIVATE KEY-----\n"},
		{"PEM ellipsis", "README.md", "```\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n```\n"},
		{"PEM unicode ellipsis", "README.md", "-----BEGIN EC PRIVATE KEY-----\n…\n-----END EC PRIVATE KEY-----\n"},
		{"PEM shortened with an ellipsis", "README.md", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj...\n-----END PRIVATE KEY-----\n"},
		{"PEM header only", "notes.md", "Paste the key between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----.\n"},
		{"PEM public key", "key.pub", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYWnm5lkiTL0CV8Z3G4E8Kq9uWmGZ8lgSG0Bx4g7MkYw8p3XgJgZKzOYh6nDsLmqY0W8ZL2yCZ8xIYqkmlk0Xw==\n-----END PUBLIC KEY-----\n"},
		{"GCP key skeleton", "gcloud-service-key.json", "{\n  \"type\": \"service_account\",\n  \"private_key_id\": \"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n" + strings.Repeat("X", 88) + "\\n-----END PRIVATE KEY-----\\n\",\n  \"client_id\": \"XXXXXXXXXXXXXXXXXXXXX\"\n}\n"},
		{"AWS key id of X's", "credentials", "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\n"},
		{"AWS example keys", "credentials", "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
		{"AWS secret of X's", ".env", "AWS_SECRET_ACCESS_KEY=XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n"},
		{"AWS secret CHANGEME", "credentials", "aws_secret_access_key = CHANGEMECHANGEMECHANGEMECHANGEMECHANGEME\n"},
		{"GitHub token of X's", "ci.yaml", "token: ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n"},
		{"GitHub token of one letter", "ci.yaml", "token: ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"},
		{"Google API key placeholder", "a.py", "KEY = 'AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'\n"},
		{"Slack placeholder", "a.sh", "SLACK_TOKEN=xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX\n"},
		{"secretToken CHANGEME", "values.yaml", "proxy:\n  secretToken: CHANGEME\n"},
		{"cookieSecret placeholder", "values.yaml", "hub:\n  cookieSecret: \"placeholder-0f3a9b2c7d1e4f5a6b8c9d0e1f2a3b4c5d6e7f80\"\n"},
		{"apiToken Placeholder", "values.yaml", "apiToken: 3f9a2b7c1d4e5f60718293a4b5c6d7e8f9PlaceHolder0a1b2c3d4e5f60\n"},
		{"keys of X's", "values.yaml", "CryptKeeper:\n  keys:\n    - XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n"},
		{"password of zeros", "values.yaml", "password: 0000000000000000000000000000000000000000\n"},
		{"repeated hex pattern", "values.yaml", "secretToken: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"},
		{"short hex", "values.yaml", "apiToken: 3f9a2b7c1d4e5f60\n"},
		{"words", "values.yaml", "password: correcthorsebatterystaplecorrecthorse\n"},
		{"reference, not a value", "values.yaml", "client_secret: ${GITHUB_CLIENT_SECRET_FROM_THE_ENVIRONMENT_XYZ}\napiToken: '{{ .Values.dask.gatewayApiTokenFromASecretKeyRef }}'\n"},
		{"hex under a key that is not secret-named", "values.yaml", "image:\n  digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\ncommit: 2c1f0d8a9e7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d\n"},
		{"public keys", "values.yaml", "publicKeys:\n  - 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"},
		{"sops-encrypted values", "secrets/prod.yaml", sopsYAMLFile},
		{"sops-encrypted dotenv", "secrets/.env", sopsDotenvFile},
		{"empty", "x", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Scan(tt.path, []byte(tt.data)); len(got) != 0 {
				t.Errorf("Scan(%q) = %v, want nothing\n%s", tt.path, got, tt.data)
			}
		})
	}
}

// The seed document's service-account JSON is a placeholder skeleton.
func TestScanSeed(t *testing.T) {
	seed := shareddata.Path(t, "seed/000_c85e349c5872e604.txt")
	data, err := os.ReadFile(seed)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s: not in this checkout", seed)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "BEGIN PRIVATE KEY") {
		t.Fatalf("%s no longer holds the service account skeleton", seed)
	}
	if got := Scan("000_c85e349c5872e604.txt", data); len(got) != 0 {
		t.Errorf("Scan(seed) = %v, want nothing", got)
	}
}

func TestEntropyHelpers(t *testing.T) {
	for _, tt := range []struct {
		v    string
		kind string
	}{
		{fake(lowerHex, 32), KindHexSecret},
		{strings.ToUpper(fake(lowerHex, 64)), KindHexSecret},
		{fake(alnum+"+/", 44), KindBase64Secret},
		{fake(alnum+"-_", 43), KindBase64Secret},
		{fake(lowerHex, 31), ""},
		{strings.Repeat("ab", 20), ""},
		{strings.Repeat("1", 40), ""},
		{"abcdefabcdefabcdefabcdefabcdefabcdefab", ""}, // no digit
		{"this-is-not-a-secret-but-a-long-name", ""},
		{fake(alnum, 40) + "===", ""}, // too much padding
	} {
		if got := highEntropyKind(tt.v); got != tt.kind {
			t.Errorf("highEntropyKind(%q) = %q, want %q", tt.v, got, tt.kind)
		}
	}
}

// FuzzScan checks that Scan and Classify accept any bytes and that every
// match points into the file.
func FuzzScan(f *testing.F) {
	f.Add("values.yaml", []byte("keys:\n- \"abc\n  password: |\n"))
	f.Add("k.json", []byte(`{"private_key": "-----BEGIN PRIVATE KEY-----\n`))
	f.Add("x", []byte("\x00GITCRYPT\x00\xff\xfe"))
	f.Add("x", []byte("sops:\n  mac: [\n"))
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		Classify(data)
		lines := strings.Split(string(data), "\n")
		for _, m := range Scan(path, data) {
			if m.Line < 1 || m.Line > len(lines) || m.Col < 1 || m.Col > len(lines[m.Line-1]) {
				t.Fatalf("match %+v outside the file", m)
			}
		}
	})
}
