package gen

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// GeneratedChartDir is the folder of the umbrella chart pangeo-gen writes
// (chart name pangeo-deploy), relative to the repository root: the chart
// argument of hubploy deploy and helm in the hub READMEs.
const GeneratedChartDir = "deployments/chart"

// pulledChartsDir is where the README has a pulled umbrella chart unpacked
// for hubploy, which deploys from a chart folder.
const pulledChartsDir = ".charts"

// ReadmeFile returns deployments/<hub>/README.md: what the hub is, where it
// runs (domains, cluster, node pools with the labels and taints each must
// carry, how to create and update the cluster and its idle floor), its image (img: the reference Values deploys), Dask backend and
// limits, catalogs, chart pins and login, and how to deploy it and fill in
// and encrypt its secrets.
func ReadmeFile(h *hub.Hub, img ImageRef) (File, error) {
	return readmeFile(h, img, sync.OnceValues(func() ([]File, error) { return ClusterFiles(clusterFor(h)) }))
}

// readmeFile is ReadmeFile, the Cloud and Cluster sections taking the
// files of the hub's cluster definition from clusterFiles (ClusterFiles
// of clusterFor(h), generated once).
func readmeFile(h *hub.Hub, img ImageRef, clusterFiles func() ([]File, error)) (File, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	dir := HubDir(h.Name)

	w("<!-- %s -->\n\n", Header(h))
	w("# %s\n\n", mdText(h.Title))
	if h.Description != "" {
		w("%s\n\n", mdText(h.Description))
	}
	owners := make([]string, len(h.Owners))
	for i, o := range h.Owners {
		owners[i] = fmt.Sprintf("[@%s](https://github.com/%s)", o, o)
	}
	w("- Hub: `%s`, defined in [`%s`](../../%s)\n", h.Name, h.Source(), h.Source())
	w("- Owners: %s\n", strings.Join(owners, ", "))
	w("- Contact: <%s>\n\n", h.Contact)

	if err := readmeEnvironments(&b, h); err != nil {
		return File{}, err
	}
	if err := readmeCloud(&b, h, clusterFiles); err != nil {
		return File{}, err
	}
	if err := readmeCluster(&b, h, clusterFiles); err != nil {
		return File{}, err
	}
	readmeImage(&b, h, img)
	readmeServers(&b, h)
	if err := readmeDask(&b, h); err != nil {
		return File{}, err
	}
	readmeCatalogs(&b, h)
	readmeCharts(&b, h)
	readmeAuth(&b, h)
	readmeDeploy(&b, h)
	if err := readmeSecrets(&b, h); err != nil {
		return File{}, err
	}
	return File{Path: path.Join(dir, "README.md"), Mode: 0o644, Data: b.Bytes()}, nil
}

