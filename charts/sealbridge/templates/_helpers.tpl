{{- define "sealbridge.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sealbridge.labels" -}}
app.kubernetes.io/name: sealbridge
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "sealbridge.selectorLabels" -}}
app.kubernetes.io/name: sealbridge
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
