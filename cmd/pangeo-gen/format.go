package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
)

// choice is a flag whose value is one of a fixed list (a pflag.Value):
// the one type of vet's, list's and ci plan's --format and version's -o.
// A value not in the list is a flag error (exit 2) naming the allowed
// ones, and shell completion offers them.
type choice struct {
	name    string // the flag's name, for its error
	value   string
	allowed []string
}

// choiceError is a value that a choice flag does not take.
type choiceError struct {
	flag, value string
	allowed     []string
}

func (e *choiceError) Error() string {
	return fmt.Sprintf("--%s must be %s, not %q", e.flag, orList(e.allowed), e.value)
}

// String is the value.
func (c *choice) String() string { return c.value }

// Set takes v when it is allowed.
func (c *choice) Set(v string) error {
	for _, a := range c.allowed {
		if v == a {
			c.value = v
			return nil
		}
	}
	return &choiceError{flag: c.name, value: v, allowed: c.allowed}
}

// Type names the values in the help text: text|json.
func (c *choice) Type() string { return strings.Join(c.allowed, "|") }

// orList joins values as "a or b", "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// formatFlag adds to cmd the flag name (shorthand may be "") whose value
// is one of allowed, the first being the default, with its completion,
// and returns the value (read it after the flags are parsed).
func formatFlag(cmd *cobra.Command, name, shorthand, usage string, allowed ...string) *choice {
	c := &choice{name: name, value: allowed[0], allowed: allowed}
	cmd.Flags().VarP(c, name, shorthand, usage)
	completeValues(cmd, name, allowed...)
	return c
}

// completeValues makes the shell complete flag name of cmd with values.
func completeValues(cmd *cobra.Command, name string, values ...string) {
	// The flag exists and is registered once: no error to handle.
	_ = cmd.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return prefixed(values, toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	})
}

// defaultHelm is the default of --helm: empty, each hub's helm field (the
// tests force a major with it).
var defaultHelm = ""

// helmFlag adds to cmd the flag --helm, the Helm major (v3 or v4) that
// renders and checks the hubs over their helm field, with its completion,
// and returns its value: empty, each hub's own, unless given.
func helmFlag(cmd *cobra.Command) *choice {
	c := &choice{name: "helm", value: defaultHelm, allowed: helmengine.Majors}
	cmd.Flags().Var(c, "helm", "Helm major version to render with instead of the hub's helm field: "+orList(helmengine.Majors)+" (default: the hub's)")
	completeValues(cmd, "helm", helmengine.Majors...)
	return c
}