// mdText is s on one line, without control characters (the schema
// refuses them; a NUL or an escape sequence that got past it must not
// reach the README).
func mdText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// mdCell is s fit for a table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(mdText(s), "|", `\|`)
	if s == "" {
		return "–"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// duration writes seconds the way people say them: 1800 -> "30 min".
func duration(s int) string {
	switch {
	case s == 0:
		return "never"
	case s%3600 == 0:
		return fmt.Sprintf("%d h", s/3600)
	case s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d s", s)
}

func readmeEnvironments(b *bytes.Buffer, h *hub.Hub) error {
	fmt.Fprintf(b, "## Environments\n\n")
	fmt.Fprintf(b, "| Environment | URL | Helm release and namespace | Load balancer IP | HTTPS |\n")
	fmt.Fprintf(b, "|---|---|---|---|---|\n")
	for _, env := range hub.EnvNames {
		e, ok := h.Environments[env]
		if !ok {
			return fmt.Errorf("hub %s: README: no environment %q", h.Name, env)
		}
		scheme, https := "http", "no"
		if e.HTTPS {
			scheme, https = "https", "Let's Encrypt"
		}
		ip := e.LoadBalancerIP
		if ip == "" {
			ip = "assigned by the cloud"
		}
		fmt.Fprintf(b, "| %s | %s://%s | `%s-%s` | %s | %s |\n", env, scheme, e.Domain, h.Name, env, ip, https)
	}
	fmt.Fprintf(b, "\nPoint each domain's DNS record at its load balancer IP.\n\n")
	return nil
}

// readmeCloud describes the hub's cloud and node pools; clusterFiles
// gives the files of the hub's cluster definition (ClusterFiles).
func readmeCloud(b *bytes.Buffer, h *hub.Hub, clusterFiles func() ([]File, error)) error {
	c := h.Cloud
	fmt.Fprintf(b, "## Cloud\n\n")
	switch c.Provider {
	case "gcp":
		fmt.Fprintf(b, "Google Cloud project `%s`, GKE cluster `%s` in `%s`.\n\n", c.Project, c.Cluster, c.Location)
	case "aws":
		fmt.Fprintf(b, "AWS account `%s`, EKS cluster `%s` in `%s`.", c.AccountID, c.Cluster, c.Region)
		if c.RoleARN != "" {
			fmt.Fprintf(b, " Deployments assume the role `%s`.", c.RoleARN)
		}
		fmt.Fprintf(b, "\n\n")
	case "azure":
		fmt.Fprintf(b, "Azure resource group `%s`, AKS cluster `%s` in `%s`, container registry `%s`.\n\n", c.ResourceGroup, c.Cluster, c.Location, c.Registry)
	default:
		return fmt.Errorf("hub %s: README: unknown cloud provider %q", h.Name, c.Provider)
	}
	fmt.Fprintf(b, "### Node pools\n\n")
	if files, err := clusterFiles(); err != nil {
		return fmt.Errorf("hub %s: README: %w", h.Name, err)
	} else if len(files) > 0 {
		fmt.Fprintf(b, "The cluster definition (see Cluster) creates each pool with the node labels and taints below: the hub schedules its pods by them.\n\n")
	} else {
		fmt.Fprintf(b, "Create each pool with the node labels and taints below: the hub schedules its pods by them.\n\n")
	}
	fmt.Fprintf(b, "| Pool | Runs | Machine type | Nodes | Spot | Node labels | Node taints |\n")
	fmt.Fprintf(b, "|---|---|---|---|---|---|---|\n")
	pools := []struct {
		name, runs string
		pool       hub.NodePool
	}{
		{"core", "hub, proxy" + map[bool]string{true: ", dask-gateway", false: ""}[h.Dask.Backend == hub.BackendGateway], c.NodePools.Core},
		{"user", "user servers", c.NodePools.User},
		{"dask", "Dask schedulers and workers", c.NodePools.Dask},
	}
	for _, p := range pools {
		machine := "`" + p.pool.MachineType + "`"
		if p.pool.CPU > 0 || p.pool.Memory != "" {
			machine += fmt.Sprintf(" (%d vCPU, %s)", p.pool.CPU, p.pool.Memory)
		}
		pl := Placement(h, p.name)
		keys := make([]string, 0, len(pl.Labels))
		for k := range pl.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var labels, taints []string
		for _, k := range keys {
			labels = append(labels, fmt.Sprintf("`%s=%s`", k, pl.Labels[k]))
		}
		for _, t := range pl.Taints {
			taints = append(taints, fmt.Sprintf("`%s=%s:%s`", t.Key, t.Value, t.Effect))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d–%d | %s | %s | %s |\n", p.name, p.runs, machine, p.pool.Min, p.pool.Max,
			yesNo(p.pool.Spot), mdCell(strings.Join(labels, ", ")), mdCell(strings.Join(taints, ", ")))
	}
	fmt.Fprintf(b, "\n")
	return nil
}

// readmeCluster says where the cluster's definition is, how to create and
// update it, and what it costs when idle; clusterFiles gives the files of
// the hub's cluster definition (ClusterFiles).
func readmeCluster(b *bytes.Buffer, h *hub.Hub, clusterFiles func() ([]File, error)) error {
	c := clusterFor(h)
	files, err := clusterFiles()
	if err != nil {
		return fmt.Errorf("hub %s: README: %w", h.Name, err)
	}
	fmt.Fprintf(b, "## Cluster\n\n")
	if len(files) == 0 {
		fmt.Fprintf(b, "pangeo-gen does not generate this cluster's definition yet: create the cluster and its pools as above.\n\n")
	} else {
		links := make([]string, len(files))
		for i, f := range files {
			links[i] = fmt.Sprintf("[`%s`](../../%s)", f.Path, f.Path)
		}
		fmt.Fprintf(b, "The cluster `%s` is defined in %s, generated from the cloud section of every hub on it (they must state it alike: vet says where they differ). It holds no credentials and no state.\n\n", c.Name, strings.Join(links, ", "))
		switch c.Cloud.Provider {
		case "aws":
			readmeEKS(b, c)
		default:
			readmeTerraform(b, c)
		}
		fmt.Fprintf(b, "Applying a change of the definition is the operator's decision: CI never creates or changes the cluster.\n\n")
	}
	fmt.Fprintf(b, "Idle floor: %s, always on", IdleFloor(c))
	var zero []string
	for _, pool := range PoolNames {
		if np, _ := c.Pool(pool); np.Min == 0 {
			zero = append(zero, pool)
		}
	}
	if len(zero) > 0 {
		fmt.Fprintf(b, "; %s scale to zero when no user server and no Dask cluster runs", strings.Join(zero, " and "))
	}
	fmt.Fprintf(b, ".\n\n")
	return nil
}

// readmeEKS is how to create and update an EKS cluster with eksctl.
func readmeEKS(b *bytes.Buffer, c Cluster) {
	file := path.Join(ClusterDir(c.Name), EksctlFile)
	fmt.Fprintf(b, "With eksctl and credentials for the AWS account `%s`, from the repository root:\n\n", c.Cloud.AccountID)
	fmt.Fprintf(b, "```sh\n")
	fmt.Fprintf(b, "# once\n")
	fmt.Fprintf(b, "eksctl create cluster -f %s\n", file)
	fmt.Fprintf(b, "# a new kubernetesVersion (one minor version at a time): the control plane, then each node group\n")
	fmt.Fprintf(b, "eksctl upgrade cluster -f %s --approve\n", file)
	for _, pool := range PoolNames {
		fmt.Fprintf(b, "eksctl upgrade nodegroup --cluster %s --name %s --kubernetes-version %s\n", c.Name, pool, c.Cloud.KubernetesVersion)
	}
	fmt.Fprintf(b, "# changed addons or service accounts\n")
	fmt.Fprintf(b, "eksctl update addon -f %s\n", file)
	fmt.Fprintf(b, "eksctl create iamserviceaccount -f %s --approve\n", file)
	fmt.Fprintf(b, "# node groups the cluster lacks (existing ones are left as they are)\n")
	fmt.Fprintf(b, "eksctl create nodegroup -f %s\n", file)
	fmt.Fprintf(b, "```\n\n")
	fmt.Fprintf(b, "A node group's instance type, zones, labels, taints and tags are set when it is created: to change them, delete the group (`eksctl delete nodegroup --cluster %s --name NAME`, which drains it) and create it again with `eksctl create nodegroup`, which also copies its tags to its Auto Scaling group (`propagateASGTags`). Its sizes change in place: `eksctl scale nodegroup --cluster %s --name NAME --nodes DESIRED --nodes-min MIN --nodes-max MAX`.\n\n", c.Name, c.Name)
	fmt.Fprintf(b, "Pools whose pods mount EBS volumes, which are zonal, are pinned to `%s`: core (the hub's database volume) and, with dynamic home storage, user. The dask pool spans the cluster's zones.\n\n", eksVolumeZone(c.Cloud.Region))
	readmeAutoscaler(b, c)
}

// readmeAutoscaler is how to install the cluster-autoscaler of an EKS
// cluster: render --cluster, once per cluster.
func readmeAutoscaler(b *bytes.Buffer, c Cluster) {
	pin := c.Cloud.Autoscaler
	fmt.Fprintf(b, "EKS has no autoscaler of its own. Once the cluster exists, install the cluster-autoscaler (chart `%s` %s from %s, pinned by `cloud.autoscaler`) with kubectl's credentials for the cluster, once for the cluster (not per hub), and again after a change of the pin or of `kubernetesVersion`:\n\n", AutoscalerChart, pin.Version, pin.Repository)
	fmt.Fprintf(b, "```sh\npangeo-gen render --cluster %s | kubectl apply -f -\n```\n\n", c.Name)
	image := ""
	if tag, err := AutoscalerImageTag(c.Cloud.KubernetesVersion); err == nil {
		image = fmt.Sprintf(", the image `%s:%s` (the autoscaler's minor version must be the cluster's)", AutoscalerImageRepository, tag)
	}
	fmt.Fprintf(b, "The release `%s` runs in `%s` on the core pool as the service account the definition creates with the autoscaler's IAM role (`rbac.serviceAccount.create=false`, `rbac.serviceAccount.name=%s`), with `cloudProvider=aws`, `awsRegion=%s`, `autoDiscovery.clusterName=%s`%s. It finds the node groups by their tags, scales a group up from zero by the labels and taints of its node-template tags, and removes a node left idle for %s.\n\n", AutoscalerRelease, AutoscalerNamespace, AutoscalerServiceAccount, c.Cloud.Region, c.Name, image, duration(autoscalerScaleDownSeconds))
}

// readmeTerraform is how to create and update a cluster from its
// Terraform configuration.
func readmeTerraform(b *bytes.Buffer, c Cluster) {
	dir := ClusterDir(c.Name)
	fmt.Fprintf(b, "With Terraform, from the repository root. pangeo-gen writes no backend: configure where the state lives in a file of your own in `%s` (a `backend` block; gen leaves files it did not write alone), or keep the state local and out of git.\n\n", dir)
	fmt.Fprintf(b, "```sh\n")
	fmt.Fprintf(b, "terraform -chdir=%s init\n", dir)
	fmt.Fprintf(b, "terraform -chdir=%s plan -out=tfplan\n", dir)
	fmt.Fprintf(b, "terraform -chdir=%s apply tfplan\n", dir)
	fmt.Fprintf(b, "```\n\n")
}

func readmeImage(b *bytes.Buffer, h *hub.Hub, img ImageRef) {
	fmt.Fprintf(b, "## Image\n\n")
	fmt.Fprintf(b, "`%s`\n\n", img.String())
	if !h.Image.Built() {
		fmt.Fprintf(b, "A prebuilt image, used as is: nothing is built. User servers and Dask workers run it.\n\n")
		return
	}
	fmt.Fprintf(b, "Built by repo2docker from [`image/`](image/) and pushed to `%s` (see Deploy). ", h.Image.Repository)
	fmt.Fprintf(b, "The tag is the content hash of the folder (`pangeo-gen image tag %s`): it changes exactly when the folder does, and the Helm values pin it. ", h.Name)
	fmt.Fprintf(b, "User servers and Dask workers run this same image, so every worker has the notebook's packages: install packages by changing `%s`, not with `conda install` on the hub.\n\n", h.Source())
	if h.Image.Base != "" {
		fmt.Fprintf(b, "It builds on `%s` ([`image/binder/Dockerfile`](image/binder/Dockerfile)): the base image's ONBUILD steps install `binder/apt.txt` and `binder/environment.yml` and run `binder/postBuild`.\n\n", h.Image.Base)
	}
	deps := condaDependencies(h)
	fmt.Fprintf(b, "- Conda channels: %s\n", mdText(strings.Join(h.Image.Conda.Channels, ", ")))
	fmt.Fprintf(b, "- Conda packages (%d): %s\n", len(deps), codeList(deps))
	if len(h.Image.Conda.Pip) > 0 {
		fmt.Fprintf(b, "- pip packages: %s\n", codeList(h.Image.Conda.Pip))
	}
	if len(h.Image.Apt) > 0 {
		fmt.Fprintf(b, "- apt packages: %s\n", codeList(h.Image.Apt))
	}
	if len(h.Image.Files) > 0 {
		files := make([]string, 0, len(h.Image.Files))
		for p := range h.Image.Files {
			files = append(files, p)
		}
		sort.Strings(files)
		fmt.Fprintf(b, "- Starter files, copied into each user's home at start without overwriting: %s\n", codeList(files))
	}
	if h.Image.Workspace != nil {
		fmt.Fprintf(b, "- A default JupyterLab workspace\n")
	}
	fmt.Fprintf(b, "\n")
}

func codeList(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + strings.ReplaceAll(mdText(s), "`", "'") + "`"
	}
	return strings.Join(out, ", ")
}

func readmeServers(b *bytes.Buffer, h *hub.Hub) {
	fmt.Fprintf(b, "## User servers\n\n")
	fmt.Fprintf(b, "| Environment | CPU (guarantee–limit) | Memory (guarantee–limit) | Profiles | Start timeout | Idle culling | Max age |\n")
	fmt.Fprintf(b, "|---|---|---|---|---|---|---|\n")
	for _, env := range hub.EnvNames {
		e := h.ForEnv(env)
		n := e.Notebook
		var profiles []string
		for _, p := range n.Profiles {
			name := p.DisplayName
			if p.Default {
				name += " (default)"
			}
			if p.Image != nil {
				name += " (image " + *p.Image + ")"
			}
			profiles = append(profiles, name)
		}
		fmt.Fprintf(b, "| %s | %s–%s | %s–%s | %s | %s | %s | %s |\n", env,
			formatNumber(n.CPU.Guarantee), formatNumber(n.CPU.Limit), n.Memory.Guarantee, n.Memory.Limit,
			mdCell(strings.Join(profiles, "; ")), duration(n.StartTimeout),
			duration(e.Culling.NotebookIdleTimeout), duration(e.Culling.NotebookMaxAge))
	}
	s := h.Storage
	switch s.Type {
	case "nfs":
		fmt.Fprintf(b, "\nHome directories: NFS `%s:%s`, one folder per user.", s.Server, s.Path)
		if s.Shared != nil {
			ro := "read-write"
			if s.Shared.ReadOnly {
				ro = "read-only"
			}
			fmt.Fprintf(b, " `%s` is mounted %s at `%s` in every server.", s.Shared.Path, ro, s.Shared.MountPath)
		}
		fmt.Fprintf(b, "\n\n")
	default:
		class := "the cluster's default storage class"
		if s.StorageClass != "" {
			class = "storage class `" + s.StorageClass + "`"
		}
		fmt.Fprintf(b, "\nHome directories: one %s volume per user (%s).\n\n", s.Capacity, class)
	}
}

func readmeDask(b *bytes.Buffer, h *hub.Hub) error {
	fmt.Fprintf(b, "## Dask\n\n")
	switch h.Dask.Backend {
	case hub.BackendGateway:
		if h.Dask.Gateway == nil {
			return fmt.Errorf("hub %s: README: dask backend gateway without settings", h.Name)
		}
		fmt.Fprintf(b, "dask-gateway: `dask_gateway.GatewayCluster()` (or the Dask panel's New button) asks the hub's gateway for a cluster; its workers run the notebook's image on the dask pool.\n\n")
		fmt.Fprintf(b, "| Environment | Worker cores (min–max, default) | Worker memory GiB (min–max, default) | Cores per cluster | Memory per cluster | Idle shutdown |\n")
		fmt.Fprintf(b, "|---|---|---|---|---|---|\n")
		for _, env := range hub.EnvNames {
			e := h.ForEnv(env)
			g := e.Dask.Gateway
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s GiB | %s |\n", env, rangeText(g.Worker.Cores), rangeText(g.Worker.MemoryGiB),
				formatNumber(g.ClusterMaxCores), formatNumber(g.ClusterMaxMemoryGiB), duration(e.Culling.DaskIdleTimeout))
		}
	case hub.BackendKubernetes:
		k := h.Dask.Kubernetes
		if k == nil {
			return fmt.Errorf("hub %s: README: dask backend kubernetes without settings", h.Name)
		}
		fmt.Fprintf(b, "dask-kubernetes: `dask_kubernetes.KubeCluster()` (or the Dask panel's New button) starts worker pods from the template in [`image/.dask/config.yaml`](image/.dask/config.yaml): the notebook's own image, on the dask pool.\n\n")
		fmt.Fprintf(b, "| Environment | Worker cores | Worker memory | Threads per worker | Workers per cluster | Idle shutdown |\n")
		fmt.Fprintf(b, "|---|---|---|---|---|---|\n")
		for _, env := range hub.EnvNames {
			e := h.ForEnv(env)
			kd := e.Dask.Kubernetes
			fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %s |\n", env, formatNumber(kd.Worker.Cores), kd.Worker.Memory, kd.Worker.Threads,
				kd.MaxWorkers, duration(e.Culling.DaskIdleTimeout))
		}
	case hub.BackendNone:
		fmt.Fprintf(b, "None: the hub runs no Dask (`dask: backend: \"none\"`): no dask-gateway, no Dask worker pods, no Dask configuration in the image. The dask pool is still defined but no pod of the hub uses it.\n")
	default:
		return fmt.Errorf("hub %s: README: unknown dask backend %q", h.Name, h.Dask.Backend)
	}
	fmt.Fprintf(b, "\n")
	return nil
}

