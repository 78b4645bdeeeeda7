// Package upgrade is the one table of the jupyterhub chart's values keys
// that were renamed, moved or removed between the chart eras Pangeo hubs
// were written for (z2jh 0.8 to 4.x), each with the chart version that made
// the change, and its application to one values tree (import --upgrade).
package upgrade

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Rule is one key of the jupyterhub chart's values that moved.
type Rule struct {
	// Old is the key path (dotted) under jupyterhub: as old values wrote it.
	Old string
	// New is where it went (dotted); "" when the key has no effect any more
	// (Why) or has no successor (Lost).
	New string
	// Chart is the jupyterhub chart version from which the old key no
	// longer does what it did: the release whose changelog (or the 4.4.0
	// chart's NOTES.txt) says the old key moved or is refused.
	Chart string
	// Invert is for a boolean whose successor means the opposite.
	Invert bool
	// Merge moves each key of the old map into the map New (a key New
	// already has is a conflict, left where it was).
	Merge bool
	// AlsoWhenFalse are the keys that must be set false too when the old
	// boolean was false (the successor alone does not turn off as much).
	AlsoWhenFalse []string
	// Why says, for a key without successor, why dropping it loses nothing.
	Why string
	// Lost says, for a key without successor, what the chart no longer
	// does: a loss of the import, the key left where it is.
	Lost string
}

// Table is every renamed, moved or removed key of the jupyterhub chart
// between 0.8 and 4.4.0 that a Pangeo hub could have set, in the order they
// are applied, each with the release that made the change. The sources: the
// z2jh changelog (docs/source/changelog.md, cited by release and section),
// and the 4.4.0 chart's templates/NOTES.txt, which still fails on three old
// keys. The table is complete for the chart's own keys: every key of the
// 0.9.0 and 1.1.0 values.yaml that the 4.4.0 values.schema.json (or its
// NOTES.txt) refuses has a rule here, besides auth:, which JupyterHub
// translates; TestTable checks every Old against the 4.4.0 chart. Ignored
// relies on that completeness.
var Table = []Rule{
	// 0.10.0, Breaking changes: "Anyone using hub.imagePullSecret or
	// singleuser.imagePullSecret should now instead use the chart wide
	// imagePullSecret with the same syntax".
	{Old: "hub.imagePullSecret", New: "imagePullSecret", Chart: "0.10.0"},
	{Old: "singleuser.imagePullSecret", New: "imagePullSecret", Chart: "0.10.0"},
	// 0.10.0, Breaking changes: "proxy.networkPolicy has been removed,
	// proxy.chp.networkPolicy (proxy pod) and proxy.traefik.networkPolicy
	// (autohttps pod) must be used instead" (before 0.10.0 it was the proxy
	// pod's).
	{Old: "proxy.networkPolicy", New: "proxy.chp.networkPolicy", Chart: "0.10.0"},
	// 0.10.0, Breaking changes: "proxy.containerSecurityContext is renamed
	// to proxy.chp.containerSecurityContext".
	{Old: "proxy.containerSecurityContext", New: "proxy.chp.containerSecurityContext", Chart: "0.10.0"},
	// 0.10.0, Enhancements made: "Add nodeSelector and tolerations config
	// for all pods of Helm chart" (#1827): the proxy pod's is
	// proxy.chp.nodeSelector.
	{Old: "proxy.nodeSelector", New: "proxy.chp.nodeSelector", Chart: "0.10.0"},
	// 0.11.0, Bugs fixed: "Disable PDBs for hub/proxy, add PDB for
	// autohttps, and relocate config proxy.pdb to proxy.chp.pdb" (#1938).
	{Old: "proxy.pdb", New: "proxy.chp.pdb", Chart: "0.11.0"},
	// 1.0.0, Breaking changes to config (#2211: "we enforce a transition
	// from various old configuration options to new"); soft-deprecated in
	// 0.10.0 (#1805, "in favor of blockWithIptables"). 4.4.0's NOTES.txt:
	// "singleuser.cloudMetadata.enabled must as of 1.0.0 be configured using
	// singleuser.cloudMetadata.blockWithIptables with the opposite value".
	{Old: "singleuser.cloudMetadata.enabled", New: "singleuser.cloudMetadata.blockWithIptables", Chart: "1.0.0", Invert: true},
	// 1.0.0, Breaking changes to config (#2211); 0.10.0 added
	// hub.containerSecurityContext (#1708). 0.9.0's values have hub.uid,
	// 1.1.0's have hub.containerSecurityContext.runAsUser instead.
	{Old: "hub.uid", New: "hub.containerSecurityContext.runAsUser", Chart: "1.0.0"},
	// 1.0.0, Breaking changes to config (#2211) and Schema validation of
	// chart config ("pass these values via the custom config section where
	// anything will be accepted"). 0.9.0's values have custom beside
	// hub.extraConfigMap, 1.1.0's only custom.
	{Old: "hub.extraConfigMap", New: "custom", Chart: "1.0.0", Merge: true},
	// 1.0.0, Maintenance: "Remove deprecated user-scheduler config" (#1995):
	// 1.1.0's values configure kube-scheduler plugins, not a policy.
	{Old: "scheduling.userScheduler.policy", Chart: "1.0.0", Lost: "the kube-scheduler policy: removed from the jupyterhub chart (1.0.0), which configures scheduling.userScheduler.plugins instead (another format)"},
	// 1.0.0, Breaking changes to config (#2211): 0.9.0's values have
	// hub.publicURL, 1.1.0's do not.
	{Old: "hub.publicURL", Chart: "1.0.0", Lost: "removed from the jupyterhub chart (1.0.0), no successor among its values"},
	// 2.0.0, Breaking changes: "Disabling RBAC requires setting multiple
	// properties, rbac.enable is removed" (#2736, #2739); 4.4.0's NOTES.txt:
	// "rbac.enabled must as of version 2.0.0 be configured via rbac.create
	// and <hub|proxy.traefik|scheduling.userScheduler|prePuller.hook>.serviceAccount.create".
	{Old: "rbac.enabled", New: "rbac.create", Chart: "2.0.0", AlsoWhenFalse: []string{
		"hub.serviceAccount.create", "proxy.traefik.serviceAccount.create",
		"scheduling.userScheduler.serviceAccount.create", "prePuller.hook.serviceAccount.create"}},
	// 2.0.0, Breaking changes: "hub.fsGid is replaced by
	// hub.podSecurityContext" (#2720); 4.4.0's NOTES.txt: "hub.fsGid must as
	// of version 2.0.0 be configured via hub.podSecurityContext.fsGroup".
	{Old: "hub.fsGid", New: "hub.podSecurityContext.fsGroup", Chart: "2.0.0"},
}

