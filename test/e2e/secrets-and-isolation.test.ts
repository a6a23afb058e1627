// Secrets and tenant isolation (issue 15), end to end: two tenants, each with its own Freshdesk account,
// API key and sink-token Secret, run through the real Job controller and the test kubelet, with a
// Freshdesk error and a sink error that quote the Authorization header back (as careless services do).
// Afterwards neither API key nor the sink token appears — plain, in Basic-auth form or URL-encoded — in
// the operator's log, the kubelet's log, the sync pods' logs and termination messages, Events, TenantSync
// status, ConfigMaps, Jobs or pods. Each sync pod references only its own tenant's Secrets, has no
// service-account token, and its materialised volumes hold nothing of the other tenant.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { reportScenario } from '../chaos/settings.js';
import { secretForms } from '../job/support.js';
import { jobOfRequest, podsOfJob, requestRun, startE2e, waitForJobFinished, waitForRunRecorded, type E2e } from './e2e-support.js';

const sinkToken = 'sink-tok-7Hq2xWv9Lm';
const tenants = {
  alpha: { apiKey: 'alpha-key-Zr8p4Kd1Qe', credentials: 'alpha-freshdesk', sink: 'alpha-sink' },
  beta: { apiKey: 'beta-key-Nf5t6Jc3Ux', credentials: 'beta-freshdesk', sink: 'beta-sink' },
} as const;
type Tenant = keyof typeof tenants;
const names = Object.keys(tenants) as Tenant[];
let e2e: E2e;
const podsOf: Partial<Record<Tenant, V1Pod[]>> = {};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** The pod directories the kubelet made for a tenant's pods. */
const podDirsOf = (tenant: Tenant) => readdirSync(e2e.system.files.podsDir).filter((d) => d.includes(`_${tenant}-`)).map((d) => join(e2e.system.files.podsDir, d));

beforeAll(async () => {
  e2e = await startE2e('e2e-secrets', {
    accounts: Object.fromEntries(names.map((t) => [t, { apiKey: tenants[t].apiKey, demo: { tickets: 40, days: 3 } }])),
    sinkToken,
    keepPodDirs: true,
  });
  for (const t of names) {
    const { apiKey, credentials, sink } = tenants[t];
    await e2e.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: credentials, namespace: e2e.ns.name }, stringData: { apiKey } } as never);
    await e2e.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: sink, namespace: e2e.ns.name }, stringData: { token: sinkToken } } as never);
    await e2e.client.create({
      apiVersion,
      kind,
      metadata: { name: t, namespace: e2e.ns.name },
      spec: {
        interval: '24h',
        suspend: true,
        source: { baseUrl: e2e.system.accounts[t]!.baseUrl, credentialsSecretRef: { name: credentials, key: 'apiKey' }, streams: [{ name: 'tickets' }, { name: 'contacts' }] },
        sink: { url: e2e.system.sink.url, authSecretRef: { name: sink, key: 'token' } },
      },
    } as never);
  }
  // Canaries: error bodies that quote the credentials back, one from Freshdesk (alpha), one from the sink (beta's first batch).
  e2e.system.accounts.alpha!.faults.failNext(1, 400, { path: 'contacts' }, { echoAuthorization: true });
  for (const t of names) {
    if (t === 'beta') e2e.system.sink.failNext(1, 400, undefined, { echoAuthorization: true });
    await requestRun(e2e, t, `secrets-${t}`);
    const job = await jobOfRequest(e2e, `secrets-${t}`);
    await waitForJobFinished(e2e, job.metadata!.name!, 180_000);
    await waitForRunRecorded(e2e, t, job.metadata!.name!);
    podsOf[t] = await podsOfJob(e2e, job.metadata!.name!);
  }
}, 400_000);

afterAll(async () => {
  await e2e?.cleanup();
});

