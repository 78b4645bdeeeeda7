package secretscan

import "testing"

// sopsYAMLFile is deployments/<hub>/secrets/prod.yaml as sops 3.10 writes it
// for an age recipient.
const sopsYAMLFile = `jupyterhub:
    hub:
        config:
            GitHubOAuthenticator:
                client_id: ENC[AES256_GCM,data:v9d4TiXVP1A0E6ZNknbqL6l80C8=,iv:HuNOkap94IXBvZcjAWU/2J5gdP6m1/R4VsW060gIONw=,tag:22q5PBB9N9tB8Ii4vXciTA==,type:str]
                client_secret: ENC[AES256_GCM,data:sqezoIJL0r1svt6QvTDLnuHBfOFs8KzDymLt8BK+LlC+WmOq5W3gZiQ07GIeASxg9z2tZ+TlLXhntQdpsw4FyQ==,iv:MYVX6+FCB9rA/trFbqBLZ+VoVZEX+7BE4gxQgsluquw=,tag:IMj0RJvr9Uxo63yvjrVJ8g==,type:str]
        cookieSecret: ENC[AES256_GCM,data:209rv7YMc1tTlQV1zS5kg8Mn4p5UWnKoMg0GulQQK1P1zHmtDLf5L+50gkpI/XjnQ8QORmiAvXjwwb0jin47ZQ==,iv:W0Lwa7HxHYtzpBZIEPhH/a8ItQZ6k/nTy9fmpc+lh0I=,tag:HGMwDWwYvq11Iccnpqut5A==,type:str]
    proxy:
        secretToken: ENC[AES256_GCM,data:0zN3UJWCpsebdfP9g7mg5JmbNoDPxo4PvX4LvPPm8HIqEd4mdW82TRqH76gxpIs13D3ny+dS436wDC0pRKwb9g==,iv:ZS2v8cqMAFU+ahDwEs00rZKBUqswDcAg8PqNpg966do=,tag:0/7ygXUayygtEZrZ+Gh07A==,type:str]
sops:
    kms: []
    gcp_kms: []
    azure_kv: []
    hc_vault: []
    age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBnb2tlcGpOSUVpQWdlZi9x
            dFd3WGdyc0xOUE9BTzhGclgzUEp0U0dwSitjPQo4NkJzVThiSWJqYVdFNkRUcno0
            MjlIMXFvdW1ZSkNCdm5PMWt5N05uTlRJPQpUdjhvL1ZpTjhjTEd5UTE0ZHd1RnVY
            NUorNUVxVnppVVVvZEVvVks3dlZrPQpEMjg5Mm9ReUwwOTZWUCtPN3VoVWJsVito
            +W9k4+dOK/oxWWewx+eMBfqjgw4uGkMAKr26IjbP4c4=
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2025-11-20T10:42:17Z"
    mac: ENC[AES256_GCM,data:ttIBxZwdvFjxN662sQ18WuEhOqm4RMaapPEuWpss4mXh+kuflxKnr7mDyY/jwZsPbbiL0/AexowczbsBIJOgDQ==,iv:jdSEA3etn5f4vq9FISzyf7OdlED65jjnognscHi3aFs=,tag:ih3H5/Bu85mh0SzBRFxWdw==,type:str]
    pgp: []
    unencrypted_suffix: _unencrypted
    version: 3.10.2
`

// sopsJSONFile is a sops-encrypted JSON file, indented with tabs.
const sopsJSONFile = "{\n\t\"apiToken\": \"ENC[AES256_GCM,data:v9d4TiXVP1A0E6ZNknbqL6l80C8=,iv:HuNOkap94IXBvZcjAWU/2J5gdP6m1/R4VsW060gIONw=,tag:22q5PBB9N9tB8Ii4vXciTA==,type:str]\",\n" +
	"\t\"sops\": {\n\t\t\"kms\": null,\n\t\t\"lastmodified\": \"2025-11-20T10:42:17Z\",\n" +
	"\t\t\"mac\": \"ENC[AES256_GCM,data:ttIBxZwdvFjxN662sQ18WuEhOqm4RMaapPEuWpss4mXh+kuflxKnr7mDyY/jwZsPbbiL0/AexowczbsBIJOgDQ==,iv:jdSEA3etn5f4vq9FISzyf7OdlED65jjnognscHi3aFs=,tag:ih3H5/Bu85mh0SzBRFxWdw==,type:str]\",\n" +
	"\t\t\"version\": \"3.10.2\"\n\t}\n}\n"

