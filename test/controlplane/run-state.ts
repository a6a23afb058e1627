// The state file of a running control plane (run directory/state.json): who owns it and which
// processes belong to it, so `cluster:down` can stop it and a later start can reap a dead owner's.
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, processStartTime, stopProcess, type Lifetime, type ProcessIdentity } from './processes.js';

export interface RecordedProcess extends ProcessIdentity {
  name: string;
}

export interface RunState {
  version: 1;
  lifetime: Lifetime;
  /** The process whose death ends an `owned` control plane. */
  owner: ProcessIdentity;
  dir: string;
  processes: RecordedProcess[];
  kubernetesVersion?: string;
  server?: string;
  kubeconfigPath?: string;
}

export const runStateFileName = 'state.json';

export function currentProcessIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 };
}

export async function writeRunState(state: RunState): Promise<void> {
  const path = join(state.dir, runStateFileName);
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

export async function readRunState(dir: string): Promise<RunState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dir, runStateFileName), 'utf8')) as RunState;
    return state.version === 1 && Array.isArray(state.processes) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Stops every recorded process that is still the same process (newest first: kcm, apiserver, etcd). */
export async function stopRecordedProcesses(state: RunState): Promise<RecordedProcess[]> {
  const alive = state.processes.filter(isAlive);
  for (const recorded of [...alive].reverse()) await stopProcess(recorded);
  return alive;
}

/** An owned run is stale when its owner is gone; a detached one when none of its processes runs. */
export function isStale(state: RunState): boolean {
  if (state.lifetime === 'owned') return !isAlive(state.owner);
  return !state.processes.some(isAlive);
}

const orphanDirMaxAgeMs = 60 * 60 * 1000;

/**
 * Kills the processes of test control planes whose owner died without cleaning up (only possible
 * where setpriv is missing, or between spawn and pdeathsig) and deletes their run directories.
 */
export async function reapStaleRuns(root: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith('run-'))) {
    const dir = join(root, entry);
    const state = await readRunState(dir);
    if (state) {
      if (!isStale(state)) continue;
      await stopRecordedProcesses(state);
    } else {
      const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs < orphanDirMaxAgeMs) continue; // may be starting right now
    }
    await rm(dir, { recursive: true, force: true });
  }
}
