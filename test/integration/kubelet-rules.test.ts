// The test kubelet's decision tables, as pure functions: path rewriting, image lookup and argv,
// env resolution, volume planning, termination messages, pod phase and which pods it binds.
// (Pure, so they need no cluster; they live here because test/integration/kubelet* is the kubelet's.)
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ConfigSources } from '../kubelet/config-sources.js';
import { parseQuantity, resourceFieldRefValue } from '../kubelet/downward-api.js';
import { expandVars, resolveContainerEnv } from '../kubelet/env.js';
import { containerArgv, findImage, imageRepository, parseImageTable } from '../kubelet/images.js';
import { wantsBinding } from '../kubelet/kubelet.js';
import { rewriteArgument, rewriteEnv, rewritePath } from '../kubelet/path-rewrite.js';
import { buildPodStatus, podPhase, type ContainerRecord } from '../kubelet/pod-status.js';
import { logTail, terminationMessage } from '../kubelet/termination-message.js';
import { planVolume } from '../kubelet/volumes.js';

const mappings = [
  { containerPath: '/etc/tenantsync/config', hostPath: '/pods/p/volumes/config' },
  { containerPath: '/etc/tenantsync', hostPath: '/pods/p/volumes/all' },
  { containerPath: '/dev/termination-log', hostPath: '/pods/p/containers/sync/termination-log' },
];

describe('path rewrite', () => {
  it.each([
    ['/etc/tenantsync/config/config.json', '/pods/p/volumes/config/config.json'],
    ['/etc/tenantsync/config', '/pods/p/volumes/config'],
    ['/etc/tenantsync/other.json', '/pods/p/volumes/all/other.json'],
    ['/dev/termination-log', '/pods/p/containers/sync/termination-log'],
    ['/etc/tenantsync-other/x', '/etc/tenantsync-other/x'],
    ['relative/etc/tenantsync', 'relative/etc/tenantsync'],
    ['prefix /etc/tenantsync/config', 'prefix /etc/tenantsync/config'],
  ])('%s → %s', (value, expected) => {
    expect(rewritePath(value, mappings)).toBe(expected);
  });

  it('rewrites the value of --flag=value arguments and whole env values only', () => {
    expect(rewriteArgument('--config=/etc/tenantsync/config/c.json', mappings)).toBe('--config=/pods/p/volumes/config/c.json');
    expect(rewriteArgument('--name=tenant', mappings)).toBe('--name=tenant');
    expect(rewriteEnv({ A: '/dev/termination-log', B: 'x=/dev/termination-log' }, mappings)).toEqual({
      A: '/pods/p/containers/sync/termination-log',
      B: 'x=/dev/termination-log',
    });
  });
});

