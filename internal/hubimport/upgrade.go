package hubimport

import (
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/upgrade"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Upgrade is a key of the old values translated to its successor in the
// current jupyterhub chart (import --upgrade), or dropped because it has
// no effect there.
type Upgrade struct {
	// File is relative to the old hub's folder (config/common.yaml).
	File string
	// Old is the key path as the old file wrote it (with the wrapper); New
	// is the path it became, in the daskhub layout ("" when dropped).
	Old, New string
	// Chart is the jupyterhub chart version that made the change (for a
	// key the old umbrella chart never read, that chart's name).
	Chart string
	// Dropped says why a key without successor is left out, losing nothing.
	Dropped string
}

// String is the translation as import --upgrade reports it.
func (u Upgrade) String() string {
	if u.Dropped != "" {
		return u.File + ": " + u.Old + ": dropped (" + u.Dropped + ")"
	}
	return u.File + ": " + u.Old + " -> " + u.New
}

// upgradeAll translates the unwrapped values of every file (by env) with
// upgradeValues, then drops from each the keys the old chart ignored
// (upgrade.Ignored): the era the translations date the values to holds for
// the hub, whose files all ran on one chart.
func (im *importer) upgradeAll(vals map[string]map[string]any) {
	var changes []upgrade.Change
	for _, env := range importEnvs {
		changes = append(changes, im.upgradeValues("config/"+env+".yaml", vals[env])...)
	}
	schema := im.chartSchema()
	if schema == nil {
		im.res.Notes = append(im.res.Notes, "the values.schema.json of the jupyterhub chart the hub pins is neither vendored nor cached, so keys the old charts ignored are kept as written: run pangeo-gen charts pull, then import again, to drop and list them")
		return
	}
	era := upgrade.Era(changes)
	for _, env := range importEnvs {
		if jh, ok := vals[env]["jupyterhub"].(map[string]any); ok {
			im.record("config/"+env+".yaml", upgrade.Ignored(jh, schema, era))
		}
	}
}

// upgradeValues translates, in place, the keys of one file's unwrapped
// values that the jupyterhub chart renamed or removed since (the table of
// internal/upgrade): each is an Upgrade, and what cannot be translated a
// loss. It returns the changes.
func (im *importer) upgradeValues(file string, vals map[string]any) []upgrade.Change {
	jh, ok := vals["jupyterhub"].(map[string]any)
	if !ok {
		return nil
	}
	changes := upgrade.JupyterHub(jh)
	im.record(file, changes)
	return changes
}

// record lists the changes of file's jupyterhub values as Upgrades, or
// losses.
func (im *importer) record(file string, changes []upgrade.Change) {
	for _, c := range changes {
		old := im.keyOf(append([]string{"jupyterhub"}, c.Old...))
		switch {
		case c.Lost != "":
			im.loss(file, old, c.Lost)
		case c.Dropped != "":
			im.res.Upgrades = append(im.res.Upgrades, Upgrade{File: file, Old: old, Chart: c.Chart, Dropped: c.Dropped})
		default:
			im.res.Upgrades = append(im.res.Upgrades, Upgrade{File: file, Old: old, New: "jupyterhub." + strings.Join(c.New, "."), Chart: c.Chart})
		}
	}
}

// upgradeWrapperKey lists key, a value under the old umbrella chart's
// wrapper that the generated chart has no place for, as dropped when the
// old umbrella chart never read it (upgrade.WrapperKey), and says so.
func (im *importer) upgradeWrapperKey(file, key string) bool {
	c, ok := upgrade.WrapperKey(im.res.Wrapper, key)
	if ok {
		im.res.Upgrades = append(im.res.Upgrades, Upgrade{File: file, Old: im.keyOf(c.Old), Chart: c.Chart, Dropped: c.Dropped})
	}
	return ok
}

// chartSchema is the values schema of the jupyterhub chart the new hub
// pins by default (JupyterHubPin): Options' JupyterHubSchema, parsed; nil
// when there is none.
func (im *importer) chartSchema() *upgrade.Schema {
	if im.o.JupyterHubSchema == nil {
		return nil
	}
	s, err := upgrade.ParseSchema(im.o.JupyterHubSchema)
	if err != nil {
		return nil
	}
	return s
}

// JupyterHubPin is the jupyterhub chart a new hub pins by default (the
// schema's #Chart.jupyterhub), whose values.schema.json Options'
// JupyterHubSchema is; false when the schema has no concrete default.
func JupyterHubPin(e *hubfile.Env) (hub.Pin, bool) {
	var pin hub.Pin
	for label, dst := range map[string]*string{"version": &pin.Version, "repository": &pin.Repository} {
		v, ok := hubfile.Concrete(e.Schema("#Chart.jupyterhub." + label))
		if !ok {
			return hub.Pin{}, false
		}
		s, err := v.String()
		if err != nil {
			return hub.Pin{}, false
		}
		*dst = s
	}
	return pin, true
}

// liftAuth states the authentication of the common values'
// hub.config (as written, or as --upgrade translated the old auth:) as the
// typed auth: GitHub with organisations and teams, or a generic OAuth2
// provider whose endpoints are all known (the authorize URL may be the
// OAUTH2_AUTHORIZE_URL of hub.extraEnv); admins and allowed users. The raw
// values it states are dropped. It returns nil when the authentication is
// not cleanly mappable (it then stays raw).
func (im *importer) liftAuth() *hubfile.Object {
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
	auth := &hubfile.Object{Short: true}
	var section string
	var mapped []string
	switch class {
	case "github":
		section = "GitHubOAuthenticator"
		gh := auth.Obj("github")
		gh.Short = true
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
			gh.Set("orgs", orgs)
		}
		if len(teams) > 0 {
			gh.Set("teams", teams)
		}
	case "generic-oauth":
		section = "GenericOAuthenticator"
		o := auth.Obj("oauth2")
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
			o.Set(f.label, v)
		}
		if v, ok := hc(section, "username_claim"); ok {
			o.Set("usernameClaim", v)
			mapped = append(mapped, "username_claim")
		}
		if v, ok := hc(section, "scope"); ok {
			if _, ok := strs(v); !ok {
				return nil
			}
			o.Set("scopes", v)
			mapped = append(mapped, "scope")
		}
	default:
		return nil
	}
	var plainAuth func(v any) any
	plainAuth = func(v any) any {
		switch x := v.(type) {
		case *hubfile.Object:
			m := map[string]any{}
			for _, f := range x.Fields {
				m[f.Label] = plainAuth(f.Value)
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
			auth.Set(k.label, l)
			lifted = append(lifted, k.key)
		}
	}
	if !im.e.Valid("#Auth", plainAuth(auth)) {
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
