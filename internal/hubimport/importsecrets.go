package hubimport

import (
	"maps"
	"slices"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
)

// Secret is a plaintext secret import found in an old config file and left
// out of the hub's file. It never carries the secret itself.
type Secret struct {
	// File is relative to the old hub's folder (config/common.yaml).
	File string
	// Key is the key path as the old file wrote it (with the wrapper; the
	// old key when --upgrade moved it).
	Key string
	// Path is where the value goes in the hub's secrets files, in the
	// daskhub layout the generated values use.
	Path string
	// Kind says why it is a secret (a secretscan kind, or KindSecretKey).
	Kind string
	// Into are the secrets files to move it into, relative to the
	// repository root: both environments' for config/common.yaml.
	Into []string
}

// KindSecretKey is a Secret found by its key: a key the charts read a
// secret from (secretToken, cookieSecret, client_secret, apiToken,
// password, CryptKeeper keys), whatever the value looks like.
const KindSecretKey = "value of a secret key"

// String is the secret as import reports it: where it was, where it goes.
func (s Secret) String() string {
	into := strings.Join(s.Into, " and ")
	return s.File + ": " + s.Key + ": plaintext secret left out; move it into " + into + " as " + s.Path
}

// chartSecretKeys are the keys, lower case without '_', '-' and '.', the
// jupyterhub and dask-gateway charts read secrets from (gen's secret stubs
// hold them, and the old chart's auth: names).
var chartSecretKeys = []string{"secrettoken", "cookiesecret", "clientsecret", "apitoken", "proxytoken", "authtoken", "password"}

func normalizedKey(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.':
			return -1
		}
		return r
	}, strings.ToLower(k))
}

// secretKind says whether v, the value at path of a values file, is a
// plaintext secret: secretscan's rules for a value of its key, or a
// non-empty value (not a placeholder) at a key the charts read a secret
// from. "" when it is not.
func secretKind(path []string, v string) string {
	key := ""
	if len(path) > 0 {
		key = path[len(path)-1]
	}
	if k := secretscan.Value(key, v); k != "" {
		return k
	}
	if strings.TrimSpace(v) == "" || secretscan.IsPlaceholder(v) {
		return ""
	}
	n := normalizedKey(key)
	if slices.Contains(chartSecretKeys, n) ||
		n == "keys" && len(path) > 1 && normalizedKey(path[len(path)-2]) == "cryptkeeper" {
		return KindSecretKey
	}
	return ""
}

// holdsSecret is the kind of the first plaintext secret in v, the value at
// path (a list's items count as values of the list's key), or "".
func holdsSecret(path []string, v any) string {
	switch x := v.(type) {
	case string:
		return secretKind(path, x)
	case []any:
		for _, it := range x {
			if k := holdsSecret(path, it); k != "" {
				return k
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if kind := holdsSecret(append(slices.Clone(path), k), x[k]); kind != "" {
				return kind
			}
		}
	}
	return ""
}

// leaveOutSecrets removes, in place, every plaintext secret of env's
// unwrapped values (after --upgrade), recording each as a Secret. A list
// that holds one is removed whole: Helm replaces lists, so the secrets
// file must hold all of it.
func (im *importer) leaveOutSecrets(env string, vals map[string]any) {
	file := "config/" + env + ".yaml"
	into := []string{"deployments/" + im.o.Name + "/secrets/" + env + ".yaml"}
	if env == "common" {
		into = []string{"deployments/" + im.o.Name + "/secrets/staging.yaml", "deployments/" + im.o.Name + "/secrets/prod.yaml"}
	}
	var walk func(path []string, m map[string]any)
	walk = func(path []string, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			p := append(slices.Clone(path), k)
			if sub, ok := m[k].(map[string]any); ok {
				if len(sub) > 0 {
					walk(p, sub)
					if len(sub) == 0 { // it held secrets only
						delete(m, k)
					}
				}
				continue
			}
			kind := holdsSecret(p, m[k])
			if kind == "" {
				continue
			}
			delete(m, k)
			dotted := strings.Join(p, ".")
			key := im.keyOf(p)
			for _, u := range im.res.Upgrades {
				if u.File == file && u.New == dotted {
					key = u.Old
				}
			}
			im.res.Secrets = append(im.res.Secrets, Secret{File: file, Key: key, Path: dotted, Kind: kind, Into: into})
		}
	}
	walk(nil, vals)
}

// sortSecrets orders secrets by file, then key.
func sortSecrets(ss []Secret) {
	slices.SortStableFunc(ss, func(a, b Secret) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}
