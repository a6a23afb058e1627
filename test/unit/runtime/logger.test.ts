// Operator log lines: valid JSON in which `namespace` and `name` of the object a line is about
// appear exactly once (users grep them; a duplicate key makes parsers keep only one of them).
import { describe, expect, it } from 'vitest';
import { createLogger, errorFields, objectLogger } from '../../../operator/runtime/logger.js';
import { logLines } from './log-lines.js';

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe('operator logger', () => {
  it('writes namespace and name of the object exactly once on every line', () => {
    const { lines, destination } = logLines();
    const root = createLogger({ level: 'debug', destination });
    const log = objectLogger(root, { namespace: 'tenants-a', name: 'acme' });
    log.info('reconciled');
    log.warn({ reason: 'SecretNotFound' }, 'stalled');
    log.debug({ job: 'acme-sync-1' }, 'started a manual run');

    expect(lines).toHaveLength(3);
    for (const raw of lines) {
      expect(occurrences(raw, '"name":')).toBe(1);
      expect(occurrences(raw, '"namespace":')).toBe(1);
      const line = JSON.parse(raw) as Record<string, unknown>;
      expect(line).toMatchObject({ namespace: 'tenants-a', name: 'acme', logger: 'tenant-sync-operator', pid: process.pid });
      expect(typeof line.time).toBe('string');
      expect(typeof line.level).toBe('string');
    }
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['reconciled', 'stalled', 'started a manual run']);
  });

  it('extra fields cannot add a second namespace or name', () => {
    const { lines, destination } = logLines();
    const log = objectLogger(createLogger({ destination }), { namespace: 'ns', name: 'obj' }, { controller: 'tenantsync', name: 'other', namespace: 'x' });
    log.info('hello');
    expect(occurrences(lines[0]!, '"name":')).toBe(1);
    expect(occurrences(lines[0]!, '"namespace":')).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ namespace: 'ns', name: 'obj', controller: 'tenantsync' });
  });

  it('a cluster-scoped object gets an empty namespace, still once', () => {
    const { lines, destination } = logLines();
    objectLogger(createLogger({ destination }), { name: 'cluster-thing' }).info('x');
    expect(JSON.parse(lines[0]!)).toMatchObject({ namespace: '', name: 'cluster-thing' });
    expect(occurrences(lines[0]!, '"namespace":')).toBe(1);
  });

  it('lines not about an object carry no name at all, and the process is named by `logger`', () => {
    const { lines, destination } = logLines();
    createLogger({ destination, name: 'custom-operator' }).info('controller started');
    expect(occurrences(lines[0]!, '"name":')).toBe(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ logger: 'custom-operator', msg: 'controller started' });
  });

  it('still redacts secrets', () => {
    const { lines, destination } = logLines();
    objectLogger(createLogger({ destination }), { namespace: 'ns', name: 'obj' }).info({ creds: { apiKey: 'sekret' } }, 'x');
    expect(lines[0]).not.toContain('sekret');
    expect(JSON.parse(lines[0]!)).toMatchObject({ creds: { apiKey: '[redacted]' } });
  });

  it('redacts token, apiKey, password and authorization headers at the top of a line and down to an error response', () => {
    const { lines, destination } = logLines();
    const logger = createLogger({ destination });
    logger.info({ token: 's1', apiKey: 's2', password: 's3', headers: { authorization: 's4' } }, 'top');
    logger.info({ req: { headers: { Authorization: 's5' } }, creds: { token: 's6' } }, 'one down');
    logger.info({ err: { response: { headers: { authorization: 's7' } } }, a: { b: { password: 's8' } } }, 'two down');
    for (const line of lines) expect(line).not.toMatch(/"s[0-9]"/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ token: '[redacted]', apiKey: '[redacted]', password: '[redacted]', headers: { authorization: '[redacted]' } });
    expect(JSON.parse(lines[2]!)).toMatchObject({ err: { response: { headers: { authorization: '[redacted]' } } }, a: { b: { password: '[redacted]' } } });
  });
});

describe('errorFields', () => {
  it('gives the stack of an error the operator does not expect, and only the code and message of one it does', () => {
    const unexpected = errorFields(new TypeError("Cannot read properties of null (reading 'getTime')"));
    expect(unexpected.message).toBe("Cannot read properties of null (reading 'getTime')");
    expect(unexpected.stack).toContain('logger.test.ts');
    const expected = Object.assign(new Error('forbidden'), { code: 'KUBE_FORBIDDEN' });
    expect(errorFields(expected)).toEqual({ code: 'KUBE_FORBIDDEN', message: 'forbidden' });
  });
});
