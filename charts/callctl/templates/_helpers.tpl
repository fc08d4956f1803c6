{{/* Names and labels. */}}
{{- define "callctl.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "callctl.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: callctl
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* (dict "root" $ "component" "tts") */}}
{{- define "callctl.selectorLabels" -}}
app.kubernetes.io/name: callctl
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Which components talk to PostgreSQL and NATS: the NetworkPolicies let exactly these through, and the
in-chart dev servers accept exactly these. A later service adds itself here.
*/}}
{{- define "callctl.databaseClients" -}}
{{- list "call-orchestrator" "media-library" "recording" "callback" "provisioning" "migrations" | toJson -}}
{{- end -}}
{{- define "callctl.natsClients" -}}
{{- list "call-orchestrator" "sip-edge" "media" "recording" "tts" "mixer" "callback" "stream-gateway" "provisioning" | toJson -}}
{{- end -}}

{{- define "callctl.podLabels" -}}
{{ include "callctl.labels" .root }}
{{ include "callctl.selectorLabels" . }}
{{- if has .component (include "callctl.databaseClients" . | fromJsonArray) }}
callctl.io/postgresql-client: "true"
{{- end }}
{{- if has .component (include "callctl.natsClients" . | fromJsonArray) }}
callctl.io/nats-client: "true"
{{- end }}
{{- end -}}

{{/* (dict "root" $ "image" .Values.x.image) -> registry/repository:tag; never latest. */}}
{{- define "callctl.image" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion | toString -}}
{{- if or (eq $tag "latest") (eq $tag "") -}}
{{- fail (printf "image %s: an explicit tag other than latest is required" .image.repository) -}}
{{- end -}}
{{- $registry := .root.Values.image.registry -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* A third-party image (drachtio, rtpengine, dev NATS/PostgreSQL): its own registry, its own tag. */}}
{{- define "callctl.externalImage" -}}
{{- if or (eq (toString .tag) "latest") (eq (toString .tag) "") -}}
{{- fail (printf "image %s: an explicit tag other than latest is required" .repository) -}}
{{- end -}}
{{- printf "%s:%s" .repository (toString .tag) -}}
{{- end -}}

