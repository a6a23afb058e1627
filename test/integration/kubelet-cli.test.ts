// The test kubelet's CLI (`tsx test/kubelet/main.ts`), as `npm run local` runs it: it plays a node
// with an --images file, and SIGTERM stops it and every container process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeConfig, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { repoRootDir } from '../kubelet/kubelet.js';
import { podDirName } from '../kubelet/pod-worker.js';
import { waitFor, waitForPod } from '../kubelet/wait-for.js';
import { signalable } from '../support/leftover-processes.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const mainScript = join(repoRootDir, 'test', 'kubelet', 'main.ts');

let ns: TestNamespace;
let workDir: string;
let nodeName: string;

function runCli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript, ...args], { cwd: repoRootDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function createPod(name: string, image: string): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{ name: 'main', image, env: [{ name: 'RESULT', value: '/dev/termination-log' }] }],
      },
    },
  });
}

beforeAll(async () => {
  ns = await createTestNamespace('kubelet-cli');
  workDir = await mkdtemp(join(tmpdir(), 'tenant-sync-kubelet-cli-'));
  nodeName = `kubelet-cli-${ns.name}`;
});

afterAll(async () => {
  // The CLI is gone: force-delete what is bound to its node so the namespace can go.
  for (const pod of (await core.listNamespacedPod({ namespace: ns.name })).items) {
    await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace: ns.name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  await core.deleteNode({ name: nodeName }).catch(() => undefined);
  await core.deleteNode({ name: `${nodeName}-late` }).catch(() => undefined);
  await ns?.cleanup();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('test kubelet CLI', () => {
  it('plays a node with an --images file until SIGTERM, then leaves no container process running', async () => {
    const imagesFile = join(workDir, 'images.json');
    await writeFile(
      imagesFile,
      JSON.stringify({
        'test.local/hello': ['node', '-e', `require('fs').writeFileSync(process.env.RESULT, 'hello from the CLI kubelet')`],
        'test.local/sleeper': ['node', '-e', `console.log('ready pid=' + process.pid); setInterval(() => {}, 1000)`],
      }),
    );
    const cli = runCli(['--kubeconfig', testKubeconfigPath(), '--node-name', nodeName, '--work-dir', workDir, '--images', imagesFile, '--namespace', ns.name]);
    try {
      await waitFor('the CLI kubelet to be Ready', 60_000, async () => (cli.output().includes('is Ready') ? true : undefined), cli.output);
      const node = await core.readNode({ name: nodeName });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

      await createPod('hello', 'test.local/hello');
      const hello = await waitForPod(core, ns.name, 'hello', 'to succeed', (p) => p.status?.phase === 'Succeeded');
      expect(hello.spec?.nodeName).toBe(nodeName);
      expect(hello.status?.containerStatuses?.[0]?.state?.terminated?.message).toBe('hello from the CLI kubelet');

      const sleeper = await createPod('sleeper', 'test.local/sleeper');
      await waitForPod(core, ns.name, 'sleeper', 'to run', (p) => p.status?.phase === 'Running');
      const log = join(workDir, 'pods', podDirName(sleeper), 'containers', 'main', '0.log');
      const pid = await waitFor(`${log} to say ready`, 30_000, async () => {
        const match = /ready pid=(\d+)/.exec(await readFile(log, 'utf8').catch(() => ''));
        return match ? Number(match[1]) : undefined;
      });
      expect(signalable(pid)).toBe(true);

      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(signalable(pid)).toBe(false);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('waits for an API server that does not answer yet and registers once it does, as a kubelet after a node restart', async () => {
    // A kubeconfig aimed at a port nothing listens on; 2 s after the first refused attempt a TCP pipe to the
    // API server opens there (the TLS session is the API server's own, so its certificate still matches).
    const apiserver = new URL(testKubeConfig().getCurrentCluster()?.server ?? '');
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as { port: number }).port;
    await new Promise((resolve) => spare.close(resolve));
    const kubeconfig = join(workDir, 'late-kubeconfig');
    await writeFile(kubeconfig, (await readFile(testKubeconfigPath(), 'utf8')).replaceAll(apiserver.origin, `https://127.0.0.1:${port}`));
    const late = `${nodeName}-late`;
    const cli = runCli(['--kubeconfig', kubeconfig, '--node-name', late, '--work-dir', join(workDir, 'late'), '--namespace', ns.name]);
    const sockets = new Set<Socket>();
    let pipe: Server | undefined;
    try {
      await waitFor('a refused registration', 60_000, async () => (cli.output().includes('registering the node failed') ? true : undefined), cli.output);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(cli.child.exitCode, cli.output()).toBe(null); // still trying, not gone
      pipe = createServer((socket) => {
        const upstream = connect(Number(apiserver.port), apiserver.hostname);
        for (const s of [socket, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
        }
        socket.pipe(upstream).pipe(socket);
      });
      await new Promise<void>((resolve) => pipe!.listen(port, '127.0.0.1', resolve));
      await waitFor('the late kubelet to be Ready', 60_000, async () => (cli.output().includes('is Ready') ? true : undefined), cli.output);
      const node = await core.readNode({ name: late });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => (pipe ? pipe.close(resolve) : resolve(undefined)));
    }
  });

  it('refuses a malformed --images map with exit code 2 and says what shape it wants', async () => {
    const cli = runCli(['--kubeconfig', testKubeconfigPath(), '--images', '{"test.local/x": 5}']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain('image test.local/x must map to a non-empty argv array');
  });
});
