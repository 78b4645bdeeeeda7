package helmengine

import (
	"fmt"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// funcsChart is a chart whose templates use Helm's functions and objects:
// include (and its recursion limit), tpl (with defines, nested, failing),
// required, fail, the YAML, JSON and TOML functions, lookup,
// getHostByName, .Files, .Template, .Capabilities, .Subcharts, missing
// values; with a subchart and a library chart.
func funcsChart() *chart.Chart {
	tpl := func(name, text string) *chart.File { return &chart.File{Name: name, Data: []byte(text)} }
	root := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "funcs", Version: "1.2.3", AppVersion: "4.5"},
		Values:   map[string]any{"obj": map[string]any{"b": 2.0, "a": []any{"x", 1.0}}, "name": "n"},
		Files: []*chart.File{
			{Name: "files/a.txt", Data: []byte("line 1\nline 2\n")},
			{Name: "files/b.conf", Data: []byte("k = v")},
			{Name: "other/c.txt", Data: []byte("c")},
		},
		Templates: []*chart.File{
			tpl("templates/_helpers.tpl", `{{- define "funcs.name" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end -}}
{{- define "funcs.rec" -}}{{ include "funcs.rec" . }}{{- end -}}
{{- define "funcs.over" -}}first{{- end -}}`),
			tpl("templates/deep/_over.tpl", `{{- define "funcs.over" -}}deep{{- end -}}`),
			tpl("templates/a.yaml", `name: {{ include "funcs.name" . }}
over: {{ include "funcs.over" . }}
tpl: {{ tpl (.Values.tplString | default "{{ .Values.name }}") . }}
obj:
{{- toYaml .Values.obj | nindent 2 }}
pretty: {{ toYamlPretty .Values.obj | quote }}
all: {{ toYaml .Values | quote }} {{ toYaml .Values.obj.b }} {{ toYaml .Values.nope | quote }}
json: {{ toJson .Values.obj }}
fromJson: {{ (fromJson "{\"a\": 1}").a }} {{ (fromJson "nope").Error }}
fromJsonArray: {{ fromJsonArray "[1, 2]" }} {{ fromJsonArray "x" }}
fromYaml: {{ (fromYaml "a: [1, 2]").a }} {{ (fromYaml "a: [").Error }}
fromYamlArray: {{ fromYamlArray "- 1\n- b" }}
toml: {{ toToml .Values.obj | quote }} {{ (fromToml "x = 1").x }}
lookup: {{ lookup "v1" "Secret" "ns" "name" }}
host: {{ getHostByName "example.org" | quote }}
file: {{ .Files.Get "files/a.txt" | quote }} {{ .Files.GetBytes "nope" }}
lines: {{ .Files.Lines "files/a.txt" }} {{ .Files.Lines "nope" }}
config: {{ (.Files.Glob "files/*").AsConfig | quote }}
secrets: {{ (.Files.Glob "files/**").AsSecrets | quote }}
glob: {{ len (.Files.Glob "[") }}
template: {{ .Template.Name }} {{ .Template.BasePath }}
kube: {{ .Capabilities.KubeVersion.Version }} {{ .Chart.IsRoot }} {{ .Chart.AppVersion }}
sub: {{ .Subcharts.sub.Values.greeting }}
missing: {{ .Values.nope }} {{ .Values.obj.nope }}
{{- if .Values.x }}
required: {{ required "x is required" .Values.x.y }}
{{- end }}
{{- if .Values.fail }}
{{ fail "failing on purpose" }}
{{- end }}
{{- if .Values.recurse }}
{{ include "funcs.rec" . }}
{{- end }}
{{- if .Values.badTpl }}
{{ tpl "{{ if }}" . }}
{{- end }}
{{- if .Values.missingInclude }}
{{ include "nowhere" . }}
{{- end }}
`),
			tpl("templates/NOTES.txt", `Installed {{ .Release.Name }}`),
		},
	}
	sub := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "sub", Version: "0.1.0"},
		Values:   map[string]any{"greeting": "hello"},
		Templates: []*chart.File{
			tpl("templates/b.yaml", `greeting: {{ .Values.greeting }} root: {{ .Chart.IsRoot }} global: {{ .Values.global }}
{{ include "lib.hello" . }} {{ include "funcs.name" . }} {{ .Template.BasePath }}`),
		},
	}
	lib := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "lib", Version: "0.1.0", Type: "library"},
		Templates: []*chart.File{
			tpl("templates/_lib.tpl", `{{- define "lib.hello" -}}lib says hi to {{ .Chart.Name }}{{- end -}}`),
			tpl("templates/ignored.yaml", `kind: Ignored`),
		},
	}
	root.SetDependencies(sub, lib)
	return root
}

