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

{{- define "sealbridge.serviceAccountName" -}}
{{- default (include "sealbridge.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- /* "true" when the controller runs with --leader-elect: several replicas, or asked for. */ -}}
{{- define "sealbridge.leaderElect" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.leaderElection.enabled -}}true{{- else -}}false{{- end -}}
{{- end -}}
