package helmengine

// The template engine below is Helm 3's (helm.sh/helm/v3 v3.22.0,
// pkg/engine: engine.go, funcs.go, files.go; Copyright The Helm Authors,
// Apache License 2.0), as a client-only install runs it (no cluster
// client, not strict, not linting, no DNS), with one change: the templates
// of a chart are parsed once for all its renders, each render executing
// them in a clone of the parsed set with its own include, tpl, required
// and fail. Helm's engine parses every template again on each render;
// Memoized engines render a chart many times. The tests hold it to
// Helm's engine (TestParsedIsHelm, and the installref tests through
// Memoized engines).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
	goYaml "sigs.k8s.io/yaml/goyaml.v3"
)

// parsedChart is the templates of a chart (and its dependencies) parsed
// in Helm's order, or the error of the first that does not parse.
type parsedChart struct {
	once sync.Once
	// set holds every template, named by its path, with placeholder
	// include, tpl, required and fail; keys are the names in Helm's
	// order (sortTemplates).
	set  *template.Template
	keys []string
	err  error
	// yaml is toYaml's output by the JSON of its input (toYAML).
	yaml sync.Map
	// yamlBytes is what yaml holds, about.
	yamlBytes atomic.Int64
}

// maxYAMLBytes bounds what a parsedChart keeps of toYaml's output.
const maxYAMLBytes = 32 << 20

// toYAML is Helm's toYaml (sigs.k8s.io/yaml.Marshal: encoding/json's
// Marshal, then JSONToYAML), remembering the YAML of each JSON: the
// renders of a chart turn the same defaults into YAML again and again,
// and JSONToYAML (a YAML parse and a YAML encode) costs most of it.
func (p *parsedChart) toYAML(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	if y, ok := p.yaml.Load(string(j)); ok {
		return y.(string)
	}
	y := ""
	if data, err := yaml.JSONToYAML(j); err == nil {
		y = strings.TrimSuffix(string(data), "\n")
	}
	if p.yamlBytes.Add(int64(len(j)+len(y))) <= maxYAMLBytes {
		p.yaml.Store(string(j), y)
	}
	return y
}

// parse parses the templates of chart c as Helm's Engine.render does.
func (p *parsedChart) parse(c *chart.Chart) {
	p.once.Do(func() {
		texts := map[string]string{}
		templateTexts(c, texts)
		p.keys = sortTemplates(texts)
		t := template.New("gotpl")
		t.Option("missingkey=zero")
		funcs := funcMap()
		funcs["toYaml"] = p.toYAML
		t.Funcs(funcs)
		for _, filename := range p.keys {
			if _, err := t.New(filename).Parse(texts[filename]); err != nil {
				p.err = cleanupParseError(filename, err)
				return
			}
		}
		p.set = t
	})
}

// render is Helm's Engine.Render of chart c, whose templates p holds
// parsed, with the render values top.
func (p *parsedChart) render(c *chart.Chart, top chartutil.Values) (rendered map[string]string, err error) {
	p.parse(c)
	if p.err != nil {
		return map[string]string{}, p.err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	tpls := map[string]renderable{}
	recAllTpls(c, tpls, top)
	t, err := p.set.Clone()
	if err != nil {
		return map[string]string{}, err
	}
	t.Option("missingkey=zero")
	initFunMap(t)
	rendered = make(map[string]string, len(p.keys))
	for _, filename := range p.keys {
		// Partials are only included from other templates.
		if strings.HasPrefix(path.Base(filename), "_") {
			continue
		}
		vals := tpls[filename].vals
		vals["Template"] = chartutil.Values{"Name": filename, "BasePath": tpls[filename].basePath}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, filename, vals); err != nil {
			return map[string]string{}, cleanupExecError(filename, err)
		}
		// Go emits "<no value>" even with missingkey=zero.
		rendered[filename] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return rendered, nil
}

// renderable is a template's values and the base path of its chart's
// templates.
type renderable struct {
	vals     chartutil.Values
	basePath string
}

const (
	warnStartDelim   = "HELM_ERR_START"
	warnEndDelim     = "HELM_ERR_END"
	recursionMaxNums = 1000
)

var warnRegex = regexp.MustCompile(warnStartDelim + `((?s).*)` + warnEndDelim)

func warnWrap(warn string) string {
	return warnStartDelim + warn + warnEndDelim
}

// includeFun is Helm's include, in template set t.
func includeFun(t *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if v, ok := includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: %w", name, errors.New("unable to execute template"))
			}
			includedNames[name]++
		} else {
			includedNames[name] = 1
		}
		err := t.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
}

// tplFun is Helm's tpl, which sees the templates of its enclosing set.
func tplFun(parent *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(tpl string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		// A clone loses the missingkey option (golang/go#43022).
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{
			"include": includeFun(t, includedNames),
			"tpl":     tplFun(t, includedNames),
		})
		t, err = t.New(parent.Name()).Parse(tpl)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", tpl, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

// initFunMap gives template set t the functions that close over it
// (include, tpl) and Helm's required and fail (Engine.initFunMap, not
// linting).
func initFunMap(t *template.Template) {
	includedNames := make(map[string]int)
	t.Funcs(template.FuncMap{
		"include": includeFun(t, includedNames),
		"tpl":     tplFun(t, includedNames),
		"required": func(warn string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, errors.New(warnWrap(warn))
			} else if _, ok := val.(string); ok {
				if val == "" {
					return val, errors.New(warnWrap(warn))
				}
			}
			return val, nil
		},
		"fail": func(msg string) (string, error) {
			return "", errors.New(warnWrap(msg))
		},
	})
}

