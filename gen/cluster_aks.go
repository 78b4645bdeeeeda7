package gen

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// AKS's own label and taint of spot pools: AKS puts them on every node of
// a Spot pool. The pool's definition states them too, as the azurerm
// provider asks, or every plan would want to change the pool.
const (
	aksSpotLabel = "kubernetes.azure.com/scalesetpriority"
	aksSpotTaint = aksSpotLabel + "=spot:NoSchedule"
)

// aksClusterFiles is the Terraform definition of an AKS cluster
// (hashicorp/azurerm): versions.tf, variables.tf and main.tf under
// clusters/<name>/. It holds the resource group, the cluster with the core
// pool as its default (system) pool (autoscaling, min >= 1: the idle
// floor), the user and dask pools (autoscaling from 0, labels and taints
// the Helm values select on, Spot with eviction Delete where the hub says
// so), an autoscaler profile that scales down promptly, the container
// registry of the hubs' images and the kubelet identity's AcrPull on it.
func aksClusterFiles(c Cluster) ([]File, error) {
	cl := c.Cloud
	if cl.ResourceGroup == "" || cl.Location == "" || cl.Registry == "" {
		return nil, fmt.Errorf("cluster %s: cloud.resourceGroup, cloud.location and cloud.registry are required on azure", c.Name)
	}
	if cl.NodePools.Core.Spot {
		return nil, fmt.Errorf("cluster %s: cloud.nodePools.core.spot: the default pool of AKS cannot be spot", c.Name)
	}
	rg := func(attr string) hclwrite.Tokens {
		return hclwrite.TokensForTraversal(tfRef("azurerm_resource_group", "cluster", attr))
	}

	f := hclwrite.NewEmptyFile()
	b := f.Body()
	p := tfBlock(b, "provider", "azurerm")
	p.SetAttributeTraversal("subscription_id", tfRef("var", "subscription_id"))
	p.AppendNewline()
	tfEmptyBlock(p, "features")

	g := tfBlock(b, "resource", "azurerm_resource_group", "cluster")
	g.SetAttributeValue("name", cty.StringVal(cl.ResourceGroup))
	g.SetAttributeValue("location", cty.StringVal(cl.Location))

	b.AppendNewline()
	tfComment(b,
		"Kubernetes cloud.kubernetesVersion, patch versions applied by AKS. The",
		"core pool is the default (system) pool and always on: the idle floor",
		"of the cluster.")
	k := b.AppendNewBlock("resource", []string{"azurerm_kubernetes_cluster", "cluster"}).Body()
	k.SetAttributeValue("name", cty.StringVal(c.Name))
	k.SetAttributeRaw("location", rg("location"))
	k.SetAttributeRaw("resource_group_name", rg("name"))
	k.SetAttributeValue("dns_prefix", cty.StringVal(c.Name))
	k.SetAttributeValue("kubernetes_version", cty.StringVal(cl.KubernetesVersion))
	k.SetAttributeValue("automatic_upgrade_channel", cty.StringVal("patch"))
	k.SetAttributeValue("oidc_issuer_enabled", cty.True)
	k.SetAttributeValue("workload_identity_enabled", cty.True)

	core := c.pool("core")
	d := tfBlock(k, "default_node_pool")
	d.SetAttributeValue("name", cty.StringVal(core.name))
	d.SetAttributeValue("vm_size", cty.StringVal(core.MachineType))
	d.SetAttributeValue("orchestrator_version", cty.StringVal(cl.KubernetesVersion))
	d.SetAttributeValue("auto_scaling_enabled", cty.True)
	d.SetAttributeValue("min_count", cty.NumberIntVal(int64(core.Min)))
	d.SetAttributeValue("max_count", cty.NumberIntVal(int64(core.Max)))
	d.SetAttributeValue("node_labels", tfStringMap(core.Labels))
	// A change of vm_size replaces the default pool through a temporary one.
	d.SetAttributeValue("temporary_name_for_rotation", cty.StringVal(core.name+"tmp"))

	tfBlock(k, "identity").SetAttributeValue("type", cty.StringVal("SystemAssigned"))

	// Empty nodes go after 5 minutes instead of AKS's 10 (20 when unready).
	a := tfBlock(k, "auto_scaler_profile")
	a.SetAttributeValue("scale_down_unneeded", cty.StringVal("5m"))
	a.SetAttributeValue("scale_down_delay_after_add", cty.StringVal("5m"))
	a.SetAttributeValue("scale_down_unready", cty.StringVal("5m"))
	a.SetAttributeValue("skip_nodes_with_local_storage", cty.False)

	// The pools are the cluster autoscaler's (node auto-provisioning off).
	tfBlock(k, "node_provisioning_profile").SetAttributeValue("mode", cty.StringVal("Manual"))

	for _, name := range poolNames[1:] {
		aksNodePool(b, c.pool(name), cl.KubernetesVersion)
	}

	r := tfBlock(b, "resource", "azurerm_container_registry", "registry")
	r.SetAttributeValue("name", cty.StringVal(cl.Registry))
	r.SetAttributeRaw("resource_group_name", rg("name"))
	r.SetAttributeRaw("location", rg("location"))
	r.SetAttributeValue("sku", cty.StringVal("Basic"))
	r.SetAttributeValue("admin_enabled", cty.False)

	b.AppendNewline()
	tfComment(b, "The nodes pull the hubs' images from the registry with the kubelet identity.")
	ra := b.AppendNewBlock("resource", []string{"azurerm_role_assignment", "acr_pull"}).Body()
	ra.SetAttributeTraversal("principal_id", tfRef("azurerm_kubernetes_cluster", "cluster", "kubelet_identity", 0, "object_id"))
	ra.SetAttributeValue("role_definition_name", cty.StringVal("AcrPull"))
	ra.SetAttributeTraversal("scope", tfRef("azurerm_container_registry", "registry", "id"))
	ra.SetAttributeValue("skip_service_principal_aad_check", cty.True)

	v := hclwrite.NewEmptyFile()
	tfVariable(v.Body(), "subscription_id", "string", cty.NullVal(cty.String),
		"The Azure subscription of the cluster; null takes ARM_SUBSCRIPTION_ID from the environment.")

	backend := []string{
		"  terraform {",
		"    backend \"azurerm\" {",
		"      resource_group_name  = \"RESOURCE_GROUP\"",
		"      storage_account_name = \"STORAGE_ACCOUNT\"",
		"      container_name       = \"tfstate\"",
		"      key                  = \"" + c.Name + ".tfstate\"",
		"    }",
		"  }",
	}
	return []File{
		tfFile(c, "main.tf", f),
		tfFile(c, "variables.tf", v),
		tfVersions(c, tfProvider{"azurerm", "hashicorp/azurerm", AzurermProviderVersion}, backend),
	}, nil
}