// sopsDotenvFile is a sops-encrypted dotenv file: metadata as sops_ keys.
const sopsDotenvFile = `GITHUB_CLIENT_SECRET=ENC[AES256_GCM,data:sqezoIJL0r1svt6QvTDLnuHBfOFs8KzDymLt8BK+LlC+WmOq5W3gZiQ07GIeASxg9z2tZ+TlLXhntQdpsw4FyQ==,iv:MYVX6+FCB9rA/trFbqBLZ+VoVZEX+7BE4gxQgsluquw=,tag:IMj0RJvr9Uxo63yvjrVJ8g==,type:str]
sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBnb2tlcGpOSUVpQWdlZi9x\n+W9k4+dOK/oxWWewx+eMBfqjgw4uGkMAKr26IjbP4c4=\n-----END AGE ENCRYPTED FILE-----\n
sops_age__list_0__map_recipient=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
sops_lastmodified=2025-11-20T10:42:17Z
sops_mac=ENC[AES256_GCM,data:ttIBxZwdvFjxN662sQ18WuEhOqm4RMaapPEuWpss4mXh+kuflxKnr7mDyY/jwZsPbbiL0/AexowczbsBIJOgDQ==,iv:jdSEA3etn5f4vq9FISzyf7OdlED65jjnognscHi3aFs=,tag:ih3H5/Bu85mh0SzBRFxWdw==,type:str]
sops_unencrypted_suffix=_unencrypted
sops_version=3.10.2
`

// sopsINIFile is a sops-encrypted INI file: metadata in a [sops] section.
const sopsINIFile = `[default]
aws_secret_access_key = ENC[AES256_GCM,data:0zN3UJWCpsebdfP9g7mg5JmbNoDPxo4PvX4LvPPm8HI=,iv:ZS2v8cqMAFU+ahDwEs00rZKBUqswDcAg8PqNpg966do=,tag:0/7ygXUayygtEZrZ+Gh07A==,type:str]

[sops]
age__list_0__map_recipient = age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
lastmodified               = 2025-11-20T10:42:17Z
mac                        = ENC[AES256_GCM,data:ttIBxZwdvFjxN662sQ18WuEhOqm4RMaapPEuWpss4mXh+kuflxKnr7mDyY/jwZsPbbiL0/AexowczbsBIJOgDQ==,iv:jdSEA3etn5f4vq9FISzyf7OdlED65jjnognscHi3aFs=,tag:ih3H5/Bu85mh0SzBRFxWdw==,type:str]
version                    = 3.10.2
`

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name string
		data string
		want Encryption
	}{
		{"git-crypt", "\x00GITCRYPT\x00\x9c\x1f\x8b\x00\x42\xfe\x07sops mac", GitCrypt},
		{"git-crypt header only", "\x00GITCRYPT\x00", GitCrypt},
		{"sops YAML", sopsYAMLFile, Sops},
		{"sops YAML, second document", "a: 1\n---\nb: ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]\nsops:\n  lastmodified: \"2025-11-20T10:42:17Z\"\n", Sops},
		{"sops JSON", sopsJSONFile, Sops},
		{"sops JSON, one line", `{"data":"ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]","sops":{"mac":"ENC[AES256_GCM,data:DDDD,iv:EEEE,tag:FFFF,type:str]"}}`, Sops},
		{"sops dotenv", sopsDotenvFile, Sops},
		{"sops INI", sopsINIFile, Sops},
		{"plain YAML", "jupyterhub:\n  proxy:\n    secretToken: CHANGEME\n", Plaintext},
		{"plain YAML mentioning sops and mac", "# encrypt with sops before committing; mac is checked\nproxy:\n  secretToken: CHANGEME\n", Plaintext},
		{"sops key that is not a map", "sops: enabled\nmac: yes\n", Plaintext},
		{"nested sops map", "config:\n  sops:\n    mac: x\n", Plaintext},
		{"sops map without mac", "sops:\n  version: 3.10.2\n", Plaintext},
		{".sops.yaml rules", "creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n    mac_only_encrypted: true\n", Plaintext},
		{"dotenv", "SOPS_AGE_KEY_FILE=keys.txt\nMAC=1\n", Plaintext},
		{"INI without sops section", "[default]\nmac = 1\nsops = 2\n", Plaintext},
		{"a file quoting sops INI", "const f = `\n[sops]\nmac = ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]\n`\n", Plaintext},
		{"a file quoting sops dotenv", "Encrypted files end with lines such as\nsops_mac=ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]\n", Plaintext},
		{"invalid YAML", "sops: [mac\n", Plaintext},
		{"GITCRYPT not at the start", "x\x00GITCRYPT\x00", Plaintext},
		{"empty", "", Plaintext},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify([]byte(tt.data)); got != tt.want {
				t.Errorf("Classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEncryptionString(t *testing.T) {
	for e, want := range map[Encryption]string{Plaintext: "plaintext", GitCrypt: "git-crypt", Sops: "sops", 7: "Encryption(?)"} {
		if got := e.String(); got != want {
			t.Errorf("Encryption(%d).String() = %q, want %q", int(e), got, want)
		}
	}
}
