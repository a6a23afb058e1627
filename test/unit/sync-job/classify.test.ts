// Decision tables of the source and sink responses, and the `link` header.
import { describe, expect, it } from 'vitest';
import { classifySourceStatus, hasNextLink } from '../../../sync-job/source/freshdesk/classify.js';
import { classifySinkStatus } from '../../../sync-job/sink/http-sink.js';
import { isRetryableTransportError } from '../../../sync-job/core/http-agent.js';

describe('classifySourceStatus', () => {
  it.each([
    [200, 'ok'],
    [401, 'credentials'],
    [403, 'forbidden'],
    [429, 'rate-limited'],
    [408, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [400, 'fail'],
    [404, 'fail'],
  ] as const)('%i → %s', (status, action) => expect(classifySourceStatus(status)).toBe(action));
});

describe('classifySinkStatus', () => {
  it.each([
    [200, 'ack'],
    [202, 'ack'],
    [408, 'retry'],
    [429, 'retry'],
    [502, 'retry'],
    [401, 'credentials'],
    [400, 'reject'],
    [413, 'reject'],
    [422, 'reject'],
  ] as const)('%i → %s', (status, action) => expect(classifySinkStatus(status)).toBe(action));
});

describe('hasNextLink', () => {
  it('finds rel=next only', () => {
    expect(hasNextLink('<https://a.freshdesk.com/api/v2/tickets?page=2>; rel="next"')).toBe(true);
    expect(hasNextLink('<https://a/x?page=1>; rel="prev"')).toBe(false);
    expect(hasNextLink(undefined)).toBe(false);
  });
});

describe('isRetryableTransportError', () => {
  it('retries timeouts and resets, also when wrapped', () => {
    expect(isRetryableTransportError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(true);
    expect(isRetryableTransportError(new Error('outer', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isRetryableTransportError(Object.assign(new Error('x'), { code: 'UND_ERR_INVALID_ARG' }))).toBe(false);
  });
});
