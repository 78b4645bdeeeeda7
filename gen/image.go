package gen

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// The image folder of a built image, relative to deployments/<hub>/image/.
// repo2docker (and the pangeo onbuild images' ONBUILD steps) read binder/;
// the rest is data that binder/postBuild installs into the image.
const (
	envFile        = "binder/environment.yml"
	aptFile        = "binder/apt.txt"
	postBuildFile  = "binder/postBuild"
	startFile      = "binder/start"
	dockerFile     = "binder/Dockerfile"
	workspaceFile  = "binder/jupyterlab-workspace.json"
	daskConfigPath = ".dask/config.yaml"
	catalogPath    = "catalogs/pangeo.yaml"
	intakeConfFile = ".intake/conf.yaml"
)

// nbPythonPrefix is the notebook environment of repo2docker images and of
// the pangeo images (NB_PYTHON_PREFIX = /srv/conda/envs/notebook). The
// scripts use $NB_PYTHON_PREFIX itself; only files that cannot expand a
// variable (.intake/conf.yaml) and the start script's fallback spell it out.
const nbPythonPrefix = "/srv/conda/envs/notebook"

// Where binder/postBuild installs things inside the image, relative to
// $NB_PYTHON_PREFIX. Home directories are mounted over /home/jovyan at run
// time, so nothing the image needs may live there.
const (
	// prefixDaskDir is read by dask (<sys.prefix>/etc/dask/*.yaml).
	prefixDaskDir = "etc/dask"
	// prefixIntakeDir is intake's global catalog folder
	// (<sys.prefix>/share/intake/<stem>.yaml is intake.cat.<stem>).
	prefixIntakeDir = "share/intake"
	// prefixIntakeConfDir holds intake's conf.yaml; binder/start points
	// INTAKE_CONF_DIR at it.
	prefixIntakeConfDir = "etc/intake"
	// prefixFilesDir holds the starter files binder/start copies into $HOME.
	prefixFilesDir = "share/pangeo/files"
)

// daskDashboardLink is the dashboard link of a user's local and Dask
// clusters behind JupyterHub's proxy (dask formats it with the environment).
const daskDashboardLink = "/user/{JUPYTERHUB_USER}/proxy/{port}/status"

// jupyterImageSpecVar is the variable KubeSpawner sets to the user pod's
// image: the clone pattern starts Dask workers from exactly this image.
const jupyterImageSpecVar = "${JUPYTER_IMAGE_SPEC}"

// imageDir is the image folder of a hub, relative to the repository root.
func imageDir(name string) string { return path.Join(HubDir(name), "image") }