describe('images', () => {
  const table = {
    'ghcr.io/tenant-sync/sync-job': ['sync'],
    'example.com:5000/app:1.0': ['exact'],
    'test.local/*': { entrypoint: ['glob'], cmd: ['--default'], commands: { tool: ['/usr/bin/env', 'tool'] } },
  };

  it.each([
    ['ghcr.io/tenant-sync/sync-job:dev', ['sync']],
    ['ghcr.io/tenant-sync/sync-job@sha256:abc', ['sync']],
    ['example.com:5000/app:1.0', ['exact']],
    ['test.local/anything:2', ['glob']],
  ])('%s is found', (image, entrypoint) => {
    expect(findImage(table, image)?.entrypoint).toEqual(entrypoint);
  });

  it('knows no other image', () => {
    expect(findImage(table, 'example.com:5000/app:2.0')).toBeUndefined();
    expect(findImage(table, 'ghcr.io/tenant-sync/operator:dev')).toBeUndefined();
  });

  it('separates a registry port from a tag', () => {
    expect(imageRepository('example.com:5000/app:1.0')).toBe('example.com:5000/app');
    expect(imageRepository('example.com:5000/app')).toBe('example.com:5000/app');
  });

  it('builds argv with Kubernetes command/args rules', () => {
    const entry = { entrypoint: ['ep'], cmd: ['--default'], commands: { tool: ['/usr/bin/env', 'tool'] } };
    expect(containerArgv(entry, 'i', undefined, undefined)).toEqual(['ep', '--default']);
    expect(containerArgv(entry, 'i', undefined, ['--x'])).toEqual(['ep', '--x']);
    expect(containerArgv(entry, 'i', ['tool', 'a'], undefined)).toEqual(['/usr/bin/env', 'tool', 'a']);
    expect(containerArgv(entry, 'i', ['sh', '-c'], ['echo'])).toEqual(['sh', '-c', 'echo']);
    expect(containerArgv(entry, 'i', ['node'], ['x.js'])).toEqual([process.execPath, 'x.js']);
    expect(() => containerArgv(entry, 'i', ['/app/not-here'], undefined)).toThrow(/command \/app\/not-here of image i is not known/);
    // The pod's values are rewritten; the image's own program is a path of this machine and is not,
    // even when the checkout lives below a mount path (a clone under /tmp with an emptyDir at /tmp).
    const tmp = [{ containerPath: '/tmp', hostPath: '/pods/p/volumes/tmp' }];
    const underTmp = { entrypoint: ['node', '/tmp/checkout/sync-job/main.ts'] };
    const rewrite = (v: string) => rewriteArgument(v, tmp);
    expect(containerArgv(underTmp, 'i', undefined, ['--state=/tmp/s.json'], rewrite)).toEqual(['node', '/tmp/checkout/sync-job/main.ts', '--state=/pods/p/volumes/tmp/s.json']);
    expect(containerArgv(underTmp, 'i', ['node', '/tmp/x.js'], ['--out=/tmp/o'], rewrite)).toEqual([process.execPath, '/pods/p/volumes/tmp/x.js', '--out=/pods/p/volumes/tmp/o']);
  });

  it('parses the CLI map and rejects what is not an argv', () => {
    expect(parseImageTable('{"a": ["x", "y"], "b": {"entrypoint": ["z"]}}', 'arg')).toEqual({ a: ['x', 'y'], b: { entrypoint: ['z'] } });
    expect(() => parseImageTable('{"a": []}', 'arg')).toThrow(/image a must map to a non-empty argv array/);
    expect(() => parseImageTable('[1]', 'arg')).toThrow(/must be a JSON object/);
  });
});

const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { b: '2', a: '1' } },
  spec: { containers: [{ name: 'c' }], serviceAccountName: 'sa' },
};
const addresses = { podIP: '127.0.0.1', hostIP: '127.0.0.1', nodeName: 'node-a' };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const sources: ConfigSources = {
  secrets: new Map([['creds', { data: { token: b64('s3cr3t'), other: b64('o') } }], ['gone', undefined]]),
  configMaps: new Map([['settings', { data: { greeting: 'hi', 'bad=key': 'x' }, binaryData: { blob: b64('bin') } }]]),
  serviceAccountTokens: new Map(),
};
const envContext = { pod, sources, addresses, allocatable: { cpu: '2', memory: '4Gi' } };

