// Package hubimport maps an old hubploy hub, read by internal/oldhub, onto
// the schema: the file hubs/<name>.cue (Import) with typed fields lifted
// from the old values, the rest kept raw, and what cannot be kept reported
// as losses; plaintext secrets are left out. With --upgrade it applies
// internal/upgrade's table of the jupyterhub chart's renamed keys first.
package hubimport

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/binder"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	loader "github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/oldhub"
	"github.com/pangeo-data/pangeo-gen/internal/scaffold"
	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// Options say which hand-kept hub to import.
type Options struct {
	// Dir is the old hub's folder (deployments/<hub> of a hubploy
	// monorepo): hubploy.yaml, config/{common,staging,prod}.yaml,
	// image/binder/.
	Dir string
	// Name is the new hub's name; "" takes Dir's base name.
	Name string
	// Command is the command line, quoted in the file.
	Command string
	// Upgrade translates the keys the jupyterhub chart renamed or removed
	// since the old values were written (see Upgrade).
	Upgrade bool
	// JupyterHubSchema is the values.schema.json of the jupyterhub chart
	// the new hub pins (JupyterHubPin), for Upgrade to tell the keys the
	// old chart ignored; nil: those keys stay as they are, with a note
	// (the import command passes the vendored or cached chart's).
	JupyterHubSchema []byte
}

// Loss is a value of the old hub the new file cannot represent.
type Loss struct {
	// File is relative to the old hub's folder (config/common.yaml).
	File string
	// Key is the key path in the file, as written there (with the wrapper).
	Key string
	// Why says why it is lost.
	Why string
}

// String is the loss as import reports it: file, key, why.
func (l Loss) String() string {
	if l.Key == "" {
		return l.File + ": " + l.Why
	}
	return l.File + ": " + l.Key + ": " + l.Why
}

// Result is the imported hub's file.
type Result struct {
	Path string
	Data []byte
	// Losses are what the file does not hold, by file and key.
	Losses []Loss
	// Notes are what the operator should know (placeholders, secrets).
	Notes []string
	// Upgrades are the keys --upgrade translated, by file and key.
	Upgrades []Upgrade
	// Secrets are the plaintext secrets of the old config files, left out
	// of the file (Data never holds them): not losses, each to be moved
	// into the hub's secrets files.
	Secrets []Secret
	// Normalized are the old values the file holds in another form that
	// is not the same data (a pinned image, an unused key), by file and key:
	// not losses, each with why it changes nothing that matters.
	Normalized []Loss
	// Wrapper is the umbrella chart key the values were nested under
	// ("pangeo", "daskhub"), "" when there was none.
	Wrapper string
	// Original are the old values after the unwrap, by "common", "staging"
	// and "prod" (what gen must give back).
	Original map[string]map[string]any
}

// importEnvs are the old hub's value files, common first.
var importEnvs = []string{"common", "staging", "prod"}

// Import converts a hand-kept hubploy hub into hubs/<name>.cue: the values
// under the old umbrella chart's key (pangeo:, daskhub:) are unwrapped into
// the daskhub layout and kept as raw values; provider, cluster, image
// repository, domains, load balancer IPs and the Let's Encrypt contact are
// lifted into typed fields, so are the notebook's resources, start timeout,
// default URL and culling when the values set them; image/binder/ becomes
// the image section. A raw value that contradicts what the typed fields
// generate is dropped and reported as a loss, like anything else the file
// cannot hold. It writes nothing.
func Import(e *hubfile.Env, o Options) (*Result, error) {
	if o.Name == "" {
		o.Name = filepath.Base(filepath.Clean(o.Dir))
	}
	if err := e.CheckName(o.Name); err != nil {
		return nil, err
	}
	if err := e.CheckFree(o.Name); err != nil {
		return nil, err
	}
	old, err := oldhub.Open(o.Dir)
	if err != nil {
		return nil, err
	}
	defer old.Close()
	im := &importer{e: e, o: o, old: old, res: &Result{Path: loader.HubsDir + "/" + o.Name + ".cue", Original: map[string]map[string]any{}}}
	if err := im.read(); err != nil {
		return nil, err
	}
	if err := im.resolve(); err != nil {
		return nil, err
	}
	sortLosses(im.res.Losses)
	sortLosses(im.res.Normalized)
	sortSecrets(im.res.Secrets)
	slices.SortStableFunc(im.res.Upgrades, func(a, b Upgrade) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return strings.Compare(a.Old, b.Old)
	})
	if len(im.secrets) > 0 {
		im.res.Notes = append(im.res.Notes, "secrets of the old hub (not read): "+strings.Join(im.secrets, ", "))
	}
	return im.res, nil
}

type importer struct {
	e   *hubfile.Env
	o   Options
	old *oldhub.Folder
	res *Result

	hubploy map[string]any
	// raw are the values kept raw, by "common", "staging", "prod".
	raw map[string]map[string]any
	// homeDirs are the old umbrella chart's homeDirectories, by file.
	homeDirs map[string]any
	body     *hubfile.Object
	envs     map[string]*hubfile.Object
	secrets  []string
	// storage is the NFS home storage liftStorage lifted, nil when none.
	storage *hub.Storage
	// workerVolumes are the classic worker template's volumes and volume
	// mounts, mapped once the storage is known (liftWorkerStorage); nil
	// when the template has none.
	workerVolumes *workerVolumes
}

func (im *importer) loss(file, key, why string) {
	im.res.Losses = append(im.res.Losses, Loss{file, key, why})
}

// readYAML reads and decodes rel, a YAML file of the old hub that must
// hold a map (see oldhub.DecodeMap); reader says who reads it. ok is false when
// there is no such file. A file that is refused (a link leaving the
// folder, not a regular file, too large) or is not YAML is an error: the
// hub cannot be imported without it. What oldhub.DecodeMap drops is a loss.
func (im *importer) readYAML(rel, reader string) (map[string]any, bool, error) {
	data, ok, refused := im.old.Read(rel)
	if !ok {
		return nil, false, nil
	}
	if refused != "" {
		return nil, true, im.old.RefusedError(rel, refused)
	}
	m, dropped, err := oldhub.DecodeMap(data, reader)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", path.Join(filepath.ToSlash(im.o.Dir), rel), err)
	}
	for _, d := range dropped {
		im.loss(rel, d.Key, d.Why)
	}
	return m, true, nil
}

// getString is the string at path in m, or "".
func getString(m map[string]any, path ...string) string {
	v, _ := values.Get(m, path...)
	s, _ := v.(string)
	return s
}