// ImageFiles returns the repo2docker build context of a built image, paths
// deployments/<hub>/image/..., sorted. nil for a prebuilt image.
//
// The folder holds binder/environment.yml, binder/apt.txt (when apt packages
// are set), binder/postBuild, binder/start, binder/Dockerfile (when a base
// image is set: the pangeo onbuild images run the binder/ files through
// their ONBUILD steps), binder/jupyterlab-workspace.json (when a workspace
// is set), .dask/config.yaml, catalogs/pangeo.yaml and .intake/conf.yaml
// (when catalogs are set), and the hub's own files at their paths;
// .dask/config.yaml only for a hub with Dask.
func ImageFiles(h *hub.Hub) ([]File, error) {
	if !h.Image.Built() {
		return nil, nil
	}
	dir := imageDir(h.Name)
	var files []File
	add := func(rel string, mode fs.FileMode, data []byte) {
		files = append(files, File{Path: path.Join(dir, rel), Mode: mode, Data: data})
	}

	env, err := environmentYAML(h)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %s: %w", h.Name, envFile, err)
	}
	add(envFile, 0o644, env)

	if len(h.Image.Apt) > 0 {
		add(aptFile, 0o644, aptTxt(h))
	}
	if h.Image.Base != "" {
		add(dockerFile, 0o644, dockerfile(h))
	}

	var workspace []byte
	if h.Image.Workspace != nil {
		if workspace, err = workspaceJSON(h.Image.Workspace); err != nil {
			return nil, fmt.Errorf("hub %s: %s: %w", h.Name, workspaceFile, err)
		}
		add(workspaceFile, 0o644, workspace)
	}

	if h.Dask.Enabled() {
		dask, err := daskConfig(h)
		if err != nil {
			return nil, fmt.Errorf("hub %s: %s: %w", h.Name, daskConfigPath, err)
		}
		add(daskConfigPath, 0o644, dask)
	}

	if len(h.Catalogs) > 0 {
		cat, err := catalogYAML(h)
		if err != nil {
			return nil, fmt.Errorf("hub %s: %s: %w", h.Name, catalogPath, err)
		}
		add(catalogPath, 0o644, cat)
		conf, err := YAML(h, intakeConf{CatalogPath: []string{path.Join(nbPythonPrefix, prefixIntakeDir)}})
		if err != nil {
			return nil, fmt.Errorf("hub %s: %s: %w", h.Name, intakeConfFile, err)
		}
		add(intakeConfFile, 0o644, conf)
	}

	userFiles, err := sortedUserFiles(h, files)
	if err != nil {
		return nil, err
	}
	for _, p := range userFiles {
		add(p, 0o644, []byte(h.Image.Files[p]))
	}

	post, err := postBuild(h, userFiles)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %s: %w", h.Name, postBuildFile, err)
	}
	add(postBuildFile, 0o755, post)
	start, err := startScript(h)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %s: %w", h.Name, startFile, err)
	}
	add(startFile, 0o755, start)

	SortFiles(files)
	return files, nil
}

// sortedUserFiles returns the paths of the hub's image files, sorted, after
// checking each path (ImagePathProblem), that none collides with a
// generated file or with another file's folder, also on a file system
// that ignores case, and that every content is text (ControlChar).
func sortedUserFiles(h *hub.Hub, generated []File) ([]string, error) {
	taken := map[string]bool{}
	prefix := imageDir(h.Name) + "/"
	for _, f := range generated {
		taken[strings.ToLower(strings.TrimPrefix(f.Path, prefix))] = true
	}
	// postBuild and start are added after the user files.
	taken[postBuildFile], taken[startFile] = true, true
	paths := make([]string, 0, len(h.Image.Files))
	for p := range h.Image.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	folded := map[string]string{}
	for _, p := range paths {
		if why := ImagePathProblem(p); why != "" {
			return nil, fmt.Errorf("hub %s: image.files: %q %s", h.Name, p, why)
		}
		lower := strings.ToLower(p)
		top := strings.SplitN(lower, "/", 2)[0]
		if taken[lower] || top == ".dask" || top == ".intake" {
			return nil, fmt.Errorf("hub %s: image.files: %q is a file pangeo-gen generates", h.Name, p)
		}
		if other, ok := folded[lower]; ok {
			return nil, fmt.Errorf("hub %s: image.files: %q and %q differ only in case: one overwrites the other on a file system that ignores case", h.Name, other, p)
		}
		folded[lower] = p
		if r, ok := ControlChar(h.Image.Files[p], true); ok {
			return nil, fmt.Errorf("hub %s: image.files: %q holds the control character %U: text written into generated files may hold tabs and newlines, no other control character", h.Name, p, r)
		}
	}
	// A file may not also be the folder of another ("a" and "a/b").
	for i := 1; i < len(paths); i++ {
		for j := 0; j < i; j++ {
			if strings.HasPrefix(strings.ToLower(paths[i]), strings.ToLower(paths[j])+"/") {
				return nil, fmt.Errorf("hub %s: image.files: %q is both a file and the folder of %q", h.Name, paths[j], paths[i])
			}
		}
	}
	return paths, nil
}