// aksNodePool appends the azurerm_kubernetes_cluster_node_pool of a user
// pool (user or dask): it scales from its min (0 by default) to its max.
func aksNodePool(b *hclwrite.Body, p poolSpec, version string) {
	n := tfBlock(b, "resource", "azurerm_kubernetes_cluster_node_pool", p.name)
	n.SetAttributeValue("name", cty.StringVal(p.name))
	n.SetAttributeTraversal("kubernetes_cluster_id", tfRef("azurerm_kubernetes_cluster", "cluster", "id"))
	n.SetAttributeValue("mode", cty.StringVal("User"))
	n.SetAttributeValue("vm_size", cty.StringVal(p.MachineType))
	n.SetAttributeValue("orchestrator_version", cty.StringVal(version))
	n.SetAttributeValue("auto_scaling_enabled", cty.True)
	n.SetAttributeValue("min_count", cty.NumberIntVal(int64(p.Min)))
	n.SetAttributeValue("max_count", cty.NumberIntVal(int64(p.Max)))
	labels := map[string]string{}
	for k, v := range p.Labels {
		labels[k] = v
	}
	var taints []string
	for _, t := range p.Taints {
		taints = append(taints, t.Key+"="+t.Value+":"+t.Effect)
	}
	if p.Spot {
		labels[aksSpotLabel] = "spot"
		if !slices.Contains(taints, aksSpotTaint) {
			taints = append(taints, aksSpotTaint)
		}
	}
	n.SetAttributeValue("node_labels", tfStringMap(labels))
	if len(taints) > 0 {
		n.SetAttributeValue("node_taints", tfStrings(taints))
	}
	if p.Spot {
		n.SetAttributeValue("priority", cty.StringVal("Spot"))
		n.SetAttributeValue("eviction_policy", cty.StringVal("Delete"))
		// -1: pay up to the on-demand price, never evicted for price.
		n.SetAttributeValue("spot_max_price", cty.NumberIntVal(-1))
	}
}
