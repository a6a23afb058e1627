// CLI of the test kubelet (`tsx test/kubelet/main.ts --kubeconfig <file>`): plays one node until
// SIGINT/SIGTERM, then kills every container process it started and exits.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeletError } from './errors.js';
import { parseImageTable, type ImageTable } from './images.js';
import { defaultNodeName, repoRootDir, startTestKubelet } from './kubelet.js';

const usage = `Usage: tsx test/kubelet/main.ts --kubeconfig <file> [options]

Plays one Ready node: binds pending pods and runs their containers as local processes.

  --kubeconfig <file>     kubeconfig of the cluster (default: $KUBECONFIG)
  --node-name <name>      Node name (default: ${defaultNodeName})
  --work-dir <dir>        pod directories and kubelet.log (default: $TMPDIR/tenant-sync-kubelet/<node>)
  --images <json|file>    image → argv map, inline JSON or a JSON file, merged over the defaults:
                          {"example.com/img:1": ["node", "-e", "..."], "repo/x": {"entrypoint": [...], "cmd": [...]}}
  --sync-image <ref>      another image (or * pattern) that runs the built sync job (repeatable)
  --sync-job-from <dist|source>
                          run the built dist/sync-job/main.js (default) or sync-job/main.ts through tsx
  --no-default-images     do not map ghcr.io/tenant-sync/{sync-job,tenant-sync} to dist/sync-job/main.js
  --namespace <ns>        only bind and run pods in this namespace (repeatable; default: all)
  --keep-pod-dirs         keep pod directories after their pods are deleted
  -h, --help              this text
`;

function imagesFrom(value: string | undefined): ImageTable | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) return parseImageTable(trimmed, '--images');
  if (!existsSync(trimmed)) throw new KubeletError('KUBELET_BAD_OPTIONS', `--images ${value}: neither inline JSON nor an existing file`);
  return parseImageTable(readFileSync(trimmed, 'utf8'), trimmed);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      'work-dir': { type: 'string' },
      images: { type: 'string' },
      'sync-image': { type: 'string', multiple: true },
      'sync-job-from': { type: 'string' },
      'no-default-images': { type: 'boolean' },
      namespace: { type: 'string', multiple: true },
      'keep-pod-dirs': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const kubeconfigPath = values.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfigPath) throw new KubeletError('KUBELET_BAD_OPTIONS', '--kubeconfig (or $KUBECONFIG) is required');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const nodeName = values['node-name'] ?? defaultNodeName;
  const workDir = values['work-dir'] ?? join(tmpdir(), 'tenant-sync-kubelet', nodeName);
  const images = imagesFrom(values.images);
  const syncJobFrom = values['sync-job-from'] ?? 'dist';
  if (syncJobFrom !== 'dist' && syncJobFrom !== 'source') {
    throw new KubeletError('KUBELET_BAD_OPTIONS', `--sync-job-from must be dist or source, not ${syncJobFrom}`);
  }
  const syncJob = join(repoRootDir, 'dist', 'sync-job', 'main.js');
  if (values['no-default-images'] !== true && syncJobFrom === 'dist' && !existsSync(syncJob)) {
    console.error(`[kubelet] warning: ${syncJob} does not exist; run \`npm run build\` or sync pods will fail`);
  }
  const kubelet = await startTestKubelet({
    kubeConfig,
    nodeName,
    workDir,
    ...(images !== undefined ? { images } : {}),
    includeDefaultImages: values['no-default-images'] !== true,
    syncJobFrom,
    ...(values['sync-image'] ? { syncImages: values['sync-image'] } : {}),
    ...(values.namespace ? { namespaces: values.namespace } : {}),
    keepPodDirs: values['keep-pod-dirs'] === true,
    log: (line) => console.error(`[kubelet ${nodeName}] ${line}`),
  });
  console.error(`[kubelet] node ${nodeName} is Ready; pod directories under ${join(kubelet.workDir, 'pods')}`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`[kubelet] ${signal}: killing container processes`);
    kubelet.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`[kubelet] stop failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const code = error instanceof KubeletError ? ` (${error.code})` : '';
  console.error(`[kubelet] ${error instanceof Error ? error.message : String(error)}${code}`);
  process.exit(error instanceof KubeletError && error.code === 'KUBELET_BAD_OPTIONS' ? 2 : 1);
});
