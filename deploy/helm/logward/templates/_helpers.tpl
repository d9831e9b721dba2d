{{/*
Names, labels and the few values several templates derive the same way.
*/}}

{{- define "logward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "logward.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "logward.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "logward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "logward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "logward.labels" -}}
helm.sh/chart: {{ include "logward.chart" . }}
{{ include "logward.selectorLabels" . }}
app.kubernetes.io/version: {{ include "logward.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The gateway pods only; the migration Job's pods carry another component. */}}
{{- define "logward.gatewaySelectorLabels" -}}
{{ include "logward.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "logward.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "logward.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "logward.secretName" -}}
{{- default (include "logward.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "logward.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* A digest pins the image exactly and wins over the tag. */}}
{{- define "logward.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "logward.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
LOGWARD_SHUTDOWN_GRACE_SECS as logward reads it: 30 unless set (0 is a value,
so `default` would be wrong here).
*/}}
{{- define "logward.shutdownGraceSecs" -}}
{{- if hasKey .Values.config "shutdown_grace_secs" }}
{{- .Values.config.shutdown_grace_secs | int64 }}
{{- else }}
{{- 30 }}
{{- end }}
{{- end }}

{{/*
The pod's termination grace: the preStop pause (while endpoints drop the pod),
then logward's own shutdown grace for in-flight requests and tails, then the
margin in which it writes the audit buffer and key-usage times. Kubernetes
kills the container when this runs out, so it must cover all three.
*/}}
{{- define "logward.terminationGracePeriodSeconds" -}}
{{- add (.Values.lifecycle.preStopSleepSeconds | int64) (include "logward.shutdownGraceSecs" . | int64) (.Values.lifecycle.terminationGraceMarginSeconds | int64) }}
{{- end }}

{{- define "logward.tlsEnabled" -}}
{{- if .Values.tls.existingSecret }}true{{ end }}
{{- end }}

{{- define "logward.scheme" -}}
{{- if include "logward.tlsEnabled" . }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
A config value as the variable's text. YAML numbers reach templates as
float64, which print as 1e+07; the schema allows only whole numbers and
strings here, so numbers are printed as integers.
*/}}
{{- define "logward.configValue" -}}
{{- if kindIs "string" . }}
{{- . }}
{{- else if kindIs "bool" . }}
{{- ternary "true" "false" . }}
{{- else }}
{{- . | int64 }}
{{- end }}
{{- end }}

{{/*
The non-secret environment as name: value pairs, shared by the ConfigMap (the
gateway) and the migration Job, which cannot use the ConfigMap: before an
install it does not exist yet, and before an upgrade it still holds the old
values. So `logward migrate`, which checks every setting at start, refuses a
bad configuration before any pod rolls.
*/}}
{{- define "logward.configEnv" -}}
LOGWARD_LISTEN: {{ printf "%s:%d" .Values.listenHost (.Values.containerPort | int) | quote }}
{{- range $key, $value := .Values.config }}
{{- if not (kindIs "invalid" $value) }}
{{ printf "LOGWARD_%s" (upper $key) }}: {{ include "logward.configValue" $value | quote }}
{{- end }}
{{- end }}
{{- with .Values.aws.region }}
AWS_REGION: {{ . | quote }}
{{- end }}
{{- with .Values.aws.endpointUrl }}
AWS_ENDPOINT_URL: {{ . | quote }}
{{- end }}
{{- if include "logward.tlsEnabled" . }}
LOGWARD_TLS_CERT: "/etc/logward/tls/tls.crt"
LOGWARD_TLS_KEY: "/etc/logward/tls/tls.key"
{{- end }}
{{- if .Values.jwt.publicKey }}
LOGWARD_JWT_PUBLIC_KEY_FILE: "/etc/logward/jwt/public.pem"
{{- end }}
{{- end }}

{{/* The pod-level hardening, shared by the gateway and the migration Job. */}}
{{- define "logward.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "logward.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The Secret's required keys, checked when the chart creates it. */}}
{{- define "logward.requireSecrets" -}}
{{- if not .Values.existingSecret }}
{{- if not .Values.secrets.databaseUrl }}
{{- fail "secrets.databaseUrl is required (LOGWARD_DATABASE_URL), or name existingSecret" }}
{{- end }}
{{- if not .Values.secrets.tokenKey }}
{{- fail "secrets.tokenKey is required (LOGWARD_TOKEN_KEY): every replica must seal paging tokens with the same key" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.secrets.metricsToken) }}
{{- fail "serviceMonitor.enabled needs secrets.metricsToken (LOGWARD_METRICS_TOKEN): /metrics names tenants and is not public" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The chart-managed Secret's keys: the variable names, unset ones left out. */}}
{{- define "logward.secretData" -}}
LOGWARD_DATABASE_URL: {{ .Values.secrets.databaseUrl | quote }}
LOGWARD_TOKEN_KEY: {{ .Values.secrets.tokenKey | quote }}
{{- with .Values.secrets.jwtHs256Secret }}
LOGWARD_JWT_HS256_SECRET: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.adminToken }}
LOGWARD_ADMIN_TOKEN: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.metricsToken }}
LOGWARD_METRICS_TOKEN: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.secretsKey }}
LOGWARD_SECRETS_KEY: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.secretsKeyPrevious }}
LOGWARD_SECRETS_KEY_PREVIOUS: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
What the pods' checksum/secret annotation hashes, so that changing a secret
rolls the pods. A chart-managed Secret hashes its rendered data. An existing
Secret is read from the cluster at install or upgrade (`lookup`; it needs
read access to Secrets in the namespace), so rotating it and running
`helm upgrade` rolls the pods; offline rendering sees only its name.
*/}}
{{- define "logward.secretChecksum" -}}
{{- if .Values.existingSecret }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace .Values.existingSecret }}
{{- printf "%s/%s" .Values.existingSecret (toJson (dig "data" (dict) $existing)) | sha256sum }}
{{- else }}
{{- include "logward.secretData" . | sha256sum }}
{{- end }}
{{- end }}
