// Pod volumes materialised as directories of the per-pod directory: emptyDir, configMap, secret,
// downwardAPI and projected. Planning is pure (files with contents and modes); writing is the edge.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { V1ConfigMap, V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1Secret, V1Volume } from '@kubernetes/client-node';
import { configMapEntries, missingConfigError, secretEntries, type ConfigSources } from './config-sources.js';
import { fieldRefValue, resourceFieldRefValue, type PodAddresses } from './downward-api.js';
import { KubeletError } from './errors.js';

export interface VolumeFile {
  /** Relative to the volume's directory. */
  path: string;
  content: Buffer;
  mode: number;
}

export interface VolumePlan {
  name: string;
  files: VolumeFile[];
}

export const defaultVolumeFileMode = 0o644;
export const supportedVolumeTypes = ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected'] as const;

export interface VolumeContext {
  pod: V1Pod;
  sources: ConfigSources;
  addresses: PodAddresses;
  allocatable: Record<string, string>;
}

function mountError(volume: string, error: unknown): never {
  if (error instanceof KubeletError) {
    throw new KubeletError(error.code, `MountVolume.SetUp failed for volume "${volume}" : ${error.message}`);
  }
  throw error;
}

/** A relative path that stays inside the volume (the API validates this too; never trust it twice). */
function safeRelative(path: string, volume: string): string {
  const normal = posix.normalize(path);
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../')) {
    throw new KubeletError('KUBELET_UNSUPPORTED', `volume "${volume}": path ${path} leaves the volume`);
  }
  return normal;
}

function keyFiles(
  entries: Map<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  describe: string,
  volume: string,
): VolumeFile[] {
  if (items === undefined || items.length === 0) {
    return [...entries].map(([key, content]) => ({ path: safeRelative(key, volume), content, mode: defaultMode }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = entries.get(item.key);
    if (content === undefined) {
      if (optional) continue;
      throw missingConfigError(`${describe} references non-existent config key: ${item.key}`);
    }
    files.push({ path: safeRelative(item.path, volume), content, mode: item.mode ?? defaultMode });
  }
  return files;
}

function configMapFiles(
  source: { name?: string; items?: V1KeyToPath[]; optional?: boolean },
  sources: ConfigSources,
  defaultMode: number,
  volume: string,
): VolumeFile[] {
  const configMap: V1ConfigMap | undefined = sources.configMaps.get(source.name ?? '');
  if (configMap === undefined) {
    if (source.optional) return [];
    throw missingConfigError(`configmap "${source.name ?? ''}" not found`);
  }
  return keyFiles(configMapEntries(configMap), source.items, defaultMode, source.optional ?? false, 'configMap', volume);
}

function secretFiles(
  source: { name?: string; items?: V1KeyToPath[]; optional?: boolean },
  sources: ConfigSources,
  defaultMode: number,
  volume: string,
): VolumeFile[] {
  const secret: V1Secret | undefined = sources.secrets.get(source.name ?? '');
  if (secret === undefined) {
    if (source.optional) return [];
    throw missingConfigError(`secret "${source.name ?? ''}" not found`);
  }
  return keyFiles(secretEntries(secret), source.items, defaultMode, source.optional ?? false, 'secret', volume);
}

function downwardFiles(items: V1DownwardAPIVolumeFile[], context: VolumeContext, defaultMode: number, volume: string): VolumeFile[] {
  return items.map((item) => {
    let value = '';
    if (item.fieldRef) value = fieldRefValue(context.pod, item.fieldRef, context.addresses);
    else if (item.resourceFieldRef) {
      const containerName = item.resourceFieldRef.containerName;
      const container = context.pod.spec?.containers.find((c) => c.name === containerName) ?? context.pod.spec?.containers[0];
      if (container === undefined) throw missingConfigError(`container ${containerName ?? ''} not found`);
      value = resourceFieldRefValue(container, item.resourceFieldRef, context.allocatable);
    }
    return { path: safeRelative(item.path, volume), content: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode };
  });
}

function projectedFiles(volume: V1Volume, context: VolumeContext): VolumeFile[] {
  const projected = volume.projected ?? {};
  const mode = projected.defaultMode ?? defaultVolumeFileMode;
  const files: VolumeFile[] = [];
  for (const source of projected.sources ?? []) {
    if (source.configMap) files.push(...configMapFiles(source.configMap, context.sources, mode, volume.name));
    else if (source.secret) files.push(...secretFiles(source.secret, context.sources, mode, volume.name));
    else if (source.downwardAPI) files.push(...downwardFiles(source.downwardAPI.items ?? [], context, mode, volume.name));
    else if (source.serviceAccountToken) {
      const token = context.sources.serviceAccountTokens.get(source.serviceAccountToken.audience ?? '');
      if (token === undefined) throw missingConfigError(`no service account token for audience "${source.serviceAccountToken.audience ?? ''}"`);
      files.push({ path: safeRelative(source.serviceAccountToken.path, volume.name), content: Buffer.from(token.token), mode });
    } else {
      throw new KubeletError('KUBELET_UNSUPPORTED', `volume "${volume.name}": this projected source is not supported by the test kubelet`);
    }
  }
  return files;
}

/** The files of one volume. Throws KUBELET_CONFIG_MISSING (retry later) or KUBELET_UNSUPPORTED (fail the pod). */
export function planVolume(volume: V1Volume, context: VolumeContext): VolumePlan {
  try {
    if (volume.emptyDir) return { name: volume.name, files: [] };
    if (volume.configMap) {
      const mode = volume.configMap.defaultMode ?? defaultVolumeFileMode;
      return { name: volume.name, files: configMapFiles(volume.configMap, context.sources, mode, volume.name) };
    }
    if (volume.secret) {
      const mode = volume.secret.defaultMode ?? defaultVolumeFileMode;
      const source = { name: volume.secret.secretName, items: volume.secret.items, optional: volume.secret.optional };
      return { name: volume.name, files: secretFiles(source, context.sources, mode, volume.name) };
    }
    if (volume.downwardAPI) {
      const mode = volume.downwardAPI.defaultMode ?? defaultVolumeFileMode;
      return { name: volume.name, files: downwardFiles(volume.downwardAPI.items ?? [], context, mode, volume.name) };
    }
    if (volume.projected) return { name: volume.name, files: projectedFiles(volume, context) };
  } catch (error) {
    mountError(volume.name, error);
  }
  const type = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
  throw new KubeletError(
    'KUBELET_UNSUPPORTED',
    `volume "${volume.name}": ${type} volumes are not supported by the test kubelet (supported: ${supportedVolumeTypes.join(', ')})`,
  );
}

export function volumeDir(podDir: string, volumeName: string): string {
  return join(podDir, 'volumes', volumeName);
}

/** Writes a planned volume. Files stay owner-writable so the pod directory can always be removed. */
export async function writeVolume(podDir: string, plan: VolumePlan): Promise<void> {
  const root = volumeDir(podDir, plan.name);
  await mkdir(root, { recursive: true });
  for (const file of plan.files) {
    const target = join(root, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    await chmod(target, file.mode | 0o200);
  }
}
