{{- define "dask-gateway.labels" -}}
app.kubernetes.io/name: dask-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "dask-gateway.selectorLabels" -}}
app.kubernetes.io/name: dask-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dask-gateway.image" -}}
{{ .name }}:{{ .tag }}
{{- end }}
