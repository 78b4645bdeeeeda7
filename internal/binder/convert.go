package binder

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Conda is the conda section read from binder files.
type Conda struct {
	Channels     []string
	Dependencies []string
	Pip          []string
}

// validator reports whether a value is what the schema takes.
type validator func(x string) bool

// ConvertEnvironment reads a conda environment.yml into the conda section:
// channels, dependencies (each a match spec the schema takes: "numpy
// 1.26" becomes "numpy=1.26") and the pip: list. start are its variables:
// (exported before every start, as conda activation would). What cannot
// be converted (a channel-specific spec, a pip option, an unknown entry)
// comes back as a note; the name: is dropped (repo2docker installs into
// its own environment); channel::name loses a channel that channels:
// lists anyway. validSpec checks a conda spec, validVar a start variable
// name.
func ConvertEnvironment(data []byte, validSpec, validVar validator) (conda Conda, start map[string]string, notes []string, err error) {
	var env struct {
		Channels     []any          `yaml:"channels"`
		Dependencies []any          `yaml:"dependencies"`
		Variables    map[string]any `yaml:"variables"`
	}
	if err := yaml.Unmarshal(data, &env); err != nil {
		return conda, nil, nil, fmt.Errorf("environment.yml: %w", err)
	}
	for _, c := range env.Channels {
		s, ok := c.(string)
		if !ok || strings.TrimSpace(s) == "" {
			notes = append(notes, fmt.Sprintf("environment.yml: channel %v not converted", c))
			continue
		}
		conda.Channels = appendUnique(conda.Channels, strings.TrimSpace(s))
	}
	for _, d := range env.Dependencies {
		switch d := d.(type) {
		case string:
			// channel::spec stays: it takes the package from that channel
			// whatever the channels' order.
			spec, ok := condaSpec(d, validSpec)
			if !ok {
				notes = append(notes, fmt.Sprintf("environment.yml: dependency %q not converted (not a conda match spec the schema takes)", d))
				continue
			}
			conda.Dependencies = appendUnique(conda.Dependencies, spec)
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(d)) {
				items, ok := d[k].([]any)
				if k != "pip" || !ok {
					notes = append(notes, fmt.Sprintf("environment.yml: dependency %s: not converted", k))
					continue
				}
				for _, it := range items {
					req, ok := it.(string)
					if p, pok := pipRequirement(req); ok && pok {
						conda.Pip = appendUnique(conda.Pip, p)
					} else {
						notes = append(notes, fmt.Sprintf("environment.yml: pip entry %v not converted", it))
					}
				}
			}
		default:
			notes = append(notes, fmt.Sprintf("environment.yml: dependency %v not converted", d))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(env.Variables)) {
		v := fmt.Sprint(env.Variables[k])
		if !validVar(k) {
			notes = append(notes, fmt.Sprintf("environment.yml: variable %s not converted (not an upper-case name image.start takes)", k))
			continue
		}
		if start == nil {
			start = map[string]string{}
		}
		start[k] = v
	}
	return conda, start, notes, nil
}

// condaSpec normalises a conda dependency: "name version" (conda's own
// spelling) becomes name=version; a build string is dropped.
func condaSpec(d string, valid validator) (string, bool) {
	d = strings.TrimSpace(d)
	if valid(d) {
		return d, true
	}
	if strings.Contains(d, "::") {
		return "", false
	}
	if f := strings.Fields(d); len(f) == 2 || len(f) == 3 {
		if s := f[0] + "=" + f[1]; !strings.ContainsAny(f[1], "=<>!~") && valid(s) {
			return s, true
		}
	}
	return "", false
}

// pipRequirement is a requirement line of pip, without comments; options
// (-r, -e, --index-url) are not requirements.
func pipRequirement(line string) (string, bool) {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
		return "", false
	}
	return line, true
}

// ConvertRequirements reads a pip requirements.txt.
func ConvertRequirements(data []byte) (pip, notes []string) {
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if p, ok := pipRequirement(t); ok {
			pip = appendUnique(pip, p)
		} else {
			notes = append(notes, fmt.Sprintf("requirements.txt: %q not converted", t))
		}
	}
	return pip, notes
}

// ConvertApt reads apt.txt: one Debian package a line, '#' comments.
func ConvertApt(data []byte, valid validator) (apt, notes []string) {
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		for _, pkg := range strings.Fields(line) {
			if !valid(pkg) {
				notes = append(notes, fmt.Sprintf("apt.txt: %q not converted (not a Debian package name)", pkg))
				continue
			}
			apt = appendUnique(apt, pkg)
		}
	}
	return apt, notes
}

