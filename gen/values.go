package gen

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// ValueSet is a hub's Helm values in the daskhub layout (top-level keys
// jupyterhub:, dask-gateway:, rbac:, dask-kubernetes:).
type ValueSet struct {
	// Common are the values every environment shares: config/common.yaml.
	Common map[string]any
	// Env is the overlay of each environment ("staging", "prod") on Common:
	// config/<env>.yaml. A null in it deletes the key of Common.
	Env map[string]map[string]any
}

// Merged returns common coalesced with the env overlay the way Helm merges
// -f files (maps merge deeply, lists and scalars replace, a null deletes the
// key). An unknown env yields a copy of Common.
func (v ValueSet) Merged(env string) map[string]any {
	return values.Apply(v.Common, v.Env[env])
}

// Values computes the values of h with the notebook image img (also the
// Dask worker image).
//
// Common is the typed values of h (what its typed fields mean in chart
// values) with h.Values merged on top. For each environment e, the full
// values are the typed values of h.ForEnv(e) plus e's own typed values
// (domain, HTTPS hosts, Let's Encrypt contact, load balancer IP, OAuth
// callback URL), then h.Values, then e's raw values; Env[e] is the smallest
// overlay that turns Common into them.
//
// Raw values extend typed ones but never override them: a raw leaf or list
// that differs from the typed value at the same path is a *ConflictError
// (an environment's raw values may override the hub's raw values, which is
// what they are for). All conflicts are returned together as ConflictErrors.
func Values(h *hub.Hub, img ImageRef) (ValueSet, error) {
	vs, _, err := valCompute(h, img)
	return vs, err
}

// valCompute is Values that also returns the full values of each
// environment (what Merged must reproduce).
func valCompute(h *hub.Hub, img ImageRef) (ValueSet, map[string]map[string]any, error) {
	envs, err := valEnvNames(h)
	if err != nil {
		return ValueSet{}, nil, err
	}
	typedCommon, err := valTyped(h, img)
	if err != nil {
		return ValueSet{}, nil, fmt.Errorf("values of hub %s: %w", h.Name, err)
	}
	hubRaw := values.NormalizeMap(h.Values)
	var cs valConflicts

	common := values.CopyMap(typedCommon)
	valMergeRaw(common, hubRaw, typedCommon, valRawScope{}, nil, &cs)

	vs := ValueSet{Common: common, Env: make(map[string]map[string]any, len(envs))}
	full := make(map[string]map[string]any, len(envs))
	for _, e := range envs {
		typedEnv, err := valTyped(h.ForEnv(e), img)
		if err != nil {
			return ValueSet{}, nil, fmt.Errorf("values of hub %s, environment %s: %w", h.Name, e, err)
		}
		typedEnv = values.Apply(typedEnv, valEnvTyped(h, e))
		f := values.CopyMap(typedEnv)
		valMergeRaw(f, hubRaw, typedEnv, valRawScope{typedEnv: e}, nil, &cs)
		valMergeRaw(f, values.NormalizeMap(h.Environments[e].Values), typedEnv, valRawScope{env: e, typedEnv: e, nullDeletes: true}, nil, &cs)
		full[e] = f
		vs.Env[e] = values.Overlay(common, f)
	}
	if errs := cs.sorted(envs); len(errs) > 0 {
		return ValueSet{}, nil, errs
	}
	return vs, full, nil
}

// valEnvNames lists the environments of h: hub.EnvNames, which every hub
// must have, then any others in order.
func valEnvNames(h *hub.Hub) ([]string, error) {
	var envs []string
	known := map[string]bool{}
	for _, e := range hub.EnvNames {
		if _, ok := h.Environments[e]; !ok {
			return nil, fmt.Errorf("values of hub %s: no environment %q", h.Name, e)
		}
		envs = append(envs, e)
		known[e] = true
	}
	for _, e := range slices.Sorted(maps.Keys(h.Environments)) {
		if !known[e] {
			envs = append(envs, e)
		}
	}
	return envs, nil
}