describe('env', () => {
  it('expands $(VAR) against what is defined, keeps unknown references and unescapes $$', () => {
    const lookup = (name: string) => ({ A: 'x' })[name];
    expect(expandVars('$(A)-$(B)-$$(A)-$', lookup)).toBe('x-$(B)-$(A)-$');
  });

  it('resolves envFrom, then env in order, with secret, configMap, field and resource references', () => {
    const container: V1Container = {
      name: 'c',
      resources: { limits: { memory: '64Mi' } },
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }],
      env: [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
        { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
        { name: 'WHO', value: '$(GREETING) $(POD)' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'LABEL_A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['a']" } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'gone', key: 'x', optional: true } } },
      ],
    };
    expect(resolveContainerEnv(container, envContext)).toEqual({
      CM_greeting: 'hi',
      CM_blob: 'bin',
      TOKEN: 's3cr3t',
      GREETING: 'hi',
      WHO: 'hi $(POD)',
      POD: 'p',
      LABEL_A: '1',
      MEM_MI: '64',
      CPU: '2',
    });
  });

  it.each([
    [{ secretKeyRef: { name: 'gone', key: 'x' } }, 'secret "gone" not found'],
    [{ secretKeyRef: { name: 'creds', key: 'missing' } }, "couldn't find key missing in Secret ns/creds"],
    [{ configMapKeyRef: { name: 'nope', key: 'x' } }, 'configmap "nope" not found'],
    [{ fieldRef: { fieldPath: 'spec.unknown' } }, 'unsupported fieldPath: spec.unknown'],
  ])('%j is a config error: %s', (valueFrom, message) => {
    expect(() => resolveContainerEnv({ name: 'c', env: [{ name: 'X', valueFrom }] }, envContext)).toThrow(message);
  });

  it('parses quantities and rounds resource values up', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(resourceFieldRefValue({ name: 'c', resources: { limits: { cpu: '250m' } } }, { resource: 'limits.cpu' }, {})).toBe('1');
    expect(resourceFieldRefValue({ name: 'c', resources: { limits: { cpu: '250m' } } }, { resource: 'limits.cpu', divisor: '1m' }, {})).toBe('250');
  });
});

describe('volumes', () => {
  it('projects selected ConfigMap keys with their modes, and Secret keys', () => {
    const plan = planVolume({ name: 'v', configMap: { name: 'settings', items: [{ key: 'greeting', path: 'sub/g.txt', mode: 0o600 }] } }, envContext);
    expect(plan.files).toEqual([{ path: 'sub/g.txt', content: Buffer.from('hi'), mode: 0o600 }]);
    const secret = planVolume({ name: 's', secret: { secretName: 'creds' } }, envContext);
    expect(secret.files.map((f) => [f.path, f.content.toString()])).toEqual([['token', 's3cr3t'], ['other', 'o']]);
  });

  it('reports missing sources like the kubelet, and leaves optional ones empty', () => {
    expect(() => planVolume({ name: 'v', configMap: { name: 'nope' } }, envContext)).toThrow('MountVolume.SetUp failed for volume "v" : configmap "nope" not found');
    expect(() => planVolume({ name: 'v', configMap: { name: 'settings', items: [{ key: 'x', path: 'x' }] } }, envContext)).toThrow(
      'configMap references non-existent config key: x',
    );
    expect(planVolume({ name: 'v', secret: { secretName: 'gone', optional: true } }, envContext).files).toEqual([]);
  });

  it('renders downward API files and refuses volume types it cannot provide', () => {
    const plan = planVolume({ name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }, envContext);
    expect(plan.files[0]?.content.toString()).toBe('a="1"\nb="2"');
    expect(() => planVolume({ name: 'h', hostPath: { path: '/var' } }, envContext)).toThrow(/hostPath volumes are not supported by the test kubelet/);
    expect(() => planVolume({ name: 'v', configMap: { name: 'settings', items: [{ key: 'greeting', path: '../escape' }] } }, envContext)).toThrow(
      /leaves the volume/,
    );
  });
});

describe('termination message', () => {
  const lines = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n') + '\n');

  it('keeps the last 80 lines, then the last 2,048 bytes', () => {
    expect(logTail(lines(100)).split('\n')[0]).toBe('line 21');
    expect(logTail(lines(3))).toBe('line 1\nline 2\nline 3\n');
    const long = Buffer.from('x'.repeat(5000));
    expect(logTail(long)).toHaveLength(2048);
  });

  it.each([
    ['File', 1, 'from file', 'from file'],
    ['File', 1, '', undefined],
    ['FallbackToLogsOnError', 1, '', 'line 1\n'],
    ['FallbackToLogsOnError', 0, '', undefined],
    ['FallbackToLogsOnError', 1, 'from file', 'from file'],
  ])('policy %s, exit %i, file %j → %j', (policy, exitCode, file, expected) => {
    expect(terminationMessage({ policy, exitCode, file: Buffer.from(file), log: lines(1) })).toBe(expected);
  });
});

