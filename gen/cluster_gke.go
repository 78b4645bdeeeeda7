package gen

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// gkeZone matches a GCP zone (us-central1-b); anything else is a region.
var gkeZone = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`)

// gkeTaintEffect is GKE's spelling of a Kubernetes taint effect.
var gkeTaintEffect = map[string]string{
	"NoSchedule":       "NO_SCHEDULE",
	"PreferNoSchedule": "PREFER_NO_SCHEDULE",
	"NoExecute":        "NO_EXECUTE",
}

// gkeScopes are the nodes' OAuth scopes: all of Google Cloud, narrowed by
// IAM (Google's recommendation for node service accounts).
var gkeScopes = []string{"https://www.googleapis.com/auth/cloud-platform"}

// gkeClusterFiles is the Terraform definition of a GKE cluster
// (hashicorp/google): versions.tf, variables.tf and main.tf under
// clusters/<name>/. The cluster follows the REGULAR release channel from
// cloud.kubernetesVersion on, uses workload identity, drops the default
// pool and scales down promptly (OPTIMIZE_UTILIZATION); each of the three
// pools autoscales between its min and max with the labels and taints the
// Helm values select on (Placement), spot where the hub says so. The
// Artifact Registry repositories of the hubs' images are created too.
func gkeClusterFiles(c Cluster) ([]File, error) {
	cl := c.Cloud
	if cl.Project == "" || cl.Location == "" {
		return nil, fmt.Errorf("cluster %s: cloud.project and cloud.location are required on gcp", c.Name)
	}
	zonal := gkeZone.MatchString(cl.Location)
	region := cl.Location
	if zonal {
		region = cl.Location[:strings.LastIndex(cl.Location, "-")]
	}
	repos, err := gkeRepositories(c)
	if err != nil {
		return nil, err
	}

	f := hclwrite.NewEmptyFile()
	b := f.Body()
	p := tfBlock(b, "provider", "google")
	p.SetAttributeValue("project", cty.StringVal(cl.Project))
	p.SetAttributeValue("region", cty.StringVal(region))

	b.AppendNewline()
	tfComment(b,
		"The control plane starts at cloud.kubernetesVersion and follows the",
		"REGULAR release channel (GKE upgrades it and the nodes within the minor",
		"versions it supports). The default pool is removed once the cluster",
		"exists: the pools below replace it.")
	k := b.AppendNewBlock("resource", []string{"google_container_cluster", "cluster"}).Body()
	k.SetAttributeValue("name", cty.StringVal(c.Name))
	k.SetAttributeValue("location", cty.StringVal(cl.Location))
	k.SetAttributeValue("min_master_version", cty.StringVal(cl.KubernetesVersion))
	k.SetAttributeTraversal("network", tfRef("var", "network"))
	k.SetAttributeTraversal("subnetwork", tfRef("var", "subnetwork"))
	k.SetAttributeTraversal("deletion_protection", tfRef("var", "deletion_protection"))
	k.SetAttributeValue("remove_default_node_pool", cty.True)
	k.SetAttributeValue("initial_node_count", cty.NumberIntVal(1))
	tfBlock(k, "release_channel").SetAttributeValue("channel", cty.StringVal("REGULAR"))
	tfBlock(k, "workload_identity_config").SetAttributeValue("workload_pool", cty.StringVal(cl.Project+".svc.id.goog"))
	tfBlock(k, "cluster_autoscaling").SetAttributeValue("autoscaling_profile", cty.StringVal("OPTIMIZE_UTILIZATION"))

	for _, name := range poolNames {
		if err := gkeNodePool(b, c.pool(name), zonal); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
	}
	for _, r := range repos {
		b.AppendNewline()
		if r.project != cl.Project {
			tfComment(b, fmt.Sprintf("In project %s: the nodes' service account needs roles/artifactregistry.reader there.", r.project))
		}
		a := b.AppendNewBlock("resource", []string{"google_artifact_registry_repository", r.local}).Body()
		a.SetAttributeValue("project", cty.StringVal(r.project))
		a.SetAttributeValue("location", cty.StringVal(r.location))
		a.SetAttributeValue("repository_id", cty.StringVal(r.id))
		a.SetAttributeValue("format", cty.StringVal("DOCKER"))
		a.SetAttributeValue("description", cty.StringVal("Images of the hubs "+strings.Join(r.hubs, ", ")+" (pangeo-gen)"))
	}

	v := hclwrite.NewEmptyFile()
	vb := v.Body()
	tfVariable(vb, "deletion_protection", "bool", cty.True,
		"While true, Terraform refuses to destroy the cluster or to replace it.")
	tfVariable(vb, "network", "string", cty.StringVal("default"),
		"The VPC network of the cluster.")
	tfVariable(vb, "subnetwork", "string", cty.NullVal(cty.String),
		"The subnetwork of the cluster in its region; null lets GKE choose the network's.")

	backend := []string{
		"  terraform {",
		"    backend \"gcs\" {",
		"      bucket = \"BUCKET\"",
		"      prefix = \"" + ClusterDir(c.Name) + "\"",
		"    }",
		"  }",
	}
	return []File{
		tfFile(c, "main.tf", f),
		tfFile(c, "variables.tf", v),
		tfVersions(c, tfProvider{"google", "hashicorp/google", GoogleProviderVersion}, backend),
	}, nil
}

// gkeNodePool appends the google_container_node_pool of one pool. A zonal
// cluster's limits are per zone, which is the pool's size; a regional
// cluster's are the totals over its zones.
func gkeNodePool(b *hclwrite.Body, p poolSpec, zonal bool) error {
	b.AppendNewline()
	if p.name == "core" {
		tfComment(b, "The core pool is always on: the idle floor of the cluster.")
	}
	n := b.AppendNewBlock("resource", []string{"google_container_node_pool", p.name}).Body()
	n.SetAttributeValue("name", cty.StringVal(p.name))
	n.SetAttributeTraversal("cluster", tfRef("google_container_cluster", "cluster", "id"))
	initial := p.Min
	if !zonal && initial > 1 {
		initial = 1 // per zone
	}
	n.SetAttributeValue("initial_node_count", cty.NumberIntVal(int64(initial)))

	a := tfBlock(n, "autoscaling")
	if zonal {
		a.SetAttributeValue("min_node_count", cty.NumberIntVal(int64(p.Min)))
		a.SetAttributeValue("max_node_count", cty.NumberIntVal(int64(p.Max)))
	} else {
		a.SetAttributeValue("total_min_node_count", cty.NumberIntVal(int64(p.Min)))
		a.SetAttributeValue("total_max_node_count", cty.NumberIntVal(int64(p.Max)))
	}
	if p.Spot {
		// ANY prefers zones with spot capacity, which lowers preemptions.
		a.SetAttributeValue("location_policy", cty.StringVal("ANY"))
	}

	m := tfBlock(n, "management")
	m.SetAttributeValue("auto_repair", cty.True)
	m.SetAttributeValue("auto_upgrade", cty.True)

	nc := tfBlock(n, "node_config")
	nc.SetAttributeValue("machine_type", cty.StringVal(p.MachineType))
	if p.Spot {
		nc.SetAttributeValue("spot", cty.True)
	}
	nc.SetAttributeValue("labels", tfStringMap(p.Labels))
	nc.SetAttributeValue("oauth_scopes", tfStrings(gkeScopes))
	for _, t := range p.Taints {
		effect, ok := gkeTaintEffect[t.Effect]
		if !ok {
			return fmt.Errorf("pool %s: taint %s: effect %q is not a Kubernetes taint effect", p.name, t.Key, t.Effect)
		}
		tb := tfBlock(nc, "taint")
		tb.SetAttributeValue("key", cty.StringVal(t.Key))
		tb.SetAttributeValue("value", cty.StringVal(t.Value))
		tb.SetAttributeValue("effect", cty.StringVal(effect))
	}
	tfBlock(nc, "workload_metadata_config").SetAttributeValue("mode", cty.StringVal("GKE_METADATA"))

	// initial_node_count only sizes the pool when it is created; changing
	// it later would replace the pool, so later changes are the
	// autoscaler's.
	l := tfBlock(n, "lifecycle")
	l.SetAttributeRaw("ignore_changes", hclwrite.TokensForTuple([]hclwrite.Tokens{hclwrite.TokensForIdentifier("initial_node_count")}))
	return nil
}

// gkeRepository is an Artifact Registry repository that a hub's image is
// pushed to.
type gkeRepository struct {
	project, location, id, local string
	hubs                         []string
}

// gkeRepositories are the Docker repositories of Artifact Registry
// (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE) that the cluster's
// hubs build their images into, sorted, each once.
func gkeRepositories(c Cluster) ([]gkeRepository, error) {
	byKey := map[string]*gkeRepository{}
	for _, h := range c.Hubs {
		ref := h.Image.Repository
		host, rest, _ := strings.Cut(ref, "/")
		location, ok := strings.CutSuffix(host, "-docker.pkg.dev")
		if !ok || ref == "" {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) < 3 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("hub %s: image.repository %q: an Artifact Registry image is LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE", h.Name, ref)
		}
		key := parts[0] + "/" + location + "/" + parts[1]
		r, ok := byKey[key]
		if !ok {
			r = &gkeRepository{project: parts[0], location: location, id: parts[1]}
			byKey[key] = r
		}
		r.hubs = append(r.hubs, h.Name)
	}
	var out []gkeRepository
	for _, r := range byKey {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.id != b.id {
			return a.id < b.id
		}
		if a.location != b.location {
			return a.location < b.location
		}
		return a.project < b.project
	})
	// The local name is the repository id, made unique by its location
	// and project where two share it.
	seen := map[string]int{}
	for _, r := range out {
		seen[r.id]++
	}
	for i := range out {
		name := out[i].id
		if seen[name] > 1 {
			name += "_" + out[i].location + "_" + out[i].project
		}
		out[i].local = tfLocalName(name)
		sort.Strings(out[i].hubs)
	}
	return out, nil
}
