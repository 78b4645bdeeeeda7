package ci

import (
	"bytes"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// repoRoot walks up from the package folder to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
}

func federation(t *testing.T) *load.Federation {
	t.Helper()
	fed, err := load.Load(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(fed.Hubs) < 3 {
		t.Fatalf("the repository has %d hubs, want at least 3", len(fed.Hubs))
	}
	return fed
}

// circleSchema is CircleCI's published config schema, beside the repository.
func circleSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	file := shareddata.Path(t, "upstream/circleci/config.schema.json")
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("CircleCI schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate decodes a YAML config into JSON values and checks it against
// the schema.
func validate(t *testing.T, s *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte(Header)) {
		t.Errorf("%s: does not start with the header %q", name, Header)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: not YAML: %v", name, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s: invalid CircleCI config: %v\n%s", name, err, data)
	}
}

func TestContinuationValid(t *testing.T) {
	fed := federation(t)
	s := circleSchema(t)
	names := fed.Names()
	for _, tc := range []struct {
		name string
		hubs []string
	}{
		{"none", nil},
		{"one", names[:1]},
		{"three", names[:3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var affected []Affected
			for _, n := range tc.hubs {
				affected = append(affected, Affected{Hub: n, Reasons: []string{"test"}})
			}
			data, err := Continuation(fed, affected, nil, ContinuationOptions{})
			if err != nil {
				t.Fatal(err)
			}
			validate(t, s, "continuation "+tc.name, data)
			again, _ := Continuation(fed, affected, nil, ContinuationOptions{})
			if !bytes.Equal(data, again) {
				t.Error("Continuation is not deterministic")
			}
			var cfg struct {
				Jobs      map[string]any `json:"jobs"`
				Workflows map[string]struct {
					Jobs []any `json:"jobs"`
				} `json:"workflows"`
			}
			if err := yaml.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			if len(tc.hubs) == 0 {
				if _, ok := cfg.Jobs["nothing"]; !ok || !strings.Contains(string(data), "no hub changed") {
					t.Errorf("no no-op job:\n%s", data)
				}
				return
			}
			if len(cfg.Workflows) != len(tc.hubs) {
				t.Errorf("%d workflows, want one per hub (%d): a hub's failure must not block another", len(cfg.Workflows), len(tc.hubs))
			}
			for _, n := range tc.hubs {
				for _, j := range []string{"vet-", "build-", "deploy-"} {
					if _, ok := cfg.Jobs[j+n]; !ok {
						t.Errorf("no job %s%s", j, n)
					}
				}
				if _, ok := cfg.Workflows["hub-"+n]; !ok {
					t.Errorf("no workflow hub-%s", n)
				}
				for _, want := range []string{
					"pangeo-gen image exists '" + n + "'",
					"helm upgrade --install '" + n + "-staging'",
					"helm upgrade --install '" + n + "-prod'",
					"pangeo-gen render '" + n + "' --env staging --placeholder-secrets > /dev/null",
					"context:\n            - pangeo-" + n,
				} {
					if !strings.Contains(string(data), want) {
						t.Errorf("hub %s: config lacks %q", n, want)
					}
				}
			}
		})
	}
}

func TestContinuationUnknownHub(t *testing.T) {
	fed := federation(t)
	_, err := Continuation(fed, []Affected{{Hub: "nosuchhub"}}, nil, ContinuationOptions{})
	if want := `ci continuation: no hub named "nosuchhub" (hubs: alpha, bravo, charlie)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// hostile is a federation of one hub whose fields try to inject commands
// (the schema would refuse them; the hub is built directly).
func hostile(t *testing.T, provider string, mutate func(h *hub.Hub)) *load.Federation {
	t.Helper()
	fed := federation(t)
	var base *hub.Hub
	for _, h := range fed.Hubs {
		if h.Cloud.Provider == provider {
			base = h
		}
	}
	if base == nil {
		t.Skipf("no %s hub", provider)
	}
	h := *base
	mutate(&h)
	return &load.Federation{Root: fed.Root, Hubs: []*hub.Hub{&h}}
}

func TestContinuationQuotesHostileValues(t *testing.T) {
	const evil = "x; rm -rf /"
	const evilQuote = "x'; rm -rf / #"
	for _, tc := range []struct {
		provider string
		mutate   func(h *hub.Hub)
		want     []string
	}{
		{"gcp", func(h *hub.Hub) { h.Cloud.Cluster = evil; h.Cloud.Project = evilQuote },
			[]string{"get-credentials 'x; rm -rf /'", `--project 'x'\''; rm -rf / #'`}},
		{"aws", func(h *hub.Hub) { h.Cloud.Cluster = evil; h.Cloud.Region = "$(reboot)" },
			[]string{"--name 'x; rm -rf /'", "--region '$(reboot)'"}},
		{"azure", func(h *hub.Hub) { h.Cloud.ResourceGroup = evil; h.Cloud.Registry = "`reboot`" },
			[]string{"--resource-group 'x; rm -rf /'", "--name '`reboot`'"}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			fed := hostile(t, tc.provider, tc.mutate)
			data, err := Continuation(fed, []Affected{{Hub: fed.Hubs[0].Name}}, nil, ContinuationOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := string(data)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks the quoted %q:\n%s", w, s)
				}
			}
			// Every occurrence of the hostile text is inside single quotes.
			for _, line := range strings.Split(s, "\n") {
				if i := strings.Index(line, "rm -rf"); i >= 0 && !strings.Contains(line, "'x; rm -rf /'") && !strings.Contains(line, `'x'\''; rm -rf / #'`) {
					t.Errorf("unquoted hostile value: %s", line)
				}
			}
		})
	}
}

