{{/* Prefix of every object's name. */}}
{{- define "oi.prefix" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 36 | trimSuffix "-" -}}
{{- end }}

{{/* Labels of an object; call with (dict "root" $ "component" "order-service" "tier" "app"). */}}
{{- define "oi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: order-inventory
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
order-inventory/tier: {{ .tier }}
{{- end }}

{{/* What a Service, PDB or NetworkPolicy selects a component's pods by. */}}
{{- define "oi.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Facts of the code, not choices: which infrastructure each service uses and the variable naming
its port. Read with (fromYaml (include "oi.needs" .)).
*/}}
{{- define "oi.needs" -}}
postgres: [user-service, order-service]
mongo: [product-service, inventory-service, notification-service]
smtp: [notification-service]
migrates: [user-service, order-service]
portVariable:
  api-gateway: GATEWAY_PORT
  user-service: USER_SERVICE_PORT
  product-service: PRODUCT_SERVICE_PORT
  order-service: ORDER_SERVICE_PORT
  inventory-service: INVENTORY_SERVICE_PORT
  notification-service: NOTIFICATION_SERVICE_PORT
{{- end }}

{{- define "oi.secretName" -}}
{{- default (printf "%s-secrets" (include "oi.prefix" .)) .Values.secrets.existingSecret -}}
{{- end }}

{{- define "oi.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .service (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end }}

{{/* Infrastructure host: the chart's StatefulSet in-cluster, else the configured one. */}}
{{- define "oi.host" -}}
{{- if .root.Values.infra.inCluster -}}
{{- printf "%s-%s" (include "oi.prefix" .root) .component -}}
{{- else -}}
{{- (index .root.Values .component).host -}}
{{- end -}}
{{- end }}

{{- define "oi.etcdHosts" -}}
{{- if .Values.registry.externalEndpoints -}}
{{- .Values.registry.externalEndpoints -}}
{{- else -}}
{{- $prefix := include "oi.prefix" . -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.registry.etcd.replicas) -}}
{{- $urls = append $urls (printf "http://%s-etcd-%d.%s-etcd:2379" $prefix $i $prefix) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}
{{- end }}

{{/* The restricted pod security profile; every container runs as the image's `node` (1000). */}}
{{- define "oi.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* A StatefulSet volume claim; call with (dict "root" $ "storage" "10Gi"). */}}
{{- define "oi.volumeClaim" -}}
- metadata:
    name: data
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .root.Values.infra.storageClass }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .storage }}
{{- end }}