func (im *importer) read() error {
	dir := im.o.Dir
	hp, ok, err := im.readYAML("hubploy.yaml", "hubploy reads only one")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: no hubploy.yaml: not a hubploy hub folder", dir)
	}
	im.hubploy = hp
	// The secrets are never read: their names are recorded.
	if entries, ok, _ := im.old.ReadDir("secrets"); ok {
		for _, d := range entries {
			if s := "secrets/" + d.Name(); !slices.Contains(im.secrets, s) {
				im.secrets = append(im.secrets, s)
			}
		}
	}

	files := map[string]map[string]any{}
	for _, env := range importEnvs {
		m, ok, err := im.readYAML("config/"+env+".yaml", "Helm reads only the first of a values file")
		if err != nil {
			return err
		}
		if !ok {
			if env == "common" {
				return fmt.Errorf("%s: no config/common.yaml", dir)
			}
			m = map[string]any{}
		}
		files[env] = m
	}
	// The wrapper: the first key of hubploy's image_config_path
	// (pangeo.jupyterhub.singleuser.image), else a top-level key of
	// common.yaml that holds jupyterhub:.
	wrapper := ""
	if p := getString(hp, "images", "image_config_path"); p != "" {
		if first, _, _ := strings.Cut(p, "."); first != "jupyterhub" {
			wrapper = first
		}
	}
	if wrapper == "" {
		for _, k := range slices.Sorted(maps.Keys(files["common"])) {
			if _, ok := values.Get(files["common"], k, "jupyterhub"); ok {
				wrapper = k
				break
			}
		}
	}
	im.res.Wrapper = wrapper
	im.raw = map[string]map[string]any{}
	im.homeDirs = map[string]any{}
	unwrapped := map[string]map[string]any{}
	for _, env := range importEnvs {
		m := files[env]
		vals := map[string]any{}
		if wrapper == "" {
			vals = m
		} else {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				if k == wrapper {
					switch inner := m[k].(type) {
					case map[string]any:
						vals = inner
					case nil:
					default:
						im.loss("config/"+env+".yaml", k, oldhub.YAMLKind(inner)+", not a map of values: not imported")
					}
					continue
				}
				if k == "homeDirectories" {
					// The old umbrella chart's NFS homes: lifted to
					// storage (liftStorage), or lost there.
					im.homeDirs[env] = m[k]
					continue
				}
				im.loss("config/"+env+".yaml", k, fmt.Sprintf("outside the %s: wrapper (a value of the old umbrella chart itself): the daskhub layout has no place for it", wrapper))
			}
		}
		// A value of the old chart's own (a chart of the monorepo's that
		// wraps jupyterhub: beside other dependencies or templates) reaches
		// nothing in the generated chart.
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			if !slices.Contains(gen.UmbrellaValueKeys, k) {
				if im.o.Upgrade && im.upgradeWrapperKey("config/"+env+".yaml", k) {
					delete(vals, k)
					continue
				}
				im.loss("config/"+env+".yaml", im.keyOf([]string{k}), fmt.Sprintf("%s: not a value of jupyterhub, dask-gateway or the generated %s chart (%s), so it would reach no template", hubfile.ShowJSON(vals[k]), hub.GeneratedChart, strings.Join(gen.UmbrellaValueKeys, ", ")))
				delete(vals, k)
			}
		}
		unwrapped[env] = vals
	}
	if im.o.Upgrade {
		im.upgradeAll(unwrapped)
	}
	for _, env := range importEnvs {
		vals := unwrapped[env]
		im.leaveOutSecrets(env, vals)
		im.raw[env] = vals
		im.res.Original[env] = values.CopyMap(vals)
		if hd, ok := im.homeDirs[env]; ok {
			// The old umbrella chart's own values: gen's chart takes them.
			im.res.Original[env]["homeDirectories"] = values.Copy(hd)
		}
	}
	return nil
}

// keyOf is a values path as the old file wrote it.
func (im *importer) keyOf(path []string) string {
	if im.res.Wrapper != "" {
		path = append([]string{im.res.Wrapper}, path...)
	}
	return strings.Join(path, ".")
}

// build lays out the typed fields.
func (im *importer) build() error {
	e, name := im.e, im.o.Name
	body := &hubfile.Object{}
	im.body = body
	body.Set("title", "Pangeo "+hubfile.Title(name)).Doc = []string{"TODO(operator): the hub's one-line name, shown in its README."}
	f := body.Set("owners", []string{"your-github-login"})
	f.Doc = []string{"TODO(operator): the GitHub users who answer for the hub."}
	f.Section = true

	// contact: the Let's Encrypt contact of the environments.
	contact := ""
	for _, env := range importEnvs {
		for _, m := range []map[string]any{im.raw[env]} {
			if c := getString(m, "jupyterhub", "proxy", "https", "letsencrypt", "contactEmail"); c != "" && contact == "" && e.Valid("#Email", c) {
				contact = c
			}
		}
	}
	if contact != "" {
		f = body.Set("contact", contact)
		f.Doc = []string{"From proxy.https.letsencrypt.contactEmail."}
	} else {
		f = body.Set("contact", "hub-admins@example.org")
		f.Doc = []string{"TODO(operator): the operators' e-mail, also the Let's Encrypt contact."}
	}
	f.Section = true

	envs := &hubfile.Object{}
	im.envs = map[string]*hubfile.Object{}
	for _, env := range []string{"staging", "prod"} {
		eo := envs.Obj(env)
		im.envs[env] = eo
		merged := values.Apply(im.raw["common"], im.raw[env])
		hosts, _ := values.Get(merged, "jupyterhub", "proxy", "https", "hosts")
		domain := ""
		if l, ok := hosts.([]any); ok && len(l) > 0 {
			if s, ok := l[0].(string); ok && e.Valid("#Domain", s) {
				domain = s
			}
		}
		if domain != "" {
			eo.Set("domain", domain)
		} else {
			d := env + "." + name + ".example.org"
			if env == "prod" {
				d = name + ".example.org"
			}
			eo.Set("domain", d).Line = "TODO(operator): the old hub had no proxy.https.hosts"
		}
		if ip := getString(merged, "jupyterhub", "proxy", "service", "loadBalancerIP"); ip != "" && e.Valid("#Environment.loadBalancerIP", ip) {
			eo.Set("loadBalancerIP", ip)
		}
		if v, ok := values.Get(merged, "jupyterhub", "proxy", "https", "enabled"); ok && v == false {
			eo.Set("https", false)
		}
		im.liftNotebook(eo, im.raw[env], true)
	}
	f = body.Set("environments", envs)
	f.Section = true
	f.Doc = []string{"Domains and load balancer IPs from proxy.https.hosts and proxy.service.loadBalancerIP of config/staging.yaml and config/prod.yaml."}

	if err := im.cloud(); err != nil {
		return err
	}
	if err := im.image(); err != nil {
		return err
	}

	if auth := im.liftAuth(); auth != nil {
		f = body.Set("auth", auth)
		f.Section = true
		f.Doc = []string{"From hub.config (authenticator_class, its section, Authenticator)."}
	} else {
		auth := &hubfile.Object{Short: true}
		gh := auth.Obj("github")
		gh.Short = true
		gh.Set("orgs", []string{"pangeo-data"})
		f = body.Set("auth", auth)
		f.Section = true
		f.Doc = hubfile.Wrap("TODO(operator): who may log in. The old hub's authentication settings, if any, stay in the raw values below; state them here (auth.github or auth.oauth2) and remove them there.", 72)
	}

	im.liftNotebook(body, im.raw["common"], false)
	im.liftStorage()
	im.liftWorkerStorage()
	im.liftNoDask()
	im.pruneLifted(contact)
	return nil
}