// ValuesFiles returns deployments/<hub>/config/common.yaml and one
// config/<env>.yaml per environment (staging.yaml, prod.yaml), mode 0644,
// with the header of YAML.
func ValuesFiles(h *hub.Hub, v ValueSet) ([]File, error) {
	envs, err := valEnvNames(h)
	if err != nil {
		return nil, err
	}
	dir := path.Join(HubDir(h.Name), "config")
	write := func(name string, m map[string]any) (File, error) {
		if m == nil {
			m = map[string]any{}
		}
		data, err := YAML(h, m)
		if err != nil {
			return File{}, fmt.Errorf("hub %s: encoding %s: %w", h.Name, name, err)
		}
		return File{Path: path.Join(dir, name), Mode: 0o644, Data: data}, nil
	}
	f, err := write("common.yaml", v.Common)
	if err != nil {
		return nil, err
	}
	files := []File{f}
	for _, e := range envs {
		f, err := write(e+".yaml", v.Env[e])
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// ConflictError is a raw value (h.Values or an environment's values) that
// contradicts a typed one.
type ConflictError struct {
	// Env is the environment whose raw values hold the value, "" for the
	// hub's own raw values.
	Env string
	// Path is the key path of the value, e.g.
	// ["jupyterhub", "singleuser", "image", "tag"].
	Path []string
	// Typed is the value the typed fields give; Raw the raw value.
	Typed, Raw any
	// TypedEnv is set when a hub-level raw value contradicts only the typed
	// value of this environment (one that overrides the hub's field, or
	// that exists per environment only, like proxy.https).
	TypedEnv string
}

// CUEPath is where the raw value is in the hub: values.<path> or
// environments.<env>.values.<path>, keys that are not CUE identifiers quoted.
func (e *ConflictError) CUEPath() string {
	var b strings.Builder
	if e.Env != "" {
		b.WriteString("environments.")
		b.WriteString(valCUELabel(e.Env))
		b.WriteString(".")
	}
	b.WriteString("values")
	for _, p := range e.Path {
		b.WriteString(".")
		b.WriteString(valCUELabel(p))
	}
	return b.String()
}

// Error says where the raw value is and what the typed value is.
func (e *ConflictError) Error() string {
	msg := fmt.Sprintf("%s: raw value %s contradicts the typed value %s",
		e.CUEPath(), valJSON(e.Raw), valJSON(e.Typed))
	if e.TypedEnv != "" && e.TypedEnv != e.Env {
		msg += " of environment " + e.TypedEnv
	}
	return msg
}

// ConflictErrors are all the conflicts of a hub, hub-level ones first, then
// by environment, then by path.
type ConflictErrors []*ConflictError

// Error lists the conflicts, one a line.
func (es ConflictErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each *ConflictError, for errors.As and errors.Is.
func (es ConflictErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

var valCUEIdent = regexp.MustCompile(`^[A-Za-z$][A-Za-z0-9_$]*$`)

// valCUELabel is k as a CUE field label: as is when an identifier, else quoted.
func valCUELabel(k string) string {
	if valCUEIdent.MatchString(k) {
		return k
	}
	return strconv.Quote(k)
}

// valJSON renders a value for a message.
func valJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// valRawScope says whose raw values are merged and how their nulls behave.
type valRawScope struct {
	env string
	// typedEnv is the environment of the typed values merged onto, "" for
	// common.
	typedEnv string
	// nullDeletes makes a raw null delete the key (an environment deleting
	// a hub raw value). Otherwise the null is kept: in common.yaml it
	// deletes the chart's default.
	nullDeletes bool
}

// valConflicts collects conflicts, once per raw value.
type valConflicts struct {
	seen map[string]bool
	list []*ConflictError
}

func (cs *valConflicts) add(e *ConflictError) {
	key := e.Env + "\x00" + strings.Join(e.Path, "\x00")
	if cs.seen == nil {
		cs.seen = map[string]bool{}
	}
	if cs.seen[key] {
		return
	}
	cs.seen[key] = true
	cs.list = append(cs.list, e)
}

// sorted returns the conflicts, hub-level first, then in the order of envs,
// each by path; nil when there are none.
func (cs *valConflicts) sorted(envs []string) ConflictErrors {
	if len(cs.list) == 0 {
		return nil
	}
	rank := map[string]int{"": 0}
	for i, e := range envs {
		rank[e] = i + 1
	}
	out := ConflictErrors(append([]*ConflictError(nil), cs.list...))
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.Env] != rank[b.Env] {
			return rank[a.Env] < rank[b.Env]
		}
		for k := 0; k < len(a.Path) && k < len(b.Path); k++ {
			if a.Path[k] != b.Path[k] {
				return a.Path[k] < b.Path[k]
			}
		}
		return len(a.Path) < len(b.Path)
	})
	return out
}

// valMergeRaw merges the raw values raw into dst (which holds typed and
// possibly earlier raw values) in place. typed is the typed values at the
// same path: a raw value may add keys and merge into maps, but a raw leaf
// or list that differs from a typed one is a conflict, and the typed value
// stays.
func valMergeRaw(dst, raw, typed map[string]any, scope valRawScope, at []string, cs *valConflicts) {
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		rv := raw[k]
		p := append(append([]string(nil), at...), k)
		tv, inTyped := typed[k]
		if rm, ok := rv.(map[string]any); ok {
			if inTyped {
				tm, ok := tv.(map[string]any)
				if !ok {
					cs.add(&ConflictError{Env: scope.env, Path: p, Typed: tv, Raw: rv, TypedEnv: scope.typedEnv})
					continue
				}
				dm, ok := dst[k].(map[string]any)
				if !ok { // cannot happen: dst holds typed
					dm = values.CopyMap(tm)
					dst[k] = dm
				}
				valMergeRaw(dm, rm, tm, scope, p, cs)
				continue
			}
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			valMergeRaw(dm, rm, nil, scope, p, cs)
			continue
		}
		if inTyped {
			if u, ok := valTolerationUnion(k, tv, rv); ok {
				dst[k] = u
				continue
			}
			if !values.Equal(tv, rv) {
				cs.add(&ConflictError{Env: scope.env, Path: p, Typed: tv, Raw: rv, TypedEnv: scope.typedEnv})
			}
			continue
		}
		if rv == nil && scope.nullDeletes {
			delete(dst, k)
			continue
		}
		dst[k] = values.Copy(rv)
	}
}

