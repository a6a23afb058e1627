// The Node the test kubelet plays: registered Ready with InternalIP 127.0.0.1 and this machine's
// capacity, then kept fresh by heartbeats (the Ready condition and a Lease in kube-node-lease).
import { arch, availableParallelism, release, totalmem } from 'node:os';
import { PatchStrategy, setHeaderOptions, type CoordinationV1Api, type CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { isApiStatus } from './api-errors.js';
import { k8sTime } from './pod-status.js';

export const nodeLeaseNamespace = 'kube-node-lease';
export const nodeLeaseDurationSeconds = 40;
export const nodeHeartbeatIntervalMs = 10_000;
export const maxPodsPerNode = 110;
export const kubeletVersion = 'v1.37.2-test-kubelet';

export interface NodeIdentity {
  name: string;
  hostIP: string;
  labels: Record<string, string>;
}

/** Capacity = allocatable: this machine's CPUs and memory, and a pod count like the kubelet's default. */
export function nodeAllocatable(): Record<string, string> {
  return {
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: String(maxPodsPerNode),
    'ephemeral-storage': '100Gi',
  };
}

export function nodeLabels(identity: Pick<NodeIdentity, 'name' | 'labels'>): Record<string, string> {
  return {
    'kubernetes.io/hostname': identity.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
    'node.kubernetes.io/instance-type': 'test-kubelet',
    ...identity.labels,
  };
}

function nodeConditions(now: Date): Record<string, unknown>[] {
  const time = k8sTime(now);
  const ok = (type: string, reason: string, message: string) => ({
    type,
    status: 'False',
    reason,
    message,
    lastHeartbeatTime: time,
    lastTransitionTime: time,
  });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    ok('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    { ...ok('Ready', 'KubeletReady', 'test kubelet is posting ready status'), status: 'True' },
  ];
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Creates the Node (or takes over an existing one of the same name) and writes its status. */
export async function registerNode(core: CoreV1Api, identity: NodeIdentity): Promise<void> {
  const node: V1Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: identity.name, labels: nodeLabels(identity) },
    spec: {},
  };
  try {
    await core.createNode({ body: node });
  } catch (error) {
    if (!isApiStatus(error, 409)) throw error;
    await core.patchNode({ name: identity.name, body: { metadata: { labels: nodeLabels(identity) }, spec: { unschedulable: null, taints: null } } }, mergePatch);
  }
  const allocatable = nodeAllocatable();
  await core.patchNodeStatus(
    {
      name: identity.name,
      body: {
        status: {
          capacity: allocatable,
          allocatable,
          conditions: nodeConditions(new Date()),
          addresses: [
            { type: 'InternalIP', address: identity.hostIP },
            { type: 'Hostname', address: identity.name },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
          nodeInfo: {
            machineID: identity.name,
            systemUUID: identity.name,
            bootID: identity.name,
            kernelVersion: release(),
            osImage: 'test kubelet (local processes)',
            containerRuntimeVersion: 'test-kubelet://1',
            kubeletVersion,
            kubeProxyVersion: '',
            operatingSystem: 'linux',
            architecture: nodeLabels(identity)['kubernetes.io/arch'],
          },
        },
      },
    },
    mergePatch,
  );
}

/** One heartbeat: the Ready condition's lastHeartbeatTime and the node Lease's renewTime. */
export async function heartbeat(core: CoreV1Api, coordination: CoordinationV1Api, identity: NodeIdentity): Promise<void> {
  const now = new Date();
  const node = await core.readNodeStatus({ name: identity.name });
  const previous = node.status?.conditions ?? [];
  const conditions = nodeConditions(now).map((c) => {
    const before = previous.find((p) => p.type === c.type);
    const since = before !== undefined && before.status === c.status ? before.lastTransitionTime : undefined;
    return since ? { ...c, lastTransitionTime: k8sTime(new Date(since)) } : c;
  });
  await core.patchNodeStatus({ name: identity.name, body: { status: { conditions } } }, mergePatch);
  const renewTime = now.toISOString().replace(/Z$/, '000Z');
  try {
    await coordination.patchNamespacedLease(
      { name: identity.name, namespace: nodeLeaseNamespace, body: { spec: { holderIdentity: identity.name, leaseDurationSeconds: nodeLeaseDurationSeconds, renewTime } } },
      mergePatch,
    );
  } catch (error) {
    if (!isApiStatus(error, 404)) throw error;
    await coordination.createNamespacedLease({
      namespace: nodeLeaseNamespace,
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: identity.name,
          namespace: nodeLeaseNamespace,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: identity.name, uid: node.metadata?.uid ?? '' }],
        },
        // client-node would send a Date with milliseconds; MicroTime needs six fractional digits.
        spec: { holderIdentity: identity.name, leaseDurationSeconds: nodeLeaseDurationSeconds, renewTime: renewTime as unknown as Date },
      },
    });
  }
}
