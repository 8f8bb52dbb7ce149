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
{{- range .Values.job.rerunShards -}}
{{- if or (lt (int .) 0) (ge (int .) $shards) -}}
{{- fail (printf "job.rerunShards: %v is not a shard of job.shards (%d): shards are 0 to %d" . $shards (sub $shards 1)) -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.mode "cronjob") .Values.job.rerunShards -}}
{{- fail "job.rerunShards: is for mode job (a rerun of chosen shards once), not for mode cronjob" -}}
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

{{/*
The spec of the sync Job. Called with (dict "root" $ "shard" -1): the Indexed Job of every shard,
for mode job and as the CronJob's jobTemplate; with "shard" I: a Job that runs shard I alone
(job.rerunShards).
*/}}
{{- define "syncgateway.jobSpec" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $shards := int $values.job.shards -}}
{{- $shard := int .shard -}}
{{- $indexed := lt $shard 0 -}}
{{- $records := $values.job.records -}}
{{- if $indexed }}
completionMode: Indexed
completions: {{ $shards }}
parallelism: {{ kindIs "invalid" $values.job.parallelism | ternary $shards (int $values.job.parallelism) }}
backoffLimitPerIndex: {{ int $values.job.backoffLimitPerIndex }}
{{- if not (kindIs "invalid" $values.job.maxFailedIndexes) }}
maxFailedIndexes: {{ int $values.job.maxFailedIndexes }}
{{- end }}
{{- else }}
completions: 1
backoffLimit: {{ int $values.job.backoffLimitPerIndex }}
{{- end }}
{{- with $values.job.activeDeadlineSeconds }}
activeDeadlineSeconds: {{ int . }}
{{- end }}
{{- if not (kindIs "invalid" $values.job.ttlSecondsAfterFinished) }}
ttlSecondsAfterFinished: {{ int $values.job.ttlSecondsAfterFinished }}
{{- end }}
podFailurePolicy:
  rules:
    # Exit 2 is a bad configuration: every retry would fail the same way.
    - action: {{ $indexed | ternary "FailIndex" "FailJob" }}
      onExitCodes: {containerName: sync, operator: In, values: [2]}
    # A pod evicted or preempted did not fail: its shard runs again without using a retry.
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget}]
template:
  metadata:
    labels:
      {{- include "syncgateway.labels" $root | nindent 6 }}
      app.kubernetes.io/component: sync
    annotations:
      checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
  spec:
    restartPolicy: Never
    securityContext:
      {{- toYaml $values.podSecurityContext | nindent 6 }}
    containers:
      - name: sync
        {{- include "syncgateway.image" $root | nindent 8 }}
        args:
          - sync
          - --config
          - /etc/syncgateway/syncgateway.yaml
          {{- if $indexed }}
          - --shards
          - {{ $shards | quote }}
          {{- else }}
          - --shard
          - {{ printf "%d/%d" $shard $shards | quote }}
          {{- end }}
          - --records
          - /records/syncgateway.db
          {{- range $values.job.extraArgs }}
          - {{ . | quote }}
          {{- end }}
        env:
          {{- if $indexed }}
          # The shard index; Kubernetes sets it for Indexed Jobs too, written here so it is plain.
          - name: JOB_COMPLETION_INDEX
            valueFrom:
              fieldRef:
                fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
          {{- end }}
          {{- include "syncgateway.env" $root | trim | nindent 10 }}
        resources:
          {{- toYaml $values.job.resources | nindent 10 }}
        securityContext:
          {{- toYaml $values.securityContext | nindent 10 }}
        volumeMounts:
          - {name: config, mountPath: /etc/syncgateway, readOnly: true}
          - name: records
            mountPath: /records
            {{- if eq $records.type "persistentVolumeClaim" }}
            {{- if $indexed }}
            subPathExpr: shard-$(JOB_COMPLETION_INDEX)
            {{- else }}
            subPath: shard-{{ $shard }}
            {{- end }}
            {{- end }}
          - {name: tmp, mountPath: /tmp}
    volumes:
      - name: config
        configMap:
          name: {{ include "syncgateway.fullname" $root }}
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
                {{- include "syncgateway.labels" $root | nindent 16 }}
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
          claimName: {{ $records.existingClaim | default (printf "%s-records" (include "syncgateway.fullname" $root)) }}
        {{- end }}
{{- end -}}
