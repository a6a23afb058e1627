import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, flagSpecs, parseConfig, usage } from '../../../operator/config.js';

const noFile = () => undefined;
const parse = (argv: string[], env: Record<string, string> = {}) => parseConfig(argv, env, noFile);

describe('parseConfig', () => {
  it('has defaults for everything', () => {
    expect(parse([])).toEqual({
      kubeconfig: undefined,
      namespaces: undefined,
      syncImage: 'ghcr.io/tenant-sync/sync-job:0.1.0',
      syncPod: { resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } } },
      healthAddress: '0.0.0.0:8080',
      leaderElect: true,
      leaseNamespace: 'default',
      leaseName: 'tenantsync-operator',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      workers: 4,
      logLevel: 'info',
      resyncPeriodSeconds: 600,
      kubeApiQps: 20,
      kubeApiBurst: 30,
      help: false,
    });
  });

  it.each([
    [['--namespaces=a,b'], {}, { namespaces: ['a', 'b'] }],
    [['--namespaces', ' a , b ,'], {}, { namespaces: ['a', 'b'] }],
    [[], { TENANTSYNC_NAMESPACES: 'x' }, { namespaces: ['x'] }],
    [['--namespaces=y'], { TENANTSYNC_NAMESPACES: 'x' }, { namespaces: ['y'] }],
    [['--leader-elect'], { TENANTSYNC_LEADER_ELECT: 'false' }, { leaderElect: true }],
    [['--leader-elect=false'], {}, { leaderElect: false }],
    [['--no-leader-elect'], {}, { leaderElect: false }],
    [[], { TENANTSYNC_LEADER_ELECT: 'false' }, { leaderElect: false }],
    [['--metrics-addr=:9090'], {}, { healthAddress: ':9090' }],
    [['--health-addr=:9090', '--metrics-addr=:9090'], {}, { healthAddress: ':9090' }],
    [['--sync-image', 'registry/sync:2', '--workers=8', '--log-level=debug'], {}, { syncImage: 'registry/sync:2', workers: 8, logLevel: 'debug' }],
    [[], { POD_NAMESPACE: 'ops' }, { leaseNamespace: 'ops' }],
    [['--lease-namespace=x'], { POD_NAMESPACE: 'ops' }, { leaseNamespace: 'x' }],
    [['--kubeconfig=/tmp/k'], {}, { kubeconfig: '/tmp/k' }],
    [['--resync-period=0'], {}, { resyncPeriodSeconds: 0 }],
    [['--kube-api-qps=50', '--kube-api-burst=100'], {}, { kubeApiQps: 50, kubeApiBurst: 100 }],
    [['--kube-api-qps=0.5'], {}, { kubeApiQps: 0.5 }],
    [[], { TENANTSYNC_KUBE_API_QPS: '7', TENANTSYNC_KUBE_API_BURST: '9' }, { kubeApiQps: 7, kubeApiBurst: 9 }],
    [['--help'], {}, { help: true }],
    [['--sync-resources={"requests":{"cpu":"250m","memory":1073741824}}'], {}, { syncPod: { resources: { requests: { cpu: '250m', memory: '1073741824' } } } }],
    [['--sync-resources={}'], {}, { syncPod: { resources: {} } }],
    [[], { TENANTSYNC_SYNC_RESOURCES: '{"limits":{"memory":"1Gi"}}' }, { syncPod: { resources: { limits: { memory: '1Gi' } } } }],
    [['--sync-image-pull-policy=Always', '--sync-image-pull-secrets=reg-a, reg-b'], {}, { syncPod: { imagePullPolicy: 'Always', imagePullSecrets: ['reg-a', 'reg-b'] } }],
    [
      ['--sync-pod-labels={"team":"platform"}', '--sync-pod-annotations={"sidecar.istio.io/inject":"false","x.example/ranges":"10.0.0.0/8,172.16.0.0/12"}'],
      {},
      { syncPod: { podLabels: { team: 'platform' }, podAnnotations: { 'sidecar.istio.io/inject': 'false', 'x.example/ranges': '10.0.0.0/8,172.16.0.0/12' } } },
    ],
    [
      ['--sync-priority-class-name=batch-low', '--sync-service-account-name=tenant-sync-job', '--sync-automount-service-account-token', '--sync-affinity={"nodeAffinity":{"x":1}}'],
      {},
      { syncPod: { priorityClassName: 'batch-low', serviceAccountName: 'tenant-sync-job', automountServiceAccountToken: true, affinity: { nodeAffinity: { x: 1 } } } },
    ],
    [
      [],
      { TENANTSYNC_SYNC_HTTPS_PROXY: 'http://proxy:3128', TENANTSYNC_SYNC_NO_PROXY: '.svc,.cluster.local' },
      { syncPod: { proxy: { httpsProxy: 'http://proxy:3128', noProxy: '.svc,.cluster.local' } } },
    ],
    [
      ['--sync-env=[{"name":"NODE_EXTRA_CA_CERTS","value":"/ca.crt"}]', '--sync-env-from=[{"configMapRef":{"name":"common"}}]'],
      {},
      { syncPod: { env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/ca.crt' }], envFrom: [{ configMapRef: { name: 'common' } }] } },
    ],
    [
      ['--sync-volumes=[{"name":"ca","configMap":{"name":"corp-ca"}}]', '--sync-volume-mounts=[{"name":"ca","mountPath":"/etc/ssl/extra","readOnly":true}]'],
      {},
      { syncPod: { volumes: [{ name: 'ca', configMap: { name: 'corp-ca' } }], volumeMounts: [{ name: 'ca', mountPath: '/etc/ssl/extra', readOnly: true }] } },
    ],
  ])('%o with env %o gives %o', (argv, env, expected) => {
    expect(parse(argv, env)).toMatchObject(expected);
  });

  it('reads the in-cluster namespace for the Lease when nothing else says', () => {
    expect(parseConfig([], {}, () => 'tenant-sync-system').leaseNamespace).toBe('tenant-sync-system');
  });

  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['--no-such-flag=1'], /unknown flag --no-such-flag$/],
    [['positional'], /unexpected argument/],
    [['--workers=0'], /--workers: "0" must be a whole number of at least 1/],
    [['--workers'], /--workers needs a value/],
    [['--leader-elect=maybe'], /not true or false/],
    [['--health-addr=:1', '--metrics-addr=:2'], /differ, but one server/],
    [['--health-addr=localhost'], /not host:port/],
    [['--log-level=loud'], /--log-level/],
    [['--namespaces=Bad_NS'], /not a namespace name/],
    [['--lease-duration=5', '--renew-deadline=10'], /lease-duration > --renew-deadline/],
    [['--renew-deadline=2', '--retry-period=2'], /--renew-deadline > --retry-period, got 15\/2\/2/],
    [['--kube-api-qps=0'], /--kube-api-qps: "0" must be a number greater than 0/],
    [['--kube-api-qps=fast'], /--kube-api-qps: "fast" must be a number greater than 0/],
    [['--kube-api-burst=0'], /--kube-api-burst: "0" must be a whole number of at least 1/],
    [['--sync-resources=cpu=1'], /--sync-resources: not JSON .*"cpu=1"/],
    [['--sync-resources={"limits":{"cpu":"lots"}}'], /--sync-resources: limits.cpu: must be a quantity such as 500m, 1 or 256Mi/],
    [['--sync-resources={"request":{"cpu":"1"}}'], /--sync-resources: .*request/],
    [['--sync-image-pull-policy=Sometimes'], /--sync-image-pull-policy: "Sometimes" .*Always/],
    [['--sync-image-pull-secrets=Bad_Name'], /--sync-image-pull-secrets: "Bad_Name" is not a Secret name/],
    [['--sync-pod-labels={"team":"two words"}'], /--sync-pod-labels: team: must be a label value/],
    [['--sync-pod-labels={"bad key!":"x"}'], /--sync-pod-labels: bad key!: must be a key such as team/],
    [['--sync-priority-class-name=Low'], /--sync-priority-class-name: "Low" must be a PriorityClass name/],
    [['--sync-service-account-name=a_b'], /--sync-service-account-name: "a_b" must be a ServiceAccount name/],
    [['--sync-affinity={"nodeAfinity":{}}'], /--sync-affinity: .*nodeAfinity/],
    [['--sync-https-proxy=proxy:3128'], /--sync-https-proxy: "proxy:3128" is not an http:\/\/ or https:\/\/ URL/],
    [['--sync-env=[{"name":"TENANTSYNC_CONFIG","value":"x"}]'], /--sync-env: \[0\]\.name: names starting with TENANTSYNC_ are reserved/],
    [['--sync-env=[{"name":"A","value":"1"},{"name":"A","value":"2"}]'], /--sync-env: \[1\]: duplicate variable A/],
    [['--sync-env-from=[{"prefix":"X_"}]'], /--sync-env-from: \[0\]: set exactly one of configMapRef and secretRef/],
    [['--sync-volumes=[{"name":"tmp","configMap":{"name":"x"}}]'], /--sync-volumes: \[0\]\.name: names config, state, tmp are the operator's own/],
    [['--sync-volume-mounts=[{"name":"ca","mountPath":"/etc/tenantsync/ca"}]'], /--sync-volume-mounts: \[0\]\.mountPath: must be an absolute path outside/],
  ])('rejects %o', (argv, message) => {
    expect(() => parse(argv)).toThrow(ConfigError);
    expect(() => parse(argv)).toThrow(message);
  });

  it('documents every flag with its variable', () => {
    const text = usage();
    for (const flag of ['--kubeconfig', '--namespaces', '--sync-image', '--health-addr', '--metrics-addr', '--leader-elect', '--lease-namespace', '--lease-name', '--workers', '--log-level']) {
      expect(text).toContain(flag);
    }
    expect(text).toContain('$TENANTSYNC_SYNC_IMAGE');
  });
});