// valTolerationUnion merges a raw list of tolerations into the typed one
// as a set: the typed tolerations, then each raw one they do not hold.
// Tolerations only ever allow more nodes, so two lists never contradict
// each other; ok is false when k is not a tolerations key (tolerations,
// extraTolerations) or a list is not one of tolerations (maps).
func valTolerationUnion(k string, typed, raw any) (any, bool) {
	if k != "tolerations" && k != "extraTolerations" {
		return nil, false
	}
	tl, ok1 := typed.([]any)
	rl, ok2 := raw.([]any)
	if !ok1 || !ok2 {
		return nil, false
	}
	for _, x := range slices.Concat(tl, rl) {
		if _, ok := x.(map[string]any); !ok {
			return nil, false
		}
	}
	out := values.Copy(tl).([]any)
	for _, r := range rl {
		if !slices.ContainsFunc(out, func(t any) bool { return values.Equal(t, r) }) {
			out = append(out, values.Copy(r))
		}
	}
	return out, true
}

// Keeps reports whether the generated value have keeps the old value was
// of key (the last element of its path), as Values merges raw values:
// equal, or for tolerations a list holding each of the old ones (a raw
// list of tolerations joins the typed one as a set). Import's round trip
// checks use it.
func Keeps(key string, have, was any) bool {
	if u, ok := valTolerationUnion(key, have, was); ok {
		return values.Equal(values.Normalize(u), values.Normalize(have))
	}
	return values.Equal(values.Normalize(have), values.Normalize(was))
}

// valEnvTyped are the typed values of environment env that the hub-level
// fields do not give: the domain and its certificate, the proxy's IP and
// the OAuth callback.
func valEnvTyped(h *hub.Hub, env string) map[string]any {
	e := h.Environments[env]
	https := map[string]any{"enabled": e.HTTPS}
	if e.HTTPS {
		https["hosts"] = []any{e.Domain}
		https["letsencrypt"] = map[string]any{"contactEmail": h.Contact}
	}
	proxy := map[string]any{"https": https}
	if e.LoadBalancerIP != "" {
		proxy["service"] = map[string]any{"loadBalancerIP": e.LoadBalancerIP}
	}
	_, section := Authenticator(h)
	return values.NormalizeMap(map[string]any{
		"jupyterhub": map[string]any{
			"proxy": proxy,
			"hub": map[string]any{
				"config": map[string]any{
					section: map[string]any{"oauth_callback_url": CallbackURL(h, env)},
				},
			},
		},
	})
}