describe('pod phase and status', () => {
  const running: ContainerRecord = { name: 'a', image: 'i', restartCount: 0, state: { kind: 'running', startedAt: new Date(0) } };
  const waiting: ContainerRecord = { name: 'b', image: 'i', restartCount: 0, state: { kind: 'waiting', reason: 'ContainerCreating' } };
  const ok: ContainerRecord = { name: 'c', image: 'i', restartCount: 0, state: { kind: 'terminated', exitCode: 0, reason: 'Completed' } };
  const bad: ContainerRecord = { name: 'd', image: 'i', restartCount: 0, state: { kind: 'terminated', exitCode: 1, reason: 'Error' } };
  const backingOff: ContainerRecord = { ...waiting, lastTerminated: { kind: 'terminated', exitCode: 1, reason: 'Error' }, restartCount: 1 };

  it.each([
    ['Never', [waiting], 'Pending'],
    ['Never', [running, waiting], 'Pending'],
    ['Never', [running, ok], 'Running'],
    ['Never', [ok, ok], 'Succeeded'],
    ['Never', [ok, bad], 'Failed'],
    ['OnFailure', [bad], 'Running'],
    ['OnFailure', [backingOff], 'Running'],
    ['OnFailure', [ok], 'Succeeded'],
    ['Always', [ok], 'Running'],
  ] as const)('restartPolicy %s with %j → %s', (policy, containers, phase) => {
    expect(podPhase(policy, containers)).toBe(phase);
  });

  it('a failed pod stays Running until its containers are killed', () => {
    const failure = { reason: 'DeadlineExceeded', message: 'm' };
    expect(podPhase('Never', [running], failure)).toBe('Running');
    expect(podPhase('Never', [ok], failure)).toBe('Failed');
  });

  it('keeps lastTransitionTime of unchanged conditions and clears the states a container left', () => {
    const before = new Date('2024-01-01T00:00:00Z');
    const { status } = buildPodStatus({
      restartPolicy: 'Never',
      containers: [running],
      previousConditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: before }],
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
      startTime: before,
      now: new Date('2024-01-01T00:01:00.500Z'),
    });
    const conditions = status.conditions as { type: string; status: string; lastTransitionTime: string }[];
    expect(conditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T00:01:00Z' });
    expect((status.containerStatuses as { state: unknown }[])[0]?.state).toEqual({ waiting: null, running: { startedAt: '1970-01-01T00:00:00Z' }, terminated: null });
  });
});

describe('binding', () => {
  const pending = (spec: Partial<NonNullable<V1Pod['spec']>> = {}, namespace = 'ns'): V1Pod => ({
    metadata: { name: 'p', namespace },
    spec: { containers: [{ name: 'c' }], ...spec },
    status: { phase: 'Pending' },
  });

  it.each([
    ['an unbound pod', pending(), true],
    ['a pod with any other nodeSelector (this is the only node)', pending({ nodeSelector: { disktype: 'ssd' } }), true],
    ['a pod for this host', pending({ nodeSelector: { 'kubernetes.io/hostname': 'node-a' } }), true],
    ['a pod for another host', pending({ nodeSelector: { 'kubernetes.io/hostname': 'node-b' } }), false],
    ['a pod bound elsewhere', pending({ nodeName: 'node-b' }), false],
    ['a pod of another scheduler', pending({ schedulerName: 'other' }), false],
    ['a pod with scheduling gates', pending({ schedulingGates: [{ name: 'wait' }] }), false],
    ['a pod outside the namespaces', pending({}, 'elsewhere'), false],
  ])('%s → %s', (_what, p, expected) => {
    expect(wantsBinding(p, 'node-a', ['ns'])).toBe(expected);
  });
});
