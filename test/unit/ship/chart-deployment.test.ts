// The operator Deployment the chart renders (`helm template`), read the way the kubelet and the operator
// read it: two replicas with leader election by default, probes on the operator's own /healthz and
// /readyz at the port its --health-addr argument listens on, resource requests, and a topology spread
// that selects exactly the operator's pods.
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../operator/config.js';
import { parseListenAddress } from '../../../operator/runtime/health-server.js';
import { findDeployment, findObject, operatorArgs, renderChart, runHelm, chartDir, valuesFile } from '../../helm/helm.js';
import { missingToolMessage, shipTool } from '../../helm/tools.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[chart-deployment.test] skipped: ${skipReason}`);

const namespace = 'tenant-sync-system';

async function render(values?: Record<string, unknown>) {
  const { objects } = await renderChart({ release: 'ts', namespace, values });
  const deployment: V1Deployment = findDeployment(objects);
  const container: V1Container = deployment.spec!.template.spec!.containers[0]!;
  const args = operatorArgs(objects);
  const config = parseConfig(args, { POD_NAMESPACE: namespace }, () => undefined);
  return { objects, deployment, container, args, config };
}

/** The container port a probe's httpGet.port points at (by name or number). */
function probePort(container: V1Container, probe: 'livenessProbe' | 'readinessProbe'): number | undefined {
  const port = container[probe]?.httpGet?.port;
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

describe.skipIf(skipReason !== undefined)('the chart Deployment (helm template)', () => {
  it('runs 2 replicas by default, with leader election on a Lease in the release namespace', async () => {
    const { deployment, config, objects } = await render();
    expect(deployment.spec!.replicas).toBe(2);
    expect(config.leaderElect).toBe(true);
    expect(config.leaseNamespace).toBe(namespace);
    // The lease Role lets the operator's ServiceAccount update exactly that Lease.
    const leaseRole = objects.find((o) => o.kind === 'Role' && JSON.stringify(o).includes('coordination.k8s.io')) as unknown as {
      rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[];
    };
    expect(leaseRole.rules.some((r) => r.resources.includes('leases') && r.resourceNames?.includes(config.leaseName) && r.verbs.includes('update'))).toBe(true);
  });

  it('keeps leader election on for every replicas > 1, and refuses to turn it off there', async () => {
    for (const replicas of [2, 3, 5]) {
      const { deployment, config } = await render({ replicas });
      expect(deployment.spec!.replicas).toBe(replicas);
      expect(config.leaderElect, `replicas ${replicas}`).toBe(true);
    }
    const off = await runHelm(['template', 'ts', chartDir, '-f', valuesFile({ replicas: 3, leaderElection: { enabled: false } })]);
    expect(off.code).not.toBe(0);
    expect(off.stderr).toMatch(/replicas is 3 but leaderElection.enabled is false/);
    // One replica may run without it.
    const single = await render({ replicas: 1, leaderElection: { enabled: false } });
    expect(single.config.leaderElect).toBe(false);
  });

  for (const port of [undefined, 9443]) {
    it(`probes /healthz (liveness) and /readyz (readiness) on the named port the operator listens on (${port ?? 'default port'})`, async () => {
      const { container, config } = await render(port === undefined ? undefined : { port });
      const listening = parseListenAddress(config.healthAddress).port;
      expect(listening).toBe(port ?? 8080);
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
        expect(typeof container[probe]?.httpGet?.port, `${probe} uses a named port`).toBe('string');
        expect(probePort(container, probe), probe).toBe(listening);
      }
    });
  }

  it('the metrics Service targets the port the operator listens on', async () => {
    const { objects, container, config } = await render({ port: 9443 });
    const service = findObject(objects, 'Service') as unknown as { spec: { ports: { targetPort: string | number }[] } };
    const target = service.spec.ports[0]!.targetPort;
    const targetPort = typeof target === 'number' ? target : container.ports?.find((p) => p.name === target)?.containerPort;
    expect(targetPort).toBe(parseListenAddress(config.healthAddress).port);
  });

  it('requests CPU and memory', async () => {
    const { container } = await render();
    expect(container.resources?.requests?.cpu).toBeTruthy();
    expect(container.resources?.requests?.memory).toBeTruthy();
    expect(container.resources?.limits?.memory).toBeTruthy();
  });

  it('has a read-only root filesystem with an emptyDir at /tmp (the image sets HOME=/tmp)', async () => {
    const { deployment, container } = await render();
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(tmp?.readOnly).not.toBe(true);
    expect(deployment.spec!.template.spec!.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it("spreads the pods with a labelSelector that is the Deployment's pod selector", async () => {
    const { deployment } = await render({ podLabels: { team: 'platform' } });
    const selector = deployment.spec!.selector.matchLabels!;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    // The selector selects the pods: every label of it is on the pod template.
    expect(deployment.spec!.template.metadata!.labels).toMatchObject(selector);
    const spread = deployment.spec!.template.spec!.topologySpreadConstraints ?? [];
    expect(spread.map((c) => c.topologyKey).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const constraint of spread) {
      expect(constraint.labelSelector, constraint.topologyKey).toEqual({ matchLabels: selector });
    }
  });

  it('keeps a labelSelector the user gives', async () => {
    const own = { matchLabels: { app: 'mine' } };
    const { deployment } = await render({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: own }] });
    expect(deployment.spec!.template.spec!.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: own }]);
  });
});