// Auth is the chart version that replaced the top-level auth: section by
// hub.config (0.11.0, Breaking changes: "auth configuration moves to
// hub.config", #1943); AuthRoles the one whose JupyterHub (2) gives admins
// access to the users' servers by their role (2.0.0, JupyterHub 1 to 3).
const (
	Auth      = "0.11.0"
	AuthRoles = "2.0.0"
)

// Change is one translated key of a values tree.
type Change struct {
	// Old is the key path under jupyterhub, as the old values wrote it.
	Old []string
	// New is where it went under jupyterhub; nil when dropped or lost.
	New []string
	// Chart is the chart version that made the change: the rule's, the era
	// of an ignored key (see Ignored), or an old umbrella chart's name (see
	// WrapperKey).
	Chart string
	// Dropped says why a key without successor is left out with no loss.
	Dropped string
	// Lost says why a key could not be translated (a loss of the import).
	Lost string
}

func (c Change) String() string {
	old := strings.Join(c.Old, ".")
	switch {
	case c.Lost != "":
		return old + ": " + c.Lost
	case c.Dropped != "":
		return old + ": dropped (" + c.Dropped + ")"
	}
	return old + " -> " + strings.Join(c.New, ".")
}

// authAliases are oauthenticator's entry point names of its classes.
var authAliases = map[string]string{
	"oauthenticator.generic.GenericOAuthenticator": "generic-oauth",
	"oauthenticator.GenericOAuthenticator":         "generic-oauth",
	"oauthenticator.github.GitHubOAuthenticator":   "github",
	"oauthenticator.GitHubOAuthenticator":          "github",
}

// authKeys are the old auth.admin and auth.state keys that are
// JupyterHub's own settings, by where they went.
var authKeys = map[string]string{
	"admin.users":     "hub.config.Authenticator.admin_users",
	"state.enabled":   "hub.config.Authenticator.enable_auth_state",
	"state.cryptoKey": cryptKeys,
}

