// Package ci writes the federation's CircleCI configuration: the setup
// config committed at .circleci/config.yml (SetupConfig, setup.go), which
// runs `pangeo-gen ci plan` and continues the pipeline with the config
// that Continuation writes for the hubs a change affects (internal/ciplan
// decides which).
//
// It depends on gen (the hubs' generated outputs) and load; the package
// that generates the federation (internal/federation) calls SetupConfig for
// the shared files, and internal/ciplan uses Affected.
//
// Every value of a hub that reaches a shell line goes through shellQuote
// (single quotes, embedded quotes escaped) and is refused when it holds a
// newline, a NUL or CircleCI's "<<" parameter syntax: a hub field can never
// inject a command.
package ci

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// Pinned versions of what the configs run. Bump them here (and run
// `pangeo-gen gen`): the configs never float.
const (
	DefaultGoImage = "cimg/go:1.26"
	// DefaultHelmVersion is the helm CLI that deploys the hubs on Helm 3:
	// the release of the helm.sh/helm/v3 module pangeo-gen renders with
	// (TestHelmCLIsAreTheModules), the last v3 feature release.
	DefaultHelmVersion = "v3.22.0"
	// DefaultHelm4Version is the helm CLI that deploys the hubs on Helm 4
	// (helm: "v4"): the release of the helm.sh/helm/v4 module pangeo-gen
	// renders with, so that CI deploys what render shows.
	DefaultHelm4Version  = "v4.3.1"
	DefaultRepo2Docker   = "2024.07.0"
	DefaultGCloudVersion = "530.0.0"
	DefaultContextPrefix = "pangeo-"
	// DefaultTerraformImage validates the Terraform of GKE and AKS
	// clusters (terraform init -backend=false, terraform validate).
	DefaultTerraformImage = "hashicorp/terraform:1.9.8"
	// DefaultEksctlVersion is the eksctl release whose own schema
	// (eksctl utils schema) checks the ClusterConfig of EKS clusters: the
	// release whose schema the tests validate against
	// (../shared/upstream/eksctl/schema.json).
	DefaultEksctlVersion = "0.230.0"
	// DefaultCheckJSONSchema is the check-jsonschema version (pip) that
	// validates a ClusterConfig against eksctl's schema.
	DefaultCheckJSONSchema = "0.29.4"
)

// DeployBranches are the branches that deploy, each to the environment of
// its name. Every other branch only checks.
var DeployBranches = []string{"staging", "prod"}

// ContinuationOptions tune the continuation config; the zero value uses the
// defaults.
type ContinuationOptions struct {
	GoImage string
	// HelmVersion and Helm4Version pin the helm CLI that deploys the hubs
	// on Helm 3 and on Helm 4 (the hub's helm field).
	HelmVersion   string
	Helm4Version  string
	Repo2Docker   string // jupyter-repo2docker version (pip)
	GCloudVersion string // google-cloud-cli version
	// ContextPrefix names each hub's CircleCI context: <prefix><hub>.
	ContextPrefix string
	// TerraformImage, EksctlVersion and CheckJSONSchema pin the tools
	// that validate cluster definitions.
	TerraformImage  string
	EksctlVersion   string
	CheckJSONSchema string
}

func (o ContinuationOptions) withDefaults() ContinuationOptions {
	o.GoImage = cmp.Or(o.GoImage, DefaultGoImage)
	o.HelmVersion = cmp.Or(o.HelmVersion, DefaultHelmVersion)
	o.Helm4Version = cmp.Or(o.Helm4Version, DefaultHelm4Version)
	o.Repo2Docker = cmp.Or(o.Repo2Docker, DefaultRepo2Docker)
	o.GCloudVersion = cmp.Or(o.GCloudVersion, DefaultGCloudVersion)
	o.ContextPrefix = cmp.Or(o.ContextPrefix, DefaultContextPrefix)
	o.TerraformImage = cmp.Or(o.TerraformImage, DefaultTerraformImage)
	o.EksctlVersion = cmp.Or(o.EksctlVersion, DefaultEksctlVersion)
	o.CheckJSONSchema = cmp.Or(o.CheckJSONSchema, DefaultCheckJSONSchema)
	return o
}

// Context is the CircleCI context holding a hub's secrets.
func Context(prefix, hubName string) string {
	return cmp.Or(prefix, DefaultContextPrefix) + hubName
}