// Values fixed by pangeo-gen.
const (
	// valHomeMountPath is where the home folder is in the user image.
	valHomeMountPath = "/home/jovyan"
	// valUserUID and valUserGID own home folders and run Dask workers (jovyan).
	valUserUID = 1000
	valUserGID = 1000
	// valMountHackImage chowns NFS home folders before the server starts.
	valMountHackImage = "busybox:1.37.0"
	// valGatewayPrefix is where the gateway is reached through the proxy.
	valGatewayPrefix = "/services/dask-gateway"
	// valTraefikWebPort is the container port of the gateway's traefik
	// (HTTP and, by default, the scheduler TCP proxy).
	valTraefikWebPort = 8000
	// valDaskKubernetesSA may create Dask pods (dask-kubernetes).
	valDaskKubernetesSA = "daskkubernetes"
	// valDaskhubGlueKey names the daskhub glue in hub.extraConfig.
	valDaskhubGlueKey = "00-add-dask-gateway-values"
)

// valTyped are the values the typed fields of h give, normalised.
func valTyped(h *hub.Hub, img ImageRef) (map[string]any, error) {
	if img.Name == "" || img.Tag == "" {
		return nil, fmt.Errorf("image %q has no name or tag", img.String())
	}
	jh, err := valJupyterHub(h, img)
	if err != nil {
		return nil, err
	}
	top := map[string]any{
		"rbac":       map[string]any{"enabled": true},
		"jupyterhub": jh,
	}
	switch h.Dask.Backend {
	case hub.BackendGateway:
		if h.Dask.Gateway == nil {
			return nil, errors.New("dask: backend gateway without settings")
		}
		top["dask-gateway"] = valDaskGateway(h, img)
		top["dask-kubernetes"] = map[string]any{"enabled": false}
	case hub.BackendKubernetes:
		if h.Dask.Kubernetes == nil {
			return nil, errors.New("dask: backend kubernetes without settings")
		}
		top["dask-gateway"] = map[string]any{"enabled": false}
		top["dask-kubernetes"] = map[string]any{"enabled": true}
	case hub.BackendNone:
		// No Dask: the umbrella's dask-gateway dependency is off
		// (condition dask-gateway.enabled) and no worker RBAC is made.
		top["dask-gateway"] = map[string]any{"enabled": false}
		top["dask-kubernetes"] = map[string]any{"enabled": false}
	default:
		return nil, fmt.Errorf("dask: unknown backend %q", h.Dask.Backend)
	}
	if st := h.Storage; st.Type == "nfs" && st.Claim != "" {
		if h.Chart.Name != hub.GeneratedChart {
			return nil, fmt.Errorf("storage.claim: the claim is made by the generated %s chart, and the hub deploys %s", hub.GeneratedChart, h.Chart.Name)
		}
		top["homeDirectories"] = map[string]any{"nfs": map[string]any{
			"enabled":    true,
			"claimName":  st.Claim,
			"serverIP":   st.Server,
			"serverPath": path.Clean(st.Path),
		}}
	}
	return values.NormalizeMap(top), nil
}

// valChartImage is img as the charts take it, {name, tag}, which they join
// as "name:tag". A digest reference splits before its hex digits
// ("repo@sha256" and "<hex>") so that the join gives it back.
func valChartImage(img ImageRef) map[string]any {
	if d, ok := strings.CutPrefix(img.Tag, "sha256:"); ok {
		return map[string]any{"name": img.Name + "@sha256", "tag": d}
	}
	return map[string]any{"name": img.Name, "tag": img.Tag}
}

// valJupyterHub are the jupyterhub chart's typed values.
func valJupyterHub(h *hub.Hub, img ImageRef) (map[string]any, error) {
	singleuser, err := valSingleuser(h, img)
	if err != nil {
		return nil, err
	}
	hubValues, err := valHubPod(h)
	if err != nil {
		return nil, err
	}
	c := h.Culling
	every := min(300, c.NotebookIdleTimeout/2)
	if every < 1 {
		every = 1
	}
	return map[string]any{
		"singleuser": singleuser,
		"hub":        hubValues,
		"scheduling": map[string]any{
			"userScheduler":   map[string]any{"enabled": true},
			"podPriority":     map[string]any{"enabled": true},
			"userPlaceholder": map[string]any{"enabled": false},
			"corePods":        map[string]any{"nodeAffinity": map[string]any{"matchNodePurpose": "require"}},
			"userPods":        map[string]any{"nodeAffinity": map[string]any{"matchNodePurpose": "require"}},
		},
		// Helm hooks mean nothing under kubectl apply.
		"prePuller": map[string]any{"hook": map[string]any{"enabled": false}},
		"cull": map[string]any{
			"enabled": true,
			"timeout": c.NotebookIdleTimeout,
			"every":   every,
			"maxAge":  c.NotebookMaxAge,
		},
	}, nil
}