func rangeText(r hub.Range) string {
	return fmt.Sprintf("%s–%s, %s", formatNumber(r.Min), formatNumber(r.Max), formatNumber(r.Default))
}

func readmeCatalogs(b *bytes.Buffer, h *hub.Hub) {
	fmt.Fprintf(b, "## Catalogs\n\n")
	if len(h.Catalogs) == 0 {
		fmt.Fprintf(b, "None.\n\n")
		return
	}
	if !h.Image.Built() {
		fmt.Fprintf(b, "The image is prebuilt, so these intake-STAC catalogs are not installed in it.\n\n")
	} else {
		fmt.Fprintf(b, "intake-STAC catalogs installed in the image: `import intake; intake.cat.pangeo.<name>`.\n\n")
	}
	fmt.Fprintf(b, "| Name | Description | URL |\n|---|---|---|\n")
	names := make([]string, 0, len(h.Catalogs))
	for n := range h.Catalogs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := h.Catalogs[n]
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", n, mdCell(c.Description), c.URL)
	}
	fmt.Fprintf(b, "\n")
}

func readmeCharts(b *bytes.Buffer, h *hub.Hub) {
	c := h.Chart
	fmt.Fprintf(b, "## Charts\n\n")
	fmt.Fprintf(b, "| Chart | Version | Repository |\n|---|---|---|\n")
	if c.Name == hub.GeneratedChart {
		fmt.Fprintf(b, "| %s (umbrella) | generated | [`%s`](../chart) |\n", c.Name, GeneratedChartDir)
	} else {
		fmt.Fprintf(b, "| %s (umbrella) | %s | %s |\n", c.Name, c.Version, c.Repository)
	}
	pin := func(name string, p hub.Pin) {
		v := p.Version
		if p.Digest != "" {
			v += " (" + p.Digest + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, v, p.Repository)
	}
	pin("jupyterhub", c.JupyterHub)
	pin("dask-gateway", c.DaskGateway)
	fmt.Fprintf(b, "\n")
}

