{{/*
A single-replica StatefulSet and its headless Service, for a trial install (infra.inCluster).
Call with (dict "root" $ "component" "postgres" "values" .Values.postgres.inCluster
"ports" (list (dict "name" "postgres" "port" 5432)) "storage" true
"container" "<more container fields as YAML, volumeMounts included>"
"podVolumes" "<optional pod volumes as YAML>"); the claim is named data.
*/}}
{{- define "oi.infra" -}}
{{- $name := printf "%s-%s" (include "oi.prefix" .root) .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "oi.labels" (dict "root" .root "component" .component "tier" "infra") | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "oi.selector" (dict "root" .root "component" .component) | nindent 4 }}
  ports:
    {{- range .ports }}
    - { name: {{ .name }}, port: {{ .port }}, targetPort: {{ .name }}, protocol: TCP }
    {{- end }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  labels:
    {{- include "oi.labels" (dict "root" .root "component" .component "tier" "infra") | nindent 4 }}
spec:
  serviceName: {{ $name }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "oi.selector" (dict "root" .root "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "oi.labels" (dict "root" .root "component" .component "tier" "infra") | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      containers:
        - name: {{ .component }}
          image: {{ .values.image }}
          ports:
            {{- range .ports }}
            - { name: {{ .name }}, containerPort: {{ .port }}, protocol: TCP }
            {{- end }}
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          {{- .container | nindent 10 }}
      {{- with .podVolumes }}
      volumes:
        {{- . | nindent 8 }}
      {{- end }}
  {{- if .storage }}
  volumeClaimTemplates:
    {{- include "oi.volumeClaim" (dict "root" .root "storage" .values.storage) | nindent 4 }}
  {{- end }}
{{- end }}