// valSingleuser configure the user servers (KubeSpawner).
func valSingleuser(h *hub.Hub, img ImageRef) (map[string]any, error) {
	nb := h.Notebook
	env := map[string]any{
		"DASK_DISTRIBUTED__DASHBOARD__LINK": "/user/{JUPYTERHUB_USER}/proxy/{port}/status",
	}
	su := map[string]any{
		"image":        valChartImage(img),
		"cpu":          map[string]any{"guarantee": nb.CPU.Guarantee, "limit": nb.CPU.Limit},
		"memory":       map[string]any{"guarantee": nb.Memory.Guarantee, "limit": nb.Memory.Limit},
		"startTimeout": nb.StartTimeout,
		"extraEnv":     env,
	}
	if nb.DefaultURL != "" {
		su["defaultUrl"] = nb.DefaultURL
	}
	// A spot user pool is tainted (Placement): user servers tolerate it,
	// besides the chart's own scheduling.userPods tolerations.
	if user := Placement(h, "user"); len(user.Taints) > 0 {
		su["extraTolerations"] = Tolerations(user.Taints)
	}
	switch h.Dask.Backend {
	case hub.BackendGateway:
		// Workers run the notebook's image: the client asks for it.
		env["DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE"] = "{JUPYTER_IMAGE_SPEC}"
		env["DASK_LABEXTENSION__FACTORY__MODULE"] = "dask_gateway"
		env["DASK_LABEXTENSION__FACTORY__CLASS"] = "GatewayCluster"
		// The chart's user-pod NetworkPolicy denies private IPs; the client
		// reaches its scheduler and dashboard through the gateway's traefik
		// (dask/helm-chart#445).
		su["networkPolicy"] = map[string]any{"egress": []any{map[string]any{
			"to": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{
				"app.kubernetes.io/name":      "dask-gateway",
				"app.kubernetes.io/component": "traefik",
			}}}},
			"ports": []any{map[string]any{"port": valTraefikWebPort, "protocol": "TCP"}},
		}}}
	case hub.BackendKubernetes:
		env["DASK_LABEXTENSION__FACTORY__MODULE"] = "dask_kubernetes"
		env["DASK_LABEXTENSION__FACTORY__CLASS"] = "KubeCluster"
		if k := h.Dask.Kubernetes; k != nil {
			// Per environment; overrides the image's dask config.
			env["DASK_KUBERNETES__COUNT__MAX"] = strconv.Itoa(k.MaxWorkers)
			env["DASK_KUBERNETES__IDLE_TIMEOUT"] = strconv.Itoa(h.Culling.DaskIdleTimeout) + "s"
		}
		su["serviceAccountName"] = valDaskKubernetesSA
		// The notebook talks to the Kubernetes API and to the schedulers
		// it creates, all on private IPs. A user who may create pods gains
		// nothing from a policy that blocks them.
		su["networkPolicy"] = map[string]any{"egressAllowRules": map[string]any{"privateIPs": true}}
	}
	su["profileList"] = valProfiles(nb.Profiles, env)
	if err := valStorage(h.Storage, su); err != nil {
		return nil, err
	}
	return su, nil
}

// valProfiles is singleuser.profileList: each profile's KubeSpawner
// overrides. A profile's env is written on top of the hub's own extraEnv
// (env) so that its servers keep the Dask settings whether KubeSpawner
// merges the environment override or replaces it.
func valProfiles(ps []hub.Profile, env map[string]any) []any {
	profiles := make([]any, 0, len(ps))
	for _, p := range ps {
		override := map[string]any{
			"cpu_guarantee": p.CPU.Guarantee,
			"cpu_limit":     p.CPU.Limit,
			"mem_guarantee": p.Memory.Guarantee,
			"mem_limit":     p.Memory.Limit,
		}
		if p.Image != nil {
			override["image"] = *p.Image
		}
		if len(p.Env) > 0 {
			e := make(map[string]any, len(env)+len(p.Env))
			for k, v := range env {
				e[k] = v
			}
			for k, v := range p.Env {
				e[k] = v
			}
			override["environment"] = e
		}
		entry := map[string]any{
			"display_name":         p.DisplayName,
			"slug":                 p.Slug,
			"kubespawner_override": override,
		}
		if p.Description != "" {
			entry["description"] = p.Description
		}
		if p.Default {
			entry["default"] = true
		}
		profiles = append(profiles, entry)
	}
	return profiles
}

