{{/*
Names, labels, image references and the operator's RBAC rules, shared by every template of the chart.
The RBAC rules live in ONE helper so the ClusterRole (cluster mode) and the Roles (namespaces mode) never drift.
*/}}

{{- define "tenant-sync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tenant-sync.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The namespace of every namespaced object of the release (namespaceOverride, for umbrella charts). */}}
{{- define "tenant-sync.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tenant-sync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tenant-sync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tenant-sync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tenant-sync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tenant-sync
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tenant-sync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tenant-sync.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tenant-sync.leaseName" -}}
{{- default (printf "%s-leader" (include "tenant-sync.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/*
image reference: repository@digest, else repository:tag, tag defaulting to appVersion. global.imageRegistry,
when set, replaces the registry of the repository (its first path part when that has a dot or a port or is
localhost) or is put in front of a repository without one. Arg: dict "image" . "root" $
*/}}
{{- define "tenant-sync.imageRef" -}}
{{- $repository := .image.repository -}}
{{- $registry := ((.root.Values.global | default dict).imageRegistry | default "") -}}
{{- if $registry -}}
{{- $parts := splitList "/" $repository -}}
{{- $first := first $parts -}}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq "localhost" $first)) -}}
{{- $parts = rest $parts -}}
{{- end -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $registry) (join "/" $parts) -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The operator pods' pull secrets: global.imagePullSecrets (names or {name: ...}) then imagePullSecrets, without repeats. */}}
{{- define "tenant-sync.imagePullSecrets" -}}
{{- $names := list -}}
{{- range (concat ((.Values.global | default dict).imagePullSecrets | default list) (.Values.imagePullSecrets | default list)) -}}
{{- $name := kindIs "string" . | ternary . (get (kindIs "map" . | ternary . dict) "name") -}}
{{- if and $name (not (has $name $names)) -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- range $names }}
- name: {{ . }}
{{- end -}}
{{- end -}}

{{/* The sync pods' pull secrets, comma-separated: global.imagePullSecrets then syncPod.imagePullSecrets, without repeats. */}}
{{- define "tenant-sync.syncImagePullSecrets" -}}
{{- $names := list -}}
{{- range (concat ((.Values.global | default dict).imagePullSecrets | default list) (.Values.syncPod.imagePullSecrets | default list)) -}}
{{- $name := kindIs "string" . | ternary . (get (kindIs "map" . | ternary . dict) "name") -}}
{{- if and $name (not (has $name $names)) -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}

{{/* Checks that values.schema.json cannot express with a readable message. */}}
{{- define "tenant-sync.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "replicas is %d but leaderElection.enabled is false: two operators would reconcile the same TenantSyncs. Enable leaderElection or set replicas to 1." (int .Values.replicas)) -}}
{{- end -}}
{{- if and (eq .Values.watch.mode "namespaces") (not .Values.watch.namespaces) -}}
{{- fail "watch.mode is namespaces but watch.namespaces is empty: list the namespaces whose TenantSyncs the operator manages, or use watch.mode=cluster." -}}
{{- end -}}
{{- end -}}

{{/*
What the operator does, as RBAC rules, in every namespace it watches:
- tenantsyncs: read and watch, patch (annotations it echoes), write status;
- cronjobs (one per tenant) and jobs (run-now creates one; finished ones are read for results);
- configmaps: the job config and the state (cursors) it owns;
- secrets: get only, to tell the user early that a referenced Secret or key is missing (no list/watch);
- pods: read a finished sync pod's termination message (the run's result);
- events: report created/failed steps and sync results on the TenantSync.
*/}}
{{- define "tenant-sync.watchRules" -}}
- apiGroups: ["tenantsync.io"]
  resources: ["tenantsyncs"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["tenantsync.io"]
  resources: ["tenantsyncs/status"]
  verbs: ["patch", "update"]
# OwnerReferencesPermissionEnforcement (OpenShift, hardened clusters): children carry blockOwnerDeletion on
# their owner reference (TenantSync → CronJob/ConfigMaps, CronJob → run-now Jobs), allowed only to whoever may
# update the owner's finalizers.
- apiGroups: ["tenantsync.io"]
  resources: ["tenantsyncs/finalizers"]
  verbs: ["update"]
- apiGroups: ["batch"]
  resources: ["cronjobs/finalizers"]
  verbs: ["update"]
- apiGroups: ["batch"]
  resources: ["cronjobs", "jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
# delete: under the same plugin, changing an existing object's ownerReferences (adopting the operator's own
# orphaned ConfigMap) needs delete on it. The operator never deletes a ConfigMap itself.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# patch: the operator removes its result finalizer (tenantsync.io/result) once a run pod's result is applied.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