{{- define "callctl.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "callctl.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Secret names: the user's existing Secret, or the one the chart makes. */}}
{{- define "callctl.databaseSecret" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-database{{- end -}}
{{- end -}}
{{- define "callctl.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecretKey }}{{- else -}}url{{- end -}}
{{- end -}}
{{- define "callctl.natsSecret" -}}
{{- if .Values.nats.existingSecret -}}{{ .Values.nats.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-nats{{- end -}}
{{- end -}}
{{- define "callctl.tokensSecret" -}}
{{- if .Values.api.tokensExistingSecret -}}{{ .Values.api.tokensExistingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-api-tokens{{- end -}}
{{- end -}}
{{- define "callctl.sipAdminSecret" -}}
{{- if .Values.sipEdge.admin.existingSecret -}}{{ .Values.sipEdge.admin.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-sip-admin{{- end -}}
{{- end -}}
{{/* The certificate of the SIP engine's TLS and WSS listeners: an existing Secret, or the one made from values. */}}
{{- define "callctl.sipTlsSecret" -}}
{{- if .Values.sipEdge.sip.certificate.existingSecret -}}{{ .Values.sipEdge.sip.certificate.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-sip-tls{{- end -}}
{{- end -}}
{{/* "true" when a SIP listener needs that certificate (TLS or WSS). */}}
{{- define "callctl.sipTlsListeners" -}}
{{- if or .Values.sipEdge.sip.tls.enabled .Values.sipEdge.sip.wss.enabled -}}true{{- end -}}
{{- end -}}
{{/*
The certificate files under drachtio-server's own variable names, which the project's engine reads too
(services/sip-engine/src/config.ts), so both engines take the same mounted Secret.
*/}}
{{- define "callctl.sipTlsFilesEnv" -}}
{{- $c := .Values.sipEdge.sip.certificate -}}
- name: DRACHTIO_TLS_CERT_FILE
  value: /etc/callctl/sip-tls/tls.crt
- name: DRACHTIO_TLS_KEY_FILE
  value: /etc/callctl/sip-tls/tls.key
{{- with $c.chainKey }}
- name: DRACHTIO_TLS_CHAIN_FILE
  value: /etc/callctl/sip-tls/{{ . }}
{{- end }}
{{- with $c.dhParamKey }}
- name: DRACHTIO_TLS_DH_PARAM_FILE
  value: /etc/callctl/sip-tls/{{ . }}
{{- end }}
{{- if .Values.sipEdge.sip.verifyClientCert }}
- name: DRACHTIO_TLS_VERIFY_CLIENT_CERT
  value: "1"
{{- end }}
{{- end -}}
{{/* The key of the certificate Secret holding trusted CAs; empty: none. */}}
{{- define "callctl.sipTlsCaKey" -}}
{{- $c := .Values.sipEdge.sip.certificate -}}
{{- if $c.existingSecret -}}{{ $c.caKey }}{{- else if $c.ca -}}ca.crt{{- end -}}
{{- end -}}
{{/* The SIP engine container's SIP ports, whichever engine: UDP and TCP, and TLS, WS and WSS when on. */}}
{{- define "callctl.sipContainerPorts" -}}
{{- $sip := .Values.sipEdge.sip -}}
- { name: sip-udp, containerPort: {{ $sip.port }}, protocol: UDP }
- { name: sip-tcp, containerPort: {{ $sip.port }}, protocol: TCP }
{{- if $sip.tls.enabled }}
- { name: sip-tls, containerPort: {{ $sip.tls.port }}, protocol: TCP }
{{- end }}
{{- if $sip.ws.enabled }}
- { name: sip-ws, containerPort: {{ $sip.ws.port }}, protocol: TCP }
{{- end }}
{{- if $sip.wss.enabled }}
- { name: sip-wss, containerPort: {{ $sip.wss.port }}, protocol: TCP }
{{- end }}
{{- end -}}
{{- define "callctl.registrarSecret" -}}
{{- if .Values.sipEdge.registrar.existingSecret -}}{{ .Values.sipEdge.registrar.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-registrar{{- end -}}
{{- end -}}
{{- define "callctl.ttsSecret" -}}
{{- if .Values.tts.credentials.existingSecret -}}{{ .Values.tts.credentials.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-tts{{- end -}}
{{- end -}}
{{/* The callback service's own database (its event log) and its token for the public API. */}}
{{- define "callctl.callbackDatabaseSecret" -}}
{{- if .Values.callback.database.existingSecret -}}{{ .Values.callback.database.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-callback-database{{- end -}}
{{- end -}}
{{- define "callctl.callbackDatabaseSecretKey" -}}
{{- if .Values.callback.database.existingSecret -}}{{ .Values.callback.database.existingSecretKey }}{{- else -}}url{{- end -}}
{{- end -}}
{{/* The key sealing trunks' outbound passwords: the provisioning service seals, every sip-edge opens. */}}
{{- define "callctl.provisioningSecretsSecret" -}}
{{- if .Values.provisioning.secretsKeyExistingSecret -}}{{ .Values.provisioning.secretsKeyExistingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-provisioning-secrets{{- end -}}
{{- end -}}
{{- define "callctl.provisioningSecretsSecretKey" -}}
{{- if .Values.provisioning.secretsKeyExistingSecret -}}{{ .Values.provisioning.secretsKeyExistingSecretKey }}{{- else -}}key{{- end -}}
{{- end -}}
{{- define "callctl.provisioningSecretsEnv" -}}
- name: PROVISIONING_SECRETS_KEY
  valueFrom: { secretKeyRef: { name: {{ include "callctl.provisioningSecretsSecret" . }}, key: {{ include "callctl.provisioningSecretsSecretKey" . }} } }
{{- end -}}
{{- define "callctl.callbackApiSecret" -}}
{{- if .Values.callback.apiTokenExistingSecret -}}{{ .Values.callback.apiTokenExistingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-callback-api{{- end -}}
{{- end -}}
{{- define "callctl.s3Secret" -}}
{{- if .Values.recording.s3.existingSecret -}}{{ .Values.recording.s3.existingSecret }}{{- else -}}{{ include "callctl.fullname" . }}-s3{{- end -}}
{{- end -}}

{{/* none | user-password | nkey: as set, or as the chart's own Secret holds. */}}
{{- define "callctl.natsCredentials" -}}
{{- $n := .Values.nats -}}
{{- if $n.credentials -}}{{ $n.credentials }}
{{- else if $n.user -}}user-password
{{- else if $n.nkeySeed -}}nkey
{{- else -}}none
{{- end -}}
{{- end -}}

{{/*
ipBlocks of every IPv4 and IPv6 address except the CIDRs given (PostgreSQL's and NATS's), for egress rules.
(list "10.0.0.1/32" ...)
*/}}
{{- define "callctl.anywhereBut" -}}
- ipBlock:
    cidr: 0.0.0.0/0
    {{- $v4 := list }}
    {{- range . }}{{ if not (contains ":" .) }}{{ $v4 = append $v4 . }}{{ end }}{{ end }}
    {{- with $v4 }}
    except:
      {{- toYaml . | nindent 6 }}
    {{- end }}
- ipBlock:
    cidr: ::/0
    {{- $v6 := list }}
    {{- range . }}{{ if contains ":" . }}{{ $v6 = append $v6 . }}{{ end }}{{ end }}
    {{- with $v6 }}
    except:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end -}}

{{/* Where services reach each other: the Services in front of "any instance". */}}
{{- define "callctl.address" -}}
{{- $root := .root -}}
{{- $ports := dict "call-orchestrator" $root.Values.api.service.port "sip-edge" $root.Values.sipEdge.port "media" $root.Values.media.mediaWorker.port "tts" $root.Values.tts.port "media-library" $root.Values.mediaLibrary.port "recording" $root.Values.recording.port "mixer" $root.Values.mixer.port "callback" $root.Values.callback.port "stream-gateway" $root.Values.streamGateway.port "provisioning" $root.Values.provisioning.port -}}
{{- printf "%s-%s:%v" (include "callctl.fullname" $root) .component (get $ports .component) -}}
{{- end -}}

{{/*
The environment every callctl service shares: log level, traces, internal mTLS, and NATS for its
clients. (dict "root" $ "component" "recording")
*/}}
{{- define "callctl.commonEnv" -}}
{{- $v := .root.Values -}}
- name: LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: OTEL_TRACES_EXPORTER
  value: {{ $v.telemetry.tracesExporter | default (ternary "otlp" "none" (ne $v.telemetry.otlpEndpoint "")) | quote }}
{{- if $v.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $v.telemetry.otlpEndpoint | quote }}
{{- end }}
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: POD_IP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
{{- if $v.internalTls.enabled }}
- name: INTERNAL_TLS_CA_FILE
  value: /etc/callctl/internal-tls/ca.crt
- name: INTERNAL_TLS_CERT_FILE
  value: /etc/callctl/internal-tls/tls.crt
- name: INTERNAL_TLS_KEY_FILE
  value: /etc/callctl/internal-tls/tls.key
{{- end }}
{{- if has .component (include "callctl.natsClients" . | fromJsonArray) }}
- name: NATS_URL
  valueFrom: { secretKeyRef: { name: {{ include "callctl.natsSecret" .root }}, key: url } }
{{- $credentials := include "callctl.natsCredentials" .root }}
{{- if eq $credentials "user-password" }}
- name: NATS_USER
  valueFrom: { secretKeyRef: { name: {{ include "callctl.natsSecret" .root }}, key: user } }
- name: NATS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "callctl.natsSecret" .root }}, key: password } }
{{- end }}
{{- if eq $credentials "nkey" }}
- name: NATS_NKEY_SEED_FILE
  value: /etc/callctl/nats/nkey-seed
{{- end }}
{{- if $v.nats.tls.secretName }}
- name: NATS_TLS_CA_FILE
  value: /etc/callctl/nats-tls/ca.crt
{{- if $v.nats.tls.clientCertificate }}
- name: NATS_TLS_CERT_FILE
  value: /etc/callctl/nats-tls/tls.crt
- name: NATS_TLS_KEY_FILE
  value: /etc/callctl/nats-tls/tls.key
{{- end }}
{{- end }}
{{- end }}
{{- if has .component (include "callctl.databaseClients" . | fromJsonArray) }}
{{- if eq .component "callback" }}
# The callback service's event log is a database of its own, not the platform's.
- name: DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ include "callctl.callbackDatabaseSecret" .root }}, key: {{ include "callctl.callbackDatabaseSecretKey" .root }} } }
{{- else }}
- name: DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ include "callctl.databaseSecret" .root }}, key: {{ include "callctl.databaseSecretKey" .root }} } }
{{- end }}
{{- end }}
{{- end -}}

{{/*
The security of a public API port (CallControl's, Callback's): bearer tokens (api.auth) and TLS (api.tls),
the same variables and files for every service that serves one. The env, its mounts and its volumes.
*/}}
{{- define "callctl.publicApiEnv" -}}
- name: API_AUTH
  value: {{ .Values.api.auth | quote }}
{{- if eq .Values.api.auth "token" }}
- name: API_TOKENS_FILE
  value: /etc/callctl/api/tokens
{{- else }}
# api.auth=none is the values' explicit choice (values-dev.yaml); the service refuses it on a
# non-loopback address without this.
- name: API_ALLOW_UNAUTHENTICATED
  value: "true"
{{- end }}
{{- if .Values.api.tls.enabled }}
- name: GRPC_TLS_CERT_FILE
  value: /etc/callctl/api-tls/tls.crt
- name: GRPC_TLS_KEY_FILE
  value: /etc/callctl/api-tls/tls.key
{{- if .Values.api.tls.requireClientCertificate }}
- name: GRPC_TLS_CLIENT_CA_FILE
  value: /etc/callctl/api-tls/ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{- define "callctl.publicApiMounts" -}}
{{- if eq .Values.api.auth "token" }}
- name: api-tokens
  mountPath: /etc/callctl/api
  readOnly: true
{{- end }}
{{- if .Values.api.tls.enabled }}
- name: api-tls
  mountPath: /etc/callctl/api-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "callctl.publicApiVolumes" -}}
{{- if eq .Values.api.auth "token" }}
- name: api-tokens
  secret:
    secretName: {{ include "callctl.tokensSecret" . }}
    defaultMode: 0440
    items:
      - key: tokens
        path: tokens
{{- end }}
{{- if .Values.api.tls.enabled }}
- name: api-tls
  secret:
    secretName: {{ required "api.tls.secretName is required with api.tls.enabled" .Values.api.tls.secretName }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* The mounts that go with commonEnv, and a writable /tmp. */}}
{{- define "callctl.commonMounts" -}}
{{- $v := .root.Values -}}
- name: tmp
  mountPath: /tmp
{{- if $v.internalTls.enabled }}
- name: internal-tls
  mountPath: /etc/callctl/internal-tls
  readOnly: true
{{- end }}
{{- if has .component (include "callctl.natsClients" . | fromJsonArray) }}
{{- if eq (include "callctl.natsCredentials" .root) "nkey" }}
- name: nats-credentials
  mountPath: /etc/callctl/nats
  readOnly: true
{{- end }}
{{- if $v.nats.tls.secretName }}
- name: nats-tls
  mountPath: /etc/callctl/nats-tls
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "callctl.commonVolumes" -}}
{{- $v := .root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- if $v.internalTls.enabled }}
- name: internal-tls
  secret:
    secretName: {{ $v.internalTls.secretName }}
    defaultMode: 0440
{{- end }}
{{- if has .component (include "callctl.natsClients" . | fromJsonArray) }}
{{- if eq (include "callctl.natsCredentials" .root) "nkey" }}
- name: nats-credentials
  secret:
    secretName: {{ include "callctl.natsSecret" .root }}
    defaultMode: 0440
    items:
      - key: nkey-seed
        path: nkey-seed
{{- end }}
{{- if $v.nats.tls.secretName }}
- name: nats-tls
  secret:
    secretName: {{ $v.nats.tls.secretName }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- end -}}

{{/*
gRPC listener and probes. A port with TLS (the API, or internal mTLS) cannot be probed by the kubelet, whose
gRPC probe is plaintext: the service then also answers grpc.health.v1 alone, in plaintext, on health.port.
(dict "root" $ "port" 50054 "tls" true)
*/}}
{{- define "callctl.grpcListenEnv" -}}
- name: GRPC_HOST
  value: {{ .host | default "0.0.0.0" | quote }}
- name: GRPC_PORT
  value: {{ .port | int64 | quote }}
{{- if .tls }}
- name: GRPC_HEALTH_PORT
  value: {{ .root.Values.health.port | int64 | quote }}
{{- end }}
{{- end -}}

{{- define "callctl.grpcProbes" -}}
{{- $port := ternary .root.Values.health.port .port .tls -}}
readinessProbe:
  grpc: { port: {{ $port }} }
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
livenessProbe:
  {{- if .livenessTcp }}
  # Health turns NOT_SERVING while the service drains its calls: liveness only asks whether it is there.
  tcpSocket: { port: {{ .port }} }
  {{- else }}
  grpc: { port: {{ $port }} }
  {{- end }}
  initialDelaySeconds: 10
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 6
startupProbe:
  grpc: { port: {{ $port }} }
  periodSeconds: 2
  failureThreshold: 60
{{- end -}}

{{/*
What every callctl service container has besides its environment and mounts: image, gRPC port (and the
plaintext health port with TLS), probes, resources, security context.
(dict "root" $ "image" .Values.tts.image "port" 50054 "tls" true "resources" .Values.tts.resources)
*/}}
{{- define "callctl.serviceContainer" -}}
image: {{ include "callctl.image" (dict "root" .root "image" .image) }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
ports:
  - name: grpc
    containerPort: {{ .port }}
  {{- if .tls }}
  - name: health
    containerPort: {{ .root.Values.health.port }}
  {{- end }}
  {{- with .extraPorts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{ include "callctl.grpcProbes" . }}
resources:
  {{- toYaml .resources | nindent 2 }}
securityContext:
  {{- include "callctl.containerSecurityContext" .root | nindent 2 }}
{{- end -}}

{{- define "callctl.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end -}}

{{/* Pod-level settings every pod shares. (dict "root" $ "values" .Values.tts) */}}
{{- define "callctl.podCommon" -}}
serviceAccountName: {{ include "callctl.serviceAccountName" .root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Whole numbers as integers: YAML numbers reach templates as floats, which print as 1e+07. */}}
{{- define "callctl.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  {{- if and (kindIs "float64" $value) (eq $value (float64 (int64 $value))) }}
  value: {{ $value | int64 | quote }}
  {{- else }}
  value: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* (dict "root" $ "component" "tts" "pdb" .Values.tts.pdb) */}}
{{- define "callctl.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "callctl.fullname" .root }}-{{ .component }}
  labels:
    {{- include "callctl.labels" .root | nindent 4 }}
    {{- include "callctl.selectorLabels" . | nindent 4 }}
spec:
  {{- toYaml .pdb | nindent 2 }}
  selector:
    matchLabels:
      {{- include "callctl.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/* A ClusterIP Service in front of any instance of a gRPC component. */}}
{{- define "callctl.grpcService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "callctl.fullname" .root }}-{{ .component }}
  labels:
    {{- include "callctl.labels" .root | nindent 4 }}
    {{- include "callctl.selectorLabels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "callctl.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .port }}
      targetPort: grpc
      protocol: TCP
{{- end -}}
