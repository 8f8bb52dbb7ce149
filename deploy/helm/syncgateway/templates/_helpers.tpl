{{- define "syncgateway.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "syncgateway.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The values that cannot be rendered into something that works stop the render, each with what is wrong. */}}
{{- define "syncgateway.validate" -}}
{{- $modes := list "daemon" "job" "cronjob" -}}
{{- if not (has .Values.mode $modes) -}}
{{- fail (printf "mode: %q is not one of daemon, job, cronjob (daemon: gateway + replicators; job: an Indexed Job of sync shards; cronjob: that Job on a schedule)" (toString .Values.mode)) -}}
{{- end -}}
{{- if eq .Values.mode "daemon" -}}
{{- if lt (int .Values.replicator.replicas) 1 -}}
{{- fail (printf "replicator.replicas: %v must be at least 1" .Values.replicator.replicas) -}}
{{- end -}}
{{- else -}}
{{- $shards := int .Values.job.shards -}}
{{- if lt $shards 1 -}}
{{- fail (printf "job.shards: %v must be at least 1" .Values.job.shards) -}}
{{- end -}}
{{- if and (not (kindIs "invalid" .Values.job.parallelism)) (or (lt (int .Values.job.parallelism) 1) (gt (int .Values.job.parallelism) $shards)) -}}
{{- fail (printf "job.parallelism: %v must be between 1 and job.shards (%d)" .Values.job.parallelism $shards) -}}
{{- end -}}
{{- if not (has .Values.job.records.type (list "emptyDir" "ephemeral" "persistentVolumeClaim")) -}}
{{- fail (printf "job.records.type: %q is not one of emptyDir, ephemeral, persistentVolumeClaim" (toString .Values.job.records.type)) -}}
{{- end -}}
{{- if and (eq .Values.mode "cronjob") (not .Values.cronjob.schedule) -}}
{{- fail "cronjob.schedule: is required for mode cronjob (a cron expression, e.g. \"0 2 * * *\")" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "syncgateway.image" -}}
image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end -}}

{{- define "syncgateway.env" -}}
{{- range $name, $ref := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secret }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}

{{- define "syncgateway.probes" -}}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 10
  failureThreshold: 3
{{- end -}}

{{/* Where a gateway replica sends a push: the owning replicator pod's own DNS name under the headless Service. */}}
{{- define "syncgateway.replicatorUrl" -}}
{{- $name := include "syncgateway.fullname" . -}}
{{- printf "http://%s-replicator-{shard}.%s-replicator-headless:%d/" $name $name (int .Values.service.port) -}}
{{- end -}}

{{- define "syncgateway.recordsFolder" -}}
{{- if eq .Values.mode "daemon" -}}/var/lib/syncgateway{{- else -}}/records{{- end -}}
{{- end -}}

{{/* The spec of the Indexed Job, for mode job and as the CronJob's jobTemplate. */}}
{{- define "syncgateway.jobSpec" -}}
{{- $shards := int .Values.job.shards -}}
{{- $records := .Values.job.records -}}
completionMode: Indexed
completions: {{ $shards }}
parallelism: {{ kindIs "invalid" .Values.job.parallelism | ternary $shards (int .Values.job.parallelism) }}
backoffLimitPerIndex: {{ int .Values.job.backoffLimitPerIndex }}
{{- if not (kindIs "invalid" .Values.job.maxFailedIndexes) }}
maxFailedIndexes: {{ int .Values.job.maxFailedIndexes }}
{{- end }}
{{- with .Values.job.activeDeadlineSeconds }}
activeDeadlineSeconds: {{ int . }}
{{- end }}
{{- if not (kindIs "invalid" .Values.job.ttlSecondsAfterFinished) }}
ttlSecondsAfterFinished: {{ int .Values.job.ttlSecondsAfterFinished }}
{{- end }}
podFailurePolicy:
  rules:
    # Exit 2 is a bad configuration: every retry would fail the same way.
    - action: FailIndex
      onExitCodes: {containerName: sync, operator: In, values: [2]}
    # A pod evicted or preempted did not fail: its shard runs again without using a retry.
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget}]
template:
  metadata:
    labels:
      {{- include "syncgateway.labels" . | nindent 6 }}
      app.kubernetes.io/component: sync
    annotations:
      checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
  spec:
    restartPolicy: Never
    securityContext:
      {{- toYaml .Values.podSecurityContext | nindent 6 }}
    containers:
      - name: sync
        {{- include "syncgateway.image" . | nindent 8 }}
        args:
          - sync
          - --config
          - /etc/syncgateway/syncgateway.yaml
          - --shards
          - {{ $shards | quote }}
          - --records
          - /records/syncgateway.db
          {{- range .Values.job.extraArgs }}
          - {{ . | quote }}
          {{- end }}
        env:
          # The shard index; Kubernetes sets it for Indexed Jobs too, written here so it is plain.
          - name: JOB_COMPLETION_INDEX
            valueFrom:
              fieldRef:
                fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
          {{- include "syncgateway.env" . | trim | nindent 10 }}
        resources:
          {{- toYaml .Values.job.resources | nindent 10 }}
        securityContext:
          {{- toYaml .Values.securityContext | nindent 10 }}
        volumeMounts:
          - {name: config, mountPath: /etc/syncgateway, readOnly: true}
          - name: records
            mountPath: /records
            {{- if eq $records.type "persistentVolumeClaim" }}
            subPathExpr: shard-$(JOB_COMPLETION_INDEX)
            {{- end }}
          - {name: tmp, mountPath: /tmp}
    volumes:
      - name: config
        configMap:
          name: {{ include "syncgateway.fullname" . }}
      - name: tmp
        emptyDir: {}
      - name: records
        {{- if eq $records.type "emptyDir" }}
        emptyDir:
          sizeLimit: {{ $records.sizeLimit }}
        {{- else if eq $records.type "ephemeral" }}
        ephemeral:
          volumeClaimTemplate:
            metadata:
              labels:
                {{- include "syncgateway.labels" . | nindent 16 }}
                app.kubernetes.io/component: sync
            spec:
              accessModes: [ReadWriteOnce]
              {{- with $records.storageClassName }}
              storageClassName: {{ . }}
              {{- end }}
              resources:
                requests:
                  storage: {{ $records.size }}
        {{- else }}
        persistentVolumeClaim:
          claimName: {{ $records.existingClaim | default (printf "%s-records" (include "syncgateway.fullname" .)) }}
        {{- end }}
{{- end -}}