func readmeAuth(b *bytes.Buffer, h *hub.Hub) {
	a := h.Auth
	fmt.Fprintf(b, "## Login\n\n")
	switch {
	case a.GitHub != nil:
		fmt.Fprintf(b, "GitHub OAuth.")
		if len(a.GitHub.Orgs) > 0 {
			fmt.Fprintf(b, " Members of %s may log in.", codeList(a.GitHub.Orgs))
		}
		if len(a.GitHub.Teams) > 0 {
			fmt.Fprintf(b, " Members of the teams %s may log in.", codeList(a.GitHub.Teams))
		}
		fmt.Fprintf(b, "\n")
	case a.OAuth2 != nil:
		o := a.OAuth2
		fmt.Fprintf(b, "OAuth2: \"Login with %s\" (authorize %s, token %s, user info %s; the user name is `%s`).\n",
			mdText(o.LoginService), o.AuthorizeURL, o.TokenURL, o.UserdataURL, o.UsernameClaim)
	}
	if len(a.AllowedUsers) > 0 {
		fmt.Fprintf(b, "Also allowed: %s.\n", codeList(a.AllowedUsers))
	}
	if len(a.Admins) > 0 {
		fmt.Fprintf(b, "Admins: %s.\n", codeList(a.Admins))
	}
	fmt.Fprintf(b, "\nRegister one OAuth client per environment, with these callback URLs:\n\n")
	for _, env := range hub.EnvNames {
		fmt.Fprintf(b, "- %s: %s\n", env, CallbackURL(h, env))
	}
	fmt.Fprintf(b, "\n")
}