// GitCryptKeyEnv is the environment variable (in the hub's context) that
// holds the base64 of a git-crypt key: GIT_CRYPT_KEY for the default key,
// GIT_CRYPT_KEY_<KEY> (upper case, other characters as _) for a named one.
func GitCryptKeyEnv(key string) string {
	if key == "" || key == "default" {
		return "GIT_CRYPT_KEY"
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(key) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "GIT_CRYPT_KEY_" + b.String()
}

// shellQuote quotes s for a POSIX shell: single quotes, each embedded
// quote written as '\”. A value with a newline, carriage return or NUL, or
// with "<<" (CircleCI would substitute a parameter there before the shell
// runs) is refused.
func shellQuote(s string) (string, error) {
	if strings.ContainsAny(s, "\n\r\x00") {
		return "", fmt.Errorf("value %q holds a line break or NUL", s)
	}
	if strings.Contains(s, "<<") {
		return "", fmt.Errorf("value %q holds \"<<\" (CircleCI parameter syntax)", s)
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}

// quoter quotes values and keeps the first refusal, so that a script can
// be written in one go and checked once.
type quoter struct{ err error }

func (q *quoter) q(s string) string {
	out, err := shellQuote(s)
	if err != nil {
		if q.err == nil {
			q.err = err
		}
		return "''"
	}
	return out
}

// dnsLabel is a hub name as the schema allows it; job and workflow names
// and contexts are built from it.
var dnsLabel = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)

// step is one step of a job; map keys are sorted when encoded.
type step = any

func run(name, command string) step {
	return map[string]runStep{"run": {Name: name, Command: command}}
}

func encode(c config) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(Header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

const installPangeoGen = "go install ./cmd/pangeo-gen\npangeo-gen --help > /dev/null\n"

// Continuation returns the config `ci plan` continues with: per affected
// hub one workflow vet-<hub> → build-<hub> → deploy-<hub>, independent of
// every other hub's. Branches staging and prod build, push and deploy to
// the environment of their name; other branches build without pushing and
// render the staging release with placeholder secrets instead of
// deploying. With no hub and no cluster to validate, a single no-op job
// says so.
//
// Per affected cluster that is not removed, a workflow cluster-<name> of
// one job, validate-cluster-<name>, checks the definition under
// clusters/<name>/ with the real tool and never applies it (applying is
// the operator's decision): Terraform (GKE, AKS) with terraform init
// -backend=false and terraform validate, eksctl (EKS) by validating the
// ClusterConfig against the JSON schema of the pinned eksctl release
// (eksctl utils schema), which needs no AWS credentials, then rendering
// its cluster-autoscaler (pangeo-gen render --cluster: the pinned chart
// with the cluster's values, printed, never applied). These jobs use no
// context: they hold no secret.
//
// fed is the checked-out federation (the head); nil when it does not
// load. A hub that cannot be built from it (fed is nil, or the hub does
// not generate) gets a workflow of one job, vet-<hub>, that prints the
// hub's reasons, runs `pangeo-gen vet HUB` (which shows each problem with
// file:line:col) and fails: the pipeline is red, never silently empty. A
// hub fed does not have is an error.
func Continuation(fed *load.Federation, affected []Affected, clusters []AffectedCluster, opts ContinuationOptions) ([]byte, error) {
	o := opts.withDefaults()
	c := config{Version: "2.1", Jobs: map[string]job{}, Workflows: map[string]workflow{}}
	names := make([]string, 0, len(affected))
	reasons := map[string][]string{}
	for _, a := range affected {
		if _, ok := reasons[a.Hub]; !ok {
			names = append(names, a.Hub)
		}
		reasons[a.Hub] = append(reasons[a.Hub], a.Reasons...)
	}
	sort.Strings(names)
	for _, name := range names {
		var h *hub.Hub
		var out *gen.Output
		why := reasons[name]
		if fed != nil {
			var err error
			if h, err = fed.Lookup(name); err != nil {
				return nil, fmt.Errorf("ci continuation: %w", err)
			}
			if out, err = gen.GenerateHub(h); err != nil {
				why = append(why, fmt.Sprintf("it does not generate: %s", firstLine(err.Error())))
			}
		} else {
			why = append(why, "the federation does not load")
		}
		if out == nil {
			j, err := vetOnlyJob(name, why, o)
			if err != nil {
				return nil, fmt.Errorf("ci continuation: hub %s: %w", name, err)
			}
			c.Jobs["vet-"+name] = j
			c.Workflows["hub-"+name] = workflow{Jobs: []any{map[string]any{"vet-" + name: map[string]any{}}}}
			continue
		}
		jobs, err := hubJobs(h, out, o)
		if err != nil {
			return nil, fmt.Errorf("ci continuation: hub %s: %w", name, err)
		}
		for k, v := range jobs {
			c.Jobs[k] = v
		}
		ctx := []string{Context(o.ContextPrefix, name)}
		c.Workflows["hub-"+name] = workflow{Jobs: []any{
			map[string]any{"vet-" + name: map[string]any{}},
			map[string]any{"build-" + name: map[string]any{"requires": []string{"vet-" + name}, "context": ctx}},
			map[string]any{"deploy-" + name: map[string]any{"requires": []string{"build-" + name}, "context": ctx}},
		}}
	}
	validated := 0
	for _, cl := range clusters {
		if cl.Removed() {
			continue
		}
		j, err := clusterJob(cl, o)
		if err != nil {
			return nil, fmt.Errorf("ci continuation: cluster %s: %w", cl.Cluster, err)
		}
		c.Jobs["validate-cluster-"+cl.Cluster] = j
		c.Workflows["cluster-"+cl.Cluster] = workflow{Jobs: []any{map[string]any{"validate-cluster-" + cl.Cluster: map[string]any{}}}}
		validated++
	}
	if len(names) == 0 && validated == 0 {
		c.Jobs["nothing"] = job{
			Docker: []dockerImage{{Image: o.GoImage}},
			Steps:  []step{run("No hub changed", "echo 'no hub changed: nothing to build or deploy'\n")},
		}
		c.Workflows["nothing"] = workflow{Jobs: []any{"nothing"}}
	}
	return encode(c)
}

// clusterJob validates one cluster's generated definition with its
// provider's tool, without credentials and without applying it.
func clusterJob(cl AffectedCluster, o ContinuationOptions) (job, error) {
	if !dnsLabel.MatchString(cl.Cluster) {
		return job{}, fmt.Errorf("cluster name %q is not a DNS label", cl.Cluster)
	}
	var q quoter
	dir := q.q(gen.ClusterDir(cl.Cluster))
	var j job
	switch cl.Provider {
	case "gcp", "azure":
		j = job{Docker: []dockerImage{{Image: o.TerraformImage}}, Steps: []step{
			"checkout",
			run("terraform init "+cl.Cluster+" (no backend: nothing is read or written remotely)",
				"terraform -chdir="+dir+" init -backend=false -input=false\n"),
			run("terraform validate "+cl.Cluster+" (never plan or apply: applying is the operator's decision)",
				"terraform -chdir="+dir+" validate\n"),
		}}
	case "aws":
		config := q.q(path.Join(gen.ClusterDir(cl.Cluster), "eksctl.yaml"))
		j = job{Docker: []dockerImage{{Image: o.GoImage}}, Steps: []step{
			"checkout",
			run("Install eksctl and check-jsonschema", fmt.Sprintf(
				"curl -fsSL %s | tar -xz -C /tmp\n"+
					"sudo apt-get update -qq && sudo apt-get install -y -qq python3-pip\n"+
					"pip3 install --break-system-packages --quiet %s\n",
				q.q("https://github.com/eksctl-io/eksctl/releases/download/v"+o.EksctlVersion+"/eksctl_Linux_amd64.tar.gz"),
				q.q("check-jsonschema=="+o.CheckJSONSchema))),
			run("Validate "+cl.Cluster+"'s ClusterConfig against eksctl's schema (no AWS credentials; never creates the cluster)",
				"/tmp/eksctl utils schema > /tmp/eksctl-schema.json\n"+
					"check-jsonschema --schemafile /tmp/eksctl-schema.json "+config+"\n"),
			run("Install pangeo-gen from this commit", installPangeoGen),
			run("Render "+cl.Cluster+"'s cluster-autoscaler from its pinned chart (never applied)",
				"pangeo-gen render --cluster "+q.q(cl.Cluster)+"\n"),
		}}
	default:
		return job{}, fmt.Errorf("unknown cloud provider %q", cl.Provider)
	}
	if q.err != nil {
		return job{}, q.err
	}
	return j, nil
}

// onBranches is a CircleCI logic statement true on any of branches.
func onBranches(branches ...string) map[string]any {
	var or []any
	for _, b := range branches {
		or = append(or, map[string]any{"equal": []any{b, "<< pipeline.git.branch >>"}})
	}
	if len(or) == 1 {
		return or[0].(map[string]any)
	}
	return map[string]any{"or": or}
}

func when(cond map[string]any, steps ...step) step {
	return map[string]any{"when": map[string]any{"condition": cond, "steps": steps}}
}

func unless(cond map[string]any, steps ...step) step {
	return map[string]any{"unless": map[string]any{"condition": cond, "steps": steps}}
}

// vetOnlyJob is the job of a hub that cannot be built from the
// checked-out federation: it prints why the hub is planned, runs
// `pangeo-gen vet HUB` to show the problems, and fails.
func vetOnlyJob(name string, reasons []string, o ContinuationOptions) (job, error) {
	if !dnsLabel.MatchString(name) {
		return job{}, fmt.Errorf("hub name %q is not a DNS label", name)
	}
	var q quoter
	var say strings.Builder
	say.WriteString("printf '%s\\n'")
	for _, r := range reasons {
		say.WriteString(" " + q.q(printable(r)))
	}
	say.WriteString("\n")
	script := fmt.Sprintf("%sset +e\npangeo-gen vet %s\nset -e\necho %s >&2\nexit 1\n",
		say.String(), q.q(name), q.q("hub "+name+" cannot be built or deployed from a federation that does not generate it: fix what vet reports"))
	if q.err != nil {
		return job{}, q.err
	}
	return job{Docker: []dockerImage{{Image: o.GoImage}}, Steps: []step{
		"checkout",
		run("Install pangeo-gen from this commit", installPangeoGen),
		run("pangeo-gen vet "+name+" (the hub does not generate)", script),
	}}, nil
}

// printable is s as one line that shellQuote takes: line breaks and NULs
// become spaces, "<<" (CircleCI parameter syntax) "< <".
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return ' '
		}
		return r
	}, s)
	for strings.Contains(s, "<<") {
		s = strings.ReplaceAll(s, "<<", "< <")
	}
	return s
}

