package upgrade

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
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

// checkChanges: changes (their String) are want, and jh, where they were
// made, is the tree of YAML wantTree.
func checkChanges(t *testing.T, jh map[string]any, changes []Change, want []string, wantTree string) {
	t.Helper()
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	g, _ := json.Marshal(jh)
	w, _ := json.Marshal(tree(t, wantTree))
	if string(g) != string(w) {
		t.Errorf("values %s, want %s", g, w)
	}
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
		{"moves", "proxy: {nodeSelector: {a: b}, secretToken: x}\nrbac: {enabled: true}\nhub: {fsGid: 100, uid: 1000, imagePullSecret: {enabled: true}}",
			"proxy: {chp: {nodeSelector: {a: b}}, secretToken: x}\nrbac: {create: true}\nhub: {podSecurityContext: {fsGroup: 100}, containerSecurityContext: {runAsUser: 1000}}\nimagePullSecret: {enabled: true}",
			[]string{"hub.imagePullSecret -> imagePullSecret", "proxy.nodeSelector -> proxy.chp.nodeSelector",
				"hub.uid -> hub.containerSecurityContext.runAsUser", "rbac.enabled -> rbac.create", "hub.fsGid -> hub.podSecurityContext.fsGroup"}},
		{"two image pull secrets conflict", "hub: {imagePullSecret: {a: 1}}\nsingleuser: {imagePullSecret: {b: 2}}",
			"imagePullSecret: {a: 1}\nsingleuser: {imagePullSecret: {b: 2}}",
			[]string{"hub.imagePullSecret -> imagePullSecret", "singleuser.imagePullSecret: chart 0.10.0 moved it to imagePullSecret, which the values set too"}},
		{"extraConfigMap merged into custom", "hub: {extraConfigMap: {a: 1, b: 2}}\ncustom: {b: 3}",
			"hub: {extraConfigMap: {b: 2}}\ncustom: {a: 1, b: 3}",
			[]string{"hub.extraConfigMap.a -> custom.a", "hub.extraConfigMap.b: chart 1.0.0 moved it to custom.b, which the values set too"}},
		{"0.10 proxy keys", "proxy: {networkPolicy: {enabled: true}, containerSecurityContext: {runAsUser: 1}, pdb: {enabled: false}}",
			"proxy: {chp: {networkPolicy: {enabled: true}, containerSecurityContext: {runAsUser: 1}, pdb: {enabled: false}}}",
			[]string{"proxy.networkPolicy -> proxy.chp.networkPolicy", "proxy.containerSecurityContext -> proxy.chp.containerSecurityContext",
				"proxy.pdb -> proxy.chp.pdb"}},
		{"rbac disabled turns off the service accounts", "rbac: {enabled: false}\nhub: {serviceAccount: {create: true}}",
			"rbac: {create: false}\nhub: {serviceAccount: {create: true}}\nproxy: {traefik: {serviceAccount: {create: false}}}\nscheduling: {userScheduler: {serviceAccount: {create: false}}}\nprePuller: {hook: {serviceAccount: {create: false}}}",
			[]string{"rbac.enabled -> rbac.create", "rbac.enabled -> proxy.traefik.serviceAccount.create",
				"rbac.enabled -> scheduling.userScheduler.serviceAccount.create", "rbac.enabled -> prePuller.hook.serviceAccount.create"}},
		{"removed without successor stays", "scheduling: {userScheduler: {policy: {a: 1}}}\nhub: {publicURL: x}",
			"scheduling: {userScheduler: {policy: {a: 1}}}\nhub: {publicURL: x}",
			[]string{"scheduling.userScheduler.policy: the kube-scheduler policy: removed from the jupyterhub chart (1.0.0), which configures scheduling.userScheduler.plugins instead (another format)",
				"hub.publicURL: removed from the jupyterhub chart (1.0.0), no successor among its values"}},
		{"0.8 github org_whitelist", "auth: {type: github, github: {org_whitelist: [o]}}",
			"hub: {config: {JupyterHub: {authenticator_class: github}, GitHubOAuthenticator: {allowed_organizations: [o]}}}",
			[]string{"auth.github.org_whitelist -> hub.config.GitHubOAuthenticator.allowed_organizations",
				"auth.type -> hub.config.JupyterHub.authenticator_class"}},
		{"auth github", "auth: {type: github, github: {clientId: i, orgWhitelist: [o]}, admin: {access: true, users: [u]}, state: {enabled: true}, ldap: {server: {address: x}}, tpyo: 1}",
			"hub: {config: {JupyterHub: {authenticator_class: github}, GitHubOAuthenticator: {client_id: i, allowed_organizations: [o]}, Authenticator: {admin_users: [u], enable_auth_state: true}}}",
			[]string{"auth.admin.access: dropped (no effect in chart 2.0.0: JupyterHub 2+ admins have access by their role)",
				"auth.admin.users -> hub.config.Authenticator.admin_users",
				"auth.github.clientId -> hub.config.GitHubOAuthenticator.client_id",
				"auth.github.orgWhitelist -> hub.config.GitHubOAuthenticator.allowed_organizations",
				"auth.ldap: dropped (no effect in chart before 0.11.0: auth.type is \"github\", and the chart read only that type's section)",
				"auth.state.enabled -> hub.config.Authenticator.enable_auth_state",
				"auth.tpyo: removed from the jupyterhub chart (0.11.0), no successor",
				"auth.type -> hub.config.JupyterHub.authenticator_class"}},
		{"auth state key", "auth: {state: {enabled: true, cryptoKey: k}}",
			"hub: {config: {Authenticator: {enable_auth_state: true}, CryptKeeper: {keys: [k]}}}",
			[]string{"auth.state.cryptoKey -> hub.config.CryptKeeper.keys", "auth.state.enabled -> hub.config.Authenticator.enable_auth_state"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jh := tree(t, tc.in)
			checkChanges(t, jh, JupyterHub(jh), tc.changes, tc.want)
		})
	}
}

