// `npm run cluster:up` / `npm run cluster:down`: a local control plane for people, left running in
// the background. `up` prints the kubeconfig path on stdout (all else goes to stderr); `down` stops it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { adminTls, pkiPaths } from './certs.js';
import { startControlPlane } from './control-plane.js';
import { installCrds } from './crds.js';
import { ControlPlaneError } from './errors.js';
import { clusterDir } from './paths.js';
import { httpGet } from './probe.js';
import { isStale, readRunState, stopRecordedProcesses } from './run-state.js';

const usage = `usage: tsx test/controlplane/cli.ts up [--no-controller-manager] [--no-crds] | down

  up     start etcd, kube-apiserver and kube-controller-manager on loopback, install crds/,
         print the kubeconfig path, and leave them running (state in $TENANTSYNC_CLUSTER_DIR,
         default ~/.cache/tenant-sync/run/cluster)
  down   stop them and delete their data`;

const say = (line: string) => process.stderr.write(`[controlplane] ${line}\n`);

async function isServing(dir: string): Promise<boolean> {
  const state = await readRunState(dir);
  if (!state?.server || isStale(state)) return false;
  try {
    const answer = await httpGet(`${state.server}/readyz`, await adminTls(pkiPaths(join(dir, 'pki'))));
    return answer.status === 200;
  } catch {
    return false;
  }
}

async function stopCluster(dir: string): Promise<number> {
  const state = await readRunState(dir);
  const stopped = state ? await stopRecordedProcesses(state) : [];
  await rm(dir, { recursive: true, force: true });
  return stopped.length;
}

async function up(flags: Set<string>): Promise<void> {
  const dir = clusterDir();
  if (await isServing(dir)) {
    const state = await readRunState(dir);
    say(`already running: Kubernetes ${state?.kubernetesVersion} at ${state?.server} (stop it with npm run cluster:down)`);
    process.stdout.write(`${join(dir, 'kubeconfig')}\n`);
    return;
  }
  const leftovers = await stopCluster(dir);
  if (leftovers > 0) say(`stopped ${leftovers} process(es) of an earlier control plane that was no longer serving`);
  // Interrupted while starting: stop whatever was recorded so far instead of leaving it behind.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void stopCluster(dir).finally(() => process.exit(130)));
  }
  say(`starting in ${dir}`);
  const controlPlane = await startControlPlane({ lifetime: 'detached', dir, controllerManager: !flags.has('--no-controller-manager') });
  // A broken CRD must not take the cluster down with it: a person may be here to debug exactly that.
  const crds = flags.has('--no-crds')
    ? []
    : await installCrds(controlPlane.kubectlPath, controlPlane.kubeconfigPath).catch((error: unknown) => {
        say(`WARNING: the control plane runs, but installing crds/ failed: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      });
  say(`Kubernetes ${controlPlane.version} at ${controlPlane.server}, ready in ${(controlPlane.startupMs / 1000).toFixed(1)} s`);
  say(`components: ${controlPlane.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}; logs in ${join(dir, 'logs')}`);
  if (crds.length > 0) say(`installed ${crds.join(', ')}`);
  say(`kubectl: ${controlPlane.kubectlPath}`);
  say(`use it: export KUBECONFIG=${controlPlane.kubeconfigPath}; stop it: npm run cluster:down`);
  process.stdout.write(`${controlPlane.kubeconfigPath}\n`);
}

async function down(): Promise<void> {
  const dir = clusterDir();
  const state = await readRunState(dir);
  if (!state) {
    await rm(dir, { recursive: true, force: true });
    say(`no control plane recorded in ${dir}; nothing to stop`);
    return;
  }
  const stopped = await stopCluster(dir);
  say(`stopped ${stopped} process(es) and deleted ${dir}`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const flags = new Set(rest);
  if (command === 'up') await up(flags);
  else if (command === 'down') await down();
  else {
    process.stderr.write(`${usage}\n`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2)).then(
  // Exit explicitly: the detached control plane must not keep this process alive.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    const code = error instanceof ControlPlaneError ? ` [${error.code}]` : '';
    process.stderr.write(`[controlplane] failed${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