// liftNoDask makes a hub without Dask dask: backend: "none": an old hub
// whose image has no dask-kubernetes worker template and whose values turn
// dask-gateway off (dask-gateway.enabled: false) in both environments. The
// raw enabled: false, which the typed field generates, is pruned.
func (im *importer) liftNoDask() {
	if im.body.Get("dask") != nil {
		return // the kubernetes backend, from dask_config.yaml
	}
	for _, env := range []string{"staging", "prod"} {
		merged := values.Apply(im.raw["common"], im.raw[env])
		if v, ok := values.Get(merged, "dask-gateway", "enabled"); !ok || v != false {
			return
		}
		if v, ok := values.Get(merged, "dask-kubernetes", "enabled"); ok && v != false {
			return
		}
	}
	d := &hubfile.Object{Short: true}
	d.Set("backend", "none")
	f := im.body.Set("dask", d)
	f.Section = true
	f.Doc = hubfile.Wrap("No Dask: the old values set dask-gateway.enabled: false in both environments, and the image has no dask_config.yaml worker template.", 72)
	for _, env := range importEnvs {
		pruneIf(im.raw[env], false, "dask-gateway", "enabled")
		pruneIf(im.raw[env], false, "dask-kubernetes", "enabled")
	}
}

// pruneLifted drops the raw values a lifted typed field generates the
// same: the domain's hosts, the load balancer IP, the Let's Encrypt
// contact, the notebook and culling fields.
func (im *importer) pruneLifted(contact string) {
	str := func(o *hubfile.Object, label string) any {
		if f := o.Get(label); f != nil && f.Line == "" {
			return f.Value
		}
		return nil
	}
	for _, env := range importEnvs {
		raw := im.raw[env]
		if env != "common" {
			eo := im.envs[env]
			if d := str(eo, "domain"); d != nil {
				pruneIf(raw, []any{d}, "jupyterhub", "proxy", "https", "hosts")
			}
			if ip := str(eo, "loadBalancerIP"); ip != nil {
				pruneIf(raw, ip, "jupyterhub", "proxy", "service", "loadBalancerIP")
			}
		}
		if contact != "" {
			pruneIf(raw, contact, "jupyterhub", "proxy", "https", "letsencrypt", "contactEmail")
		}
		o := im.body
		if env != "common" {
			o = im.envs[env]
		}
		if nb, ok := str(o, "notebook").(*hubfile.Object); ok {
			for _, k := range []string{"cpu", "memory"} {
				if p, ok := str(nb, k).(*hubfile.Inline); ok {
					pruneIf(raw, p.Get("guarantee").Value, "jupyterhub", "singleuser", k, "guarantee")
					pruneIf(raw, p.Get("limit").Value, "jupyterhub", "singleuser", k, "limit")
				}
			}
			if str(nb, "profiles") != nil {
				v, _ := values.Get(raw, "jupyterhub", "singleuser", "profileList")
				pruneIf(raw, v, "jupyterhub", "singleuser", "profileList")
			}
			pruneIf(raw, str(nb, "startTimeout"), "jupyterhub", "singleuser", "startTimeout")
			pruneIf(raw, str(nb, "defaultURL"), "jupyterhub", "singleuser", "defaultUrl")
		}
		if c, ok := str(o, "culling").(*hubfile.Object); ok {
			pruneIf(raw, str(c, "notebookIdleTimeout"), "jupyterhub", "cull", "timeout")
			pruneIf(raw, str(c, "notebookMaxAge"), "jupyterhub", "cull", "maxAge")
		}
	}
}

// pruneIf deletes the value at path when it equals want, and the maps it
// leaves empty.
func pruneIf(m map[string]any, want any, path ...string) {
	if want == nil {
		return
	}
	v, ok := values.Get(m, path...)
	if !ok || hubfile.ShowJSON(v) != hubfile.ShowJSON(want) {
		return
	}
	for i := len(path); i > 0; i-- {
		parent := m
		if i > 1 {
			pv, _ := values.Get(m, path[:i-1]...)
			parent = pv.(map[string]any)
		}
		if i == len(path) {
			delete(parent, path[i-1])
			continue
		}
		if child, ok := parent[path[i-1]].(map[string]any); ok && len(child) == 0 {
			delete(parent, path[i-1])
		} else {
			return
		}
	}
}

// profileKeys and overrideKeys are what a singleuser.profileList entry and
// its kubespawner_override may hold to become a typed #Profile.
var (
	profileKeys  = map[string]bool{"display_name": true, "slug": true, "description": true, "default": true, "kubespawner_override": true}
	overrideKeys = map[string]bool{"image": true, "environment": true, "cpu_guarantee": true, "cpu_limit": true, "mem_guarantee": true, "mem_limit": true}
)