// valStorage sets the home folders of user servers in su.
func valStorage(s hub.Storage, su map[string]any) error {
	switch s.Type {
	case "dynamic":
		st := map[string]any{"type": "dynamic"}
		if s.Capacity != "" {
			st["capacity"] = s.Capacity
		}
		if s.StorageClass != "" {
			st["dynamic"] = map[string]any{"storageClass": s.StorageClass}
		}
		su["storage"] = st
		return nil
	case "nfs":
	default:
		return fmt.Errorf("storage: unknown type %q", s.Type)
	}
	if s.Server == "" || s.Path == "" {
		return errors.New("storage: nfs needs a server and a path")
	}
	export := path.Clean(s.Path)
	volumes := []any{map[string]any{
		"name": homeVolume,
		"nfs":  map[string]any{"server": s.Server, "path": export},
	}}
	subPath := cmp.Or(s.SubPath, "{username}")
	homeMount := map[string]any{"name": homeVolume, "mountPath": valHomeMountPath, "subPath": subPath}
	var mounts []any
	if s.Claim == "" {
		mounts = append(mounts, homeMount)
	}
	if sh := s.Shared; sh != nil {
		mountPath := sh.MountPath
		if mountPath == "" {
			mountPath = valHomeMountPath + "/shared"
		}
		shared := path.Clean(sh.Path)
		m := map[string]any{"mountPath": mountPath, "readOnly": sh.ReadOnly}
		if rel, ok := valNFSSubPath(export, shared); ok {
			// A folder of the export: the home volume, at that sub path.
			m["name"] = homeVolume
			if rel != "" {
				m["subPath"] = rel
			}
		} else {
			m["name"] = "shared"
			volumes = append(volumes, map[string]any{
				"name": "shared",
				"nfs":  map[string]any{"server": s.Server, "path": shared},
			})
		}
		mounts = append(mounts, m)
	}
	switch {
	case s.Claim == "":
		su["storage"] = map[string]any{
			"type":              "none",
			"extraVolumes":      volumes,
			"extraVolumeMounts": mounts,
		}
	default:
		st := map[string]any{
			"type":   "static",
			"static": map[string]any{"pvcName": s.Claim, "subPath": subPath},
		}
		// The generated chart's claim (ChartFiles) is the home volume,
		// which the jupyterhub chart's static storage names "home".
		if len(volumes) > 1 {
			st["extraVolumes"] = volumes[1:]
		}
		if len(mounts) > 0 {
			st["extraVolumeMounts"] = mounts
		}
		su["storage"] = st
	}
	// NFS folders are created owned by root: hand the user's to jovyan.
	su["initContainers"] = []any{map[string]any{
		"name":            "volume-mount-hack",
		"image":           valMountHackImage,
		"command":         []any{"sh", "-c", fmt.Sprintf("id && chown %d:%d %s && ls -lhd %s", valUserUID, valUserGID, valHomeMountPath, valHomeMountPath)},
		"securityContext": map[string]any{"runAsUser": 0},
		"volumeMounts":    []any{values.Copy(homeMount)},
	}}
	return nil
}

// valNFSSubPath is the path of folder relative to the export, when folder is
// in it.
func valNFSSubPath(export, folder string) (string, bool) {
	if folder == export {
		return "", true
	}
	prefix := strings.TrimSuffix(export, "/") + "/"
	if strings.HasPrefix(folder, prefix) {
		return strings.TrimPrefix(folder, prefix), true
	}
	return "", false
}