// hubJobs are the vet, build and deploy jobs of one hub, whose generated
// output is out.
func hubJobs(h *hub.Hub, out *gen.Output, o ContinuationOptions) (map[string]job, error) {
	if !dnsLabel.MatchString(h.Name) {
		return nil, fmt.Errorf("hub name %q is not a DNS label", h.Name)
	}
	var q quoter
	hq := q.q(h.Name)
	docker := []dockerImage{{Image: o.GoImage}}
	prelude := []step{"checkout", run("Install pangeo-gen from this commit", installPangeoGen)}

	unlock, err := unlockSteps(h, &q)
	if err != nil {
		return nil, err
	}
	cloud, err := cloudSteps(h, o, &q)
	if err != nil {
		return nil, err
	}

	// vet
	vet := job{Docker: docker, Steps: append(append([]step{}, prelude...),
		run("pangeo-gen vet "+h.Name, "pangeo-gen vet "+hq+"\n"))}

	// build
	build := job{Docker: docker, Steps: append([]step{}, prelude...)}
	build.Steps = append(build.Steps, "setup_remote_docker")
	if h.Image.Built() {
		build.Steps = append(build.Steps, unlock...)
		build.Steps = append(build.Steps, cloud.install...)
		build.Steps = append(build.Steps, cloud.auth...)
		build.Steps = append(build.Steps, cloud.registry...)
		build.Steps = append(build.Steps, run("Install repo2docker",
			"sudo apt-get update -qq && sudo apt-get install -y -qq python3-pip\n"+
				"pip3 install --break-system-packages --quiet "+q.q("jupyter-repo2docker=="+o.Repo2Docker)+"\n"))
		build.Steps = append(build.Steps,
			when(onBranches(DeployBranches...), run("Build and push the image if it is not in the registry", buildScript(h, true, &q))),
			unless(onBranches(DeployBranches...), run("Build the image if it is not in the registry (no push)", buildScript(h, false, &q))))
	} else {
		build.Steps = append(build.Steps, run("Check the prebuilt image is in the registry",
			fmt.Sprintf("set +e\npangeo-gen image exists %s\nrc=$?\nset -e\nif [ \"$rc\" -ne 0 ]; then\n  echo \"prebuilt image of %s: absent or cannot tell (exit $rc)\" >&2\n  exit 1\nfi\n", hq, strings.Trim(hq, "'"))))
	}

	// deploy
	deploy := job{Docker: docker, Steps: append([]step{}, prelude...)}
	var envSteps []step
	for _, env := range DeployBranches {
		steps := append([]step{}, unlock...)
		steps = append(steps, cloud.install...)
		steps = append(steps, cloud.auth...)
		steps = append(steps, cloud.cluster...)
		helm, err := helmSteps(h, out.Image, env, o, &q)
		if err != nil {
			return nil, err
		}
		steps = append(steps, helm...)
		envSteps = append(envSteps, when(onBranches(env), steps...))
	}
	deploy.Steps = append(deploy.Steps, envSteps...)
	deploy.Steps = append(deploy.Steps, unless(onBranches(DeployBranches...),
		run("Render the staging release (placeholder secrets) instead of deploying",
			"pangeo-gen render "+hq+" --env staging --placeholder-secrets > /dev/null\n")))

	if q.err != nil {
		return nil, q.err
	}
	return map[string]job{"vet-" + h.Name: vet, "build-" + h.Name: build, "deploy-" + h.Name: deploy}, nil
}