// TestParsedIsHelm: a chart's templates parsed once and rendered again
// and again with other values give what Helm's engine renders each time,
// the same files and the same errors (toYaml's remembered output
// included: the same and other values each time).
func TestParsedIsHelm(t *testing.T) {
	ch := funcsChart()
	broken := funcsChart()
	broken.Templates = append(broken.Templates, &chart.File{Name: "templates/zz-broken.yaml", Data: []byte("{{ if }}")})
	umbrella := loadChart(t)
	umbrellaReq := request(umbrella)
	var p, pBroken, pUmbrella parsedChart
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.33.0", Major: "1", Minor: "33"}
	for _, tc := range []struct {
		name string
		ch   *chart.Chart
		p    *parsedChart
		vals map[string]any
	}{
		{"defaults", ch, &p, map[string]any{}},
		{"tpl with a define", ch, &p, map[string]any{"tplString": `{{ include "funcs.name" . }} {{ tpl "{{ .Values.name }}" . }}`}},
		{"tpl defining a template", ch, &p, map[string]any{"tplString": `{{ define "funcs.name" }}redefined{{ end }}{{ include "funcs.name" . }}`}},
		{"defaults after a tpl redefined a template", ch, &p, map[string]any{}},
		{"required met", ch, &p, map[string]any{"x": map[string]any{"y": "why"}}},
		{"required missing", ch, &p, map[string]any{"x": map[string]any{"z": 1.0}}},
		{"required empty", ch, &p, map[string]any{"x": map[string]any{"y": ""}}},
		{"fail", ch, &p, map[string]any{"fail": true}},
		{"include recursion", ch, &p, map[string]any{"recurse": true}},
		{"tpl does not parse", ch, &p, map[string]any{"badTpl": true}},
		{"tpl fails", ch, &p, map[string]any{"tplString": `{{ fail "in tpl" }}`}},
		{"include of nothing", ch, &p, map[string]any{"missingInclude": true}},
		{"subchart and globals", ch, &p, map[string]any{"sub": map[string]any{"greeting": "hi"}, "global": map[string]any{"g": 1.0}}},
		{"a template does not parse", broken, &pBroken, map[string]any{}},
		{"a template does not parse, again", broken, &pBroken, map[string]any{"fail": true}},
		{"umbrella", umbrella, &pUmbrella, umbrellaReq.Values},
		{"umbrella, other token", umbrella, &pUmbrella, map[string]any{
			"jupyterhub":   umbrellaReq.Values["jupyterhub"],
			"dask-gateway": map[string]any{"gateway": map[string]any{"auth": map[string]any{"jupyterhub": map[string]any{"apiToken": "other"}}}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := func() chartutil.Values {
				top, err := chartutil.ToRenderValues(tc.ch, tc.vals, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}, caps)
				if err != nil {
					t.Fatal(err)
				}
				return top
			}
			want, wantErr := engine.Engine{}.Render(tc.ch, top())
			got, err := tc.p.render(tc.ch, top())
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error:\n got %v\nwant %v", err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				for k := range want {
					if got[k] != want[k] {
						t.Errorf("%s:\n got %q\nwant %q", k, got[k], want[k])
					}
				}
				t.Errorf("files: got %d, want %d", len(got), len(want))
			}
		})
	}
}
