// One bad namespace does not block all: the operator, as the chart's ServiceAccount in namespaces mode, is
// told to watch a namespace the chart gave it no Role in. It serves the healthy namespace at once and reports
// the broken one — a log line, tenantsync_informer_forbidden and /readyz naming the namespace and the missing
// rule — and serves it as soon as the Role is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../operator/config.js';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';
import { findObject, operatorArgs, renderChart } from '../helm/helm.js';
import { missingToolMessage, shipTool } from '../helm/tools.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { waitFor } from './operator-helpers.js';
import { apply, createSecret, rbacKinds, serviceAccountKubeconfig, tenantSyncYaml, waitTimeout } from './rbac-helpers.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[rbac-namespaces.test] skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('a watched namespace without RBAC (namespaces mode)', () => {
  let release: TestNamespace;
  let healthy: TestNamespace;
  let broken: TestNamespace;
  let operator: OperatorProcess | undefined;
  let brokenRbac = '';

  beforeAll(async () => {
    [release, healthy, broken] = (await Promise.all(['nsrb-rel', 'nsrb-ok', 'nsrb-bad'].map((p) => createTestNamespace(p)))) as [TestNamespace, TestNamespace, TestNamespace];
    const render = (namespaces: string[]) => renderChart({ release: `nsrb-${release.name.slice(-5)}`, namespace: release.name, values: { watch: { mode: 'namespaces', namespaces } } });
    // The chart is installed for the healthy namespace only; the operator is then told to watch both.
    const { objects } = await render([healthy.name]);
    await apply(objects.filter((o) => rbacKinds.has(o.kind)).map((o) => stringify(o)).join('---\n'));
    const both = await render([healthy.name, broken.name]);
    brokenRbac = both.objects
      .filter((o) => (o.kind === 'Role' || o.kind === 'RoleBinding') && o.metadata.namespace === broken.name)
      .map((o) => stringify(o))
      .join('---\n');
    const args = operatorArgs(both.objects).filter((a) => !/^--(health-addr|log-level)=/.test(a));
    expect(parseConfig(args, { POD_NAMESPACE: release.name }).namespaces).toEqual([healthy.name, broken.name]);
    const kubeconfig = await serviceAccountKubeconfig(release.name, findObject(objects, 'ServiceAccount')!.metadata.name);
    for (const ns of [healthy, broken]) await createSecret(ns.name, 'fd');
    operator = await startOperator({ kubeconfig, args, waitReady: false, env: { POD_NAMESPACE: release.name, POD_NAME: 'operator-0' } });
  });

  afterAll(async () => {
    await operator?.stop();
    await Promise.all([release, healthy, broken].map((ns) => ns?.cleanup()));
  });

  it('reconciles the healthy namespace while the other is refused', async () => {
    await apply(tenantSyncYaml(healthy.name, 'acme', 'fd'));
    const ready = await kubectl(['-n', healthy.name, 'wait', 'tsync/acme', '--for=condition=Ready', `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
    expect(ready.code, `${ready.stderr}\n${operator!.output().slice(-3000)}`).toBe(0);
  });

  it('reports the broken namespace and the missing rule: log, metric and /readyz', async () => {
    const logged = await operator!.waitForLog((l) => l.msg === 'RBAC refuses list/watch in this namespace; serving the others' && l.namespace === broken.name);
    expect(String(logged.missingRule)).toContain(`in namespace ${broken.name}`);
    expect(await operator!.metric('tenantsync_informer_forbidden', { informer: 'informer/tenantsyncs', namespace: broken.name })).toBe(1);
    expect(await operator!.metric('tenantsync_informer_forbidden', { namespace: healthy.name })).toBe(0);
    const readyz = await fetch(`${operator!.url}/readyz`);
    expect(readyz.status).toBe(503);
    const body = (await readyz.json()) as { problems?: string[] };
    expect(body.problems?.find((p) => p.startsWith('informer/tenantsyncs:'))).toMatch(
      new RegExp(`namespace ${broken.name} is not served: .*cannot list resource "tenantsyncs".*missing RBAC rule: apiGroups: \\["tenantsync.io"\\], resources: \\["tenantsyncs"\\]`),
    );
    expect(body.problems?.join('\n')).not.toContain(healthy.name);
  });

  it('serves the namespace once its Role exists, and turns ready', async () => {
    await apply(brokenRbac);
    await apply(tenantSyncYaml(broken.name, 'late', 'fd'));
    const ready = await kubectl(['-n', broken.name, 'wait', 'tsync/late', '--for=condition=Ready', `--timeout=${waitTimeout}`], { timeoutMs: 120_000 });
    expect(ready.code, `${ready.stderr}\n${operator!.output().slice(-3000)}`).toBe(0);
    await waitFor('readyz 200', () => operator!.isReady(), 60_000);
    expect(await operator!.metric('tenantsync_informer_forbidden', { namespace: broken.name })).toBe(0);
  });
});