// buildScript runs `image exists` and builds on exit 1 only.
func buildScript(h *hub.Hub, push bool, q *quoter) string {
	hq := q.q(h.Name)
	pushFlag := ""
	if push {
		pushFlag = " --push"
	}
	return fmt.Sprintf(`set +e
pangeo-gen image exists %s
rc=$?
set -e
case "$rc" in
  0) echo "the image is in the registry: nothing to build"; exit 0 ;;
  1) ;;
  *) echo "cannot tell whether the image is in the registry (exit $rc)" >&2; exit 1 ;;
esac
ref="$(pangeo-gen image ref %s)"
repo2docker --no-run%s --user-id 1000 --user-name jovyan --image-name "$ref" %s
`, hq, hq, pushFlag, q.q(path.Join(gen.HubDir(h.Name), "image")))
}

// unlockSteps decrypt deployments/<hub>/secrets/.
func unlockSteps(h *hub.Hub, q *quoter) ([]step, error) {
	secrets := path.Join(gen.HubDir(h.Name), "secrets")
	switch h.Secrets.Backend {
	case "git-crypt":
		env := GitCryptKeyEnv(h.Secrets.Key)
		return []step{
			run("Install git-crypt", "sudo apt-get update -qq && sudo apt-get install -y -qq git-crypt\n"),
			run("Unlock the secrets (git-crypt, $"+env+")", fmt.Sprintf(
				"if [ -z \"${%[1]s:-}\" ]; then echo \"%[1]s is not set (context of this hub)\" >&2; exit 1; fi\n"+
					"echo \"$%[1]s\" | base64 -d > /tmp/git-crypt.key && git-crypt unlock /tmp/git-crypt.key\nrm -f /tmp/git-crypt.key\n", env)),
		}, nil
	case "sops":
		var files []string
		for _, env := range hub.EnvNames {
			files = append(files, q.q(path.Join(secrets, env+".yaml")))
		}
		cred, err := gen.CredentialFile(h)
		if err != nil {
			return nil, err
		}
		if cred != "" {
			files = append(files, q.q(path.Join(secrets, cred)))
		}
		return []step{run("Decrypt the secrets (sops: SOPS_AGE_KEY or cloud KMS credentials of the context)",
			"for f in "+strings.Join(files, " ")+"; do\n  go tool -modfile=tools/go.mod sops --decrypt --in-place \"$f\"\ndone\n")}, nil
	}
	return nil, fmt.Errorf("unknown secrets backend %q", h.Secrets.Backend)
}

