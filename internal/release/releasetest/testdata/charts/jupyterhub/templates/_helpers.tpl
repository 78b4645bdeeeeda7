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

{{- /* "name:tag" of an image value {name, tag} */}}
{{- define "jupyterhub.image" -}}
{{ .name }}:{{ .tag }}
{{- end }}

{{- /*
  A secret the chart needs as 64 hex digits (openssl rand -hex 32): the value
  when given, else a random one, as the real chart generates it. The real
  chart passes a malformed value on and JupyterHub refuses it at start-up;
  this stand-in fails at render time instead. Call with (list VALUE PATH).
*/}}
{{- define "jupyterhub.hexSecret" -}}
{{- $value := index . 0 }}
{{- if $value }}
{{- if not (regexMatch "^[0-9a-f]{64}$" (toString $value)) }}
{{- fail (printf "%s must be 64 hex digits (openssl rand -hex 32)" (index . 1)) }}
{{- end }}
{{- $value }}
{{- else }}
{{- randAlphaNum 64 | sha256sum }}
{{- end }}
{{- end }}

{{- define "jupyterhub.coreAffinity" -}}
{{- if eq .Values.scheduling.corePods.nodeAffinity.matchNodePurpose "require" }}
nodeSelector:
  hub.jupyter.org/node-purpose: core
{{- end }}
{{- end }}
