{{- define "dsrflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dsrflow.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one component: pass (list $ "worker") */}}
{{- define "dsrflow.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "dsrflow.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "dsrflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "dsrflow.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}


{{/* TEMPORAL_* for any program; pass (dict "root" $ "apiKey" .Values.temporal.apiKey) */}}
{{- define "dsrflow.temporalEnv" -}}
{{- $v := .root.Values -}}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required (host:port of the Temporal frontend)" $v.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
{{- with $v.temporal.tlsServerName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if $v.temporal.tls.existingSecret }}
- name: TEMPORAL_TLS_CERT
  value: /etc/dsrflow/temporal-tls/{{ $v.temporal.tls.certKey }}
- name: TEMPORAL_TLS_KEY
  value: /etc/dsrflow/temporal-tls/{{ $v.temporal.tls.keyKey }}
{{- if $v.temporal.tls.caKey }}
- name: TEMPORAL_TLS_CA
  value: /etc/dsrflow/temporal-tls/{{ $v.temporal.tls.caKey }}
{{- end }}
{{- end }}
{{- if .apiKey.existingSecret }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .apiKey.existingSecret }}
      key: {{ .apiKey.key }}
{{- end }}
{{- end -}}

{{- define "dsrflow.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "%s is required" .what) .secret }}
      key: {{ .key }}
{{- end -}}

{{/* The environment the worker and the front door share. */}}
{{- define "dsrflow.productEnv" -}}
{{- $v := .Values -}}
{{ include "dsrflow.temporalEnv" (dict "root" . "apiKey" $v.temporal.apiKey) }}
{{ include "dsrflow.secretEnv" (dict "name" "DATABASE_URL" "secret" $v.database.existingSecret "key" $v.database.key "what" "database.existingSecret") }}
{{ include "dsrflow.secretEnv" (dict "name" "DSR_MASTER_KEYS" "secret" $v.keys.existingSecret "key" $v.keys.masterKeysKey "what" "keys.existingSecret") }}
{{ include "dsrflow.secretEnv" (dict "name" "DSR_HMAC_KEY" "secret" $v.keys.existingSecret "key" $v.keys.hmacKeyKey "what" "keys.existingSecret") }}
- name: DSR_PUBLIC_URL
  value: {{ required "publicURL is required (the front door's public base URL)" $v.publicURL | quote }}
- name: DSR_LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: DSR_CONNECTORS
  value: /etc/dsrflow/connectors/{{ $v.connectors.key }}
{{- if $v.controller.existingConfigMap }}
- name: DSR_CONTROLLER
  value: /etc/dsrflow/controller/{{ $v.controller.key }}
{{- end }}
{{- if $v.reviewers.existingConfigMap }}
- name: DSR_REVIEWERS
  value: /etc/dsrflow/reviewers/{{ $v.reviewers.key }}
{{- end }}
{{- if $v.slack.existingSecret }}
{{ include "dsrflow.secretEnv" (dict "name" "SLACK_BOT_TOKEN" "secret" $v.slack.existingSecret "key" $v.slack.botTokenKey "what" "slack.existingSecret") }}
{{- if $v.slack.appTokenKey }}
{{ include "dsrflow.secretEnv" (dict "name" "SLACK_APP_TOKEN" "secret" $v.slack.existingSecret "key" $v.slack.appTokenKey "what" "slack.existingSecret") }}
{{- end }}
{{- if $v.slack.signingSecretKey }}
{{ include "dsrflow.secretEnv" (dict "name" "SLACK_SIGNING_SECRET" "secret" $v.slack.existingSecret "key" $v.slack.signingSecretKey "what" "slack.existingSecret") }}
{{- end }}
- name: DSR_SLACK_REVIEW_CHANNEL
  value: {{ required "slack.reviewChannel is required with slack.existingSecret" $v.slack.reviewChannel | quote }}
{{- with $v.slack.alertChannel }}
- name: DSR_SLACK_ALERT_CHANNEL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if $v.oidc.issuer }}
- name: DSR_OIDC_ISSUER
  value: {{ $v.oidc.issuer | quote }}
- name: DSR_OIDC_CLIENT_ID
  value: {{ required "oidc.clientID is required with oidc.issuer" $v.oidc.clientID | quote }}
- name: DSR_OIDC_ROLES
  value: {{ required "oidc.roles is required with oidc.issuer" $v.oidc.roles | quote }}
- name: DSR_OIDC_GROUPS_CLAIM
  value: {{ $v.oidc.groupsClaim | quote }}
{{- if $v.oidc.existingSecret }}
{{ include "dsrflow.secretEnv" (dict "name" "DSR_OIDC_CLIENT_SECRET" "secret" $v.oidc.existingSecret "key" $v.oidc.clientSecretKey "what" "oidc.existingSecret") }}
{{- end }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "dsrflow.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: connectors
  mountPath: /etc/dsrflow/connectors
  readOnly: true
{{- if .Values.controller.existingConfigMap }}
- name: controller
  mountPath: /etc/dsrflow/controller
  readOnly: true
{{- end }}
{{- if .Values.reviewers.existingConfigMap }}
- name: reviewers
  mountPath: /etc/dsrflow/reviewers
  readOnly: true
{{- end }}
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/dsrflow/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "dsrflow.volumes" -}}
- name: tmp
  emptyDir: {}
- name: connectors
  configMap:
    name: {{ .Values.connectors.existingConfigMap | default (printf "%s-connectors" (include "dsrflow.fullname" .)) }}
{{- if .Values.controller.existingConfigMap }}
- name: controller
  configMap:
    name: {{ .Values.controller.existingConfigMap }}
{{- end }}
{{- if .Values.reviewers.existingConfigMap }}
- name: reviewers
  configMap:
    name: {{ .Values.reviewers.existingConfigMap }}
{{- end }}
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
{{- end }}
{{- end -}}
