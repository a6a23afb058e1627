// keptPodResults as a pure decision: which pods held by the result finalizer give cursors, make the run of a
// deleted Job, or are only released — a table of pods and Jobs → what the pass takes in.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { keptPodResults, type KeptPodInputs } from '../../../operator/reconcile/kept-pod-results.js';

const now = new Date('2025-05-01T12:00:00Z');
const message = JSON.stringify({
  version: 1,
  outcome: 'Failed',
  startedAt: '2025-05-01T11:00:00Z',
  finishedAt: '2025-05-01T11:30:00Z',
  streams: { tickets: { outcome: 'Failed', records: 3, cursor: { updatedAt: '2025-05-01T10:59:00Z' } } },
});

type PodShape = { finalizer?: boolean; phase?: string; result?: boolean; jobUid?: string; scheduled?: boolean; deleting?: boolean };
function pod(name: string, shape: PodShape = {}): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      ...(shape.finalizer === false ? {} : { finalizers: ['tenantsync.io/result'] }),
      ...(shape.deleting ? { deletionTimestamp: '2025-05-01T11:50:00Z' as unknown as Date } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'acme-1', uid: shape.jobUid ?? 'job-1', controller: true }],
    },
    spec: { ...(shape.scheduled === false ? {} : { nodeName: 'node' }), containers: [] },
    status: {
      phase: shape.phase ?? 'Failed',
      containerStatuses: [
        { name: 'sync', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, finishedAt: '2025-05-01T11:30:00Z' as unknown as Date, ...(shape.result === false ? {} : { message }) } } },
      ],
    },
  };
}
const job: V1Job = {
  metadata: { name: 'acme-1', namespace: 'ns', uid: 'job-1', annotations: { 'tenantsync.io/name': 'acme' } },
  spec: { template: {} },
  status: { startTime: '2025-05-01T11:00:00Z' as unknown as Date, active: 1 },
};

function inputs(over: Partial<KeptPodInputs>): KeptPodInputs {
  return { pods: [], finishedUids: new Set(), jobNamed: () => job, appliedUid: () => false, lostJob: () => undefined, now, ...over };
}

describe('keptPodResults', () => {
  it.each<[string, Partial<KeptPodInputs>, { release: number; cursors: number; runs: number; lostUids: string[] }]>([
    ['a pod without the finalizer is not ours to release', { pods: [pod('p', { finalizer: false })] }, { release: 0, cursors: 0, runs: 0, lostUids: [] }],
    ['a pod still running waits', { pods: [pod('p', { phase: 'Running' })] }, { release: 0, cursors: 0, runs: 0, lostUids: [] }],
    ['a pod being deleted on its node waits for the kubelet to report', { pods: [pod('p', { phase: 'Running', deleting: true })] }, { release: 0, cursors: 0, runs: 0, lostUids: [] }],
    ['a pod no node took waits while it is not deleted', { pods: [pod('p', { phase: 'Pending', scheduled: false, result: false })] }, { release: 0, cursors: 0, runs: 0, lostUids: [] }],
    ['a pod deleted before a node took it is let go (no kubelet will report on it)', { pods: [pod('p', { phase: 'Pending', scheduled: false, result: false, deleting: true })] }, { release: 1, cursors: 0, runs: 0, lostUids: [] }],
    ['a pod of a Job whose run this pass makes is released with it', { pods: [pod('p')], finishedUids: new Set(['job-1']) }, { release: 1, cursors: 0, runs: 0, lostUids: [] }],
    ['an evicted attempt of a running Job gives its cursors now', { pods: [pod('p')] }, { release: 1, cursors: 1, runs: 0, lostUids: [] }],
    ['a deleted Job whose result was never applied: its run is made from the kept pod', { pods: [pod('p')], jobNamed: () => undefined, lostJob: () => job }, { release: 1, cursors: 0, runs: 1, lostUids: ['job-1'] }],
    ['a deleted Job whose pod reported nothing makes no run (it stays lost)', { pods: [pod('p', { result: false })], jobNamed: () => undefined, lostJob: () => job }, { release: 1, cursors: 0, runs: 0, lostUids: [] }],
    ['a deleted Job applied already: cursors only, no second run', { pods: [pod('p')], jobNamed: () => undefined, lostJob: () => job, appliedUid: () => true }, { release: 1, cursors: 1, runs: 0, lostUids: [] }],
    ['a cached Job of the same name but another uid is not the pod’s Job', { pods: [pod('p', { jobUid: 'job-0' })], lostJob: () => undefined }, { release: 1, cursors: 1, runs: 0, lostUids: [] }],
  ])('%s', (_name, over, want) => {
    const out = keptPodResults(inputs(over));
    expect({ release: out.release.length, cursors: out.cursorResults.length, runs: out.runs.length, lostUids: out.lostUids }).toEqual(want);
  });

  it('a run made from the kept pods of a deleted Job failed when its last pod ended', () => {
    const out = keptPodResults(inputs({ pods: [pod('p')], jobNamed: () => undefined, lostJob: () => job }));
    expect(out.finished[0]?.finish).toMatchObject({ state: 'Failed', time: '2025-05-01T11:30:00Z', reason: 'JobDeleted' });
    expect(out.runs[0]).toMatchObject({ jobName: 'acme-1', outcome: 'Failed', records: 3 });
  });
});
