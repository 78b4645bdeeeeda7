// Package tfschema is `terraform validate` offline, for the resource types
// a provider schema holds: it loads the schema a provider prints with
// `terraform providers schema -json` and checks a Terraform module (its .tf
// files, parsed with hclsyntax) against it. Every resource type must be
// known (a type the schema lacks is an error, unless the caller lists it as
// unchecked: then it is reported as such), every attribute and block known
// with the right nesting, every required attribute and every block with
// min_items present, no computed-only attribute set, the value of a literal
// expression convertible to the attribute's type (as Terraform converts
// it), and every reference to a resource, or variable, of the module
// declared. It needs neither terraform nor the provider binaries.
package tfschema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Schema is one provider's schema: the provider block and the resource
// types it holds.
type Schema struct {
	// Source is the provider's registry address
	// ("registry.terraform.io/hashicorp/google").
	Source string
	// Provider is the schema of the provider's configuration block.
	Provider *Block
	// Resources are the resource types, by name.
	Resources map[string]*Block
}

// LocalName is the provider's local name, the last part of its source
// ("google"): the prefix of its resource types.
func (s *Schema) LocalName() string { return s.Source[strings.LastIndex(s.Source, "/")+1:] }

// Block is the schema of a block body: its attributes and nested blocks.
type Block struct {
	Attributes map[string]*Attribute   `json:"attributes"`
	BlockTypes map[string]*NestedBlock `json:"block_types"`
}

// Attribute is one attribute of a block.
type Attribute struct {
	// Type is the attribute's type (cty's JSON type notation in the file).
	Type     cty.Type `json:"-"`
	Required bool     `json:"required"`
	Optional bool     `json:"optional"`
	Computed bool     `json:"computed"`
	// RawType is the type as the schema writes it.
	RawType json.RawMessage `json:"type"`
	// NestedType is set instead of Type for attributes of nested object
	// type (protocol 6 providers); its content is not checked.
	NestedType json.RawMessage `json:"nested_type"`
}

// NestedBlock is a block type nested in a block.
type NestedBlock struct {
	// NestingMode is single, group, list, set or map.
	NestingMode string `json:"nesting_mode"`
	MinItems    int    `json:"min_items"`
	MaxItems    int    `json:"max_items"`
	Block       *Block `json:"block"`
}

// Load reads the provider source's schema out of the JSON that
// `terraform providers schema -json` prints.
func Load(data []byte, source string) (*Schema, error) {
	var doc struct {
		FormatVersion   string `json:"format_version"`
		ProviderSchemas map[string]struct {
			Provider struct {
				Block *Block `json:"block"`
			} `json:"provider"`
			ResourceSchemas map[string]struct {
				Block *Block `json:"block"`
			} `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("provider schema: %w", err)
	}
	p, ok := doc.ProviderSchemas[source]
	if !ok {
		var have []string
		for k := range doc.ProviderSchemas {
			have = append(have, k)
		}
		sort.Strings(have)
		return nil, fmt.Errorf("provider schema: no provider %s (it holds %s)", source, strings.Join(have, ", "))
	}
	s := &Schema{Source: source, Provider: p.Provider.Block, Resources: map[string]*Block{}}
	if s.Provider == nil {
		s.Provider = &Block{}
	}
	if err := s.Provider.resolve(); err != nil {
		return nil, fmt.Errorf("provider schema %s: provider: %w", source, err)
	}
	for name, r := range p.ResourceSchemas {
		if r.Block == nil {
			return nil, fmt.Errorf("provider schema %s: resource %s has no block", source, name)
		}
		if err := r.Block.resolve(); err != nil {
			return nil, fmt.Errorf("provider schema %s: resource %s: %w", source, name, err)
		}
		s.Resources[name] = r.Block
	}
	return s, nil
}

// resolve parses the attributes' cty types, recursively.
func (b *Block) resolve() error {
	for name, a := range b.Attributes {
		if len(a.RawType) == 0 {
			if len(a.NestedType) == 0 {
				return fmt.Errorf("attribute %s has no type", name)
			}
			a.Type = cty.DynamicPseudoType
			continue
		}
		t, err := ctyjson.UnmarshalType(a.RawType)
		if err != nil {
			return fmt.Errorf("attribute %s: type %s: %w", name, a.RawType, err)
		}
		a.Type = t
	}
	for name, nb := range b.BlockTypes {
		if nb.Block == nil {
			nb.Block = &Block{}
		}
		if err := nb.Block.resolve(); err != nil {
			return fmt.Errorf("block %s: %w", name, err)
		}
	}
	return nil
}
