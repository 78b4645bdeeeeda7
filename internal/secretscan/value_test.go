package secretscan

import "testing"

func TestValue(t *testing.T) {
	hex64 := fake(lowerHex, 64)
	ghp := "ghp_" + fake(alnum, 36)
	b64 := fake(alnum+"+/", 43) + "="
	for _, tt := range []struct {
		name, key, v, want string
	}{
		{"proxy token", "secretToken", hex64, KindHexSecret},
		{"cookie secret", "cookieSecret", hex64, KindHexSecret},
		{"oauth client secret", "client_secret", b64, KindBase64Secret},
		{"token under any key", "value", ghp, KindGitHubToken},
		{"python snippet", "customAuth", "c.GitHubOAuthenticator.client_secret = \"" + hex64 + "\"\n", KindHexSecret},
		{"pem key", "key", "-----BEGIN PRIVATE KEY-----\n" + pemBody(3, "", "\n") + "-----END PRIVATE KEY-----\n", KindPEMPrivateKey},
		{"hex under a plain key", "image", hex64, ""},
		{"placeholder", "secretToken", "CHANGEME: openssl rand -hex 32", ""},
		{"short", "secretToken", "abc123", ""},
		{"domain", "hosts", "staging.ocean.pangeo.io", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Value(tt.key, tt.v); got != tt.want {
				t.Errorf("Value(%q, …) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
