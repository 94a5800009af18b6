{{/*
Names and labels, as the ExternalDNS chart makes them.
*/}}
{{- define "flaredns.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flaredns.fullname" -}}
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

{{- define "flaredns.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flaredns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flaredns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "flaredns.labels" -}}
helm.sh/chart: {{ include "flaredns.chart" . }}
{{ include "flaredns.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "flaredns.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flaredns.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "flaredns.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default (printf "v%s" .Chart.AppVersion)) }}
{{- end }}

{{/*
The provider: `provider: cloudflare` (the ExternalDNS chart's string form) or
`provider: {name: cloudflare}`; unset means cloudflare. Anything else stops the
render, since flaredns would refuse it at start-up anyway.
*/}}
{{- define "flaredns.provider" -}}
{{- $provider := .Values.provider | default "cloudflare" }}
{{- if kindIs "map" $provider }}
{{- $provider = $provider.name | default "cloudflare" }}
{{- end }}
{{- $provider = tpl (toString $provider) . }}
{{- if ne $provider "cloudflare" }}
{{- fail (printf "provider %q is not supported: flaredns manages Cloudflare only; set provider: cloudflare" $provider) }}
{{- end }}
{{- $provider }}
{{- end }}

{{/*
extraArgs, as JSON: {"args": [...], "flags": {"<name>": ["<value>", ...]}}.
`args` are the arguments in order: a list is taken item by item (each through
`tpl`), a map key by key in sorted order (a list value repeats the flag, true is
`--k`, false `--no-k`, null a bare `--k`), as the ExternalDNS chart does.
`flags` says which flags they set, so the chart never sets one of them again:
`--no-k` counts as `k` with the value "false", a bare `--k` as "true".
*/}}
{{- define "flaredns.extraArgs" -}}
{{- $args := list }}
{{- $extra := .Values.extraArgs | default list }}
{{- if kindIs "map" $extra }}
{{- range $key, $value := $extra }}
{{- if kindIs "slice" $value }}
{{- range $value }}
{{- $args = append $args (printf "--%s=%s" $key (tpl (toString .) $)) }}
{{- end }}
{{- else if kindIs "bool" $value }}
{{- $args = append $args (ternary (printf "--%s" $key) (printf "--no-%s" $key) $value) }}
{{- else if kindIs "invalid" $value }}
{{- $args = append $args (printf "--%s" $key) }}
{{- else }}
{{- $args = append $args (printf "--%s=%s" $key (tpl (toString $value) $)) }}
{{- end }}
{{- end }}
{{- else }}
{{- range $extra }}
{{- $args = append $args (tpl (toString .) $) }}
{{- end }}
{{- end }}
{{- $flags := dict }}
{{- range $args }}
{{- $body := trimPrefix "--" . }}
{{- $parts := splitn "=" 2 $body }}
{{- $name := $parts._0 }}
{{- $value := "true" }}
{{- if contains "=" $body }}
{{- $value = $parts._1 }}
{{- else if hasPrefix "no-" $name }}
{{- $name = trimPrefix "no-" $name }}
{{- $value = "false" }}
{{- end }}
{{- $_ := set $flags $name (append (get $flags $name | default list) $value) }}
{{- end }}
{{- dict "args" $args "flags" $flags | toJson }}
{{- end }}

{{/*
The sources flaredns watches, as a JSON list: `--source` from extraArgs when
given there, else `sources`, plus `crd` when `crd.create` installs the CRD.
RBAC follows this list.
*/}}
{{- define "flaredns.sources" -}}
{{- $flags := (include "flaredns.extraArgs" . | fromJson).flags }}
{{- $sources := list }}
{{- if hasKey $flags "source" }}
{{- $sources = get $flags "source" }}
{{- else }}
{{- $sources = .Values.sources | default list }}
{{- if and .Values.crd.create (not (has "crd" $sources)) }}
{{- $sources = append $sources "crd" }}
{{- end }}
{{- end }}
{{- $sources | uniq | toJson }}
{{- end }}

{{/*
Leader election, as JSON {"enabled": bool, "namespace": ..., "name": ...}: on
with more than one replica unless extraArgs says otherwise (the last
`--leader-election` there wins, with Go's boolean spellings).
*/}}
{{- define "flaredns.leaderElection" -}}
{{- $flags := (include "flaredns.extraArgs" . | fromJson).flags }}
{{- $enabled := gt (int .Values.replicaCount) 1 }}
{{- if hasKey $flags "leader-election" }}
{{- $enabled = has (get $flags "leader-election" | last) (list "true" "True" "TRUE" "t" "T" "1") }}
{{- end }}
{{- $namespace := .Release.Namespace }}
{{- if hasKey $flags "leader-election-namespace" }}
{{- $namespace = get $flags "leader-election-namespace" | last }}
{{- end }}
{{- $name := include "flaredns.fullname" . }}
{{- if hasKey $flags "leader-election-lease-name" }}
{{- $name = get $flags "leader-election-lease-name" | last }}
{{- end }}
{{- dict "enabled" $enabled "namespace" $namespace "name" $name | toJson }}
{{- end }}

{{/*
The container arguments, as a JSON list, in the ExternalDNS chart's order;
extraArgs come last, and a flag they set is not also set by the chart.
*/}}
{{- define "flaredns.args" -}}
{{- $extra := include "flaredns.extraArgs" . | fromJson }}
{{- $flags := $extra.flags }}
{{- $v := .Values }}
{{- if and $v.txtPrefix $v.txtSuffix }}
{{- fail "'txtPrefix' and 'txtSuffix' are mutually exclusive" }}
{{- end }}
{{- $args := list }}
{{- $single := list
  (list "log-level" $v.logLevel)
  (list "log-format" $v.logFormat)
  (list "interval" $v.interval) }}
{{- range $single }}
{{- if and (index . 1) (not (hasKey $flags (index . 0))) }}
{{- $args = append $args (printf "--%s=%v" (index . 0) (index . 1)) }}
{{- end }}
{{- end }}
{{- if and $v.triggerLoopOnEvent (not (hasKey $flags "events")) }}
{{- $args = append $args "--events" }}
{{- end }}
{{- if not (hasKey $flags "source") }}
{{- range (include "flaredns.sources" . | fromJsonArray) }}
{{- $args = append $args (printf "--source=%s" .) }}
{{- end }}
{{- end }}
{{- $namespaced := "" }}
{{- if $v.namespaced }}
{{- $namespaced = .Release.Namespace }}
{{- end }}
{{- $single = list
  (list "policy" $v.policy)
  (list "registry" $v.registry)
  (list "txt-owner-id" $v.txtOwnerId)
  (list "txt-prefix" $v.txtPrefix)
  (list "txt-suffix" $v.txtSuffix)
  (list "namespace" $namespaced) }}
{{- range $single }}
{{- if and (index . 1) (not (hasKey $flags (index . 0))) }}
{{- $args = append $args (printf "--%s=%v" (index . 0) (index . 1)) }}
{{- end }}
{{- end }}
{{- $repeated := list
  (list "domain-filter" $v.domainFilters)
  (list "exclude-domains" $v.excludeDomains) }}
{{- range $repeated }}
{{- $flag := index . 0 }}
{{- if not (hasKey $flags $flag) }}
{{- range (index . 1 | default list) }}
{{- $args = append $args (printf "--%s=%v" $flag .) }}
{{- end }}
{{- end }}
{{- end }}
{{- $single = list
  (list "label-filter" $v.labelFilter)
  (list "annotation-filter" $v.annotationFilter)
  (list "annotation-prefix" $v.annotationPrefix) }}
{{- range $single }}
{{- if and (index . 1) (not (hasKey $flags (index . 0))) }}
{{- $args = append $args (printf "--%s=%v" (index . 0) (index . 1)) }}
{{- end }}
{{- end }}
{{- if not (hasKey $flags "managed-record-types") }}
{{- range ($v.managedRecordTypes | default list) }}
{{- $args = append $args (printf "--managed-record-types=%s" .) }}
{{- end }}
{{- end }}
{{- $election := include "flaredns.leaderElection" . | fromJson }}
{{- if not (hasKey $flags "leader-election") }}
{{- $args = append $args (ternary "--leader-election" "--leader-election=false" $election.enabled) }}
{{- end }}
{{- if $election.enabled }}
{{- if not (hasKey $flags "leader-election-namespace") }}
{{- $args = append $args (printf "--leader-election-namespace=%s" $election.namespace) }}
{{- end }}
{{- if not (hasKey $flags "leader-election-lease-name") }}
{{- $args = append $args (printf "--leader-election-lease-name=%s" $election.name) }}
{{- end }}
{{- end }}
{{- if not (hasKey $flags "provider") }}
{{- $args = append $args (printf "--provider=%s" (include "flaredns.provider" .)) }}
{{- end }}
{{- concat $args $extra.args | toJson }}
{{- end }}

{{/*
The container environment, as a JSON list: the user's `env` as given, then what
the chart adds, leaving out any name `env` already has (so there are never two
entries of one name). With `cloudflare.secretName`, CF_API_TOKEN comes from
that Secret's `cloudflare.secretKey`, and FLAREDNS_TOKEN_SECRET_REF names both
so that flaredns can say which Secret to fix when the token is refused.
*/}}
{{- define "flaredns.env" -}}
{{- $env := .Values.env | default list }}
{{- $given := list }}
{{- range $env }}
{{- $given = append $given .name }}
{{- end }}
{{- $added := list }}
{{- with .Values.cloudflare }}
{{- if and .secretName (not (has "CF_API_TOKEN" $given)) }}
{{- $key := .secretKey | default "cloudflare_api_token" }}
{{- $added = append $added (dict "name" "CF_API_TOKEN" "valueFrom" (dict "secretKeyRef" (dict "name" .secretName "key" $key))) }}
{{- $added = append $added (dict "name" "FLAREDNS_TOKEN_SECRET_REF" "value" (printf "%s/%s" .secretName $key)) }}
{{- end }}
{{- end }}
{{- $added = append $added (dict "name" "POD_NAME" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.name"))) }}
{{- range $added }}
{{- if not (has .name $given) }}
{{- $env = append $env . }}
{{- end }}
{{- end }}
{{- $env | toJson }}
{{- end }}