// chartRef is the chart argument of hubploy and helm, plus the steps that
// make it available.
func chartRef(h *hub.Hub) (ref string, prepare []string) {
	c := h.Chart
	if c.Name == hub.GeneratedChart {
		return GeneratedChartDir, []string{"helm dependency build " + GeneratedChartDir}
	}
	var pull string
	if strings.HasPrefix(c.Repository, "oci://") {
		pull = fmt.Sprintf("helm pull %s/%s --version %s --untar --untardir %s", strings.TrimSuffix(c.Repository, "/"), c.Name, c.Version, pulledChartsDir)
	} else {
		pull = fmt.Sprintf("helm pull %s --repo %s --version %s --untar --untardir %s", c.Name, c.Repository, c.Version, pulledChartsDir)
	}
	return path.Join(pulledChartsDir, c.Name), []string{pull}
}

func readmeDeploy(b *bytes.Buffer, h *hub.Hub) {
	dir := HubDir(h.Name)
	chart, prepare := chartRef(h)
	fmt.Fprintf(b, "## Deploy\n\n")
	fmt.Fprintf(b, "From the repository root, with the secrets decrypted (below). CI does this on the `staging` and `prod` branches.\n\n")
	fmt.Fprintf(b, "With hubploy ([`hubploy.yaml`](hubploy.yaml)):\n\n")
	fmt.Fprintf(b, "```sh\n")
	for _, p := range prepare {
		fmt.Fprintf(b, "%s\n", p)
	}
	if h.Image.Built() {
		fmt.Fprintf(b, "hubploy build %s --check-registry --push\n", h.Name)
	}
	fmt.Fprintf(b, "hubploy deploy %s %s staging   # or prod\n", h.Name, chart)
	fmt.Fprintf(b, "```\n\n")
	if h.Image.Built() {
		fmt.Fprintf(b, "hubploy tags the image by the last commit that changed `image/` and deploys that tag (`--set-string %s.tag`); Dask workers follow the user server's image either way.\n\n", ImageConfigPath)
	}
	if h.Image.Built() {
		fmt.Fprintf(b, "Or with repo2docker and helm alone, deploying the tag the values pin (later `-f` files win):\n\n")
	} else {
		fmt.Fprintf(b, "Or with helm alone (later `-f` files win):\n\n")
	}
	fmt.Fprintf(b, "```sh\n")
	for _, p := range prepare {
		fmt.Fprintf(b, "%s\n", p)
	}
	if h.Image.Built() {
		fmt.Fprintf(b, "repo2docker --no-run --push --image-name \"$(pangeo-gen image ref %s)\" %s\n", h.Name, imageDir(h.Name))
	}
	for _, env := range hub.EnvNames {
		release := h.Name + "-" + env
		secrets := path.Join(dir, "secrets", env+".yaml")
		if h.Secrets.Backend == secretsSops {
			secrets = "<(sops --decrypt " + secrets + ")"
		}
		fmt.Fprintf(b, "helm upgrade --install %s %s --namespace %s --create-namespace \\\n", release, chart, release)
		fmt.Fprintf(b, "  -f %s \\\n", path.Join(dir, "config", "common.yaml"))
		fmt.Fprintf(b, "  -f %s \\\n", path.Join(dir, "config", env+".yaml"))
		fmt.Fprintf(b, "  -f %s\n", secrets)
	}
	fmt.Fprintf(b, "```\n\n")
}