func TestContinuationRefusesBadValues(t *testing.T) {
	for name, mutate := range map[string]func(h *hub.Hub){
		"newline in cluster":   func(h *hub.Hub) { h.Cloud.Cluster = "x\nrm -rf /" },
		"circleci parameter":   func(h *hub.Hub) { h.Cloud.Cluster = "<< pipeline.git.branch >>" },
		"hub name not a label": func(h *hub.Hub) { h.Name = "a; rm -rf /" },
	} {
		t.Run(name, func(t *testing.T) {
			fed := hostile(t, "gcp", mutate)
			if data, err := Continuation(fed, []Affected{{Hub: fed.Hubs[0].Name}}, nil, ContinuationOptions{}); err == nil {
				t.Errorf("no error; config:\n%s", data)
			}
		})
	}
}

func TestShellQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, v := range []string{"plain", "x; rm -rf /", "it's", "'", "$(id) `id` $HOME \\ \" *", ""} {
		q, err := shellQuote(v)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sh, "-c", "printf %s "+q).Output()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if string(out) != v {
			t.Errorf("shellQuote(%q) = %s: the shell reads %q", v, q, out)
		}
	}
	for _, v := range []string{"a\nb", "a\rb", "a\x00b", "<< pipeline.id >>"} {
		if _, err := shellQuote(v); err == nil {
			t.Errorf("shellQuote(%q) took it", v)
		}
	}
}

func TestGitCryptKeyEnv(t *testing.T) {
	for key, want := range map[string]string{"": "GIT_CRYPT_KEY", "default": "GIT_CRYPT_KEY", "ooi": "GIT_CRYPT_KEY_OOI", "my-key.2": "GIT_CRYPT_KEY_MY_KEY_2"} {
		if got := GitCryptKeyEnv(key); got != want {
			t.Errorf("GitCryptKeyEnv(%q) = %s, want %s", key, got, want)
		}
	}
}

// TestContinuationNoFederation: when the checked-out federation does not
// load, every hub listed gets its vet job alone, which prints the reasons
// (made one line, without CircleCI's "<<"), runs vet and fails; the config
// is valid CircleCI.
func TestContinuationNoFederation(t *testing.T) {
	affected := []Affected{
		{Hub: "bravo", Reasons: []string{"the federation does not generate at HEAD (expected '}', found 'EOF'): every hub is listed"}},
		{Hub: "alpha", Reasons: []string{"two\nlines << pipeline.id >>"}},
	}
	data, err := Continuation(nil, affected, nil, ContinuationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	validate(t, circleSchema(t), "continuation without a federation", data)
	var cfg struct {
		Jobs      map[string]any `json:"jobs"`
		Workflows map[string]any `json:"workflows"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Jobs) != 2 || cfg.Jobs["vet-alpha"] == nil || cfg.Jobs["vet-bravo"] == nil || len(cfg.Workflows) != 2 {
		t.Errorf("want the jobs vet-alpha and vet-bravo in two workflows:\n%s", data)
	}
	for _, want := range []string{
		"pangeo-gen vet 'alpha'\n",
		"pangeo-gen vet 'bravo'\n",
		`'the federation does not generate at HEAD (expected '\''}'\'', found '\''EOF'\''): every hub is listed'`,
		"'two lines < < pipeline.id >>'",
		"exit 1\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("config lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "<<") {
		t.Errorf("config holds <<:\n%s", data)
	}
	if _, err := Continuation(nil, []Affected{{Hub: "a b"}}, nil, ContinuationOptions{}); err == nil {
		t.Error("took a hub name that is not a DNS label")
	}
}