// valHubPod configure the hub: authentication, and the dask-gateway
// service for the gateway backend.
func valHubPod(h *hub.Hub) (map[string]any, error) {
	a := h.Auth
	class, section := Authenticator(h)
	authn := map[string]any{"admin_users": valStrings(a.Admins)}
	if len(a.AllowedUsers) > 0 {
		authn["allowed_users"] = valStrings(a.AllowedUsers)
	}
	var provider map[string]any
	switch {
	case a.GitHub != nil && a.OAuth2 != nil:
		return nil, errors.New("auth: both github and oauth2 are set")
	case a.GitHub != nil:
		// oauthenticator takes teams as "org:team" among the organisations.
		orgs := append(valStrings(a.GitHub.Orgs), valStrings(a.GitHub.Teams)...)
		provider = map[string]any{"scope": []any{"read:org"}}
		if len(orgs) > 0 {
			provider["allowed_organizations"] = orgs
		}
	case a.OAuth2 != nil:
		o := a.OAuth2
		provider = map[string]any{
			"login_service":  o.LoginService,
			"authorize_url":  o.AuthorizeURL,
			"token_url":      o.TokenURL,
			"userdata_url":   o.UserdataURL,
			"username_claim": o.UsernameClaim,
			"scope":          valStrings(o.Scopes),
		}
	default:
		return nil, errors.New("auth: neither github nor oauth2 is set")
	}
	v := map[string]any{
		"config": map[string]any{
			"JupyterHub":    map[string]any{"authenticator_class": class},
			"Authenticator": authn,
			section:         provider,
		},
	}
	if h.Dask.Backend == hub.BackendGateway {
		v["services"] = map[string]any{"dask-gateway": map[string]any{"display": false}}
		v["extraConfig"] = map[string]any{valDaskhubGlueKey: valDaskhubGlue}
	}
	return v, nil
}

// valStrings is ss as a values list (never nil).
func valStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// valDaskGateway are the dask-gateway chart's typed values.
func valDaskGateway(h *hub.Hub, img ImageRef) map[string]any {
	g := h.Dask.Gateway
	core := Placement(h, "core")
	dask := Placement(h, "dask")
	podConfig := func() map[string]any {
		return map[string]any{"nodeSelector": dask.Labels, "tolerations": Tolerations(dask.Taints)}
	}
	return map[string]any{
		"enabled": true,
		"gateway": map[string]any{
			"prefix":       valGatewayPrefix,
			"auth":         map[string]any{"type": "jupyterhub"},
			"nodeSelector": core.Labels,
			"backend": map[string]any{
				"image":     valChartImage(img),
				"scheduler": map[string]any{"extraPodConfig": podConfig()},
				"worker": map[string]any{
					"extraPodConfig": podConfig(),
					"extraContainerConfig": map[string]any{
						"securityContext": map[string]any{"runAsUser": valUserUID, "runAsGroup": valUserGID},
					},
				},
			},
			"extraConfig": map[string]any{
				"optionHandler": valOptionHandler(g, img),
				"idle":          fmt.Sprintf("# Shut clusters down after %d seconds idle.\nc.ClusterConfig.idle_timeout = %d\n", h.Culling.DaskIdleTimeout, h.Culling.DaskIdleTimeout),
				"limits": "# Limits of one Dask cluster.\n" +
					"c.ClusterConfig.cluster_max_cores = " + valPyFloat(g.ClusterMaxCores) + "\n" +
					"c.ClusterConfig.cluster_max_memory = " + strconv.Quote(valPyNumber(g.ClusterMaxMemoryGiB)+"G") + "\n",
			},
		},
		"controller": map[string]any{"nodeSelector": core.Labels},
		"traefik": map[string]any{
			"nodeSelector": core.Labels,
			// Reached through the JupyterHub proxy only.
			"service": map[string]any{"type": "ClusterIP"},
		},
	}
}