// liftProfiles makes singleuser.profileList typed profiles when every entry
// holds only display fields (display_name, slug, description, default) and a
// kubespawner_override of image, environment and cpu/mem guarantees and
// limits (all four), and is a valid #Profile; otherwise the list stays in the
// raw values, whole.
func (im *importer) liftProfiles(vals map[string]any) ([]any, bool) {
	v, ok := values.Get(vals, "jupyterhub", "singleuser", "profileList")
	l, _ := v.([]any)
	if !ok || len(l) == 0 {
		return nil, false
	}
	out := make([]any, 0, len(l))
	for _, x := range l {
		entry, _ := x.(map[string]any)
		ko, _ := entry["kubespawner_override"].(map[string]any)
		if entry == nil || ko == nil {
			return nil, false
		}
		for k := range entry {
			if !profileKeys[k] {
				return nil, false
			}
		}
		for k := range ko {
			if !overrideKeys[k] {
				return nil, false
			}
		}
		m := map[string]any{
			"slug": entry["slug"], "displayName": entry["display_name"],
			"cpu":    map[string]any{"guarantee": ko["cpu_guarantee"], "limit": ko["cpu_limit"]},
			"memory": map[string]any{"guarantee": ko["mem_guarantee"], "limit": ko["mem_limit"]},
		}
		for from, to := range map[string]string{"description": "description", "default": "default"} {
			if v, ok := entry[from]; ok {
				m[to] = v
			}
		}
		if v, ok := ko["image"]; ok {
			m["image"] = v
		}
		if v, ok := ko["environment"]; ok {
			m["env"] = v
		}
		if !im.e.Valid("#Profile", m) {
			return nil, false
		}
		p := &hubfile.Object{}
		p.Set("slug", m["slug"])
		p.Set("displayName", m["displayName"])
		if v, ok := m["description"]; ok {
			p.Set("description", v)
		}
		if v, ok := m["default"]; ok {
			p.Set("default", v)
		}
		for _, k := range []string{"cpu", "memory"} {
			r := &hubfile.Object{}
			r.Set("guarantee", m[k].(map[string]any)["guarantee"])
			r.Set("limit", m[k].(map[string]any)["limit"])
			p.Set(k, &hubfile.Inline{Object: r})
		}
		if v, ok := m["image"]; ok {
			p.Set("image", v)
		}
		if env, ok := m["env"].(map[string]any); ok && len(env) > 0 {
			eo := &hubfile.Object{}
			keys := make([]string, 0, len(env))
			for k := range env {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				eo.Set(k, env[k])
			}
			p.Set("env", eo)
		}
		out = append(out, p)
	}
	return out, true
}

// liftNotebook sets the typed notebook and culling fields the values give
// (they generate the same values, so the raw ones stay).
func (im *importer) liftNotebook(o *hubfile.Object, vals map[string]any, env bool) {
	e := im.e
	nb := &hubfile.Object{}
	su := func(k ...string) (any, bool) {
		return values.Get(vals, append([]string{"jupyterhub", "singleuser"}, k...)...)
	}
	pair := func(label string, valid func(g, l any) bool) {
		g, gok := su(label, "guarantee")
		l, lok := su(label, "limit")
		if gok && lok && valid(g, l) {
			p := &hubfile.Object{}
			p.Set("guarantee", g)
			p.Set("limit", l)
			nb.Set(label, &hubfile.Inline{Object: p})
		}
	}
	pair("cpu", func(g, l any) bool { return e.Valid("#CPU", map[string]any{"guarantee": g, "limit": l}) })
	pair("memory", func(g, l any) bool { return e.Valid("#Memory", map[string]any{"guarantee": g, "limit": l}) })
	if v, ok := su("startTimeout"); ok && e.Valid("#NotebookOverride.startTimeout", v) {
		nb.Set("startTimeout", v)
	}
	if v, ok := su("defaultUrl"); ok && !env {
		if s, ok := v.(string); ok {
			nb.Set("defaultURL", s)
		}
	}
	if ps, ok := im.liftProfiles(vals); ok {
		nb.Set("profiles", ps)
	}
	if len(nb.Fields) > 0 {
		o.Set("notebook", nb).Section = !env
	}
	cull := &hubfile.Object{}
	if v, ok := values.Get(vals, "jupyterhub", "cull", "timeout"); ok && e.Valid("#CullingOverride.notebookIdleTimeout", v) {
		cull.Set("notebookIdleTimeout", v)
	}
	if v, ok := values.Get(vals, "jupyterhub", "cull", "maxAge"); ok && e.Valid("#CullingOverride.notebookMaxAge", v) {
		cull.Set("notebookMaxAge", v)
	}
	if len(cull.Fields) > 0 {
		o.Set("culling", cull).Section = !env
	}
}

func (im *importer) cloud() error {
	e, name := im.e, im.o.Name
	cl, _ := values.Get(im.hubploy, "cluster")
	cm, _ := cl.(map[string]any)
	provider := getString(cm, "provider")
	c := &hubfile.Object{}
	str := func(label, val, def, todo string) {
		if val != "" && e.Valid(map[string]string{"gcp": "#GCP.", "aws": "#AWS.", "azure": "#Azure."}[c.Get("provider").Value.(string)]+label, val) {
			c.Set(label, val)
			return
		}
		c.Set(label, def).Line = "TODO(operator): " + todo
	}
	var pools *hubfile.Object
	switch provider {
	case "gcloud", "gcp", "google":
		c.Set("provider", "gcp")
		g, _ := values.Get(cm, "gcloud")
		gm, _ := g.(map[string]any)
		str("project", getString(gm, "project"), "pangeo-hub-project", "the GCP project id")
		loc := getString(gm, "zone")
		if loc == "" {
			loc = getString(gm, "region")
		}
		str("location", loc, "us-central1-b", "the cluster's zone or region")
		str("cluster", getString(gm, "cluster"), name, "the GKE cluster's name")
		pools = scaffold.StarterCloud(e, "gcp", name).Get("nodePools").Value.(*hubfile.Object)
		if k := getString(gm, "service_key"); k != "" {
			im.credential(k)
		}
	case "aws":
		c.Set("provider", "aws")
		a, _ := values.Get(cm, "aws")
		am, _ := a.(map[string]any)
		acct := getString(am, "account_id")
		if acct == "" {
			if v, ok := am["account_id"]; ok {
				acct = fmt.Sprint(v)
			}
		}
		str("accountId", acct, "123456789012", "the 12-digit AWS account id")
		str("region", getString(am, "region"), "us-west-2", "the AWS region")
		str("cluster", getString(am, "cluster"), name, "the EKS cluster's name")
		pools = scaffold.StarterCloud(e, "aws", name).Get("nodePools").Value.(*hubfile.Object)
		if k := getString(am, "service_key"); k != "" {
			im.credential(k)
		}
	case "azure":
		c.Set("provider", "azure")
		a, _ := values.Get(cm, "azure")
		am, _ := a.(map[string]any)
		str("resourceGroup", getString(am, "resource_group"), "pangeo-"+name, "the cluster's resource group")
		str("cluster", getString(am, "cluster"), name, "the AKS cluster's name")
		// The registry: hubploy's images.registry.azure.registry, else
		// the host of images.image_name (<registry>.azurecr.io/...).
		reg := getString(im.hubploy, "images", "registry", "azure", "registry")
		if reg == "" {
			host, _, _ := strings.Cut(getString(im.hubploy, "images", "image_name"), "/")
			reg, _ = strings.CutSuffix(host, ".azurecr.io")
			if reg == host {
				reg = ""
			}
		}
		str("registry", strings.TrimSuffix(reg, ".azurecr.io"), "pangeo"+strings.ReplaceAll(name, "-", ""), "the Azure Container Registry (without .azurecr.io)")
		str("location", getString(am, "location"), "westeurope", "the Azure region")
		pools = scaffold.StarterCloud(e, "azure", name).Get("nodePools").Value.(*hubfile.Object)
		// hubploy's azure credential is auth_file (service_principal in
		// some hand-kept hubs).
		for _, key := range []string{"auth_file", "service_principal"} {
			if k := getString(am, key); k != "" {
				im.credential(k)
			}
		}
	default:
		return fmt.Errorf("hubploy.yaml: cluster.provider %q: pangeo-gen knows gcloud, aws and azure", provider)
	}
	for _, key := range []string{"service_key", "auth_file"} {
		if rk := getString(im.hubploy, "images", "registry", getString(im.hubploy, "images", "registry", "provider"), key); rk != "" {
			im.credential(rk)
		}
	}
	f := c.Set("nodePools", pools)
	f.Doc = []string{"TODO(operator): hubploy.yaml does not say: the pools' machine types and sizes."}
	cf := im.body.Set("cloud", c)
	cf.Section = true
	cf.Doc = []string{"From hubploy.yaml's cluster."}
	return nil
}