// ConvertPostBuild reads a postBuild script into its lines: the shebang
// and blank lines go (the generated postBuild has its own, with
// set -euo pipefail). A script in another language is not converted.
func ConvertPostBuild(data []byte) (lines, notes []string) {
	all := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if len(all) > 0 && strings.HasPrefix(all[0], "#!") {
		if !isShell(all[0]) {
			return nil, []string{fmt.Sprintf("postBuild is not a shell script (%s): not converted", strings.TrimSpace(all[0]))}
		}
		all = all[1:]
	}
	for _, l := range all {
		l = strings.TrimRight(l, " \t")
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func isShell(shebang string) bool {
	f := strings.Fields(strings.TrimPrefix(shebang, "#!"))
	if len(f) == 0 {
		return true
	}
	prog := f[0]
	if strings.HasSuffix(prog, "/env") && len(f) > 1 {
		prog = f[1]
	}
	prog = prog[strings.LastIndex(prog, "/")+1:]
	return prog == "sh" || prog == "bash" || prog == "dash"
}

var exportLine = regexp.MustCompile(`^(?:export\s+)([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// ConvertStart reads a start script: each `export NAME=value` with a
// literal value becomes a start variable; every other command (one that
// expands variables, or is not an export) is kept as a note, since
// image.start holds only variables. The shebang, comments, `set` and the
// final exec "$@" go.
func ConvertStart(data []byte, validVar validator) (start map[string]string, rest []string) {
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "", strings.HasPrefix(t, "#"), t == "set" || strings.HasPrefix(t, "set "):
			continue
		case t == `exec "$@"`, t == `exec "${@}"`, t == "exec $@":
			continue
		}
		if m := exportLine.FindStringSubmatch(t); m != nil && validVar(m[1]) {
			if v, ok := shellLiteral(m[2]); ok {
				if start == nil {
					start = map[string]string{}
				}
				start[m[1]] = v
				continue
			}
		}
		rest = append(rest, t)
	}
	return start, rest
}

// shellLiteral is the value of a shell word that expands nothing: 'quoted',
// "quoted" without $, ` or \, or bare.
func shellLiteral(s string) (string, bool) {
	switch {
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' && !strings.Contains(s[1:len(s)-1], "'"):
		return s[1 : len(s)-1], true
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' && !strings.ContainsAny(s[1:len(s)-1], "\"$`\\"):
		return s[1 : len(s)-1], true
	case !strings.ContainsAny(s, " \t'\"$`\\;&|<>(){}*?[]~#"):
		return s, true
	}
	return "", false
}

// ConvertDockerfile takes the base image of a Dockerfile's first FROM;
// its other instructions are notes (the generated Dockerfile is only
// FROM: the onbuild images run binder/ themselves).
func ConvertDockerfile(data []byte, validRef validator) (base string, notes []string) {
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(t)
		if strings.EqualFold(f[0], "FROM") && base == "" {
			args := f[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "--") {
				args = args[1:]
			}
			if len(args) > 0 && validRef(args[0]) {
				base = args[0]
				continue
			}
			notes = append(notes, fmt.Sprintf("Dockerfile: %q: not a tagged image reference the schema takes; base not set", t))
			continue
		}
		notes = append(notes, fmt.Sprintf("Dockerfile: %q not converted (only FROM becomes image.base)", short(t)))
	}
	return base, notes
}

// ConvertRuntime reads runtime.txt: python-X.Y pins python.
func ConvertRuntime(data []byte) (spec string, notes []string) {
	t := strings.TrimSpace(string(data))
	if v, ok := strings.CutPrefix(t, "python-"); ok && regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`).MatchString(v) {
		return "python=" + v, nil
	}
	return "", []string{fmt.Sprintf("runtime.txt: %q not converted", t)}
}

// PinGateway pins dask-gateway in specs to version (the dask-gateway
// chart's), with sep ("=" for conda, "==" for pip): a dask-gateway client
// that differs from the chart breaks cluster creation, and vet refuses it.
func PinGateway(specs []string, version, sep string) (out, notes []string) {
	want := "dask-gateway" + sep + version
	for _, s := range specs {
		if name := specName(s); (name == "dask-gateway" || name == "dask_gateway") && s != want {
			notes = append(notes, fmt.Sprintf("%q pinned to %s, the dask-gateway chart's version", s, want))
			s = want
		}
		out = appendUnique(out, s)
	}
	return out, notes
}

// specName is the package name of a conda or pip spec, lower case.
func specName(spec string) string {
	name := strings.ToLower(strings.TrimSpace(spec))
	if i := strings.IndexAny(name, " =<>!~[;@"); i >= 0 {
		name = name[:i]
	}
	return name
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func short(s string) string {
	if len(s) > 72 {
		return s[:69] + "..."
	}
	return s
}
