package upgrade

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

func tree(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return values.Plain(m).(map[string]any)
}

func TestJupyterHub(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		changes        []string
	}{
		{"nothing", "hub: {baseUrl: /}", "hub: {baseUrl: /}", nil},
		{"cloudMetadata inverted", "singleuser: {cloudMetadata: {enabled: true}}",
			"singleuser: {cloudMetadata: {blockWithIptables: false}}",
			[]string{"singleuser.cloudMetadata.enabled -> singleuser.cloudMetadata.blockWithIptables"}},
		{"cloudMetadata not a boolean", "singleuser: {cloudMetadata: {enabled: yes please}}",
			"singleuser: {cloudMetadata: {enabled: yes please}}",
			[]string{"singleuser.cloudMetadata.enabled: not a boolean: chart 1.0.0 replaced it by singleuser.cloudMetadata.blockWithIptables, the opposite"}},
		{"moves", "proxy: {nodeSelector: {a: b}, secretToken: x}\nrbac: {enabled: false}\nhub: {fsGid: 100, uid: 1000, imagePullSecret: {enabled: true}}",
			"proxy: {chp: {nodeSelector: {a: b}}, secretToken: x}\nrbac: {create: false}\nhub: {podSecurityContext: {fsGroup: 100}, containerSecurityContext: {runAsUser: 1000}}\nimagePullSecret: {enabled: true}",
			[]string{"hub.imagePullSecret -> imagePullSecret", "proxy.nodeSelector -> proxy.chp.nodeSelector", "rbac.enabled -> rbac.create",
				"hub.fsGid -> hub.podSecurityContext.fsGroup", "hub.uid -> hub.containerSecurityContext.runAsUser"}},
		{"two image pull secrets conflict", "hub: {imagePullSecret: {a: 1}}\nsingleuser: {imagePullSecret: {b: 2}}",
			"imagePullSecret: {a: 1}\nsingleuser: {imagePullSecret: {b: 2}}",
			[]string{"hub.imagePullSecret -> imagePullSecret", "singleuser.imagePullSecret: chart 0.10.0 moved it to imagePullSecret, which the values set too"}},
		{"extraConfigMap merged into custom", "hub: {extraConfigMap: {a: 1, b: 2}}\ncustom: {b: 3}",
			"hub: {extraConfigMap: {b: 2}}\ncustom: {a: 1, b: 3}",
			[]string{"hub.extraConfigMap.a -> custom.a", "hub.extraConfigMap.b: chart 0.8.0 moved it to custom.b, which the values set too"}},
		{"auth github", "auth: {type: github, github: {clientId: i, orgWhitelist: [o]}, admin: {access: true, users: [u]}, state: {enabled: true}}",
			"hub: {config: {JupyterHub: {authenticator_class: github}, GitHubOAuthenticator: {client_id: i, allowed_organizations: [o]}, Authenticator: {admin_users: [u]}}}",
			[]string{"auth.admin.access: dropped (no effect in chart 2.0.0: JupyterHub 2+ admins have access by their role)",
				"auth.admin.users -> hub.config.Authenticator.admin_users",
				"auth.github.clientId -> hub.config.GitHubOAuthenticator.client_id",
				"auth.github.orgWhitelist -> hub.config.GitHubOAuthenticator.allowed_organizations",
				"auth.state: removed from the jupyterhub chart (1.0.0), no successor",
				"auth.type -> hub.config.JupyterHub.authenticator_class"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jh := tree(t, tc.in)
			var got []string
			for _, c := range JupyterHub(jh) {
				got = append(got, c.String())
			}
			if !slices.Equal(got, tc.changes) {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.changes, "\n"))
			}
			g, _ := json.Marshal(jh)
			w, _ := json.Marshal(tree(t, tc.want))
			if string(g) != string(w) {
				t.Errorf("values %s, want %s", g, w)
			}
		})
	}
}

// TestTable: every rule names its chart version, and no key moves twice.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Table {
		if r.Chart == "" || r.Old == "" || (r.New == "" && r.Why == "") {
			t.Errorf("%+v: a rule needs the old key, the chart version and a successor or a reason", r)
		}
		if seen[r.Old] {
			t.Errorf("%s: twice in the table", r.Old)
		}
		seen[r.Old] = true
	}
}
