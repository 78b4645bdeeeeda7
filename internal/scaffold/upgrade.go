package scaffold

import (
	"fmt"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Upgrade is a key of the old values translated to its successor in the
// current jupyterhub chart (import --upgrade).
type Upgrade struct {
	// File is relative to the old hub's folder (config/common.yaml).
	File string
	// Old is the key path as the old file wrote it (with the wrapper); New
	// is the path it became, in the daskhub layout.
	Old, New string
}

func (u Upgrade) String() string { return u.File + ": " + u.Old + " -> " + u.New }

// authAliases are oauthenticator's entry point names of its classes.
var authAliases = map[string]string{
	"oauthenticator.generic.GenericOAuthenticator": "generic-oauth",
	"oauthenticator.GenericOAuthenticator":         "generic-oauth",
	"oauthenticator.github.GitHubOAuthenticator":   "github",
	"oauthenticator.GitHubOAuthenticator":          "github",
}

// upgradeValues translates, in place, the keys of one file's unwrapped
// values that the jupyterhub chart renamed or removed since z2jh 0.x/1.x
// (changelogs of 2.0 to 4.x): the top-level auth: section becomes
// hub.config (JupyterHub.authenticator_class, the authenticator class's
// section, Authenticator.admin_users and allowed_users), and
// singleuser.cloudMetadata.enabled becomes the inverse blockWithIptables.
func (im *importer) upgradeValues(file string, vals map[string]any) {
	jh, ok := vals["jupyterhub"].(map[string]any)
	if !ok {
		return
	}
	up := func(old, new string) {
		if !strings.HasPrefix(new, "(") {
			new = "jupyterhub." + new
		}
		im.res.Upgrades = append(im.res.Upgrades, Upgrade{File: file, Old: im.keyOf(strings.Split("jupyterhub."+old, ".")), New: new})
	}
	set := func(v any, path ...string) { values.Set(jh, path, v) }

	// singleuser.cloudMetadata.enabled: true let the pods reach the
	// metadata server; 0.9 replaced it by blockWithIptables.
	if v, ok := values.Get(jh, "singleuser", "cloudMetadata", "enabled"); ok {
		if b, ok := v.(bool); ok {
			values.Delete(jh, []string{"singleuser", "cloudMetadata", "enabled"})
			set(!b, "singleuser", "cloudMetadata", "blockWithIptables")
			up("singleuser.cloudMetadata.enabled", "singleuser.cloudMetadata.blockWithIptables")
		}
	}

	auth, ok := jh["auth"].(map[string]any)
	if !ok {
		return
	}
	delete(jh, "auth")
	typ, _ := auth["type"].(string)
	// githubKeys are the chart's old auth.github keys and oauthenticator's.
	githubKeys := map[string]string{
		"clientId": "client_id", "clientSecret": "client_secret", "callbackUrl": "oauth_callback_url",
		"orgWhitelist": "allowed_organizations", "allowedOrganizations": "allowed_organizations", "scopes": "scope",
	}
	for _, k := range sortedKeys(auth) {
		v := auth[k]
		switch {
		case k == "type":
			class := typ
			if typ == "custom" {
				if c, ok := values.Get(auth, "custom", "className"); ok {
					class = fmt.Sprint(c)
				}
			}
			// oauthenticator's entry point names, as gen writes them.
			if a, ok := authAliases[class]; ok {
				class = a
			}
			set(class, "hub", "config", "JupyterHub", "authenticator_class")
			up("auth.type", "hub.config.JupyterHub.authenticator_class")
		case k == "custom" && typ == "custom":
			cm, _ := v.(map[string]any)
			class, _ := cm["className"].(string)
			section := class[strings.LastIndex(class, ".")+1:]
			if section == "" {
				im.loss(file, im.keyOf([]string{"jupyterhub", "auth", "custom"}), "no className: no hub.config section to move it to")
				continue
			}
			cfg, _ := cm["config"].(map[string]any)
			for _, ck := range sortedKeys(cfg) {
				nk := ck
				if ck == "username_key" && strings.HasSuffix(section, "OAuthenticator") {
					nk = "username_claim" // oauthenticator 16
				}
				set(cfg[ck], "hub", "config", section, nk)
				up("auth.custom.config."+ck, "hub.config."+section+"."+nk)
			}
			for _, ck := range sortedKeys(cm) {
				if ck != "className" && ck != "config" {
					im.loss(file, im.keyOf([]string{"jupyterhub", "auth", "custom", ck}), "removed from the jupyterhub chart, no successor")
				}
			}
		case k == "github" && typ == "github":
			gm, _ := v.(map[string]any)
			for _, gk := range sortedKeys(gm) {
				nk, ok := githubKeys[gk]
				if !ok {
					nk = gk
				}
				set(gm[gk], "hub", "config", "GitHubOAuthenticator", nk)
				up("auth.github."+gk, "hub.config.GitHubOAuthenticator."+nk)
			}
		case k == "admin":
			am, _ := v.(map[string]any)
			for _, ak := range sortedKeys(am) {
				switch ak {
				case "users":
					set(am[ak], "hub", "config", "Authenticator", "admin_users")
					up("auth.admin.users", "hub.config.Authenticator.admin_users")
				case "access":
					if b, ok := am[ak].(bool); ok && b {
						// admin access to the users' servers, the chart's old
						// default: JupyterHub 2+ gives it to admins by role.
						up("auth.admin.access", "(dropped: JupyterHub 2+ admins have access by their role)")
						continue
					}
					im.loss(file, im.keyOf([]string{"jupyterhub", "auth", "admin", ak}), showJSON(am[ak])+": removed from the jupyterhub chart (admins have the admin role), no successor")
				default:
					im.loss(file, im.keyOf([]string{"jupyterhub", "auth", "admin", ak}), "removed from the jupyterhub chart, no successor")
				}
			}
		case k == "whitelist" || k == "allowedUsers":
			users, ok := values.Get(auth, k, "users")
			if !ok {
				users = v
			}
			set(users, "hub", "config", "Authenticator", "allowed_users")
			up("auth."+k, "hub.config.Authenticator.allowed_users")
		default:
			im.loss(file, im.keyOf([]string{"jupyterhub", "auth", k}), "removed from the jupyterhub chart, no successor")
		}
	}
}

// liftAuth states the authentication of the common values'
// hub.config (as written, or as --upgrade translated the old auth:) as the
// typed auth: GitHub with organisations and teams, or a generic OAuth2
// provider whose endpoints are all known (the authorize URL may be the
// OAUTH2_AUTHORIZE_URL of hub.extraEnv); admins and allowed users. The raw
// values it states are dropped. It returns nil when the authentication is
// not cleanly mappable (it then stays raw).
func (im *importer) liftAuth() *object {
	raw := im.raw["common"]
	hc := func(k ...string) (any, bool) {
		return values.Get(raw, append([]string{"jupyterhub", "hub", "config"}, k...)...)
	}
	class, _ := hc("JupyterHub", "authenticator_class")
	strs := func(v any) ([]string, bool) {
		l, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	auth := &object{short: true}
	var section string
	var mapped []string
	switch class {
	case "github":
		section = "GitHubOAuthenticator"
		gh := auth.obj("github")
		gh.short = true
		var orgs, teams []string
		if v, ok := hc(section, "allowed_organizations"); ok {
			l, ok := strs(v)
			if !ok {
				return nil
			}
			for _, s := range l {
				if strings.Contains(s, ":") {
					teams = append(teams, s)
				} else {
					orgs = append(orgs, s)
				}
			}
			mapped = append(mapped, "allowed_organizations")
		}
		if len(orgs) > 0 {
			gh.set("orgs", orgs)
		}
		if len(teams) > 0 {
			gh.set("teams", teams)
		}
	case "generic-oauth":
		section = "GenericOAuthenticator"
		o := auth.obj("oauth2")
		authorize, ok := hc(section, "authorize_url")
		if ok {
			mapped = append(mapped, "authorize_url")
		} else if authorize, ok = values.Get(raw, "jupyterhub", "hub", "extraEnv", "OAUTH2_AUTHORIZE_URL"); !ok {
			return nil
		}
		for _, f := range []struct{ label, key string }{{"loginService", "login_service"}, {"authorizeURL", ""}, {"tokenURL", "token_url"}, {"userdataURL", "userdata_url"}} {
			v := authorize
			if f.key != "" {
				if v, ok = hc(section, f.key); !ok {
					return nil
				}
				mapped = append(mapped, f.key)
			}
			o.set(f.label, v)
		}
		if v, ok := hc(section, "username_claim"); ok {
			o.set("usernameClaim", v)
			mapped = append(mapped, "username_claim")
		}
		if v, ok := hc(section, "scope"); ok {
			if _, ok := strs(v); !ok {
				return nil
			}
			o.set("scopes", v)
			mapped = append(mapped, "scope")
		}
	default:
		return nil
	}
	var plainAuth func(v any) any
	plainAuth = func(v any) any {
		switch x := v.(type) {
		case *object:
			m := map[string]any{}
			for _, f := range x.fields {
				m[f.label] = plainAuth(f.value)
			}
			return m
		case []string:
			out := make([]any, len(x))
			for i, s := range x {
				out[i] = s
			}
			return out
		}
		return v
	}
	var lifted []string
	for _, k := range []struct{ label, key string }{{"admins", "admin_users"}, {"allowedUsers", "allowed_users"}} {
		if v, ok := hc("Authenticator", k.key); ok {
			l, ok := strs(v)
			if !ok {
				return nil
			}
			auth.set(k.label, l)
			lifted = append(lifted, k.key)
		}
	}
	if !im.e.valid("#Auth", plainAuth(auth)) {
		return nil
	}
	cfg := []string{"jupyterhub", "hub", "config"}
	pruneIf(raw, class, append(cfg, "JupyterHub", "authenticator_class")...)
	for _, k := range mapped {
		v, _ := hc(section, k)
		pruneIf(raw, v, append(cfg, section, k)...)
	}
	for _, k := range lifted {
		v, _ := hc("Authenticator", k)
		pruneIf(raw, v, append(cfg, "Authenticator", k)...)
	}
	return auth
}