// valOptionHandler is the gateway's cluster options: users pick worker cores
// and memory within the hub's bounds; workers and scheduler run the image
// the client asks for, by default the notebook's own.
func valOptionHandler(g *hub.GatewayDask, img ImageRef) string {
	c, m := g.Worker.Cores, g.Worker.MemoryGiB
	return `import re

from dask_gateway_server.options import Float, Mapping, Options, String


def cluster_options(user):
    """Cluster options of one user: worker size within the hub's bounds."""
    label = re.sub(r"[^A-Za-z0-9_.-]", "-", user.name)[:63].strip("-_.")

    def option_handler(options):
        name = options.image.rsplit("/", 1)[-1]
        if ":" not in name and "@" not in name:
            raise ValueError("image %r has no tag or digest" % options.image)
        annotations = {
            "hub.jupyter.org/username": user.name,
            "prometheus.io/port": "8787",
            "prometheus.io/scrape": "true",
        }
        labels = {"hub.jupyter.org/username": label}
        # Requests are a little below the limits so that a worker asking for
        # a whole node still fits next to the node's system pods.
        return {
            "image": options.image,
            "worker_cores": ` + valPyFloat(GatewayCoresRequest) + ` * options.worker_cores,
            "worker_cores_limit": options.worker_cores,
            "worker_threads": max(1, int(options.worker_cores)),
            "worker_memory": int(` + valPyFloat(GatewayMemoryRequest) + ` * options.worker_memory * 2**30),
            "worker_memory_limit": int(options.worker_memory * 2**30),
            "environment": options.environment,
            "scheduler_extra_pod_annotations": annotations,
            "worker_extra_pod_annotations": annotations,
            "scheduler_extra_pod_labels": labels,
            "worker_extra_pod_labels": labels,
        }

    return Options(
        Float("worker_cores", default=` + valPyFloat(c.Default) + `, min=` + valPyFloat(c.Min) + `, max=` + valPyFloat(c.Max) + `, label="Worker cores"),
        Float("worker_memory", default=` + valPyFloat(m.Default) + `, min=` + valPyFloat(m.Min) + `, max=` + valPyFloat(m.Max) + `, label="Worker memory (GiB)"),
        String("image", default=` + strconv.Quote(img.String()) + `, label="Image"),
        Mapping("environment", default={}, label="Environment variables"),
        handler=option_handler,
    )


c.Backend.cluster_options = cluster_options
`
}

// valPyFloat is f as a Python float literal, shortest form ("2.0", "0.5").
func valPyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// valPyNumber is f in its shortest decimal form, without a fraction when whole.
func valPyNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// valDaskhubGlue is the daskhub chart's hub.extraConfig
// "00-add-dask-gateway-values", verbatim: it registers the gateway's URL
// with the dask-gateway service and sets DASK_GATEWAY__* in user servers.
const valDaskhubGlue = `# 1. Sets ` + "`DASK_GATEWAY__PROXY_ADDRESS`" + ` in the singleuser environment.
# 2. Adds the URL for the Dask Gateway JupyterHub service.
import os

# These are set by jupyterhub.
release_name = os.environ["HELM_RELEASE_NAME"]
release_namespace = os.environ["POD_NAMESPACE"]

if "PROXY_HTTP_SERVICE_HOST" in os.environ:
    # https is enabled, we want to use the internal http service.
    gateway_address = "http://{}:{}/services/dask-gateway/".format(
        os.environ["PROXY_HTTP_SERVICE_HOST"],
        os.environ["PROXY_HTTP_SERVICE_PORT"],
    )
    print("Setting DASK_GATEWAY__ADDRESS {} from HTTP service".format(gateway_address))
else:
    gateway_address = "http://proxy-public/services/dask-gateway"
    print("Setting DASK_GATEWAY__ADDRESS {}".format(gateway_address))

# Internal address to connect to the Dask Gateway.
c.KubeSpawner.environment.setdefault("DASK_GATEWAY__ADDRESS", gateway_address)
# Internal address for the Dask Gateway proxy.
c.KubeSpawner.environment.setdefault("DASK_GATEWAY__PROXY_ADDRESS", "gateway://traefik-{}-dask-gateway.{}:80".format(release_name, release_namespace))
# Relative address for the dashboard link.
c.KubeSpawner.environment.setdefault("DASK_GATEWAY__PUBLIC_ADDRESS", "/services/dask-gateway/")
# Use JupyterHub to authenticate with Dask Gateway.
c.KubeSpawner.environment.setdefault("DASK_GATEWAY__AUTH__TYPE", "jupyterhub")

# Adds Dask Gateway as a JupyterHub service to make the gateway available at
# {HUB_URL}/services/dask-gateway
service_url = "http://traefik-{}-dask-gateway.{}".format(release_name, release_namespace)
for service in c.JupyterHub.services:
    if service["name"] == "dask-gateway":
        if not service.get("url", None):
            print("Adding dask-gateway service URL")
            service.setdefault("url", service_url)
        break
else:
    print("dask-gateway service not found, this should not happen!")
`