// cryptKeys takes a list: the old auth.state.cryptoKey is its one key.
const cryptKeys = "hub.config.CryptKeeper.keys"

// authTypes are the values of the old auth.type that had a section of
// their own, auth.<type> (the chart read the chosen type's alone).
var authTypes = []string{"azuread", "cilogon", "custom", "dummy", "github", "gitlab", "globus", "google", "hmac", "ldap", "lti", "mediawiki"}

// githubKeys are the chart's old auth.github keys and oauthenticator's.
var githubKeys = map[string]string{
	"clientId": "client_id", "clientSecret": "client_secret", "callbackUrl": "oauth_callback_url",
	"orgWhitelist": "allowed_organizations", "allowedOrganizations": "allowed_organizations", "scopes": "scope",
	// 0.8.0, Breaking changes: "auth.github.org_whitelist has been renamed
	// to auth.github.orgWhitelist".
	"org_whitelist": "allowed_organizations",
}

// JupyterHub translates, in place, the jupyterhub chart's values jh (one
// file's, unwrapped): every Table rule, then the old top-level auth:
// section into hub.config (JupyterHub.authenticator_class, the
// authenticator class's section, Authenticator.admin_users and
// allowed_users, enable_auth_state and CryptKeeper.keys). It returns the
// changes in the order made.
func JupyterHub(jh map[string]any) []Change {
	var out []Change
	for _, r := range Table {
		out = append(out, apply(jh, r)...)
	}
	return append(out, auth(jh)...)
}

func apply(jh map[string]any, r Rule) []Change {
	old, new := strings.Split(r.Old, "."), strings.Split(r.New, ".")
	v, ok := values.Get(jh, old...)
	if !ok {
		return nil
	}
	ch := Change{Old: old, New: new, Chart: r.Chart}
	switch {
	case r.New == "" && r.Lost != "":
		return []Change{{Old: old, Chart: r.Chart, Lost: r.Lost}}
	case r.New == "":
		remove(jh, old)
		return []Change{{Old: old, Chart: r.Chart, Dropped: fmt.Sprintf("no effect in chart %s: %s", r.Chart, r.Why)}}
	case r.Invert:
		b, ok := v.(bool)
		if !ok {
			return []Change{{Old: old, Chart: r.Chart, Lost: fmt.Sprintf("not a boolean: chart %s replaced it by %s, the opposite", r.Chart, r.New)}}
		}
		v = !b
	case r.Merge:
		m, ok := v.(map[string]any)
		if !ok {
			return []Change{{Old: old, Chart: r.Chart, Lost: fmt.Sprintf("not a map: chart %s moved its keys to %s", r.Chart, r.New)}}
		}
		var out []Change
		for _, k := range slices.Sorted(maps.Keys(m)) {
			to := append(slices.Clone(new), k)
			if _, taken := values.Get(jh, to...); taken {
				out = append(out, Change{Old: append(slices.Clone(old), k), Chart: r.Chart, Lost: fmt.Sprintf("chart %s moved it to %s, which the values set too", r.Chart, strings.Join(to, "."))})
				continue
			}
			values.Set(jh, to, m[k])
			delete(m, k)
			out = append(out, Change{Old: append(slices.Clone(old), k), New: to, Chart: r.Chart})
		}
		if len(m) == 0 {
			remove(jh, old)
		}
		return out
	}
	if _, taken := values.Get(jh, new...); taken {
		return []Change{{Old: old, Chart: r.Chart, Lost: fmt.Sprintf("chart %s moved it to %s, which the values set too", r.Chart, r.New)}}
	}
	remove(jh, old)
	values.Set(jh, new, v)
	out := []Change{ch}
	if b, ok := v.(bool); ok && !b {
		for _, also := range r.AlsoWhenFalse {
			to := strings.Split(also, ".")
			if _, taken := values.Get(jh, to...); taken {
				continue
			}
			values.Set(jh, to, false)
			out = append(out, Change{Old: old, New: to, Chart: r.Chart})
		}
	}
	return out
}