describe('credentials stay secret', () => {
  it('the canaries fired: a pod of each run failed on an error body that quoted the credentials, and said so in its result', () => {
    expect(e2e.system.accounts.alpha!.requests.some((r) => r.path === '/api/v2/contacts' && r.status === 400)).toBe(true);
    expect(e2e.system.sink.attempts.some((a) => a.status === 400 && a.outcome === 'injected-failure')).toBe(true);
    for (const t of names) {
      const failed = (podsOf[t] ?? []).map((p) => p.status?.containerStatuses?.[0]?.state?.terminated).filter((s) => s !== undefined && s.exitCode !== 0);
      expect(failed.map((s) => s?.message ?? ''), t).toContainEqual(expect.stringContaining('400'));
    }
  });

  it('no API key or sink token in logs, termination messages, Events, status, ConfigMaps, Jobs or pods', async () => {
    const ns = e2e.ns.name;
    const list = async (v: string, k: string) => JSON.stringify((await e2e.client.list(v, k, { namespace: ns })).items);
    const places: Record<string, string> = {
      'operator log': readFileSync(e2e.system.files.operatorLog, 'utf8') + e2e.system.operator.output(),
      'kubelet log': readFileSync(e2e.system.files.kubeletLog, 'utf8'),
      'Events (core/v1)': await list('v1', 'Event'),
      'Events (events.k8s.io/v1)': await list('events.k8s.io/v1', 'Event'),
      'TenantSyncs': await list(apiVersion, kind),
      ConfigMaps: await list('v1', 'ConfigMap'),
      Jobs: await list('batch/v1', 'Job'),
      'CronJobs': await list('batch/v1', 'CronJob'),
      'Pods (termination messages)': await list('v1', 'Pod'),
      'sink deliveries': readFileSync(e2e.system.files.sinkDeliveries, 'utf8'),
    };
    for (const t of names) {
      for (const dir of podDirsOf(t)) {
        for (const file of filesUnder(join(dir, 'containers')).filter((f) => f.endsWith('.log') || f.endsWith('termination-log'))) places[`sync pod log ${file}`] = readFileSync(file, 'utf8');
      }
    }
    expect(Object.keys(places).filter((p) => p.startsWith('sync pod log')).length).toBeGreaterThanOrEqual(names.length);
    const secrets = secretForms(...names.map((t) => tenants[t].apiKey), sinkToken);
    const leaks = Object.entries(places).flatMap(([place, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${place}: ${s}`));
    expect(leaks).toEqual([]);
    reportScenario({
      scenario: 'Secrets never leak',
      rounds: '2 tenants, 2 runs with credential-quoting errors',
      checked: `${secrets.length} secret forms (plain, Basic, URL-encoded) absent from ${Object.keys(places).length} places: operator, kubelet and sync pod logs, termination messages, Events, status, ConfigMaps, Jobs, pods`,
      lost: 'no secret seen',
      seed: 0,
    });
  });
});

describe('tenant isolation', () => {
  it("a sync pod references only its own tenant's Secrets and mounts no service-account token", () => {
    for (const t of names) {
      const own = new Set<string>([tenants[t].credentials, tenants[t].sink]);
      const pods = podsOf[t] ?? [];
      expect(pods.length, t).toBeGreaterThan(0);
      for (const pod of pods) {
        const spec = pod.spec!;
        expect(spec.automountServiceAccountToken, pod.metadata?.name).toBe(false);
        const containers = [...spec.containers, ...(spec.initContainers ?? [])];
        const secretRefs = [
          ...containers.flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef?.name ? [e.valueFrom.secretKeyRef.name] : []))),
          ...containers.flatMap((c) => (c.envFrom ?? []).flatMap((e) => (e.secretRef?.name ? [e.secretRef.name] : []))),
          ...(spec.volumes ?? []).flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s) => s.secret?.name)].filter((n): n is string => !!n)),
        ];
        expect(new Set(secretRefs), pod.metadata?.name).toEqual(own);
        const tokenVolumes = (spec.volumes ?? []).filter((v) => v.name.startsWith('kube-api-access') || (v.projected?.sources ?? []).some((s) => s.serviceAccountToken));
        expect(tokenVolumes, pod.metadata?.name).toEqual([]);
        expect(containers.flatMap((c) => c.volumeMounts ?? []).filter((m) => m.mountPath.startsWith('/var/run/secrets/kubernetes.io'))).toEqual([]);
      }
    }
  });

  it("what the kubelet materialised for a tenant's pod holds nothing of the other tenant and no token", () => {
    for (const t of names) {
      const other = names.find((n) => n !== t)!;
      const dirs = podDirsOf(t);
      expect(dirs.length, t).toBeGreaterThan(0);
      for (const dir of dirs) {
        const files = filesUnder(dir).filter((f) => statSync(f).size < 10_000_000);
        expect(files.filter((f) => /serviceaccount|\/token$/.test(f)), dir).toEqual([]);
        const foreign = files.filter((f) => secretForms(tenants[other].apiKey).some((s) => readFileSync(f, 'utf8').includes(s)) || readFileSync(f, 'utf8').includes(tenants[other].credentials));
        expect(foreign, dir).toEqual([]);
      }
    }
  });
});