func readmeSecrets(b *bytes.Buffer, h *hub.Hub) error {
	dir := secretsDir(h.Name)
	cred, err := CredentialFile(h)
	if err != nil {
		return fmt.Errorf("README: %w", err)
	}
	files := []string{path.Join(dir, "staging.yaml"), path.Join(dir, "prod.yaml")}
	if cred != "" {
		files = append(files, path.Join(dir, cred))
	}
	fmt.Fprintf(b, "## Secrets\n\n")
	fmt.Fprintf(b, "pangeo-gen writes these files once, as stubs, and never overwrites them:\n\n")
	for _, f := range files {
		fmt.Fprintf(b, "- `%s`\n", f)
	}
	fmt.Fprintf(b, "\nReplace every `%s` value: make each random token with `openssl rand -hex 32`", Placeholder)
	if h.Dask.Backend == hub.BackendGateway {
		fmt.Fprintf(b, " (the two dask-gateway `apiToken`s must be equal)")
	}
	fmt.Fprintf(b, ", and take the OAuth client id and secret of each environment's client (callback URLs above).")
	switch h.Cloud.Provider {
	case "gcp":
		fmt.Fprintf(b, " `%s` is the deployer service account's key: `gcloud iam service-accounts keys create %s --iam-account=<deployer>@%s.iam.gserviceaccount.com`.", gcloudServiceKeyFile, path.Join(dir, gcloudServiceKeyFile), h.Cloud.Project)
	case "aws":
		if cred == "" {
			fmt.Fprintf(b, " No AWS key is stored: CI assumes `%s` with its own identity.", h.Cloud.RoleARN)
		} else {
			fmt.Fprintf(b, " `%s` holds the deployer's access key in `~/.aws/credentials` format.", awsConfigFile)
		}
	case "azure":
		fmt.Fprintf(b, " `%s` holds the deployer service principal (`az ad sp create-for-rbac`): appId, tenant, password.", azureAuthFile)
	}
	fmt.Fprintf(b, "\n\n")

	switch h.Secrets.Backend {
	case secretsGitCrypt:
		key := h.Secrets.Key
		if key == "" {
			key = "default"
		}
		fmt.Fprintf(b, "They are encrypted with git-crypt, key `%s`: [`.gitattributes`](.gitattributes) sends `secrets/**` through the `%s` filter, so they are committed encrypted.\n\n", key, gitCryptFilter(key))
		fmt.Fprintf(b, "```sh\n")
		if key == "default" {
			fmt.Fprintf(b, "git-crypt unlock <key file>          # decrypt\n")
		} else {
			fmt.Fprintf(b, "git-crypt init -k %s                 # once, creates the key\n", key)
			fmt.Fprintf(b, "git-crypt unlock <%s key file>       # decrypt\n", key)
		}
		fmt.Fprintf(b, "git-crypt status %s   # every file must say encrypted\n", dir)
		fmt.Fprintf(b, "```\n")
	case secretsSops:
		fmt.Fprintf(b, "They are encrypted with sops, by the rule for `%s` in the repository's `.sops.yaml`. Run sops from the repository root so the rule matches:\n\n", sopsPathRegex(h.Name))
		fmt.Fprintf(b, "```sh\n")
		for _, f := range files {
			fmt.Fprintf(b, "sops --encrypt --in-place %s\n", f)
		}
		fmt.Fprintf(b, "sops %s   # edit later\n", files[0])
		fmt.Fprintf(b, "```\n")
		if cred == awsConfigFile {
			fmt.Fprintf(b, "\nhubploy decrypts only YAML and JSON files: keep `%s` out of sops, or set `cloud.roleArn`.\n", awsConfigFile)
		}
	default:
		return fmt.Errorf("hub %s: README: unknown secrets backend %q", h.Name, h.Secrets.Backend)
	}
	return nil
}
