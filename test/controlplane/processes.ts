// Child processes of the control plane: spawned in their own process group with logs to a file,
// tied to this process's life by the kernel (setpriv --pdeathsig) unless meant to outlive it.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ControlPlaneError } from './errors.js';

export interface ProcessIdentity {
  pid: number;
  /** Kernel start time (clock ticks since boot): tells a live process from a reused pid. */
  startTime: number;
}

export interface Component extends ProcessIdentity {
  name: string;
  logPath: string;
  /** Resolves when the process exits (only observable for processes this process spawned). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

export type Lifetime = 'owned' | 'detached';

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  setprivAvailable ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  return setprivAvailable;
}

/**
 * Starts `command` with stdout/stderr appended to `logPath`, in a new session (process group =
 * pid). `owned`: the kernel SIGKILLs it when this process dies, however it dies (PR_SET_PDEATHSIG
 * via setpriv, from util-linux). `detached`: it keeps running after this process exits.
 */
export function startComponent(options: {
  name: string;
  command: string;
  args: readonly string[];
  logPath: string;
  lifetime: Lifetime;
  env?: NodeJS.ProcessEnv;
}): Component {
  const { name, command, args, logPath, lifetime } = options;
  const useSetpriv = lifetime === 'owned' && hasSetpriv();
  if (lifetime === 'owned' && !useSetpriv) {
    process.stderr.write(`[controlplane] setpriv (util-linux) not found: ${name} is killed on exit and reaped at the next start, but not if this process is SIGKILLed\n`);
  }
  const [file, argv] = useSetpriv ? ['setpriv', ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
  const logFd = openSync(logPath, 'a');
  let exitedFlag = false;
  try {
    const child = spawn(file, argv, { stdio: ['ignore', logFd, logFd], detached: true, env: options.env ?? process.env });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('error', (error) => {
        exitedFlag = true;
        resolve({ code: 127, signal: null });
        process.stderr.write(`[controlplane] could not start ${name}: ${error.message}\n`);
      });
      child.on('exit', (code, signal) => {
        exitedFlag = true;
        resolve({ code, signal });
      });
    });
    if (child.pid === undefined) throw new ControlPlaneError('CONTROLPLANE_COMPONENT_EXITED', `could not start ${name} (${command})`);
    if (lifetime === 'detached') child.unref();
    return { name, logPath, pid: child.pid, startTime: processStartTime(child.pid) ?? 0, exited, hasExited: () => exitedFlag };
  } finally {
    closeSync(logFd);
  }
}

interface ProcStat { state: string; startTime: number }

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

export function processStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/** True when this exact process (same pid AND start time) is running; a zombie counts as dead. */
export function isAlive(identity: ProcessIdentity): boolean {
  const stat = readProcStat(identity.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return identity.startTime === 0 || stat.startTime === identity.startTime;
}

/** Signals the process group of a component (it leads its own session), then the pid itself. */
export function signalComponent(identity: ProcessIdentity, signal: NodeJS.Signals): void {
  if (!isAlive(identity)) return;
  for (const target of [-identity.pid, identity.pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone, or the group is empty: nothing to signal.
    }
  }
}

const pollIntervalMs = 50;
export const stopGracePeriodMs = 10_000;

/** SIGTERM, wait up to the grace period, then SIGKILL and wait until the process is gone. */
export async function stopProcess(identity: ProcessIdentity, gracePeriodMs = stopGracePeriodMs): Promise<void> {
  signalComponent(identity, 'SIGTERM');
  const deadline = Date.now() + gracePeriodMs;
  while (isAlive(identity) && Date.now() < deadline) await sleep(pollIntervalMs);
  if (!isAlive(identity)) return;
  signalComponent(identity, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (isAlive(identity) && Date.now() < killDeadline) await sleep(pollIntervalMs);
  if (isAlive(identity)) {
    throw new ControlPlaneError('CONTROLPLANE_STOP_FAILED', `process ${identity.pid} survived SIGKILL; check it with ps -p ${identity.pid}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const logTailBytes = 8 * 1024;
const logTailLines = 40;

/** The last lines of a component log, for error messages. */
export async function logTail(logPath: string): Promise<string> {
  try {
    const file = await open(logPath, 'r');
    try {
      const { size } = await file.stat();
      const start = Math.max(0, size - logTailBytes);
      const buffer = Buffer.alloc(size - start);
      await file.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8').split('\n').slice(-logTailLines).join('\n').trimEnd();
    } finally {
      await file.close();
    }
  } catch {
    return '(no log)';
  }
}