type cloudPlan struct {
	install, auth, registry, cluster []step
}

// registryHost is the host of an image repository.
func registryHost(repo string) string {
	host, _, _ := strings.Cut(repo, "/")
	return host
}

// cloudSteps install the provider's CLI and authenticate as hubploy.yaml
// says: with the credential file in secrets/ (or, for an AWS role, the
// context's identity assuming the role).
func cloudSteps(h *hub.Hub, o ContinuationOptions, q *quoter) (cloudPlan, error) {
	c := h.Cloud
	secrets := path.Join(gen.HubDir(h.Name), "secrets")
	cred, err := gen.CredentialFile(h)
	if err != nil {
		return cloudPlan{}, err
	}
	var p cloudPlan
	switch c.Provider {
	case "gcp":
		p.install = []step{run("Install gcloud", fmt.Sprintf(
			"curl -fsSL %s | tar -xz -C \"$HOME\"\n"+
				"\"$HOME/google-cloud-sdk/bin/gcloud\" components install gke-gcloud-auth-plugin --quiet\n"+
				"echo 'export PATH=\"$HOME/google-cloud-sdk/bin:$PATH\"' >> \"$BASH_ENV\"\n",
			q.q("https://dl.google.com/dl/cloudsdk/channels/rapid/downloads/google-cloud-cli-"+o.GCloudVersion+"-linux-x86_64.tar.gz")))}
		p.auth = []step{run("Authenticate to Google Cloud",
			"gcloud auth activate-service-account --key-file "+q.q(path.Join(secrets, cred))+"\n")}
		p.registry = []step{run("Log docker in to the registry",
			"gcloud auth configure-docker --quiet "+q.q(registryHost(h.Image.Repository))+"\n")}
		flag := "--region"
		if strings.Count(c.Location, "-") >= 2 { // us-central1-b: a zone
			flag = "--zone"
		}
		p.cluster = []step{run("Get the cluster's credentials",
			fmt.Sprintf("gcloud container clusters get-credentials %s %s %s --project %s\n", q.q(c.Cluster), flag, q.q(c.Location), q.q(c.Project)))}
	case "aws":
		p.install = []step{run("Install the AWS CLI",
			"curl -fsSL https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip -o /tmp/awscliv2.zip\n"+
				"cd /tmp && unzip -q awscliv2.zip && sudo ./aws/install\n")}
		ecr := q.q(c.AccountID + ".dkr.ecr." + c.Region + ".amazonaws.com")
		if c.RoleARN == "" {
			p.auth = []step{run("Authenticate to AWS (deployer key in secrets/)",
				"echo \"export AWS_SHARED_CREDENTIALS_FILE=$PWD/\""+q.q(path.Join(secrets, cred))+" >> \"$BASH_ENV\"\n")}
			p.registry = []step{run("Log docker in to ECR",
				"aws ecr get-login-password --region "+q.q(c.Region)+" | docker login --username AWS --password-stdin "+ecr+"\n")}
			p.cluster = []step{run("Get the cluster's credentials",
				"aws eks update-kubeconfig --name "+q.q(c.Cluster)+" --region "+q.q(c.Region)+"\n")}
		} else {
			p.auth = []step{run("Authenticate to AWS (the context's identity assumes the hub's role)",
				"aws configure set profile.deployer.role_arn "+q.q(c.RoleARN)+"\n"+
					"aws configure set profile.deployer.credential_source Environment\n")}
			p.registry = []step{run("Log docker in to ECR",
				"aws ecr get-login-password --profile deployer --region "+q.q(c.Region)+" | docker login --username AWS --password-stdin "+ecr+"\n")}
			p.cluster = []step{run("Get the cluster's credentials",
				"aws eks update-kubeconfig --name "+q.q(c.Cluster)+" --region "+q.q(c.Region)+" --role-arn "+q.q(c.RoleARN)+"\n")}
		}
	case "azure":
		p.install = []step{run("Install the Azure CLI", "curl -fsSL https://aka.ms/InstallAzureCLIDeb | sudo bash\n")}
		p.auth = []step{run("Authenticate to Azure (service principal in secrets/azure-auth.yaml)", fmt.Sprintf(
			"f=%s\nval() { sed -n \"s/^$1: *//p\" \"$f\" | sed -e \"s/^['\\\"]//\" -e \"s/['\\\"]\\$//\"; }\n"+
				"az login --service-principal --username \"$(val appId)\" --password \"$(val password)\" --tenant \"$(val tenant)\" > /dev/null\n",
			q.q(path.Join(secrets, cred))))}
		p.registry = []step{run("Log docker in to ACR", "az acr login --name "+q.q(c.Registry)+"\n")}
		p.cluster = []step{run("Get the cluster's credentials",
			"az aks get-credentials --resource-group "+q.q(c.ResourceGroup)+" --name "+q.q(c.Cluster)+"\n")}
	default:
		return cloudPlan{}, fmt.Errorf("unknown cloud provider %q", c.Provider)
	}
	return p, nil
}

