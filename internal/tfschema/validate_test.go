package tfschema

import (
	"os"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

// testSchema is a small provider schema in the format of `terraform
// providers schema -json`.
const testSchema = `{
  "format_version": "1.0",
  "provider_schemas": {
    "registry.terraform.io/example/demo": {
      "provider": {"version": 0, "block": {"attributes": {"region": {"type": "string", "optional": true}}}},
      "resource_schemas": {
        "demo_cluster": {"version": 0, "block": {
          "attributes": {
            "id":     {"type": "string", "optional": true, "computed": true},
            "name":   {"type": "string", "required": true},
            "size":   {"type": "number", "optional": true},
            "spot":   {"type": "bool", "optional": true},
            "labels": {"type": ["map", "string"], "optional": true},
            "zones":  {"type": ["list", "string"], "optional": true},
            "fqdn":   {"type": "string", "computed": true}
          },
          "block_types": {
            "pool": {"nesting_mode": "list", "min_items": 1, "block": {
              "attributes": {"min": {"type": "number", "required": true}},
              "block_types": {"taint": {"nesting_mode": "list", "block": {"attributes": {"key": {"type": "string", "required": true}}}}}
            }},
            "identity": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {"type": {"type": "string", "required": true}}}},
            "timeouts": {"nesting_mode": "single", "block": {"attributes": {"create": {"type": "string", "optional": true}}}}
          }
        }}
      }
    }
  }
}`

func TestValidate(t *testing.T) {
	s, err := Load([]byte(testSchema), "registry.terraform.io/example/demo")
	if err != nil {
		t.Fatal(err)
	}
	const ok = `
resource "demo_cluster" "a" {
  name   = "a"
  size   = "3" # Terraform converts it
  labels = { "k8s.io/role" = "x" }
  zones  = ["a", "b"]
  pool {
    min = 1
    taint { key = "k" }
  }
  identity { type = "SystemAssigned" }
  lifecycle { ignore_changes = [size] }
}
`
	for _, tc := range []struct {
		name, src string
		unchecked []string
		want      []string // problems, as "line:col: path: message" substrings
		wantUnchk []string
	}{
		{"valid", ok, nil, nil, nil},
		{"variables, references and the provider",
			`provider "demo" { region = "x" }
variable "n" { type = string }
resource "demo_cluster" "a" {
  name = var.n
  pool { min = 0 }
}
resource "demo_cluster" "b" {
  name = demo_cluster.a.fqdn
  pool { min = 0 }
}`, nil, nil, nil},
		{"unknown attribute", `resource "demo_cluster" "a" {
  name = "a"
  colour = "red"
  pool { min = 1 }
}`, nil, []string{`3:3: demo_cluster.a: unsupported argument "colour"`}, nil},
		{"unknown attribute in a nested block", `resource "demo_cluster" "a" {
  name = "a"
  pool {
    min = 1
    max = 2
  }
}`, nil, []string{`5:5: demo_cluster.a.pool: unsupported argument "max"`}, nil},
		{"missing required attribute", `resource "demo_cluster" "a" {
  pool {}
}`, nil, []string{`1:29: demo_cluster.a: missing required argument "name"`, `2:8: demo_cluster.a.pool: missing required argument "min"`}, nil},
		{"missing required block", `resource "demo_cluster" "a" {
  name = "a"
}`, nil, []string{`1:29: demo_cluster.a: missing required block "pool" (at least 1)`}, nil},
		{"block written as an attribute", `resource "demo_cluster" "a" {
  name = "a"
  pool { min = 1 }
  identity = { type = "SystemAssigned" }
}`, nil, []string{`4:3: demo_cluster.a: "identity" is a block, not an attribute`}, nil},
		{"attribute written as a block", `resource "demo_cluster" "a" {
  name = "a"
  pool { min = 1 }
  labels { a = "b" }
}`, nil, []string{`4:3: demo_cluster.a: "labels" is an attribute, not a block`}, nil},
		{"too many blocks", `resource "demo_cluster" "a" {
  name = "a"
  pool { min = 1 }
  identity { type = "a" }
  identity { type = "b" }
  timeouts {}
  timeouts {}
}`, nil, []string{`4:3: demo_cluster.a: at most 1 identity block(s), found 2`, `6:3: demo_cluster.a: at most one timeouts block, found 2`}, nil},
		{"labels on a nested block", `resource "demo_cluster" "a" {
  name = "a"
  pool "x" { min = 1 }
}`, nil, []string{`3:3: demo_cluster.a: a pool block (nesting list) takes 0 labels, found 1`}, nil},
		{"wrong literal types", `resource "demo_cluster" "a" {
  name   = "a"
  size   = "three"
  spot   = "maybe"
  labels = ["a"]
  zones  = { a = "b" }
  pool { min = true }
}`, nil, []string{
			`3:12: demo_cluster.a: "size": string is not a valid number`,
			`4:12: demo_cluster.a: "spot": string is not a valid bool`,
			`5:12: demo_cluster.a: "labels": tuple is not a valid map of string`,
			`6:12: demo_cluster.a: "zones": object is not a valid list of string`,
			`7:16: demo_cluster.a.pool: "min": bool is not a valid number`,
		}, nil},
		{"computed attribute set", `resource "demo_cluster" "a" {
  name = "a"
  fqdn = "a.example.org"
  pool { min = 1 }
}`, nil, []string{`3:3: demo_cluster.a: "fqdn" is computed by the provider and cannot be set`}, nil},
		{"unknown resource type", `resource "demo_network" "a" {
  cidr = "10.0.0.0/8"
}`, nil, []string{`1:10: demo_network.a: resource type "demo_network" is not in the schema of registry.terraform.io/example/demo`}, nil},
		{"unknown resource type let through", `resource "demo_network" "a" {
  cidr = "10.0.0.0/8"
}`, []string{"demo_network"}, nil, []string{"demo_network"}},
		{"a resource of another provider", `resource "other_thing" "a" {}`, nil,
			[]string{`1:10: other_thing.a: no provider schema for resource type "other_thing"`}, nil},
		{"undeclared references", `resource "demo_cluster" "a" {
  name = var.missing
  size = demo_cluster.b.size
  spot = demo_cluster.a.colour
  pool { min = local.x }
}`, nil, []string{
			`2:10: demo_cluster.a: reference to undeclared variable "missing"`,
			`3:10: demo_cluster.a: reference to undeclared resource demo_cluster.b`,
			`4:10: demo_cluster.a: demo_cluster.a has no attribute "colour"`,
			`5:16: demo_cluster.a: reference to undeclared local value "x"`,
		}, nil},
		{"ignore_changes of an unknown attribute", `resource "demo_cluster" "a" {
  name = "a"
  pool { min = 1 }
  lifecycle { ignore_changes = [colour] }
}`, nil, []string{`4:33: demo_cluster.a.lifecycle: ignore_changes: demo_cluster.a has no attribute "colour"`}, nil},
		{"unknown provider argument and block", `provider "demo" {
  token = "x"
}
provider "other" {}
backend "local" {}`, nil, []string{
			`2:3: provider.demo: unsupported argument "token"`,
			`4:1: provider.other: no provider schema for provider "other"`,
			`5:1: backend: unsupported block type "backend"`,
		}, nil},
		{"a syntax error", `resource "demo_cluster" "a" {`, nil, []string{`1:29: main.tf: Unclosed configuration block`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Validator{Schemas: []*Schema{s}, Unchecked: tc.unchecked}.Validate(map[string][]byte{"main.tf": []byte(tc.src)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], "main.tf:") || !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want main.tf:%s...", i, got[i], w)
				}
			}
			if strings.Join(res.Unchecked, ",") != strings.Join(tc.wantUnchk, ",") {
				t.Errorf("unchecked = %v, want %v", res.Unchecked, tc.wantUnchk)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct{ name, data, source, want string }{
		{"not JSON", `{`, "registry.terraform.io/example/demo", "provider schema:"},
		{"another provider", testSchema, "registry.terraform.io/hashicorp/google", "no provider registry.terraform.io/hashicorp/google (it holds registry.terraform.io/example/demo)"},
		{"a bad type", `{"provider_schemas": {"p/x": {"resource_schemas": {"x_a": {"block": {"attributes": {"n": {"type": ["tuple"]}}}}}}}}`, "p/x", "resource x_a: attribute n: type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.data), tc.source)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestRealSchemas checks the validator against the real provider schemas
// with what changed across major versions: azurerm 5 calls the default
// pool's autoscaling auto_scaling_enabled (enable_auto_scaling before 4.0),
// and a GKE node pool's taints are blocks.
func TestRealSchemas(t *testing.T) {
	for _, tc := range []struct {
		name, file, source, src string
		want                    []string
	}{
		{"azurerm 5.2: the renamed autoscaling field", "azurerm.schema.json", "registry.terraform.io/hashicorp/azurerm", `
resource "azurerm_kubernetes_cluster" "c" {
  name                = "c"
  location            = "westeurope"
  resource_group_name = "rg"
  dns_prefix          = "c"
  default_node_pool {
    name                = "core"
    vm_size             = "Standard_D2s_v3"
    enable_auto_scaling = true
    min_count           = 1
    max_count           = 2
  }
  identity { type = "SystemAssigned" }
  node_provisioning_profile { mode = "Manual" }
}`, []string{`unsupported argument "enable_auto_scaling"`}},
		{"azurerm 5.2: node_provisioning_profile is required", "azurerm.schema.json", "registry.terraform.io/hashicorp/azurerm", `
resource "azurerm_kubernetes_cluster" "c" {
  name                = "c"
  location            = "westeurope"
  resource_group_name = "rg"
  dns_prefix          = "c"
  default_node_pool {
    name = "core"
  }
}`, []string{`missing required block "node_provisioning_profile"`}},
		{"google 7.45: taints are blocks", "google.schema.json", "registry.terraform.io/hashicorp/google", `
resource "google_container_node_pool" "dask" {
  cluster = "c"
  node_config {
    taint = [{ key = "k", value = "v", effect = "NO_SCHEDULE" }]
  }
}`, []string{`"taint" is a block, not an attribute`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(shareddata.Path(t, "upstream/terraform/"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Load(data, tc.source)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Validator{Schemas: []*Schema{s}}.Validate(map[string][]byte{"main.tf": []byte(tc.src)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want %q", i, got[i], w)
				}
			}
		})
	}
}