// funcMap is Helm's function map for an engine without a cluster client
// and without DNS: sprig's less env and expandenv, Helm's own, lookup
// returning nothing, getHostByName "", and placeholders for the functions
// initFunMap sets per render.
func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml":        toTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"include":       func(string, interface{}) string { return "not implemented" },
		"tpl":           func(string, interface{}) interface{} { return "not implemented" },
		"required":      func(string, interface{}) (interface{}, error) { return "not implemented", nil },
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		"fail":          func(string) (string, error) { return "", nil },
		"getHostByName": func(string) string { return "" },
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	location := tokens[1]
	errMsg := tokens[len(tokens)-1]
	return fmt.Errorf("parse error at (%s): %s", location, errMsg)
}

func cleanupExecError(filename string, err error) error {
	if _, isExecError := err.(template.ExecError); !isExecError {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	location := tokens[1]
	parts := warnRegex.FindStringSubmatch(tokens[2])
	if len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", location, parts[1])
	}
	return err
}

// sortTemplates is the template names in Helm's parse order: the deepest
// paths first, then by name, descending.
func sortTemplates(tpls map[string]string) []string {
	keys := make([]string, 0, len(tpls))
	for key := range tpls {
		keys = append(keys, key)
	}
	sort.Sort(sort.Reverse(byPathLen(keys)))
	return keys
}

type byPathLen []string

func (p byPathLen) Len() int      { return len(p) }
func (p byPathLen) Swap(i, j int) { p[j], p[i] = p[i], p[j] }
func (p byPathLen) Less(i, j int) bool {
	a, b := p[i], p[j]
	ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
	if ca == cb {
		return strings.Compare(a, b) == -1
	}
	return ca < cb
}

// templateTexts adds the templates of chart c and its dependencies to
// texts, by the names recAllTpls gives them.
func templateTexts(c *chart.Chart, texts map[string]string) {
	for _, child := range c.Dependencies() {
		templateTexts(child, texts)
	}
	for _, t := range c.Templates {
		if t == nil || !isTemplateValid(c, t.Name) {
			continue
		}
		texts[path.Join(c.ChartFullPath(), t.Name)] = string(t.Data)
	}
}

// recAllTpls is Helm's: each template of chart c and its dependencies
// with the values of its chart's scope.
func recAllTpls(c *chart.Chart, templates map[string]renderable, vals chartutil.Values) map[string]interface{} {
	subCharts := make(map[string]interface{})
	chartMetaData := struct {
		chart.Metadata
		IsRoot bool
	}{*c.Metadata, c.IsRoot()}
	next := map[string]interface{}{
		"Chart":        chartMetaData,
		"Files":        newFiles(c.Files),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(chartutil.Values),
		"Subcharts":    subCharts,
	}
	if c.IsRoot() {
		next["Values"] = vals["Values"]
	} else if vs, err := vals.Table("Values." + c.Name()); err == nil {
		next["Values"] = vs
	}
	for _, child := range c.Dependencies() {
		subCharts[child.Name()] = recAllTpls(child, templates, next)
	}
	newParentID := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil || !isTemplateValid(c, t.Name) {
			continue
		}
		templates[path.Join(newParentID, t.Name)] = renderable{vals: next, basePath: path.Join(newParentID, "templates")}
	}
	return next
}

func isTemplateValid(ch *chart.Chart, templateName string) bool {
	if strings.EqualFold(ch.Metadata.Type, "library") {
		return strings.HasPrefix(filepath.Base(templateName), "_")
	}
	return true
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v interface{}) string {
	var data bytes.Buffer
	encoder := goYaml.NewEncoder(&data)
	encoder.SetIndent(2)
	if err := encoder.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(data.String(), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toTOML(v interface{}) string {
	b := bytes.NewBuffer(nil)
	if err := toml.NewEncoder(b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}

func fromTOML(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := toml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

// files is Helm's .Files: a chart's non-template files by name.
type files map[string][]byte

func newFiles(from []*chart.File) files {
	files := make(map[string][]byte)
	for _, f := range from {
		files[f.Name] = f.Data
	}
	return files
}

// GetBytes is a file's bytes, none for a file that is not there.
func (f files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get is a file's text.
func (f files) Get(name string) string {
	return string(f.GetBytes(name))
}

// Glob is the files whose names match a glob pattern.
func (f files) Glob(pattern string) files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	nf := newFiles(nil)
	for name, contents := range f {
		if g.Match(name) {
			nf[name] = contents
		}
	}
	return nf
}

// AsConfig is the files as the data of a ConfigMap, in YAML.
func (f files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets is the files as the data of a Secret, base64, in YAML.
func (f files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines is a file's lines.
func (f files) Lines(path string) []string {
	if f == nil || len(f[path]) == 0 {
		return []string{}
	}
	s := string(f[path])
	if s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return strings.Split(s, "\n")
}