// credential names a credential file hubploy.yaml refers to: hubploy reads
// it from the hub's secrets/ folder, where it is named (as the folder's
// own files are) and never read.
func (im *importer) credential(name string) {
	if s := path.Join("secrets", name); !slices.Contains(im.secrets, s) {
		im.secrets = append(im.secrets, s)
	}
}

// image converts image/binder/ and dask_config.yaml.
func (im *importer) image() error {
	e := im.e
	img := &hubfile.Object{}
	f := im.body.Set("image", img)
	f.Section = true
	repo := getString(im.hubploy, "images", "image_name")
	from := "images.image_name"
	if repo == "" {
		// Newer hubploy: images.images, a list of {name, path}.
		if l, ok := values.Lookup(im.hubploy, "images", "images").([]any); ok && len(l) > 0 {
			repo, _ = values.Lookup(l[0], "name").(string)
			from = "images.images[0].name"
			for i := 1; i < len(l); i++ {
				im.loss("hubploy.yaml", fmt.Sprintf("images.images[%d]", i), hubfile.ShowJSON(l[i])+": a second image: the hub has one image (its profiles run it)")
			}
		}
	}
	ref := repo
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	// A hub without an image folder whose image has a tag used that image
	// as it is: prebuilt.
	if _, ok, _ := im.old.ReadDir("image"); !ok && ref != repo && e.Valid("#ImageRef", ref) {
		img.Set("prebuilt", ref)
		f.Doc = append(f.Doc, "prebuilt is hubploy.yaml's "+from+" (the old hub had no image folder).")
		return nil
	}
	if repo != "" && e.Valid("#Repository", repo) {
		img.Set("repository", repo)
		f.Doc = append(f.Doc, "repository is hubploy.yaml's "+from+".")
	} else {
		img.Set("repository", "registry.example.org/pangeo/"+im.o.Name+"-notebook").Line = "TODO(operator): the registry repository the image is pushed to"
	}
	const binderDir = "image/binder"
	config := map[string][]byte{}
	entries, _, refused := im.old.ReadDir(binderDir)
	if refused != "" {
		im.loss(binderDir, "", refused+": not read")
	}
	for _, d := range entries {
		rel := binderDir + "/" + d.Name()
		if d.IsDir() {
			im.loss(rel, "", "a folder: not converted")
			continue
		}
		data, _, refused := im.old.Read(rel)
		if refused != "" {
			im.loss(rel, "", refused+": not read")
			continue
		}
		// The binder files become the image, which every user can read: a
		// secret in one is not converted.
		if ms := secretscan.Scan(rel, data); len(ms) > 0 {
			im.loss(rel, "", fmt.Sprintf("line %d: plaintext secret material (%s): not converted (an image holds no secret: pass it at run time, from deployments/%s/secrets/)", ms[0].Line, ms[0].Kind, im.o.Name))
			continue
		}
		config[d.Name()] = data
	}
	if dc, ok := config["dask_config.yaml"]; ok {
		delete(config, "dask_config.yaml")
		if err := im.daskConfig(dc); err != nil {
			return err
		}
	}
	s := &binder.Image{Notes: map[string][]string{}, Folder: "image/binder", Files: map[string]string{}}
	// The binder folder's other text files (a README, a notebook) are
	// kept as image files, at the top of the image folder: binder/ is
	// gen's. repo2docker's own configuration files stay a loss: it would
	// run them.
	for _, name := range slices.Sorted(maps.Keys(config)) {
		if slices.Contains(binder.RootConfigFiles, name) || name == binder.WorkspaceName {
			continue
		}
		data := config[name]
		if len(data) > binder.MaxFileSize || !utf8.Valid(data) || !e.Valid("#BuiltImage.files", map[string]string{name: string(data)}) {
			continue
		}
		delete(config, name)
		s.Files[name] = string(data)
		im.res.Normalized = append(im.res.Normalized, Loss{"image/binder/" + name, "", "kept as image.files." + name + ": at the top of the image folder (binder/ holds what gen generates)"})
	}
	s.Convert(e, config)
	for _, field := range slices.Sorted(maps.Keys(s.Notes)) {
		for _, n := range s.Notes[field] {
			file, rest, _ := strings.Cut(n, ": ")
			im.loss(file, "", rest)
		}
	}
	if s.Base != "" {
		bf := img.Set("base", s.Base)
		bf.Doc = []string{"The FROM line of image/binder/Dockerfile."}
		if !strings.Contains(s.Base, "-onbuild") {
			bf.Doc = append(bf.Doc, hubfile.Wrap("TODO(operator): not an -onbuild image: gen's one-line Dockerfile builds FROM it as the old one did, and the binder files below are not run by it.", 68)...)
			im.res.Notes = append(im.res.Notes, "TODO(operator): image.base "+s.Base+" is not an -onbuild image: check what the image build does with it")
		}
	}
	conda := &hubfile.Object{}
	if len(s.Conda.Channels) > 0 {
		conda.Set("channels", s.Conda.Channels)
	}
	if len(s.Conda.Dependencies) > 0 {
		conda.Set("dependencies", s.Conda.Dependencies)
	}
	if len(s.Conda.Pip) > 0 {
		conda.Set("pip", s.Conda.Pip)
	}
	if len(conda.Fields) > 0 {
		img.Set("conda", conda)
	}
	if len(s.Apt) > 0 {
		img.Set("apt", s.Apt)
	}
	if len(s.PostBuild) > 0 {
		img.Set("postBuild", s.PostBuild)
	}
	if len(s.Start) > 0 {
		st := &hubfile.Object{}
		for _, k := range slices.Sorted(maps.Keys(s.Start)) {
			st.Set(k, s.Start[k])
		}
		img.Set("start", st)
	}
	if len(s.StartCommands) > 0 {
		img.Set("startCommands", s.StartCommands)
	}
	if len(s.Files) > 0 {
		files := &hubfile.Object{}
		for _, rel := range slices.Sorted(maps.Keys(s.Files)) {
			files.Set(rel, s.Files[rel])
		}
		img.Set("files", files)
	}
	if s.Workspace != nil {
		img.Set("workspace", hubfile.Data(s.Workspace))
	}
	if len(s.Read) > 0 {
		f.Doc = append(f.Doc, hubfile.Wrap("From "+strings.Join(s.Read, ", ")+".", 72)...)
	}
	return nil
}