// condaEnvironment is binder/environment.yml. name is left out: repo2docker
// and the onbuild images install into their own "notebook" environment.
type condaEnvironment struct {
	Channels     []string `yaml:"channels,omitempty"`
	Dependencies []any    `yaml:"dependencies"`
}

// condaName is the package name of a conda match spec ("dask>=2025.1" ->
// "dask"), lower case, without a channel prefix.
func condaName(spec string) string {
	if i := strings.LastIndex(spec, "::"); i >= 0 {
		spec = spec[i+2:]
	}
	if i := strings.IndexAny(spec, " =<>!~"); i >= 0 {
		spec = spec[:i]
	}
	return strings.ToLower(strings.TrimSpace(spec))
}

// condaDependencies returns the conda dependencies binder/environment.yml
// installs: the hub's, in order, then what the hub needs and did not list:
// intake-stac when catalogs are set, dask-gateway pinned to the
// dask-gateway chart for the gateway backend, a dask-kubernetes that still
// has the classic KubeCluster for the kubernetes backend, and pip when pip packages are set.
func condaDependencies(h *hub.Hub) []string {
	deps := append([]string(nil), h.Image.Conda.Dependencies...)
	have := map[string]bool{}
	for _, d := range deps {
		have[condaName(d)] = true
	}
	need := func(name, spec string) {
		if !have[name] {
			deps = append(deps, spec)
			have[name] = true
		}
	}
	if len(h.Catalogs) > 0 {
		need("intake-stac", "intake-stac")
	}
	switch h.Dask.Backend {
	case hub.BackendGateway:
		spec := "dask-gateway"
		if v := h.Chart.DaskGateway.Version; v != "" {
			spec += "=" + v
		}
		need("dask-gateway", spec)
	case hub.BackendKubernetes:
		need("dask-kubernetes", "dask-kubernetes<"+ClassicDaskKubernetesBefore)
	}
	if len(h.Image.Conda.Pip) > 0 {
		need("pip", "pip")
	}
	return deps
}

func environmentYAML(h *hub.Hub) ([]byte, error) {
	env := condaEnvironment{Channels: h.Image.Conda.Channels, Dependencies: []any{}}
	for _, d := range condaDependencies(h) {
		env.Dependencies = append(env.Dependencies, d)
	}
	if len(h.Image.Conda.Pip) > 0 {
		env.Dependencies = append(env.Dependencies, map[string][]string{"pip": h.Image.Conda.Pip})
	}
	return YAML(h, env)
}

// aptTxt is binder/apt.txt, one package a line. repo2docker skips '#'
// lines, but the pangeo onbuild images feed the file to
// `xargs -a apt.txt apt-get install`, which would try to install the
// header's words: the header is left out when a base image is set.
func aptTxt(h *hub.Hub) []byte {
	var b bytes.Buffer
	if h.Image.Base == "" {
		b.WriteString(HashHeader(h))
	}
	for _, p := range h.Image.Apt {
		b.WriteString(p + "\n")
	}
	return b.Bytes()
}

func dockerfile(h *hub.Hub) []byte {
	var b bytes.Buffer
	b.WriteString(HashHeader(h))
	b.WriteString("# The base image's ONBUILD steps install binder/apt.txt and\n")
	b.WriteString("# binder/environment.yml, run binder/postBuild and install binder/start:\n")
	b.WriteString("# use an -onbuild image, such as pangeo/pangeo-notebook-onbuild.\n")
	fmt.Fprintf(&b, "FROM %s\n", h.Image.Base)
	return b.Bytes()
}