/** The rows of the operator flags table (docs/operator.md "Flags and environment"): flag, env, default. */
function readmeFlagRows(): { flag: string; env: string; defaultText: string }[] {
  const readme = readFileSync(new URL('../../../docs/operator.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('# The operator'));
  const heading = section.indexOf('## Flags and environment');
  expect(heading, 'docs/operator.md has a "Flags and environment" section').toBeGreaterThan(0);
  const lines = section.slice(heading).split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Flag |'));
  const rows: { flag: string; env: string; defaultText: string }[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const code = (cell: string) => /^`([^`]*)`$/.exec(cell)?.[1];
    rows.push({ flag: code(cells[0] ?? '') ?? cells[0] ?? '', env: code(cells[1] ?? '') ?? cells[1] ?? '', defaultText: cells[2] ?? '' });
  }
  return rows;
}

describe('docs/operator.md flags table', () => {
  const rows = readmeFlagRows();

  it('lists exactly the flags the operator accepts, each with its variable', () => {
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.map((r) => r.flag).sort()).toEqual(Object.keys(flagSpecs).map((name) => `--${name}`).sort());
    for (const row of rows) {
      const spec = flagSpecs[row.flag.slice(2)];
      // A flag without a variable (--help) shows a dash.
      expect(row.env, row.flag).toBe(spec?.env === '' ? '–' : spec?.env);
    }
  });

  it('names every variable the usage text names', () => {
    const text = usage();
    for (const row of rows) {
      expect(text).toContain(row.flag);
      if (row.env !== '–') expect(text).toContain(`$${row.env}`);
    }
  });

  it('states the defaults the operator uses when nothing is given', () => {
    const defaults = parse([]) as unknown as Record<string, unknown>;
    const configKey: Record<string, string> = {
      '--sync-image': 'syncImage',
      '--health-addr': 'healthAddress',
      '--leader-elect': 'leaderElect',
      '--lease-name': 'leaseName',
      '--lease-duration': 'leaseDurationSeconds',
      '--renew-deadline': 'renewDeadlineSeconds',
      '--retry-period': 'retryPeriodSeconds',
      '--workers': 'workers',
      '--log-level': 'logLevel',
      '--resync-period': 'resyncPeriodSeconds',
      '--kube-api-qps': 'kubeApiQps',
      '--kube-api-burst': 'kubeApiBurst',
    };
    for (const [flag, key] of Object.entries(configKey)) {
      const row = rows.find((r) => r.flag === flag);
      expect(row?.defaultText, flag).toBe(`\`${String(defaults[key])}\``);
    }
  });
});