var nthreads = regexp.MustCompile(`^[0-9]+$`)

// daskConfig reads image/binder/dask_config.yaml: a
// kubernetes.worker-template makes the Dask backend kubernetes with the
// template's cores, memory and threads; the rest is lost (pangeo-gen writes
// the image's Dask configuration itself).
func (im *importer) daskConfig(data []byte) error {
	const file = "image/binder/dask_config.yaml"
	m, dropped, err := oldhub.DecodeMap(data, "dask reads only one")
	if err != nil {
		im.loss(file, "", "not YAML: "+err.Error())
		return nil
	}
	for _, d := range dropped {
		im.loss(file, d.Key, d.Why)
	}
	generated := map[string]any{
		"distributed.dashboard.link":  "/user/{JUPYTERHUB_USER}/proxy/{port}/status",
		"labextension.factory.module": "dask_kubernetes",
		"labextension.factory.class":  "KubeCluster",
	}
	tmpl, hasTmpl := values.Get(m, "kubernetes", "worker-template")
	extra := map[string]any{}
	var leaves func(prefix string, v any)
	leaves = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				leaves(strings.TrimPrefix(prefix+"."+k, "."), x[k])
			}
			return
		case []any:
			if len(x) == 0 {
				return
			}
		case nil:
			return
		}
		if prefix == "kubernetes.worker-template" || strings.HasPrefix(prefix, "kubernetes.worker-template.") {
			return
		}
		if g, ok := generated[prefix]; ok && (g == v || !hasTmpl && strings.HasPrefix(prefix, "labextension")) {
			if hasTmpl || !strings.HasPrefix(prefix, "labextension") {
				return
			}
		}
		// The hub's own Dask configuration: dask.config, merged into
		// what gen writes.
		values.Set(extra, strings.Split(prefix, "."), v)
	}
	leaves("", m)
	if !hasTmpl {
		if len(extra) > 0 {
			im.loss(file, "", "Dask configuration without a kubernetes.worker-template: dask.config is the kubernetes backend's")
		}
		return nil
	}
	worker := &hubfile.Object{}
	c0, _ := values.Get(map[string]any{"t": tmpl}, "t", "spec")
	var container map[string]any
	if spec, ok := c0.(map[string]any); ok {
		if cs, ok := spec["containers"].([]any); ok && len(cs) > 0 {
			container, _ = cs[0].(map[string]any)
		}
	}
	tkey := "kubernetes.worker-template"
	if container == nil {
		im.loss(file, tkey, "no spec.containers[0]: the Dask backend stays gateway")
		return nil
	}
	ckey := tkey + ".spec.containers[0]"
	reqCPU, _ := values.Get(container, "resources", "requests", "cpu")
	limCPU, _ := values.Get(container, "resources", "limits", "cpu")
	reqMem, _ := values.Get(container, "resources", "requests", "memory")
	limMem, _ := values.Get(container, "resources", "limits", "memory")
	if c, ok := cpuCores(reqCPU); ok && c > 0 {
		worker.Set("cores", coresValue(c))
		if lc, ok := cpuCores(limCPU); ok && lc > c {
			worker.Set("coresLimit", coresValue(lc))
		} else if ok && lc != c {
			im.loss(file, ckey+".resources.limits.cpu", fmt.Sprintf("%s is below requests.cpu %s: dask.worker.cores is both, set to the request", hubfile.ShowJSON(limCPU), hubfile.ShowJSON(reqCPU)))
		}
	} else if c, ok := cpuCores(limCPU); ok && c > 0 {
		worker.Set("cores", coresValue(c))
	} else {
		im.loss(file, ckey+".resources.cpu", "no parseable cpu: dask.worker.cores keeps its default")
	}
	mem := reqMem
	if mem == nil {
		mem = limMem
	}
	if ms, ok := mem.(string); ok && im.e.Valid("#Quantity", ms) {
		worker.Set("memory", ms)
		if limMem != nil && limMem != mem {
			im.loss(file, ckey+".resources.limits.memory", fmt.Sprintf("%s differs from requests.memory %s: dask.worker.memory is both, set to the request", hubfile.ShowJSON(limMem), hubfile.ShowJSON(reqMem)))
		}
	} else {
		im.loss(file, ckey+".resources.memory", fmt.Sprintf("%s: not a memory quantity dask.worker.memory takes", hubfile.ShowJSON(mem)))
	}
	var rest []string
	if args, ok := container["args"].([]any); ok {
		for i := 0; i < len(args); i++ {
			a := fmt.Sprint(args[i])
			if a == "--nthreads" && i+1 < len(args) && nthreads.MatchString(fmt.Sprint(args[i+1])) {
				n, _ := strconv.Atoi(fmt.Sprint(args[i+1]))
				if n > 0 {
					worker.Set("threads", n)
				}
				i++
				continue
			}
			if i == 0 && a == "dask-worker" {
				continue
			}
			// gen's own: --memory-limit of the memory (dask reads G and GB
			// alike), --death-timeout 60.
			if i+1 < len(args) {
				next := fmt.Sprint(args[i+1])
				if a == "--death-timeout" && next == "60" || a == "--memory-limit" && strings.TrimSuffix(next, "B") == fmt.Sprint(mem) {
					i++
					continue
				}
			}
			rest = append(rest, a)
		}
	}
	if len(rest) > 0 {
		if im.e.Valid("#KubernetesDask.worker.args", rest) {
			worker.Set("args", rest)
		} else {
			im.loss(file, ckey+".args", fmt.Sprintf("%s: not arguments dask.worker.args takes", strings.Join(rest, " ")))
		}
	}
	wv := &workerVolumes{worker: worker, file: file, volumesKey: tkey + ".spec.volumes", mountsKey: ckey + ".volumeMounts"}
	for _, k := range slices.Sorted(maps.Keys(container)) {
		switch k {
		case "args", "resources", "image", "name":
			continue
		case "volumeMounts":
			wv.mounts, wv.hasMounts = container[k], true
			continue
		}
		im.loss(file, ckey+"."+k, "not represented")
	}
	if spec, ok := c0.(map[string]any); ok {
		// The dask pool's selector, as gen writes it: the same on every hub.
		selector := map[string]any{}
		for k, v := range gen.Placement(&hub.Hub{}, "dask").Labels {
			selector[k] = v
		}
		for _, k := range slices.Sorted(maps.Keys(spec)) {
			key := tkey + ".spec." + k
			switch {
			case k == "containers":
			case k == "restartPolicy" && spec[k] == "Never":
				// gen's own
			case k == "restartPolicy":
				im.loss(file, key, fmt.Sprintf("%s: pangeo-gen's workers are never restarted (restartPolicy Never): a Dask worker that exits is replaced by the cluster, not restarted in its pod", hubfile.ShowJSON(spec[k])))
			case k == "volumes":
				wv.volumes, wv.hasVolumes = spec[k], true
			case k == "nodeSelector" && sameData(spec[k], selector):
				im.res.Normalized = append(im.res.Normalized, Loss{file, key, fmt.Sprintf("%s: the dask pool's selector, which gen writes into the worker template", hubfile.ShowJSON(spec[k]))})
			case k == "nodeSelector":
				im.loss(file, key, fmt.Sprintf("%s: pangeo-gen places the workers on the hub's dask pool by its selector %s (the cluster definition labels that pool), not on other nodes", hubfile.ShowJSON(spec[k]), hubfile.ShowJSON(selector)))
			default:
				im.loss(file, key, fmt.Sprintf("%s: not represented (pangeo-gen writes the worker template)", hubfile.ShowJSON(spec[k])))
			}
		}
	}
	d := &hubfile.Object{}
	d.Set("backend", "kubernetes")
	if len(worker.Fields) > 0 {
		d.Set("worker", worker)
	}
	if wv.hasVolumes || wv.hasMounts {
		wv.dask = d
		im.workerVolumes = wv
	}
	if len(extra) > 0 {
		d.Set("config", hubfile.Data(extra)).Doc = []string{"The old dask_config.yaml's other keys."}
	}
	df := im.body.Set("dask", d)
	df.Section = true
	df.Doc = []string{"From image/binder/dask_config.yaml's kubernetes.worker-template (classic dask-kubernetes)."}
	return nil
}

