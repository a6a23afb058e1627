// The image table of the test kubelet: which local command plays which container image. There is no
// registry and no root filesystem; an image is only its ENTRYPOINT/CMD, mapped to a local argv.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KubeletError } from './errors.js';

export interface ImageEntry {
  /** The image's ENTRYPOINT as a local argv (argv[0] is looked up on PATH unless absolute). */
  entrypoint: string[];
  /** The image's CMD: appended when the container sets neither `command` nor `args`. */
  cmd?: string[];
  /** In-image executables a container's `command[0]` may name, mapped to a local argv. */
  commands?: Record<string, string[]>;
  /** Local working directory when the container sets none (default: the container's directory). */
  workingDir?: string;
}

/**
 * Keys: an exact image reference (`ghcr.io/x/y:1.2`), a repository without tag or digest (matches
 * every tag and digest of it), or a pattern with `*` (matches any characters). Values: an entry, or an
 * argv array as shorthand for `{ entrypoint: argv }`.
 */
export type ImageTable = Record<string, ImageEntry | string[]>;

/** Repositories of our sync image (the chart's syncImage and the name used in examples). */
export const defaultSyncImageRepositories = ['ghcr.io/tenant-sync/sync-job', 'ghcr.io/tenant-sync/tenant-sync'] as const;

/**
 * Which sync job the sync image runs: `dist` is the built one (`npm run build`), as the image holds;
 * `source` runs sync-job/main.ts through tsx, so tests never run a stale build.
 */
export type SyncJobFrom = 'dist' | 'source';

/** The sync job, run by the Node.js that runs the kubelet. */
export function syncJobImageEntry(repoRoot: string, from: SyncJobFrom = 'dist'): ImageEntry {
  const argv =
    from === 'dist'
      ? [process.execPath, join(repoRoot, 'dist', 'sync-job', 'main.js')]
      : // An absolute loader URL: the container's working directory is not the repository.
        [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, join(repoRoot, 'sync-job', 'main.ts')];
  return { entrypoint: argv, commands: { 'sync-job': argv } };
}

export function defaultImageTable(repoRoot: string, extraSyncImages: readonly string[] = [], from: SyncJobFrom = 'dist'): ImageTable {
  const entry = syncJobImageEntry(repoRoot, from);
  return Object.fromEntries([...defaultSyncImageRepositories, ...extraSyncImages].map((image) => [image, entry]));
}

/** `repo/name:tag@sha256:…` → `repo/name` (a `:` before the last `/` is a registry port, not a tag). */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

function asEntry(value: ImageEntry | string[]): ImageEntry {
  return Array.isArray(value) ? { entrypoint: value } : value;
}

/** The entry for an image: exact reference first, then repository, then the first matching pattern. */
export function findImage(table: ImageTable, image: string): ImageEntry | undefined {
  const exact = table[image];
  if (exact !== undefined) return asEntry(exact);
  const byRepository = table[imageRepository(image)];
  if (byRepository !== undefined) return asEntry(byRepository);
  for (const [key, value] of Object.entries(table)) {
    if (key.includes('*') && globToRegExp(key).test(image)) return asEntry(value);
  }
  return undefined;
}

export function unknownImageMessage(image: string): string {
  return `image ${image} is not known to the test kubelet (map it with the kubelet's images table or --images)`;
}

/**
 * The argv of a container, with Kubernetes' rules: `command` replaces the ENTRYPOINT, `args`
 * replace the CMD (and the CMD is dropped when only `command` is set). A `command[0]` is translated
 * through the entry's `commands`, `node` becomes this Node.js, any other bare name is looked up on
 * PATH, and an absolute path must exist on this machine. `fromPod` maps each value the pod gave (its
 * `command` and `args`: $(VAR) expansion, then the path rewrite); the image's own entrypoint, CMD and
 * commands are paths of this machine and are never rewritten, even when the repo sits below a mount
 * path such as /tmp.
 */
export function containerArgv(
  entry: ImageEntry,
  image: string,
  podCommand: string[] | undefined,
  podArgs: string[] | undefined,
  fromPod: (value: string) => string = (value) => value,
): string[] {
  const command = podCommand?.map(fromPod);
  const args = podArgs?.map(fromPod);
  if (command === undefined || command.length === 0) {
    return [...entry.entrypoint, ...(args ?? entry.cmd ?? [])];
  }
  const [first, ...rest] = command as [string, ...string[]];
  const mapped = entry.commands?.[first];
  let head: string[];
  if (mapped !== undefined) head = mapped;
  else if (first === 'node') head = [process.execPath];
  else if (!isAbsolute(first) || existsSync(first)) head = [first];
  else {
    throw new KubeletError(
      'KUBELET_COMMAND_UNKNOWN',
      `command ${first} of image ${image} is not known to the test kubelet (add it to the image's "commands")`,
    );
  }
  return [...head, ...rest, ...(args ?? [])];
}

/** Parses the CLI's --images value: inline JSON, or the path of a JSON file holding the same. */
export function parseImageTable(json: string, source: string): ImageTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new KubeletError('KUBELET_BAD_OPTIONS', `${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KubeletError('KUBELET_BAD_OPTIONS', `${source} must be a JSON object of image → argv array or {entrypoint, cmd?, commands?}`);
  }
  const table: ImageTable = {};
  for (const [image, value] of Object.entries(parsed)) {
    const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');
    if (isArgv(value)) table[image] = value;
    else if (typeof value === 'object' && value !== null && isArgv((value as ImageEntry).entrypoint)) table[image] = value as ImageEntry;
    else throw new KubeletError('KUBELET_BAD_OPTIONS', `${source}: image ${image} must map to a non-empty argv array or {entrypoint: [...]}`);
  }
  return table;
}
