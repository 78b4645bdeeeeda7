package secrets

import (
	"maps"
	"slices"
	"strings"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Generated is a value the jupyterhub chart makes up at random when the
// values lack it: its secret and the checksums of the hub and proxy pods
// then change on every render, so every deploy would rotate it and
// restart the hub.
type Generated struct {
	// Path is where to set it, in the values of the chart whose
	// jupyterhub values Missing was given (jupyterhub.proxy.secretToken).
	Path []string
	// Stub is its value in a secret stub: how to make it (gen.StubRandom,
	// or gen.StubShared for the dask-gateway service's token).
	Stub string
}

// String is the dotted path.
func (g Generated) String() string { return strings.Join(g.Path, ".") }

// Missing returns what the jupyterhub chart (4.4.0: its
// templates/hub/_helpers-passwords.tpl, without a cluster to look its old
// Secret up in) would generate for vals, the values it sees: its defaults
// with the user's values merged over them (values.Merge), under prefix
// (["jupyterhub"] in an umbrella chart such as pangeo-deploy or daskhub;
// empty for the jupyterhub chart itself). In path order:
//
//   - the proxy's auth token, unless proxy.secretToken or
//     hub.config.ConfigurableHTTPProxy.auth_token is set: proxy.secretToken;
//   - the cookie secret, unless hub.cookieSecret or
//     hub.config.JupyterHub.cookie_secret is set: hub.cookieSecret;
//   - the CryptKeeper key, unless hub.config.CryptKeeper.keys is set:
//     hub.config.CryptKeeper.keys;
//   - for every service of hub.services (the daskhub chart declares
//     dask-gateway's whatever the Dask backend) without apiToken or
//     api_token: hub.services.<name>.apiToken.
//
// "Set" is as a template's if sees it: not null, empty or zero.
func Missing(prefix []string, vals map[string]any) []Generated {
	// Keep MissingReads in step with the paths read here.
	at := func(path ...string) any { return values.Lookup(vals, append(slices.Clone(prefix), path...)...) }
	set := func(paths ...[]string) bool {
		for _, p := range paths {
			if truthy(at(p...)) {
				return true
			}
		}
		return false
	}
	slot := func(stub string, path ...string) Generated {
		return Generated{Path: append(slices.Clone(prefix), path...), Stub: stub}
	}
	var out []Generated
	if !set([]string{"proxy", "secretToken"}, []string{"hub", "config", "ConfigurableHTTPProxy", "auth_token"}) {
		out = append(out, slot(gen.StubRandom, "proxy", "secretToken"))
	}
	if !set([]string{"hub", "cookieSecret"}, []string{"hub", "config", "JupyterHub", "cookie_secret"}) {
		out = append(out, slot(gen.StubRandom, "hub", "cookieSecret"))
	}
	if !set([]string{"hub", "config", "CryptKeeper", "keys"}) {
		out = append(out, slot(gen.StubRandom, "hub", "config", "CryptKeeper", "keys"))
	}
	if services, ok := at("hub", "services").(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(services)) {
			if services[name] == nil {
				continue // deleted by a null
			}
			if set([]string{"hub", "services", name, "apiToken"}, []string{"hub", "services", name, "api_token"}) {
				continue
			}
			stub := gen.StubRandom
			if name == "dask-gateway" {
				stub = gen.StubShared
			}
			out = append(out, slot(stub, "hub", "services", name, "apiToken"))
		}
	}
	slices.SortFunc(out, func(a, b Generated) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// MissingReads are the entries of the jupyterhub chart's values (below
// Missing's prefix) that Missing reads: what it decides depends on
// nothing else of the values.
var MissingReads = []string{"hub", "proxy"}

// Cover returns sec, secret values of hub's env, with a placeholder
// (Placeholders) at every path of missing: the values that make the
// charts' output the same on every render. sec is not modified.
func Cover(sec map[string]any, missing []Generated, hub, env string) map[string]any {
	if len(missing) == 0 {
		return sec
	}
	stub := map[string]any{}
	for _, g := range missing {
		var v any = g.Stub
		if g.Path[len(g.Path)-1] == "keys" {
			v = []any{g.Stub} // CryptKeeper.keys is a list
		}
		values.Set(stub, g.Path, v)
	}
	return values.Merge(sec, Placeholders(stub, hub, env))
}

// truthy is whether a Go template's if takes v as true.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case bool:
		return v
	case map[string]any:
		return len(v) > 0
	case []any:
		return len(v) > 0
	case int:
		return v != 0
	case int64:
		return v != 0
	case float64:
		return v != 0
	}
	return true
}
