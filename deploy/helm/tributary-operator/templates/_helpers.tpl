{{/* The operator's name. */}}
{{- define "tributary.name" -}}
tributary-operator
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "tributary.serviceAccount" -}}
{{- default (include "tributary.name" .) .Values.serviceAccount.name }}
{{- end }}

{{/* The operator's image. */}}
{{- define "tributary.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* Labels of everything the chart installs. */}}
{{- define "tributary.labels" -}}
app.kubernetes.io/name: {{ include "tributary.name" . }}
app.kubernetes.io/part-of: tributary
{{- end }}
