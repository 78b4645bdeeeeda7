{{- define "jupyterhub.labels" -}}
app: jupyterhub
release: {{ .Release.Name }}
{{- end }}
