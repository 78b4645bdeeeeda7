package hubimport

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	loader "github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// TestImportUpgrade imports each reference hub with Upgrade, generates it
// and validates each environment's merged values against the current
// jupyterhub and dask-gateway charts' schemas (../shared/upstream).
func TestImportUpgrade(t *testing.T) {
	for _, tc := range []struct {
		ref, name string
		upgrades  int
		oauth2    bool
	}{
		{"2019-08/deployments/ocean", "ocean", 1, false},
		{"2024-02/deployments/gcp-uscentral1b", "gcp-uscentral1b", 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := referenceHub(t, tc.ref)
			root := t.TempDir()
			repo, err := loader.FindRoot(".")
			if err != nil {
				t.Fatal(err)
			}
			copyTree(t, filepath.Join(repo, "cue.mod"), filepath.Join(root, "cue.mod"))
			copyTree(t, filepath.Join(repo, "schema"), filepath.Join(root, "schema"))
			copyTree(t, filepath.Join(repo, "hubs"), filepath.Join(root, "hubs"))
			entries, _ := os.ReadDir(filepath.Join(root, "hubs"))
			for _, d := range entries {
				if d.Name() != "hubs.cue" {
					os.Remove(filepath.Join(root, "hubs", d.Name()))
				}
			}
			old := filepath.Join(root, "old", tc.name)
			copyTree(t, src, old)
			e, err := hubfile.Open(root)
			if err != nil {
				t.Fatal(err)
			}
			schema, err := os.ReadFile(shareddata.Path(t, "upstream/charts/jupyterhub-4.4.0/values.schema.json"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(e, Options{Dir: old, Name: tc.name, Command: "pangeo-gen import --upgrade", Upgrade: true, JupyterHubSchema: schema})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range res.Upgrades {
				t.Logf("upgrade: %s", u)
			}
			for _, l := range res.Losses {
				t.Logf("loss: %s", l)
			}
			if len(res.Upgrades) != tc.upgrades {
				t.Errorf("%d upgrades, want %d", len(res.Upgrades), tc.upgrades)
			}
			if err := os.WriteFile(filepath.Join(root, res.Path), res.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			fed, err := loader.Load(root)
			if err != nil {
				t.Fatalf("load: %v\n%s", err, res.Data)
			}
			out, err := gen.GenerateHub(fed.Hub(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if a := out.Hub.Auth; tc.oauth2 && (a.OAuth2 == nil || a.OAuth2.AuthorizeURL != "https://pangeo.auth0.com/authorize" || len(a.Admins) != 4) {
				t.Errorf("auth not lifted to auth.oauth2 with 4 admins: %+v", a)
			}
			for _, env := range []string{"staging", "prod"} {
				// The upgraded values (except the losses) keep their value.
				merged := out.Values.Merged(env)
				full := values.Apply(res.Original["common"], res.Original[env])
				var walk func(path []string, v any)
				walk = func(path []string, v any) {
					if m, ok := v.(map[string]any); ok && len(m) > 0 {
						for k, x := range m {
							walk(append(slices.Clone(path), k), x)
						}
						return
					}
					key := strings.Join(path, ".")
					// The old umbrella chart's own homeDirectories are outside the wrapper.
					if res.Wrapper != "" && path[0] != "homeDirectories" {
						key = res.Wrapper + "." + key
					}
					for _, l := range slices.Concat(res.Losses, res.Normalized) {
						if key == l.Key || strings.HasPrefix(key, l.Key+".") {
							return
						}
					}
					if have, ok := values.Get(merged, path...); !ok || !gen.Keeps(path[len(path)-1], have, v) {
						t.Errorf("%s: %s: generated %s, was %s", env, strings.Join(path, "."), hubfile.ShowJSON(have), hubfile.ShowJSON(v))
					}
				}
				walk(nil, full)
				for _, err := range upstreamErrors(t, out.Values.Merged(env)) {
					t.Errorf("%s: values do not validate: %v", env, err)
				}
			}
		})
	}
}

// TestUpgradeGitHubAuth: the old auth.github with organisations becomes
// hub.config.GitHubOAuthenticator, then the typed auth.github.
func TestUpgradeGitHubAuth(t *testing.T) {
	vals := map[string]any{"jupyterhub": map[string]any{"auth": map[string]any{
		"type":      "github",
		"github":    map[string]any{"clientId": "x", "orgWhitelist": []any{"pangeo-data", "pangeo-data:ops"}},
		"admin":     map[string]any{"users": []any{"alice"}},
		"whitelist": map[string]any{"users": []any{"bob"}},
	}}}
	im := &importer{o: Options{}, res: &Result{}}
	im.upgradeValues("config/common.yaml", vals)
	var got []string
	for _, u := range im.res.Upgrades {
		got = append(got, u.String())
	}
	want := []string{
		"config/common.yaml: jupyterhub.auth.admin.users -> jupyterhub.hub.config.Authenticator.admin_users",
		"config/common.yaml: jupyterhub.auth.github.clientId -> jupyterhub.hub.config.GitHubOAuthenticator.client_id",
		"config/common.yaml: jupyterhub.auth.github.orgWhitelist -> jupyterhub.hub.config.GitHubOAuthenticator.allowed_organizations",
		"config/common.yaml: jupyterhub.auth.type -> jupyterhub.hub.config.JupyterHub.authenticator_class",
		"config/common.yaml: jupyterhub.auth.whitelist -> jupyterhub.hub.config.Authenticator.allowed_users",
	}
	if !slices.Equal(got, want) || len(im.res.Losses) > 0 {
		t.Fatalf("upgrades:\n%s\nwant:\n%s\nlosses: %v", strings.Join(got, "\n"), strings.Join(want, "\n"), im.res.Losses)
	}
	want2 := `{"jupyterhub":{"hub":{"config":{"Authenticator":{"admin_users":["alice"],"allowed_users":["bob"]},"GitHubOAuthenticator":{"allowed_organizations":["pangeo-data","pangeo-data:ops"],"client_id":"x"},"JupyterHub":{"authenticator_class":"github"}}}}}`
	if hubfile.ShowJSON(vals) != want2 {
		t.Fatalf("values %s, want %s", hubfile.ShowJSON(vals), want2)
	}
	root, err := loader.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	e, err := hubfile.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	im.e = e
	im.raw = map[string]map[string]any{"common": vals}
	auth := im.liftAuth()
	if auth == nil {
		t.Fatal("auth not lifted")
	}
	data, err := (&hubfile.File{Name: "x", Body: func() *hubfile.Object { o := &hubfile.Object{}; o.Set("auth", auth); return o }()}).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`orgs: ["pangeo-data"]`, `teams: ["pangeo-data:ops"]`, `admins: ["alice"]`, `allowedUsers: ["bob"]`} {
		if !strings.Contains(string(data), s) {
			t.Errorf("no %s in\n%s", s, data)
		}
	}
	if left := hubfile.ShowJSON(vals); left != `{"jupyterhub":{"hub":{"config":{"GitHubOAuthenticator":{"client_id":"x"}}}}}` {
		t.Errorf("raw values left: %s", left)
	}
}
