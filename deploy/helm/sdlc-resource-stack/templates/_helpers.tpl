{{/* Names and labels shared by every template. */}}

{{- define "sdlc-resource-stack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's objects are named after it; fullnameOverride names them outright. */}}
{{- define "sdlc-resource-stack.fullname" -}}
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

{{- define "sdlc-resource-stack.haproxyName" -}}
{{- printf "%s-redis-haproxy" (include "sdlc-resource-stack.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sdlc-resource-stack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sdlc-resource-stack.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Names the generator writes into files/contract.yaml from infra/src/contract.ts (npm run
gen:obs): the job the generated rules match, the scrape interval they are sized for, the
datasource uid of the generated dashboards.
*/}}
{{- define "sdlc-resource-stack.contract" -}}
{{- $contract := .Files.Get "files/contract.yaml" | fromYaml }}
{{- if not $contract.job }}
{{- fail "files/contract.yaml is missing or has no job; run npm run gen:obs" }}
{{- end }}
{{- toYaml $contract }}
{{- end }}

{{- define "sdlc-resource-stack.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "sdlc-resource-stack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sdlc-resource-stack
{{- end }}

{{/* Selector labels of one component: pass (dict "root" $ "component" "...") */}}
{{- define "sdlc-resource-stack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sdlc-resource-stack.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The service's pods and Service. */}}
{{- define "sdlc-resource-stack.serviceComponent" -}}mcp-resource-service{{- end }}
{{/* The HAProxy in front of Sentinel-managed Redis nodes. */}}
{{- define "sdlc-resource-stack.haproxyComponent" -}}redis-haproxy{{- end }}

{{/*
REDIS_URL: the HAProxy's Service in Sentinel mode, else redis.url; with redis.auth the
password comes from the container's REDIS_PASSWORD variable ($(VAR) is expanded by Kubernetes).
*/}}
{{- define "sdlc-resource-stack.redisUrl" -}}
{{- $redis := .Values.redis }}
{{- $base := $redis.url }}
{{- if $redis.sentinel.enabled }}
{{- $base = printf "redis://%s:%d" (include "sdlc-resource-stack.haproxyName" .) (int $redis.sentinel.haproxy.port) }}
{{- end }}
{{- if $redis.auth.existingSecret }}
{{- $url := urlParse $base }}
{{- if $url.userinfo }}
{{- fail "redis.url must not carry credentials when redis.auth.existingSecret is set" }}
{{- end }}
{{- printf "%s://%s:$(REDIS_PASSWORD)@%s%s" $url.scheme $redis.auth.username $url.host $url.path }}
{{- else }}
{{- $base }}
{{- end }}
{{- end }}

{{/* The REDIS_PASSWORD env entry, when redis.auth asks for one. */}}
{{- define "sdlc-resource-stack.redisPasswordEnv" -}}
{{- if .Values.redis.auth.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.auth.existingSecret }}
      key: {{ .Values.redis.auth.passwordKey }}
{{- end }}
{{- end }}