// helmSteps install helm, of the major the hub's helm field chooses, and
// upgrade the release <hub>-<env>.
func helmSteps(h *hub.Hub, image gen.ImageRef, env string, o ContinuationOptions, q *quoter) ([]step, error) {
	release := h.Name + "-" + env
	dir := gen.HubDir(h.Name)
	version, err := helmCLI(h, o)
	if err != nil {
		return nil, err
	}
	install := run("Install helm", fmt.Sprintf(
		"curl -fsSL %s | tar -xz -C /tmp\nsudo mv /tmp/linux-amd64/helm /usr/local/bin/helm\n",
		q.q("https://get.helm.sh/helm-"+version+"-linux-amd64.tar.gz")))
	var chart, fetch string
	if h.Chart.Name == hub.GeneratedChart {
		chart = path.Join(gen.Deployments, "chart")
		var b strings.Builder
		for i, pin := range []hub.Pin{h.Chart.JupyterHub, h.Chart.DaskGateway} {
			if pin.Repository != "" && !strings.HasPrefix(pin.Repository, "oci://") {
				fmt.Fprintf(&b, "helm repo add %s %s\n", q.q(fmt.Sprintf("dep%d", i)), q.q(pin.Repository))
			}
		}
		fmt.Fprintf(&b, "helm dependency build %s\n", q.q(chart))
		fetch = b.String()
	} else {
		if h.Chart.Repository == "" || h.Chart.Version == "" {
			return nil, fmt.Errorf("chart %s: a pulled chart needs repository and version", h.Chart.Name)
		}
		chart = path.Join("/tmp/chart", h.Chart.Name)
		if strings.HasPrefix(h.Chart.Repository, "oci://") {
			fetch = fmt.Sprintf("helm pull %s --version %s --untar --untardir /tmp/chart\n",
				q.q(strings.TrimSuffix(h.Chart.Repository, "/")+"/"+h.Chart.Name), q.q(h.Chart.Version))
		} else {
			fetch = fmt.Sprintf("helm pull %s --repo %s --version %s --untar --untardir /tmp/chart\n",
				q.q(h.Chart.Name), q.q(h.Chart.Repository), q.q(h.Chart.Version))
		}
	}
	var up strings.Builder
	fmt.Fprintf(&up, "helm upgrade --install %s %s --namespace %s --create-namespace \\\n", q.q(release), q.q(chart), q.q(release))
	for _, f := range []string{path.Join(dir, "config", "common.yaml"), path.Join(dir, "config", env+".yaml"), path.Join(dir, "secrets", env+".yaml")} {
		fmt.Fprintf(&up, "  -f %s \\\n", q.q(f))
	}
	if h.Image.Built() {
		fmt.Fprintf(&up, "  --set-string %s \\\n", q.q(gen.ImageConfigPath+".name="+image.Name))
		fmt.Fprintf(&up, "  --set-string %s \\\n", q.q(gen.ImageConfigPath+".tag="+image.Tag))
	}
	if h.Helm == helm4 {
		// Helm 4 changed two defaults of helm upgrade; these flags keep
		// what the Helm 3 command does. --server-side=false: Helm 3's
		// client-side three-way merge (Helm 4 applies a new release
		// server-side, and an existing one as it was last applied);
		// --wait=legacy: Helm 3's readiness checks (Helm 4's --wait alone
		// is the kstatus watcher).
		up.WriteString("  --server-side=false \\\n")
		up.WriteString("  --wait=legacy --timeout 20m --cleanup-on-fail\n")
	} else {
		up.WriteString("  --wait --timeout 20m --cleanup-on-fail\n")
	}
	return []step{
		install,
		run("Fetch the chart", fetch),
		map[string]runStep{"run": {Name: "helm upgrade " + release, NoOutputTimeout: "30m", Command: up.String()}},
	}, nil
}

// The values of the hub's helm field (schema/hub.cue; internal/helmengine
// has the engines of the same majors).
const (
	helm3 = "v3"
	helm4 = "v4"
)

// helmCLI is the version of the helm CLI that deploys hub h: Helm 3's when
// the hub chooses none (the schema's default).
func helmCLI(h *hub.Hub, o ContinuationOptions) (string, error) {
	switch cmp.Or(h.Helm, helm3) {
	case helm3:
		return o.HelmVersion, nil
	case helm4:
		return o.Helm4Version, nil
	}
	return "", fmt.Errorf("hub %s: unknown Helm major version %q", h.Name, h.Helm)
}

// firstLine is the first line of s, trimmed: a reason fits on one line.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