// workspaceJSON is the JupyterLab workspace, indented, keys sorted.
// `jupyter lab workspaces import` refuses a workspace without metadata.id;
// one without it becomes the default workspace ("default").
func workspaceJSON(ws map[string]any) ([]byte, error) {
	out := make(map[string]any, len(ws)+1)
	for k, v := range ws {
		out[k] = v
	}
	meta := map[string]any{}
	switch m := ws["metadata"].(type) {
	case nil:
	case map[string]any:
		for k, v := range m {
			meta[k] = v
		}
	default:
		return nil, fmt.Errorf("workspace metadata is a %T, not an object", m)
	}
	if id, _ := meta["id"].(string); id == "" {
		meta["id"] = "default"
	}
	out["metadata"] = meta
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// labExtensionFactory is the cluster class dask-labextension's "New" button
// creates.
type labExtensionFactory struct {
	Module string         `yaml:"module"`
	Class  string         `yaml:"class"`
	Args   []any          `yaml:"args"`
	Kwargs map[string]any `yaml:"kwargs"`
}

type daskConfigDoc struct {
	Distributed struct {
		Dashboard struct {
			Link string `yaml:"link"`
		} `yaml:"dashboard"`
	} `yaml:"distributed"`
	Gateway      *daskGatewayConfig    `yaml:"gateway,omitempty"`
	Kubernetes   *daskKubernetesConfig `yaml:"kubernetes,omitempty"`
	LabExtension struct {
		Factory labExtensionFactory `yaml:"factory"`
	} `yaml:"labextension"`
}

// daskGatewayConfig is the gateway: section. The gateway's addresses are
// not the image's business: the hub sets DASK_GATEWAY__ADDRESS,
// DASK_GATEWAY__PROXY_ADDRESS and DASK_GATEWAY__PUBLIC_ADDRESS on the user
// pod, and the gateway server starts workers from the notebook's image.
type daskGatewayConfig struct {
	Auth struct {
		Type string `yaml:"type"`
	} `yaml:"auth"`
}

// daskKubernetesConfig is the kubernetes: section of classic
// dask-kubernetes (key names as in dask-kubernetes' defaults).
type daskKubernetesConfig struct {
	Count struct {
		Max int `yaml:"max"`
	} `yaml:"count"`
	IdleTimeout    string `yaml:"idle-timeout"`
	WorkerTemplate any    `yaml:"worker-template"`
}

// formatNumber writes a number the shortest way: 2, 0.5.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// daskConfig is .dask/config.yaml, which binder/postBuild installs as
// $NB_PYTHON_PREFIX/etc/dask/pangeo.yaml. It holds what is the same in
// both environments; per-environment Dask limits are the hub's values.
func daskConfig(h *hub.Hub) ([]byte, error) {
	var c daskConfigDoc
	c.Distributed.Dashboard.Link = daskDashboardLink
	switch h.Dask.Backend {
	case hub.BackendGateway:
		c.Gateway = &daskGatewayConfig{}
		c.Gateway.Auth.Type = "jupyterhub"
		c.LabExtension.Factory = labExtensionFactory{Module: "dask_gateway", Class: "GatewayCluster", Args: []any{}, Kwargs: map[string]any{}}
	case hub.BackendKubernetes:
		k := h.Dask.Kubernetes
		if k == nil {
			return nil, fmt.Errorf("dask backend kubernetes without settings")
		}
		tmpl, err := workerTemplate(h, k)
		if err != nil {
			return nil, err
		}
		kc := &daskKubernetesConfig{
			IdleTimeout:    fmt.Sprintf("%ds", h.Culling.DaskIdleTimeout),
			WorkerTemplate: tmpl,
		}
		kc.Count.Max = k.MaxWorkers
		c.Kubernetes = kc
		c.LabExtension.Factory = labExtensionFactory{Module: "dask_kubernetes", Class: "KubeCluster", Args: []any{}, Kwargs: map[string]any{}}
		if len(k.Config) > 0 {
			return daskConfigWith(h, c, k.Config)
		}
	default:
		return nil, fmt.Errorf("unknown dask backend %q", h.Dask.Backend)
	}
	return YAML(h, c)
}

// daskConfigWith is the Dask configuration c with the hub's own
// configuration (dask.config) merged in: it may add keys, never change
// one gen writes.
func daskConfigWith(h *hub.Hub, c daskConfigDoc, raw map[string]any) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var typed map[string]any
	if err := yaml.Unmarshal(b, &typed); err != nil {
		return nil, err
	}
	typed = values.NormalizeMap(typed)
	out := values.CopyMap(typed)
	var cs valConflicts
	valMergeRaw(out, values.NormalizeMap(raw), typed, valRawScope{}, nil, &cs)
	if len(cs.list) > 0 {
		var msgs []string
		for _, e := range cs.sorted(nil) {
			msgs = append(msgs, fmt.Sprintf("dask.config.%s: %s contradicts what gen writes, %s", strings.Join(e.Path, "."), valJSON(e.Raw), valJSON(e.Typed)))
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	return YAML(h, out)
}

// workerUserVar is the notebook's variable of the user's name, as the
// worker template writes it: dask-kubernetes expands the template's
// ${VARS} from the notebook's environment, as it does ${JUPYTER_IMAGE_SPEC}.
const workerUserVar = "${JUPYTERHUB_USER}"

// homeVolume names the home volume wherever gen mounts it: the user pods'
// NFS volume and the worker template's, as the jupyterhub chart's static
// storage names the claim's.
const homeVolume = "home"

// WorkerStorage is the volume and the volume mount of the hub's home
// storage in a classic Dask worker pod (dask.worker.mountStorage), as the
// notebook mounts it: the generated chart's claim (storage.claim) or else
// the NFS export, mounted at /home/jovyan at the user's sub path
// (storage.subPath with {username} written ${JUPYTERHUB_USER}). The shared
// folder is the notebook's only. Dynamic storage has no volume the workers
// can share (each user's is ReadWriteOnce): a *hub.FieldError at
// dask.worker.mountStorage. Import compares an old worker template with it.
func WorkerStorage(s hub.Storage) (volume, mount map[string]any, err error) {
	if s.Type != "nfs" {
		return nil, nil, &hub.FieldError{Path: []string{"dask", "worker", "mountStorage"}, Msg: fmt.Sprintf(
			"the workers cannot mount %s storage: each user's home is a volume of its own (ReadWriteOnce), which worker pods on other nodes cannot mount; use storage type \"nfs\" (with a claim or an export) or drop mountStorage", s.Type)}
	}
	if s.Server == "" || s.Path == "" {
		return nil, nil, errors.New("storage: nfs needs a server and a path")
	}
	volume = map[string]any{"name": homeVolume}
	if s.Claim != "" {
		volume["persistentVolumeClaim"] = map[string]any{"claimName": s.Claim}
	} else {
		volume["nfs"] = map[string]any{"server": s.Server, "path": path.Clean(s.Path)}
	}
	subPath := strings.ReplaceAll(cmp.Or(s.SubPath, "{username}"), "{username}", workerUserVar)
	mount = map[string]any{"name": homeVolume, "mountPath": valHomeMountPath, "subPath": subPath}
	return volume, mount, nil
}

// workerTemplate is the pod of one Dask worker: the notebook's own image
// (the clone pattern), requests equal to limits, on the dask pool, with
// the hub's home storage when the workers mount it.
func workerTemplate(h *hub.Hub, k *hub.KubernetesDask) (map[string]any, error) {
	cpu := formatNumber(k.Worker.Cores)
	threads := k.Worker.Threads
	if threads <= 0 {
		threads = 1
	}
	res := map[string]any{"cpu": cpu, "memory": k.Worker.Memory}
	limits := res
	if l := k.Worker.CoresLimit; l != nil && *l != k.Worker.Cores {
		limits = map[string]any{"cpu": formatNumber(*l), "memory": k.Worker.Memory}
	}
	p := Placement(h, "dask")
	tolerations := Tolerations(p.Taints)
	spec := map[string]any{
		"restartPolicy": "Never",
		"containers": []map[string]any{{
			"name":  "dask-worker",
			"image": jupyterImageSpecVar,
			"args": append([]string{
				"dask-worker",
				"--nthreads", strconv.Itoa(threads),
				"--memory-limit", k.Worker.Memory,
				"--death-timeout", "60",
			}, k.Worker.Args...),
			"resources": map[string]any{"requests": res, "limits": limits},
		}},
		"nodeSelector": p.Labels,
	}
	if len(tolerations) > 0 {
		spec["tolerations"] = tolerations
	}
	if k.Worker.MountStorage {
		volume, mount, err := WorkerStorage(h.Storage)
		if err != nil {
			return nil, err
		}
		spec["volumes"] = []map[string]any{volume}
		spec["containers"].([]map[string]any)[0]["volumeMounts"] = []map[string]any{mount}
	}
	return map[string]any{"kind": "Pod", "spec": spec}, nil
}

type catalogSource struct {
	Description string            `yaml:"description"`
	Driver      string            `yaml:"driver"`
	Args        map[string]string `yaml:"args"`
}

type intakeCatalog struct {
	Metadata struct {
		Version int `yaml:"version"`
	} `yaml:"metadata"`
	Sources map[string]catalogSource `yaml:"sources"`
}

// catalogYAML is catalogs/pangeo.yaml, an intake catalog of intake-stac
// sources, one per hub catalog: intake.cat.pangeo.<name>.
func catalogYAML(h *hub.Hub) ([]byte, error) {
	var c intakeCatalog
	c.Metadata.Version = 1
	c.Sources = map[string]catalogSource{}
	for name, cat := range h.Catalogs {
		c.Sources[name] = catalogSource{
			Description: cat.Description,
			Driver:      "stac_catalog",
			Args:        map[string]string{"stac_obj": cat.URL},
		}
	}
	return YAML(h, c)
}

type intakeConf struct {
	CatalogPath []string `yaml:"catalog_path"`
}

// shellQuote quotes s for a POSIX shell: single quotes, each ' as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellVarName is a variable binder/start may export.
var shellVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// postBuild is binder/postBuild: it installs the generated configuration
// and the hub's files under $NB_PYTHON_PREFIX (home is mounted over at run
// time), then runs the hub's own postBuild lines. It finds the image folder
// from its own path: repo2docker runs it as ./binder/postBuild from the
// repository, the onbuild images as ./postBuild from binder/.
func postBuild(h *hub.Hub, userFiles []string) ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("#!/bin/bash\n")
	b.WriteString(HashHeader(h))
	w("# Runs once when the image is built, after the conda environment is\n")
	w("# installed. Home directories are mounted over /home/jovyan when a server\n")
	w("# starts, so everything goes under ${NB_PYTHON_PREFIX}.\n")
	w("set -euo pipefail\n\n")
	w("image_dir=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")/..\" && pwd)\"\n")
	w("files_dir=\"${NB_PYTHON_PREFIX}/%s\"\n\n", prefixFilesDir)

	if h.Dask.Enabled() {
		w("# Dask configuration: dask reads ${NB_PYTHON_PREFIX}/%s/*.yaml.\n", prefixDaskDir)
		w("install -D -m 0644 \"${image_dir}/%s\" \"${NB_PYTHON_PREFIX}/%s/pangeo.yaml\"\n", daskConfigPath, prefixDaskDir)
	} else {
		w("# No Dask (dask.backend none): no Dask configuration.\n")
	}

	if len(h.Catalogs) > 0 {
		w("\n# intake catalogs: ${NB_PYTHON_PREFIX}/%s is intake's global catalog\n", prefixIntakeDir)
		w("# folder (intake.cat.pangeo); binder/start points INTAKE_CONF_DIR at\n")
		w("# ${NB_PYTHON_PREFIX}/%s.\n", prefixIntakeConfDir)
		w("install -D -m 0644 \"${image_dir}/%s\" \"${NB_PYTHON_PREFIX}/%s/%s\"\n", catalogPath, prefixIntakeDir, path.Base(catalogPath))
		w("install -D -m 0644 \"${image_dir}/%s\" \"${NB_PYTHON_PREFIX}/%s/conf.yaml\"\n", intakeConfFile, prefixIntakeConfDir)
	}

	w("\n# Starter files, copied into $HOME by binder/start.\n")
	w("mkdir -p \"${files_dir}\"\n")
	for _, p := range userFiles {
		q := shellQuote(p)
		w("install -D -m 0644 \"${image_dir}/\"%s \"${files_dir}/\"%s\n", q, q)
	}

	if h.Image.Workspace != nil {
		w("\n# Default JupyterLab workspace, imported into the starter files'\n")
		w("# .jupyter/lab/workspaces (binder/start copies it into $HOME).\n")
		w("JUPYTERLAB_WORKSPACES_DIR=\"${files_dir}/.jupyter/lab/workspaces\" \\\n")
		w("  jupyter lab workspaces import \"${image_dir}/%s\"\n", workspaceFile)
	}

	if len(h.Image.PostBuild) > 0 {
		w("\n# The hub's own postBuild steps (image.postBuild).\n")
		w("cd \"${image_dir}\"\n")
		for i, line := range h.Image.PostBuild {
			if r, ok := ControlChar(line, true); ok {
				return nil, fmt.Errorf("image.postBuild[%d] holds the control character %U: shell code may hold tabs and newlines, no other control character", i, r)
			}
			w("%s\n", line)
		}
	}
	return b.Bytes(), nil
}