// TestContinuationClusters: each affected cluster gets one job that
// validates its definition with its provider's tool, never applies it,
// needs no context, and the config stays valid for CircleCI; a removed
// cluster gets none.
func TestContinuationClusters(t *testing.T) {
	s := circleSchema(t)
	for _, tc := range []struct {
		name    string
		cluster AffectedCluster
		want    []string // lines the job's commands hold
	}{
		{"gke", AffectedCluster{Cluster: "pangeo-ocean", Provider: "gcp", Reasons: []string{"definition changed: main.tf"}}, []string{
			"image: " + DefaultTerraformImage,
			"terraform -chdir='clusters/pangeo-ocean' init -backend=false -input=false",
			"terraform -chdir='clusters/pangeo-ocean' validate",
		}},
		{"aks", AffectedCluster{Cluster: "pangeo-atmos", Provider: "azure", Reasons: []string{ReasonClusterNew}}, []string{
			"terraform -chdir='clusters/pangeo-atmos' init -backend=false -input=false",
			"terraform -chdir='clusters/pangeo-atmos' validate",
		}},
		{"eks", AffectedCluster{Cluster: "pangeo-glaciers", Provider: "aws", Reasons: []string{"definition changed: eksctl.yaml"}}, []string{
			"'https://github.com/eksctl-io/eksctl/releases/download/v" + DefaultEksctlVersion + "/eksctl_Linux_amd64.tar.gz'",
			"/tmp/eksctl utils schema > /tmp/eksctl-schema.json",
			"check-jsonschema --schemafile /tmp/eksctl-schema.json 'clusters/pangeo-glaciers/eksctl.yaml'",
			"go install ./cmd/pangeo-gen\n", "pangeo-gen render --cluster 'pangeo-glaciers'\n",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Continuation(nil, nil, []AffectedCluster{tc.cluster}, ContinuationOptions{})
			if err != nil {
				t.Fatal(err)
			}
			validate(t, s, "continuation "+tc.name, data)
			var cfg struct {
				Jobs      map[string]any `json:"jobs"`
				Workflows map[string]struct {
					Jobs []map[string]map[string]any `json:"jobs"`
				} `json:"workflows"`
			}
			if err := yaml.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			jobName := "validate-cluster-" + tc.cluster.Cluster
			if _, ok := cfg.Jobs[jobName]; !ok || len(cfg.Jobs) != 1 {
				t.Fatalf("jobs %v, want %s alone (no nothing job)", keys(cfg.Jobs), jobName)
			}
			wf := cfg.Workflows["cluster-"+tc.cluster.Cluster]
			if len(wf.Jobs) != 1 || wf.Jobs[0][jobName] == nil || wf.Jobs[0][jobName]["context"] != nil {
				t.Errorf("workflow cluster-%s = %v, want the job alone, with no context", tc.cluster.Cluster, wf.Jobs)
			}
			text := string(data)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("config lacks %q:\n%s", w, text)
				}
			}
			for _, never := range []string{"' apply", "' plan", "terraform apply", "terraform plan", "eksctl create", "terraform init\n", "kubectl"} {
				if strings.Contains(text, never) {
					t.Errorf("config holds %q: it must never apply or plan:\n%s", never, text)
				}
			}
		})
	}
	t.Run("removed", func(t *testing.T) {
		data, err := Continuation(nil, nil, []AffectedCluster{{Cluster: "old", Provider: "gcp", Reasons: []string{ReasonClusterRemoved}}}, ContinuationOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "validate-cluster-old") || !strings.Contains(string(data), "no hub changed") {
			t.Errorf("a removed cluster is validated:\n%s", data)
		}
	})
	for _, bad := range []AffectedCluster{{Cluster: "a b", Provider: "gcp"}, {Cluster: "x", Provider: "openstack"}} {
		if _, err := Continuation(nil, nil, []AffectedCluster{bad}, ContinuationOptions{}); err == nil {
			t.Errorf("cluster %+v: no error", bad)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A hub on Helm 4 deploys with the pinned Helm 4 CLI and the flags that
// keep Helm 3's behaviour; the others as before.
func TestContinuationHelmMajor(t *testing.T) {
	fed := federation(t)
	names := fed.Names()
	v4 := fed.Hub(names[0])
	v4.Helm = "v4"
	var affected []Affected
	for _, n := range names[:2] {
		affected = append(affected, Affected{Hub: n, Reasons: []string{"test"}})
	}
	data, err := Continuation(fed, affected, nil, ContinuationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Jobs map[string]struct {
			Steps []any `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hub        string
		want, lack []string
	}{
		{names[0],
			[]string{"https://get.helm.sh/helm-" + DefaultHelm4Version + "-linux-amd64.tar.gz", "--server-side=false", "--wait=legacy --timeout 20m --cleanup-on-fail"},
			[]string{"helm-" + DefaultHelmVersion, "--wait --timeout"}},
		{names[1],
			[]string{"https://get.helm.sh/helm-" + DefaultHelmVersion + "-linux-amd64.tar.gz", "--wait --timeout 20m --cleanup-on-fail"},
			[]string{"helm-" + DefaultHelm4Version, "--server-side", "--wait="}},
	} {
		job, ok := cfg.Jobs["deploy-"+tc.hub]
		if !ok {
			t.Fatalf("no job deploy-%s", tc.hub)
		}
		steps, err := yaml.Marshal(job.Steps)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(steps), w) {
				t.Errorf("deploy-%s lacks %q:\n%s", tc.hub, w, steps)
			}
		}
		for _, l := range tc.lack {
			if strings.Contains(string(steps), l) {
				t.Errorf("deploy-%s has %q:\n%s", tc.hub, l, steps)
			}
		}
	}
	v4.Helm = "v5"
	if _, err := Continuation(fed, affected, nil, ContinuationOptions{}); err == nil || !strings.Contains(err.Error(), `unknown Helm major version "v5"`) {
		t.Errorf("hub on Helm v5: %v", err)
	}
}
