package scaffold

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
)

// starter makes a commented starter hub for a provider: every required
// field with a valid example value and a TODO(operator) comment. It
// embeds the federation template when the hubs package defines it, and
// then states only what the template leaves open.
func starter(e *hubfile.Env, o Options, res *Result) (*hubfile.File, cue.Value, error) {
	provider := o.Provider
	if provider == "" {
		provider = Providers[0]
	}
	if !slices.Contains(Providers, provider) {
		return nil, cue.Value{}, fmt.Errorf("unknown provider %q (one of %s)", provider, strings.Join(Providers, ", "))
	}
	hf := &hubfile.File{Name: o.Name, Body: &hubfile.Object{}}
	if e.HasDefinition(Template) {
		hf.Embeds = []ast.Expr{ast.NewIdent(Template)}
		res.Templates = []string{Template}
	}
	base, err := baseOf(e, hf)
	if err != nil {
		return nil, cue.Value{}, err
	}
	open := func(path string) bool {
		_, ok := hubfile.Concrete(hubfile.Lookup(base, path))
		return !ok
	}
	body := hf.Body
	body.Set("title", "Pangeo "+hubfile.Title(o.Name)).Doc = []string{"TODO(operator): the hub's one-line name, shown in its README."}
	if open("owners") {
		f := body.Set("owners", []string{"your-github-login"})
		f.Doc = []string{"TODO(operator): the GitHub users who answer for the hub."}
		f.Section = true
	}
	if open("contact") {
		f := body.Set("contact", "hub-admins@example.org")
		f.Doc = []string{"TODO(operator): the operators' e-mail, also the Let's Encrypt contact."}
		f.Section = true
	}
	environments(e, body, o.Name)

	cloud := StarterCloud(e, provider, o.Name)
	cf := body.Set("cloud", cloud)
	cf.Section = true
	cf.Doc = hubfile.Wrap(fmt.Sprintf("Where the hub runs (%s). The machine types are examples that fit the notebook profiles and Dask workers.", providerName[provider]), 72)

	img := body.Obj("image")
	imgField := body.Get("image")
	imgField.Section = true
	img.Set("repository", starterRepository(e, provider, o.Name, cloud)).Line = "TODO(operator): the registry repository the image is pushed to"
	if len(hf.Embeds) == 0 && o.Image == nil {
		conda := img.Obj("conda")
		f := conda.Set("dependencies", []string{"python=3.12"})
		f.Doc = hubfile.Wrap("TODO(operator): the image's conda packages, pinned (name=version). gen adds dask-gateway pinned to the dask-gateway chart.", 68)
	}
	if open("auth") {
		auth := &hubfile.Object{Short: true}
		gh := auth.Obj("github")
		gh.Short = true
		gh.Set("orgs", []string{"pangeo-data"})
		f := body.Set("auth", auth)
		f.Section = true
		f.Doc = hubfile.Wrap("TODO(operator): who may log in: members of GitHub organisations (or teams), or a generic OAuth2 provider (auth.oauth2).", 72)
	}

	doc := fmt.Sprintf("%s: TODO(operator): say what the hub is for. A starter hub on %s made by `%s`", o.Name, providerName[provider], o.Command)
	if len(hf.Embeds) > 0 {
		doc += fmt.Sprintf(": it embeds %s, the federation's template (hubs/templates.cue), and states what the template leaves open.", Template)
	} else {
		doc += ": a standalone hub (the package defines no " + Template + " template)."
	}
	doc += " Each TODO(operator) marks an example value to replace; `pangeo-gen vet " + o.Name + "` checks the file after each edit."
	hf.Doc = hubfile.Wrap(doc, 76)
	return hf, base, nil
}

var providerName = map[string]string{"gcp": "Google Cloud (GKE)", "aws": "AWS (EKS)", "azure": "Azure (AKS)"}

// StarterCloud is an example cluster of the provider for the hub name: the
// cloud section of a starter, and of an imported hub whose old values do not
// say.
func StarterCloud(e *hubfile.Env, provider, name string) *hubfile.Object {
	c := &hubfile.Object{}
	c.Set("provider", provider)
	pool := func(machine string, min, max int) *hubfile.Inline {
		o := &hubfile.Object{}
		o.Set("machineType", machine)
		if min > 0 {
			o.Set("min", min)
		}
		o.Set("max", max)
		return &hubfile.Inline{Object: o}
	}
	pools := &hubfile.Object{}
	switch provider {
	case "gcp":
		project := "pangeo-" + name
		if len(project) > 30 {
			project = strings.TrimRight(project[:30], "-")
		}
		if !e.Valid("#GCP.project", project) {
			project = "pangeo-hub-project"
		}
		c.Set("project", project).Line = "TODO(operator): the GCP project id"
		c.Set("location", "us-central1-b").Line = "TODO(operator): the cluster's zone or region"
		c.Set("cluster", name).Line = "TODO(operator): the GKE cluster's name"
		pools.Set("core", pool("n2-standard-2", 1, 2))
		pools.Set("user", pool("n2-highmem-8", 0, 10))
		pools.Set("dask", pool("n2-highmem-4", 0, 20))
	case "aws":
		c.Set("accountId", "123456789012").Line = "TODO(operator): the 12-digit AWS account id"
		c.Set("region", "us-west-2").Line = "TODO(operator): the AWS region"
		c.Set("cluster", name).Line = "TODO(operator): the EKS cluster's name"
		pools.Set("core", pool("m5.large", 1, 2))
		pools.Set("user", pool("r5.2xlarge", 0, 10))
		pools.Set("dask", pool("r5.xlarge", 0, 20))
	case "azure":
		c.Set("resourceGroup", "pangeo-"+name).Line = "TODO(operator): the cluster's resource group"
		c.Set("cluster", name).Line = "TODO(operator): the AKS cluster's name"
		registry := "pangeo" + strings.ReplaceAll(name, "-", "")
		if len(registry) > 50 {
			registry = registry[:50]
		}
		c.Set("registry", registry).Line = "TODO(operator): the Azure Container Registry (without .azurecr.io)"
		c.Set("location", "westeurope").Line = "TODO(operator): the Azure region"
		pools.Set("core", pool("Standard_D2s_v3", 1, 2))
		pools.Set("user", pool("Standard_E8s_v3", 0, 10))
		pools.Set("dask", pool("Standard_E4s_v3", 0, 20))
	}
	f := c.Set("nodePools", pools)
	f.Doc = []string{"TODO(operator): machine types and maximum sizes of the pools."}
	return c
}

// starterRepository is an example repository in the provider's registry
// of the cluster's project, account or registry.
func starterRepository(e *hubfile.Env, provider, name string, cloud *hubfile.Object) string {
	str := func(label string) string {
		if f := cloud.Get(label); f != nil {
			if s, ok := f.Value.(string); ok {
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
	if !e.Valid("#Repository", repo) {
		repo = "registry.example.org/pangeo/" + name + "-notebook"
	}
	return repo
}