// startScript is binder/start, run before every start of a container of the
// image (user servers and Dask workers): it points intake at the image's
// configuration, copies the starter files into $HOME without overwriting
// the user's, exports the hub's start variables and runs the command.
func startScript(h *hub.Hub) ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("#!/bin/bash\n")
	b.WriteString(HashHeader(h))
	w("# Runs before every start of a container of this image, then runs its\n")
	w("# command. Never fails the start: copying is best effort.\n\n")
	w("prefix=\"${NB_PYTHON_PREFIX:-%s}\"\n", nbPythonPrefix)
	if len(h.Catalogs) > 0 {
		w("export INTAKE_CONF_DIR=\"${prefix}/%s\"\n", prefixIntakeConfDir)
	}
	w("\n# Starter files: copied into $HOME, never over the user's own.\n")
	w("if [ -d \"${prefix}/%s\" ] && [ -n \"${HOME:-}\" ]; then\n", prefixFilesDir)
	w("  cp -rn \"${prefix}/%s/.\" \"${HOME}/\" 2>/dev/null || true\n", prefixFilesDir)
	w("fi\n")

	keys := make([]string, 0, len(h.Image.Start))
	for k := range h.Image.Start {
		if !shellVarName.MatchString(k) {
			return nil, fmt.Errorf("image.start: %q is not a shell variable name", k)
		}
		if r, ok := ControlChar(h.Image.Start[k], true); ok {
			return nil, fmt.Errorf("image.start: %s holds the control character %U: shell code may hold tabs and newlines, no other control character", k, r)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		w("\n# The hub's start variables (image.start).\n")
		for _, k := range keys {
			w("export %s=%s\n", k, shellQuote(h.Image.Start[k]))
		}
	}
	if len(h.Image.StartCommands) > 0 {
		w("\n# The hub's start commands (image.startCommands).\n")
		for _, c := range h.Image.StartCommands {
			if r, ok := ControlChar(c, true); ok {
				return nil, fmt.Errorf("image.startCommands: %q holds the control character %U: shell code may hold tabs and newlines, no other control character", c, r)
			}
			w("%s\n", c)
		}
	}
	w("\nexec \"$@\"\n")
	return b.Bytes(), nil
}
