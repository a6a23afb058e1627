// Condition reasons and Event reasons of a TenantSync, together: CamelCase words programs and alerts match
// on (messages are for people). The controller and the status builders use these, never string literals.

/** Reasons of Ready, Reconciling and Stalled (the same words as the Events a change of Ready causes). */
export const reasons = {
  reconciled: 'Reconciled',
  suspended: 'Suspended',
  invalidSpec: 'InvalidSpec',
  secretNotFound: 'SecretNotFound',
  childConflict: 'ChildConflict',
  childTerminating: 'ChildTerminating',
  progressingWithRetry: 'ProgressingWithRetry',
  kubeApiError: 'KubeApiError',
  reconcileError: 'ReconcileError',
} as const;

/** Reasons of SyncHealthy (and of Ready when sync health pulls it down). */
export const syncReasons = {
  succeeded: 'SyncSucceeded',
  failed: 'SyncFailed',
  partiallyFailed: 'SyncPartiallyFailed',
  stale: 'Stale',
  awaitingFirstRun: 'AwaitingFirstRun',
  /** The active run's pod cannot start: its image, its configuration, or no node takes it. */
  runBlocked: 'RunBlocked',
} as const;

/** Reasons of the Events about a TenantSync (besides a change of Ready, which uses the condition's reason). */
export const eventReasons = {
  /** A pass created children (config ConfigMap, state ConfigMap, CronJob): one Event names them all. */
  childrenCreated: 'ChildrenCreated',
  /** A pass changed children that differed from the spec (a spec change, a hand edit): their fields are named. */
  childrenUpdated: 'ChildrenUpdated',
  /** A run request created its Job (which starts when no other run of the tenant is active). */
  runStarted: 'RunStarted',
  /** A run request already set when the TenantSync was first seen: handled without a run. */
  runRequestInherited: 'RunRequestInherited',
  /** A re-sync request reset streams' cursors and created its Job. */
  resyncStarted: 'ResyncStarted',
  /** A re-sync request whose tenantsync.io/resync annotation is invalid (Warning, names what is allowed). */
  resyncRejected: 'ResyncRejected',
  /** A run still active long after its deadline (Kubernetes stopped ending it) was deleted so the schedule goes on (Warning). */
  runOverdue: 'RunOverdue',
  /** A re-created TenantSync continues from a retained state ConfigMap. */
  stateAdopted: 'StateAdopted',
  /** The state ConfigMap held garbage and was replaced with the latest results' cursors. */
  stateReplaced: 'StateReplaced',
  /** The state's cursors were kept for another source (domain/baseUrl or tenantId changed): every stream starts over. */
  sourceChanged: 'SourceChanged',
  /** A run's Job was deleted before its result was read. */
  runResultLost: 'RunResultLost',
  syncSucceeded: syncReasons.succeeded,
  syncFailed: syncReasons.failed,
} as const;