// workerVolumes are a classic worker template's volumes and its
// container's volume mounts, with the keys they were read at.
type workerVolumes struct {
	// worker and dask are the hub file's dask.worker and dask objects.
	worker, dask          *hubfile.Object
	file                  string
	volumesKey, mountsKey string
	volumes, mounts       any
	hasVolumes, hasMounts bool
}

// liftWorkerStorage maps a classic worker template's volumes and volume
// mounts: exactly (as data) the volume and mount gen writes for the
// imported storage (gen.WorkerStorage) become dask.worker.mountStorage:
// true; anything else is a loss that says what differs.
func (im *importer) liftWorkerStorage() {
	wv := im.workerVolumes
	if wv == nil {
		return
	}
	if im.storage == nil {
		why := "the workers' own volumes: pangeo-gen mounts only the hub's NFS home storage into workers (dask.worker.mountStorage), and the old hub has none it imports"
		if wv.hasVolumes {
			im.loss(wv.file, wv.volumesKey, hubfile.ShowJSON(wv.volumes)+": "+why)
		}
		if wv.hasMounts {
			im.loss(wv.file, wv.mountsKey, hubfile.ShowJSON(wv.mounts)+": "+why)
		}
		return
	}
	volume, mount, err := gen.WorkerStorage(*im.storage)
	if err != nil {
		im.loss(wv.file, wv.volumesKey, err.Error())
		return
	}
	wantVolumes, wantMounts := []any{volume}, []any{mount}
	okVolumes, okMounts := sameData(wv.volumes, wantVolumes), sameData(wv.mounts, wantMounts)
	if okVolumes && okMounts {
		f := wv.worker.Set("mountStorage", true)
		f.Doc = []string{"From the worker template's volumes and volumeMounts: the hub's home storage."}
		if wv.dask.Get("worker") == nil {
			wv.dask.Fields = slices.Insert(wv.dask.Fields, 1, &hubfile.Field{Label: "worker", Value: wv.worker})
		}
		return
	}
	// why says why one of the two is not imported.
	why := func(got, want any, ok, otherSet bool, other string) string {
		switch {
		case !otherSet:
			return fmt.Sprintf("%s without %s: not the hub's home storage as dask.worker.mountStorage mounts it (a volume %s and its mount %s)", hubfile.ShowJSON(got), other, hubfile.ShowJSON(volume), hubfile.ShowJSON(mount))
		case ok:
			return fmt.Sprintf("%s: the hub's home storage, but %s differs from what dask.worker.mountStorage writes: not imported", hubfile.ShowJSON(got), other)
		}
		return fmt.Sprintf("%s: not the hub's home storage as dask.worker.mountStorage writes it, %s (the workers mount only that)", hubfile.ShowJSON(got), hubfile.ShowJSON(want))
	}
	if wv.hasVolumes {
		im.loss(wv.file, wv.volumesKey, why(wv.volumes, wantVolumes, okVolumes, wv.hasMounts, "volumeMounts"))
	}
	if wv.hasMounts {
		im.loss(wv.file, wv.mountsKey, why(wv.mounts, wantMounts, okMounts, wv.hasVolumes, "spec.volumes"))
	}
}

