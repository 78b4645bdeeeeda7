package gen

import (
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// Terraform versions the generated cluster definitions pin: the language
// (moved blocks, optional object attributes, ...) and the providers, at the
// major versions whose schemas the tests validate against
// (../shared/upstream/terraform/).
const (
	TerraformRequiredVersion = ">= 1.5.0"
	GoogleProviderVersion    = "~> 7.45"
	AzurermProviderVersion   = "~> 5.2"
)

// tfProvider is a provider a cluster definition requires.
type tfProvider struct {
	local, source, version string
}

// tfFile formats a Terraform file of cluster c as `terraform fmt` does,
// after the generated-file header. f.Bytes() formats the file already
// (hclwrite's File.WriteTo), and the header, lines of comments, changes
// nothing of it, so it is not formatted a second time (which cost as much
// again); TestTerraformClusterFormat checks that formatting the result
// changes nothing.
func tfFile(c Cluster, name string, f *hclwrite.File) File {
	data := append([]byte(HashHeader(c.Sources())), f.Bytes()...)
	return File{Path: path.Join(ClusterDir(c.Name), name), Mode: 0o644, Data: data}
}

// tfVersions is versions.tf: the Terraform version and the pinned
// provider, and how the operator keeps the state (no backend is written:
// the state, and any credentials, never go into the tree).
func tfVersions(c Cluster, p tfProvider, backend []string) File {
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	tf := b.AppendNewBlock("terraform", nil).Body()
	tf.SetAttributeValue("required_version", cty.StringVal(TerraformRequiredVersion))
	tf.AppendNewline()
	rp := tf.AppendNewBlock("required_providers", nil).Body()
	rp.SetAttributeValue(p.local, cty.ObjectVal(map[string]cty.Value{
		"source":  cty.StringVal(p.source),
		"version": cty.StringVal(p.version),
	}))
	b.AppendNewline()
	tfComment(b, append([]string{
		"No backend is configured here: Terraform keeps the state in",
		"terraform.tfstate in this folder, which must never be committed. To keep",
		"it elsewhere, add a file backend.tf beside this one (pangeo-gen neither",
		"writes nor removes it), for example",
		"",
	}, append(backend, "",
		"then run: terraform -chdir="+ClusterDir(c.Name)+" init -migrate-state")...)...)
	return tfFile(c, "versions.tf", f)
}

// tfVariable declares a variable: type, default (cty.NilVal: none, the
// operator must supply it), description.
func tfVariable(b *hclwrite.Body, name, typ string, def cty.Value, description string) {
	v := tfBlock(b, "variable", name)
	v.SetAttributeValue("description", cty.StringVal(description))
	v.SetAttributeRaw("type", hclwrite.TokensForIdentifier(typ))
	if def != cty.NilVal {
		v.SetAttributeValue("default", def)
	}
}

// tfBlock appends a block, after a blank line when the body holds
// anything already.
func tfBlock(b *hclwrite.Body, typ string, labels ...string) *hclwrite.Body {
	if len(b.Attributes())+len(b.Blocks()) > 0 {
		b.AppendNewline()
	}
	return b.AppendNewBlock(typ, labels).Body()
}

// tfEmptyBlock appends a block with nothing in it, written "NAME {}" as
// Terraform's documentation writes it (hclwrite would open a line).
func tfEmptyBlock(b *hclwrite.Body, typ string) {
	b.AppendUnstructuredTokens(hclwrite.Tokens{
		{Type: hclsyntax.TokenIdent, Bytes: []byte(typ)},
		{Type: hclsyntax.TokenOBrace, Bytes: []byte("{")},
		{Type: hclsyntax.TokenCBrace, Bytes: []byte("}")},
		{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
	})
}

// tfComment appends '#' comment lines ("" is a bare '#').
func tfComment(b *hclwrite.Body, lines ...string) {
	var toks hclwrite.Tokens
	for _, l := range lines {
		text := "#"
		if l != "" {
			text += " " + l
		}
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte(text + "\n")})
	}
	b.AppendUnstructuredTokens(toks)
}

// tfRef is a reference such as google_container_cluster.cluster.id; an
// int part is an index ([0]).
func tfRef(parts ...any) hcl.Traversal {
	t := hcl.Traversal{hcl.TraverseRoot{Name: parts[0].(string)}}
	for _, p := range parts[1:] {
		switch p := p.(type) {
		case string:
			t = append(t, hcl.TraverseAttr{Name: p})
		case int:
			t = append(t, hcl.TraverseIndex{Key: cty.NumberIntVal(int64(p))})
		}
	}
	return t
}

// tfStringMap is a map of strings (an empty one when m is).
func tfStringMap(m map[string]string) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	vals := map[string]cty.Value{}
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

// tfStrings is a list of strings (an empty one when s is).
func tfStrings(s []string) cty.Value {
	if len(s) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(s))
	for i, x := range s {
		vals[i] = cty.StringVal(x)
	}
	return cty.ListVal(vals)
}

// poolNames are the three pools of a Pangeo cluster, in the order the
// definitions list them.
var poolNames = []string{"core", "user", "dask"}

// poolSpec is one pool of a cluster: its sizes and machine type, and the
// labels and taints the Helm values select on.
type poolSpec struct {
	name string
	hub.NodePool
	PoolPlacement
}

// pool is the hub model's pool of that name.
func (c Cluster) pool(name string) poolSpec {
	p := map[string]poolSpec{
		"core": {name: "core", NodePool: c.Cloud.NodePools.Core},
		"user": {name: "user", NodePool: c.Cloud.NodePools.User},
		"dask": {name: "dask", NodePool: c.Cloud.NodePools.Dask},
	}[name]
	p.PoolPlacement = c.Placement(name)
	return p
}

// tfLocalName makes s a Terraform identifier (letters, digits, '_' and
// '-', not starting with a digit).
func tfLocalName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	out := b.String()
	if out == "" || (out[0] >= '0' && out[0] <= '9') || out[0] == '-' {
		out = "r_" + out
	}
	return out
}
