package secrets

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
)

func TestMissing(t *testing.T) {
	all := []string{"jupyterhub.hub.config.CryptKeeper.keys", "jupyterhub.hub.cookieSecret", "jupyterhub.proxy.secretToken"}
	for _, tc := range []struct {
		name   string
		prefix []string
		vals   map[string]any
		want   []string
	}{
		{"nothing set", []string{"jupyterhub"}, nil, all},
		{"every secret set", []string{"jupyterhub"}, map[string]any{"jupyterhub": map[string]any{
			"proxy": map[string]any{"secretToken": "t"},
			"hub": map[string]any{"cookieSecret": "c", "config": map[string]any{"CryptKeeper": map[string]any{"keys": []any{"k"}}},
				"services": map[string]any{"dask-gateway": map[string]any{"apiToken": "a"}, "other": map[string]any{"api_token": "b"}}},
		}}, nil},
		{"set through hub.config", []string{"jupyterhub"}, map[string]any{"jupyterhub": map[string]any{
			"hub": map[string]any{"config": map[string]any{
				"ConfigurableHTTPProxy": map[string]any{"auth_token": "t"},
				"JupyterHub":            map[string]any{"cookie_secret": "c"},
				"CryptKeeper":           map[string]any{"keys": []any{"k"}},
			}},
		}}, nil},
		{"empty values are unset", []string{"jupyterhub"}, map[string]any{"jupyterhub": map[string]any{
			"proxy": map[string]any{"secretToken": ""},
			"hub":   map[string]any{"cookieSecret": nil, "config": map[string]any{"CryptKeeper": map[string]any{"keys": []any{}}}},
		}}, all},
		{"services without a token", []string{"jupyterhub"}, map[string]any{"jupyterhub": map[string]any{
			"proxy": map[string]any{"secretToken": "t"},
			"hub": map[string]any{"cookieSecret": "c", "config": map[string]any{"CryptKeeper": map[string]any{"keys": []any{"k"}}},
				"services": map[string]any{"dask-gateway": map[string]any{"display": false}, "b": map[string]any{}, "deleted": nil}},
		}}, []string{"jupyterhub.hub.services.b.apiToken", "jupyterhub.hub.services.dask-gateway.apiToken"}},
		{"the jupyterhub chart itself", nil, map[string]any{"proxy": map[string]any{"secretToken": "t"}},
			[]string{"hub.config.CryptKeeper.keys", "hub.cookieSecret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, g := range Missing(tc.prefix, tc.vals) {
				got = append(got, g.String())
				want := gen.StubRandom
				if strings.Contains(g.String(), "dask-gateway") {
					want = gen.StubShared
				}
				if g.Stub != want {
					t.Errorf("%s: stub %q, want %q", g, g.Stub, want)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Missing = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCover: every missing value gets the placeholder a stub would get at
// its path, the same on every call; what is set stays.
func TestCover(t *testing.T) {
	sec := map[string]any{"jupyterhub": map[string]any{"proxy": map[string]any{"secretToken": "t"}}}
	missing := Missing([]string{"jupyterhub"}, map[string]any{"jupyterhub": map[string]any{
		"proxy": map[string]any{"secretToken": "t"},
		"hub":   map[string]any{"services": map[string]any{"dask-gateway": map[string]any{}}},
	}})
	got := Cover(sec, missing, "bravo", "staging")
	if !reflect.DeepEqual(got, Cover(sec, missing, "bravo", "staging")) {
		t.Error("Cover differs between calls")
	}
	stub := Placeholders(map[string]any{"jupyterhub": map[string]any{
		"proxy": map[string]any{"secretToken": "t"},
		"hub": map[string]any{
			"cookieSecret": gen.StubRandom,
			"config":       map[string]any{"CryptKeeper": map[string]any{"keys": []any{gen.StubRandom}}},
			"services":     map[string]any{"dask-gateway": map[string]any{"apiToken": gen.StubShared}},
		},
	}}, "bravo", "staging")
	if !reflect.DeepEqual(got, stub) {
		t.Errorf("Cover = %v, want the stub's placeholders %v", got, stub)
	}
	if len(sec["jupyterhub"].(map[string]any)) != 1 {
		t.Error("Cover changed its argument")
	}
}
