// A container as a local process: its own process group (killing the group kills what it spawned),
// stdout and stderr appended to the container's log file, and SIGKILL if the kubelet itself dies.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

export interface ProcessExit {
  exitCode: number;
  /** Number of the signal that ended it, if one did. */
  signal?: number;
  finishedAt: Date;
  /** Set when the process could not be started at all (the runtime's StartError). */
  startError?: string;
}

export interface ContainerProcess {
  pid: number;
  startedAt: Date;
  exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** Signals the whole process group; a no-op once it has exited. */
  signal(signal: NodeJS.Signals): void;
}

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  setprivAvailable ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  return setprivAvailable;
}

/** `name` resolved on PATH (or checked, when it has a slash), or undefined when not executable. */
export function resolveExecutable(name: string, path: string | undefined, cwd: string): string | undefined {
  const executable = (candidate: string): boolean => {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (name.includes('/')) {
    const candidate = isAbsolute(name) ? name : join(cwd, name);
    return executable(candidate) ? candidate : undefined;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function signalNumber(signal: NodeJS.Signals | null): number | undefined {
  return signal === null ? undefined : (osConstants.signals as Record<string, number>)[signal];
}

function failedToStart(message: string): ContainerProcess {
  const now = new Date();
  return {
    pid: 0,
    startedAt: now,
    exited: Promise.resolve({ exitCode: 128, finishedAt: now, startError: message }),
    hasExited: () => true,
    signal: () => undefined,
  };
}

/**
 * Starts argv in cwd with exactly `env`. Exit codes follow container runtimes: the process's code,
 * or 128 + the signal number when a signal ended it; 128 with `startError` when it never started.
 */
export function startContainerProcess(options: { argv: string[]; cwd: string; env: Record<string, string>; logPath: string }): ContainerProcess {
  const [command, ...args] = options.argv;
  const executable = command === undefined ? undefined : resolveExecutable(command, options.env.PATH, options.cwd);
  if (executable === undefined) {
    return failedToStart(`exec: "${command ?? ''}": executable file not found in $PATH`);
  }
  const [file, argv] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', executable, ...args]] : [executable, args];
  const logFd = openSync(options.logPath, 'a');
  let done = false;
  try {
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', logFd, logFd], detached: true });
    const startedAt = new Date();
    const pid = child.pid ?? 0;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // The group is already empty.
      }
    };
    const exited = new Promise<ProcessExit>((resolve) => {
      child.on('error', (error) => {
        done = true;
        resolve({ exitCode: 128, finishedAt: new Date(), startError: error.message });
      });
      child.on('exit', (code, signal) => {
        done = true;
        // Like a container whose PID 1 exits: whatever it left behind in its group dies with it.
        signalGroup('SIGKILL');
        const number = signalNumber(signal);
        resolve({ exitCode: code ?? 128 + (number ?? 9), ...(number !== undefined ? { signal: number } : {}), finishedAt: new Date() });
      });
    });
    return {
      pid,
      startedAt,
      exited,
      hasExited: () => done,
      signal: (signal) => {
        if (!done && pid > 0) signalGroup(signal);
      },
    };
  } finally {
    closeSync(logFd);
  }
}
