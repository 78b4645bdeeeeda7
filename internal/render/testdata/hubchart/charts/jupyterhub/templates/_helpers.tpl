{{- define "jupyterhub.labels" -}}
app: jupyterhub
release: {{ .Release.Name }}
chart: {{ .Chart.Name }}-{{ .Chart.Version }}
heritage: {{ .Release.Service }}
{{- end }}

{{- define "jupyterhub.matchLabels" -}}
app: jupyterhub
release: {{ .Release.Name }}
{{- end }}

{{- /* like the real chart: a value when given, otherwise a random one */}}
{{- define "jupyterhub.secret" -}}
{{- if . }}{{ . }}{{ else }}{{ randAlphaNum 64 }}{{ end }}
{{- end }}
