package scaffold

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
)

// starter makes a commented starter hub for a provider: every required
// field with a valid example value and a TODO(operator) comment. It
// embeds the federation template when the hubs package defines it, and
// then states only what the template leaves open.
func (e *Env) starter(o Options, res *Result) (*hubFile, cue.Value, error) {
	provider := o.Provider
	if provider == "" {
		provider = Providers[0]
	}
	if !slices.Contains(Providers, provider) {
		return nil, cue.Value{}, fmt.Errorf("unknown provider %q (one of %s)", provider, strings.Join(Providers, ", "))
	}
	hf := &hubFile{name: o.Name, body: &object{}}
	if e.HasDefinition(Template) {
		hf.embeds = []ast.Expr{ast.NewIdent(Template)}
		res.Templates = []string{Template}
	}
	base, err := e.baseOf(hf)
	if err != nil {
		return nil, cue.Value{}, err
	}
	open := func(path string) bool {
		_, ok := concrete(lookup(base, path))
		return !ok
	}
	body := hf.body
	body.set("title", "Pangeo "+title(o.Name)).doc = []string{"TODO(operator): the hub's one-line name, shown in its README."}
	if open("owners") {
		f := body.set("owners", []string{"your-github-login"})
		f.doc = []string{"TODO(operator): the GitHub users who answer for the hub."}
		f.section = true
	}
	if open("contact") {
		f := body.set("contact", "hub-admins@example.org")
		f.doc = []string{"TODO(operator): the operators' e-mail, also the Let's Encrypt contact."}
		f.section = true
	}
	e.environments(body, o.Name)

	cloud := e.starterCloud(provider, o.Name)
	cf := body.set("cloud", cloud)
	cf.section = true
	cf.doc = wrap(fmt.Sprintf("Where the hub runs (%s). The machine types are examples that fit the notebook profiles and Dask workers.", providerName[provider]), 72)

	img := body.obj("image")
	imgField := body.get("image")
	imgField.section = true
	img.set("repository", e.starterRepository(provider, o.Name, cloud)).line = "TODO(operator): the registry repository the image is pushed to"
	if len(hf.embeds) == 0 && o.Image == nil {
		conda := img.obj("conda")
		f := conda.set("dependencies", []string{"python=3.12"})
		f.doc = wrap("TODO(operator): the image's conda packages, pinned (name=version). gen adds dask-gateway pinned to the dask-gateway chart.", 68)
	}
	if open("auth") {
		auth := &object{short: true}
		gh := auth.obj("github")
		gh.short = true
		gh.set("orgs", []string{"pangeo-data"})
		f := body.set("auth", auth)
		f.section = true
		f.doc = wrap("TODO(operator): who may log in: members of GitHub organisations (or teams), or a generic OAuth2 provider (auth.oauth2).", 72)
	}

	doc := fmt.Sprintf("%s: TODO(operator): say what the hub is for. A starter hub on %s made by `%s`", o.Name, providerName[provider], o.Command)
	if len(hf.embeds) > 0 {
		doc += fmt.Sprintf(": it embeds %s, the federation's template (hubs/templates.cue), and states what the template leaves open.", Template)
	} else {
		doc += ": a standalone hub (the package defines no " + Template + " template)."
	}
	doc += " Each TODO(operator) marks an example value to replace; `pangeo-gen vet " + o.Name + "` checks the file after each edit."
	hf.doc = wrap(doc, 76)
	return hf, base, nil
}

var providerName = map[string]string{"gcp": "Google Cloud (GKE)", "aws": "AWS (EKS)", "azure": "Azure (AKS)"}

// starterCloud is an example cluster of the provider.
func (e *Env) starterCloud(provider, name string) *object {
	c := &object{}
	c.set("provider", provider)
	pool := func(machine string, min, max int) *inline {
		o := &object{}
		o.set("machineType", machine)
		if min > 0 {
			o.set("min", min)
		}
		o.set("max", max)
		return &inline{o}
	}
	pools := &object{}
	switch provider {
	case "gcp":
		project := "pangeo-" + name
		if len(project) > 30 {
			project = strings.TrimRight(project[:30], "-")
		}
		if !e.valid("#GCP.project", project) {
			project = "pangeo-hub-project"
		}
		c.set("project", project).line = "TODO(operator): the GCP project id"
		c.set("location", "us-central1-b").line = "TODO(operator): the cluster's zone or region"
		c.set("cluster", name).line = "TODO(operator): the GKE cluster's name"
		pools.set("core", pool("n2-standard-2", 1, 2))
		pools.set("user", pool("n2-highmem-8", 0, 10))
		pools.set("dask", pool("n2-highmem-4", 0, 20))
	case "aws":
		c.set("accountId", "123456789012").line = "TODO(operator): the 12-digit AWS account id"
		c.set("region", "us-west-2").line = "TODO(operator): the AWS region"
		c.set("cluster", name).line = "TODO(operator): the EKS cluster's name"
		pools.set("core", pool("m5.large", 1, 2))
		pools.set("user", pool("r5.2xlarge", 0, 10))
		pools.set("dask", pool("r5.xlarge", 0, 20))
	case "azure":
		c.set("resourceGroup", "pangeo-"+name).line = "TODO(operator): the cluster's resource group"
		c.set("cluster", name).line = "TODO(operator): the AKS cluster's name"
		registry := "pangeo" + strings.ReplaceAll(name, "-", "")
		if len(registry) > 50 {
			registry = registry[:50]
		}
		c.set("registry", registry).line = "TODO(operator): the Azure Container Registry (without .azurecr.io)"
		c.set("location", "westeurope").line = "TODO(operator): the Azure region"
		pools.set("core", pool("Standard_D2s_v3", 1, 2))
		pools.set("user", pool("Standard_E8s_v3", 0, 10))
		pools.set("dask", pool("Standard_E4s_v3", 0, 20))
	}
	f := c.set("nodePools", pools)
	f.doc = []string{"TODO(operator): machine types and maximum sizes of the pools."}
	return c
}

// starterRepository is an example repository in the provider's registry
// of the cluster's project, account or registry.
func (e *Env) starterRepository(provider, name string, cloud *object) string {
	str := func(label string) string {
		if f := cloud.get(label); f != nil {
			if s, ok := f.value.(string); ok {
				return s
			}
		}
		return ""
	}
	var repo string
	switch provider {
	case "gcp":
		region := str("location")
		if parts := strings.Split(region, "-"); len(parts) == 3 && len(parts[2]) == 1 {
			region = parts[0] + "-" + parts[1]
		}
		repo = fmt.Sprintf("%s-docker.pkg.dev/%s/hubs/%s-notebook", region, str("project"), name)
	case "aws":
		repo = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s-notebook", str("accountId"), str("region"), name)
	case "azure":
		repo = fmt.Sprintf("%s.azurecr.io/%s-notebook", strings.ToLower(str("registry")), name)
	}
	if !e.valid("#Repository", repo) {
		repo = "registry.example.org/pangeo/" + name + "-notebook"
	}
	return repo
}