// chart44 is the real jupyterhub 4.4.0 chart's values schema and the keys
// its NOTES.txt fails on (hasKey .Values.X "k": X.k), from ../shared.
func chart44(t *testing.T) (*Schema, []string) {
	t.Helper()
	dir := shareddata.Path(t, "upstream/charts/jupyterhub-4.4.0")
	data, err := os.ReadFile(dir + "/values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := os.ReadFile(dir + "/templates/NOTES.txt")
	if err != nil {
		t.Fatal(err)
	}
	var failing []string
	for _, line := range strings.Split(string(notes), "\n") {
		// Only the checks in force: not those of the template comment.
		if m := hasKey.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "{{- if") {
			failing = append(failing, m[1]+"."+m[2])
		}
	}
	if len(failing) == 0 {
		t.Fatal("no hasKey check in the chart's NOTES.txt")
	}
	return s, failing
}

var hasKey = regexp.MustCompile(`hasKey \.Values\.([A-Za-z.]+) "([A-Za-z]+)"`)

// TestTable: every rule names its chart version (a release of the 0.8 to
// 4.4 eras) and a successor, a reason or a loss; no key moves twice; and
// against the real 4.4.0 chart every Old is refused (by its values schema
// or its NOTES.txt) and every New and AlsoWhenFalse key accepted.
func TestTable(t *testing.T) {
	s, failing := chart44(t)
	seen := map[string]bool{}
	for _, r := range Table {
		if r.Old == "" || (r.New == "" && r.Why == "" && r.Lost == "") {
			t.Errorf("%+v: a rule needs the old key and a successor, a reason or a loss", r)
		}
		if v, err := semver.NewVersion(r.Chart); err != nil || v.LessThan(semver.MustParse("0.8.0")) || v.GreaterThan(semver.MustParse("4.4.0")) {
			t.Errorf("%s: chart %q is not a release from 0.8.0 to 4.4.0", r.Old, r.Chart)
		}
		if seen[r.Old] {
			t.Errorf("%s: twice in the table", r.Old)
		}
		seen[r.Old] = true
		if s.Accepts(r.Old) && !slices.Contains(failing, r.Old) {
			t.Errorf("%s: the 4.4.0 chart still takes it", r.Old)
		}
		for _, k := range append([]string{r.New}, r.AlsoWhenFalse...) {
			if k != "" && (!s.Accepts(k) || slices.Contains(failing, k)) {
				t.Errorf("%s: successor %s is not a key of the 4.4.0 chart", r.Old, k)
			}
		}
	}
	// Each key the chart's NOTES.txt fails on has its rule.
	for _, k := range failing {
		if !seen[k] {
			t.Errorf("%s: NOTES.txt of 4.4.0 fails on it, and no rule moves it", k)
		}
	}
}

