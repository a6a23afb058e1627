// etcd for one control plane: a single member on loopback with its data in the run directory,
// fsync off (the data is thrown away), ready when /health says so.
import { join } from 'node:path';
import { waitUntilReady } from './probe.js';
import { startComponent, type Component, type Lifetime } from './processes.js';

export interface EtcdPorts {
  clientPort: number;
  peerPort: number;
}

export function etcdArgs(dataDir: string, ports: EtcdPorts): string[] {
  const clientUrl = `http://127.0.0.1:${ports.clientPort}`;
  const peerUrl = `http://127.0.0.1:${ports.peerPort}`;
  return [
    '--name=default',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

const etcdReadyTimeoutMs = 60_000;

export async function startEtcd(options: { binary: string; runDir: string; ports: EtcdPorts; lifetime: Lifetime; onSpawn: (c: Component) => Promise<void> }): Promise<{ component: Component; url: string }> {
  const component = startComponent({
    name: 'etcd',
    command: options.binary,
    args: etcdArgs(join(options.runDir, 'etcd-data'), options.ports),
    logPath: join(options.runDir, 'logs', 'etcd.log'),
    lifetime: options.lifetime,
  });
  await options.onSpawn(component);
  const url = `http://127.0.0.1:${options.ports.clientPort}`;
  await waitUntilReady({
    component,
    url: `${url}/health`,
    timeoutMs: etcdReadyTimeoutMs,
    isReady: (answer) => answer.status === 200 && /"health"\s*:\s*"true"/.test(answer.body),
  });
  return { component, url };
}
