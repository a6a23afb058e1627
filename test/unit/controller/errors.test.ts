import { describe, expect, it } from 'vitest';
import { errorPolicy, StalledError, WaitingError } from '../../../operator/controller/errors.js';
import { KubeApiError, type KubeErrorCode } from '../../../operator/kube/errors.js';

const kubeError = (code: KubeErrorCode, statusCode?: number) => new KubeApiError({ code, message: `${code} happened`, method: 'PATCH', path: '/x', ...(statusCode ? { statusCode } : {}) });

describe('errorPolicy', () => {
  it.each([
    [new StalledError('InvalidSpec', 'bad'), { kind: 'stalled', reason: 'InvalidSpec', requeueAfterMs: undefined }],
    [new StalledError('SecretNotFound', 'missing', 5000), { kind: 'stalled', reason: 'SecretNotFound', requeueAfterMs: 5000 }],
    [new WaitingError('ChildTerminating', 'wait', 2000), { kind: 'wait', reason: 'ChildTerminating', requeueAfterMs: 2000 }],
    [kubeError('KUBE_INVALID', 422), { kind: 'stalled', reason: 'InvalidSpec', requeueAfterMs: undefined }],
    [kubeError('KUBE_BAD_REQUEST', 400), { kind: 'stalled', reason: 'InvalidSpec' }],
    [kubeError('KUBE_SERVER_ERROR', 500), { kind: 'retry', reason: 'KubeApiError' }],
    [
      new KubeApiError({ code: 'KUBE_SERVER_ERROR', statusCode: 500, method: 'PATCH', path: '/x', message: 'failed to create typed patch object (ns/a; batch/v1, Kind=CronJob): .spec.x: field not declared in schema' }),
      { kind: 'stalled', reason: 'InvalidSpec' },
    ],
    [kubeError('KUBE_UNAVAILABLE'), { kind: 'retry', reason: 'KubeApiError' }],
    [kubeError('KUBE_CONFLICT', 409), { kind: 'retry', reason: 'KubeApiError' }],
    [kubeError('KUBE_FORBIDDEN', 403), { kind: 'retry', reason: 'KubeApiError' }],
    [new TypeError('x is undefined'), { kind: 'retry', reason: 'ReconcileError', message: 'x is undefined' }],
    ['a string', { kind: 'retry', reason: 'ReconcileError', message: 'a string' }],
  ])('%s → %o', (err, action) => {
    expect(errorPolicy(err)).toMatchObject(action);
  });

  it('keeps the API server message of a rejected child', () => {
    expect(errorPolicy(kubeError('KUBE_INVALID', 422)).message).toBe('the API server rejected a child object: KUBE_INVALID happened');
  });
});