// auth translates the top-level auth: section.
func auth(jh map[string]any) []Change {
	auth, ok := jh["auth"].(map[string]any)
	if !ok {
		return nil
	}
	delete(jh, "auth")
	var out []Change
	up := func(old, new string) {
		out = append(out, Change{Old: strings.Split("auth."+old, "."), New: strings.Split(new, "."), Chart: Auth})
	}
	lost := func(why string, old ...string) {
		out = append(out, Change{Old: append([]string{"auth"}, old...), Chart: Auth, Lost: why})
	}
	set := func(v any, path ...string) { values.Set(jh, path, v) }
	typ, _ := auth["type"].(string)
	for _, k := range slices.Sorted(maps.Keys(auth)) {
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
			up("type", "hub.config.JupyterHub.authenticator_class")
		case k == "custom" && typ == "custom":
			cm, _ := v.(map[string]any)
			class, _ := cm["className"].(string)
			section := class[strings.LastIndex(class, ".")+1:]
			if section == "" {
				lost("no className: no hub.config section to move it to", "custom")
				continue
			}
			cfg, _ := cm["config"].(map[string]any)
			for _, ck := range slices.Sorted(maps.Keys(cfg)) {
				nk := ck
				if ck == "username_key" && strings.HasSuffix(section, "OAuthenticator") {
					nk = "username_claim" // oauthenticator 16
				}
				set(cfg[ck], "hub", "config", section, nk)
				up("custom.config."+ck, "hub.config."+section+"."+nk)
			}
			for _, ck := range slices.Sorted(maps.Keys(cm)) {
				if ck != "className" && ck != "config" {
					lost("removed from the jupyterhub chart ("+Auth+"), no successor", "custom", ck)
				}
			}
		case k == "github" && typ == "github":
			gm, _ := v.(map[string]any)
			for _, gk := range slices.Sorted(maps.Keys(gm)) {
				nk, ok := githubKeys[gk]
				if !ok {
					nk = gk
				}
				set(gm[gk], "hub", "config", "GitHubOAuthenticator", nk)
				up("github."+gk, "hub.config.GitHubOAuthenticator."+nk)
			}
		case k == "admin" || k == "state":
			sm, _ := v.(map[string]any)
			for _, sk := range slices.Sorted(maps.Keys(sm)) {
				if to, ok := authKeys[k+"."+sk]; ok {
					x := sm[sk]
					if to == cryptKeys {
						x = []any{x}
					}
					set(x, strings.Split(to, ".")...)
					up(k+"."+sk, to)
					continue
				}
				if k+"."+sk != "admin.access" {
					lost("removed from the jupyterhub chart ("+Auth+"), no successor", k, sk)
					continue
				}
				if b, ok := sm[sk].(bool); ok && b {
					// admin access to the users' servers, the chart's old
					// default: JupyterHub 2+ gives it to admins by role.
					out = append(out, Change{Old: []string{"auth", "admin", "access"}, Chart: AuthRoles,
						Dropped: "no effect in chart " + AuthRoles + ": JupyterHub 2+ admins have access by their role"})
					continue
				}
				lost(showJSON(sm[sk])+": removed from the jupyterhub chart ("+AuthRoles+": admins have the admin role), no successor", "admin", sk)
			}
		case k == "whitelist" || k == "allowedUsers":
			users, ok := values.Get(auth, k, "users")
			if !ok {
				users = v
			}
			set(users, "hub", "config", "Authenticator", "allowed_users")
			up(k, "hub.config.Authenticator.allowed_users")
		case slices.Contains(authTypes, k) && k != typ:
			// Before 0.11.0 the chart's jupyterhub_config.py read the
			// section of auth.type alone.
			out = append(out, Change{Old: []string{"auth", k}, Chart: Auth,
				Dropped: fmt.Sprintf("no effect in chart before %s: auth.type is %q, and the chart read only that type's section", Auth, typ)})
		default:
			lost("removed from the jupyterhub chart ("+Auth+"), no successor", k)
		}
	}
	return out
}

func showJSON(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}

// remove deletes path from m, and the maps it leaves empty.
func remove(m map[string]any, path []string) {
	values.Delete(m, path)
	for i := len(path) - 1; i > 0; i-- {
		if p, ok := values.Get(m, path[:i]...); ok {
			if pm, ok := p.(map[string]any); ok && len(pm) == 0 {
				values.Delete(m, path[:i])
				continue
			}
		}
		return
	}
}