// sameData reports whether two decoded YAML trees hold the same data.
func sameData(a, b any) bool {
	return hubfile.ShowJSON(values.Normalize(a)) == hubfile.ShowJSON(values.Normalize(b))
}

// cpuCores is a Kubernetes CPU quantity as cores: a number, or a string
// such as "1.75" (YAML's quoted form, as old worker templates wrote it) or
// "1750m".
func cpuCores(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case string:
		x = strings.TrimSpace(x)
		scale := 1.0
		if m, ok := strings.CutSuffix(x, "m"); ok {
			x, scale = m, 1000
		}
		f, err := strconv.ParseFloat(x, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f / scale, true
	}
	return 0, false
}

// coresValue is c as the hub file writes it: a whole number as an int.
func coresValue(c float64) any {
	if c == math.Trunc(c) && math.Abs(c) < 1<<53 {
		return int64(c)
	}
	return c
}

// resolve writes the raw values, evaluates the hub and drops each raw value
// gen refuses as contradicting a typed one, until gen accepts the hub.
func (im *importer) resolve() error {
	if err := im.build(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "pangeo-gen-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := importCopyTree(filepath.Join(im.e.Root, "cue.mod"), filepath.Join(tmp, "cue.mod")); err != nil {
		return err
	}
	if err := importCopyTree(filepath.Join(im.e.Root, "schema"), filepath.Join(tmp, "schema")); err != nil {
		return err
	}
	hubsDir := filepath.Join(im.e.Root, loader.HubsDir)
	entries, err := os.ReadDir(hubsDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, loader.HubsDir), 0o755); err != nil {
		return err
	}
	for _, d := range entries {
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".cue") {
			continue
		}
		// Only the package's shared files: other hubs need not be valid
		// for this one to evaluate.
		data, err := os.ReadFile(filepath.Join(hubsDir, d.Name()))
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "hubs: [") || !strings.Contains(string(data), "\nhubs: ") {
			if err := os.WriteFile(filepath.Join(tmp, loader.HubsDir, d.Name()), data, 0o644); err != nil {
				return err
			}
		}
	}
	for round := 0; ; round++ {
		data, err := im.bytes()
		if err != nil {
			return err
		}
		im.res.Data = data
		if err := os.WriteFile(filepath.Join(tmp, loader.HubsDir, im.o.Name+".cue"), data, 0o644); err != nil {
			return err
		}
		fed, err := loader.Load(tmp)
		if err != nil {
			return fmt.Errorf("the imported hub does not load: %v\n%s", err, data)
		}
		h := fed.Hub(im.o.Name)
		if h == nil {
			return fmt.Errorf("the imported hub %s is not in the package", im.o.Name)
		}
		_, err = gen.GenerateHub(h)
		if err == nil {
			return nil
		}
		var ces gen.ConflictErrors
		if !errors.As(err, &ces) || round > 5 {
			return err
		}
		for _, ce := range ces {
			env, file := "common", "config/common.yaml"
			if ce.Env != "" {
				env, file = ce.Env, "config/"+ce.Env+".yaml"
			}
			if !values.Delete(im.raw[env], ce.Path) {
				return err
			}
			why := fmt.Sprintf("%s contradicts the value pangeo-gen generates, %s, and no typed field takes it", hubfile.ShowJSON(ce.Raw), hubfile.ShowJSON(ce.Typed))
			if ce.TypedEnv != "" && ce.Env == "" {
				why += " (in " + ce.TypedEnv + ")"
			}
			im.loss(file, im.keyOf(ce.Path), why)
		}
	}
}

// bytes formats the file with the current raw values.
func (im *importer) bytes() ([]byte, error) {
	body := im.body
	for _, env := range []string{"staging", "prod"} {
		eo := im.envs[env]
		eo.Remove("values")
		if len(im.raw[env]) > 0 {
			f := eo.Set("values", hubfile.Data(im.raw[env]))
			f.Doc = []string{"The rest of config/" + env + ".yaml, unwrapped."}
		}
	}
	body.Remove("values")
	if len(im.raw["common"]) > 0 {
		f := body.Set("values", hubfile.Data(im.raw["common"]))
		f.Section = true
		f.Doc = hubfile.Wrap("config/common.yaml, unwrapped to the daskhub layout: what the typed fields above do not say. A raw value never overrides a typed one.", 72)
	}
	doc := fmt.Sprintf("%s: imported from %s by `%s`.", im.o.Name, filepath.ToSlash(im.o.Dir), im.o.Command)
	if im.res.Wrapper != "" {
		doc += fmt.Sprintf(" The values were nested under %s: (the old umbrella chart).", im.res.Wrapper)
	}
	doc += " Each TODO(operator) marks a value the old hub did not have; `pangeo-gen vet " + im.o.Name + "` checks the file after each edit."
	lines := hubfile.Wrap(doc, 76)
	if len(im.secrets) > 0 {
		lines = append(lines, "")
		lines = append(lines, hubfile.Wrap("Secrets of the old hub (not read; put their content into deployments/"+im.o.Name+"/secrets/): "+strings.Join(im.secrets, ", ")+".", 76)...)
	}
	sortSecrets(im.res.Secrets)
	if len(im.res.Secrets) > 0 {
		lines = append(lines, "", "Plaintext secrets of the old config files, left out of this file (move each")
		lines = append(lines, "into deployments/"+im.o.Name+"/secrets/<env>.yaml, then encrypt it):")
		for _, s := range im.res.Secrets {
			lines = append(lines, "  "+s.File+": "+s.Key)
		}
	}
	sortLosses(im.res.Losses)
	if len(im.res.Losses) > 0 {
		lines = append(lines, "", "Not imported (pangeo-gen import reported them):")
		for _, l := range im.res.Losses {
			lines = append(lines, "  "+l.String())
		}
	}
	hf := &hubfile.File{Name: im.o.Name, Doc: lines, Body: body}
	return hf.Bytes()
}

func importCopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// sortLosses orders losses by file, then key.
func sortLosses(ls []Loss) {
	slices.SortStableFunc(ls, func(a, b Loss) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}