func TestSchemaUnknown(t *testing.T) {
	s, err := ParseSchema([]byte(`{"type": "object", "additionalProperties": false, "properties": {
		"hub": {"type": "object", "additionalProperties": false, "properties": {
			"config": {"type": "object", "additionalProperties": false, "patternProperties": {"^[A-Z]": {}}},
			"extraEnv": {"type": "object", "additionalProperties": true},
			"services": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": false, "properties": {"url": {}}}}}},
		"custom": {"type": "object"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"hub: {config: {lower: 1, Upper: {x: 1}}, extraEnv: {A: b}}\ncustom: {any: {thing: 1}}", nil},
		{"hub: {typo: 1, services: {s: {url: u, urll: v}}}\nauth: {type: x}", []string{"auth", "hub.services.s.urll", "hub.typo"}},
	} {
		var got []string
		for _, p := range s.Unknown(tree(t, tc.in)) {
			got = append(got, strings.Join(p, "."))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: unknown %v, want %v", tc.in, got, tc.want)
		}
	}
	for k, want := range map[string]bool{"hub.config.Any.x": true, "hub.nope": false, "custom.a.b": true, "hub.services.s.url": true, "hub.services.s.x": false} {
		if s.Accepts(k) != want {
			t.Errorf("Accepts(%s) = %v", k, !want)
		}
	}
}

// TestIgnored: with the real 4.4.0 schema, a key no release had is dropped
// when the values are from before the schema (1.0.0), a loss otherwise;
// keys a rule names are left to the rule.
func TestIgnored(t *testing.T) {
	s, _ := chart44(t)
	for _, tc := range []struct {
		name, in, era, want string
		changes             []string
	}{
		{"typo before the schema", "singleuser: {memory: {limit: 1G}, memmory: {limit: 2G}}\nhub: {extraConfigMap: {a: 1}}\nproxy: {nodeSelector: {a: b}}", "0.11.0",
			"singleuser: {memory: {limit: 1G}}\nhub: {extraConfigMap: {a: 1}}\nproxy: {nodeSelector: {a: b}}",
			[]string{"singleuser.memmory: dropped (no effect in chart before 0.11.0: no jupyterhub chart release has this key, and before 1.0.0 the chart ignored the keys it did not read)"}},
		{"a top-level key", "singleusr: {x: 1}", "1.0.0", "{}",
			[]string{"singleusr: dropped (no effect in chart before 1.0.0: no jupyterhub chart release has this key, and before 1.0.0 the chart ignored the keys it did not read)"}},
		{"era unknown", "hub: {tpyo: 1}", "", "hub: {tpyo: 1}",
			[]string{"hub.tpyo: not a key of the jupyterhub chart (its values schema refuses it), nor of any release before (internal/upgrade's table), and nothing shows the old chart ignored it (a chart from 1.0.0 on refuses unknown keys)"}},
		{"after the schema", "hub: {tpyo: 1}", "2.0.0", "hub: {tpyo: 1}",
			[]string{"hub.tpyo: not a key of the jupyterhub chart (its values schema refuses it), nor of any release before (internal/upgrade's table), and nothing shows the old chart ignored it (a chart from 1.0.0 on refuses unknown keys)"}},
		{"free-form maps are not judged", "hub: {config: {MyClass: {x: 1}}, extraEnv: {A: b}}\ncustom: {any: 1}", "0.10.0",
			"hub: {config: {MyClass: {x: 1}}, extraEnv: {A: b}}\ncustom: {any: 1}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jh := tree(t, tc.in)
			checkChanges(t, jh, Ignored(jh, s, tc.era), tc.changes, tc.want)
		})
	}
}

func TestEra(t *testing.T) {
	for _, tc := range []struct {
		charts []string
		want   string
	}{
		{nil, ""},
		{[]string{"2.0.0", "0.11.0", "1.0.0"}, "0.11.0"},
		{[]string{"0.10.0", "0.9.0"}, "0.9.0"},
	} {
		var cs []Change
		for _, c := range tc.charts {
			cs = append(cs, Change{Chart: c})
		}
		if got := Era(cs); got != tc.want {
			t.Errorf("Era(%v) = %q, want %q", tc.charts, got, tc.want)
		}
	}
}

func TestWrapperKey(t *testing.T) {
	for _, tc := range []struct {
		wrapper, key, want string
	}{
		{"pangeo", "typo", "typo: dropped (no effect in chart pangeo: its templates read only rbac and its dependencies take jupyterhub, dask-gateway)"},
		{"pangeo", "rbac", ""},
		{"pangeo", "dask-gateway", ""},
		{"daskhub", "typo", ""},
		{"", "typo", ""},
	} {
		c, ok := WrapperKey(tc.wrapper, tc.key)
		if got := c.String(); ok != (tc.want != "") || (ok && got != tc.want) {
			t.Errorf("WrapperKey(%s, %s) = %q, %v; want %q", tc.wrapper, tc.key, got, ok, tc.want)
		}
	}
}
