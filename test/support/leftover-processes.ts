// Finds processes left behind by a run: ones whose command line or working directory mentions one of
// its directories, or whose pid was recorded while it ran. Reads /proc (Linux), like `ps -eo pid,args`.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface LiveProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  args: string;
  cwd: string | undefined;
}

function readProcess(pid: number): LiveProcess | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // Zombies have an empty command line: they are gone once reaped and hold nothing.
    if (raw === '') return undefined;
    let cwd: string | undefined;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      cwd = undefined; // another user's process
    }
    return { pid, args: raw.split('\0').filter(Boolean).join(' '), cwd };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** True while `pid` can be signalled; a negative pid asks for any process of process group -pid. */
export function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** This process and its parents (e.g. `npm run` and the tsx wrapper, whose args mention the same dirs). */
function selfAndAncestors(): Set<number> {
  const chain = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !chain.has(pid)) {
    chain.add(pid);
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return chain;
}

/** Every process but this one and its parents whose pid is in `pids` or whose args or cwd contain one of `markers`. */
export function leftoverProcesses(markers: readonly string[], pids: readonly number[] = []): LiveProcess[] {
  const wanted = new Set(pids);
  const ours = selfAndAncestors();
  const found: LiveProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (ours.has(pid)) continue;
    const live = readProcess(pid);
    if (live === undefined) continue;
    const mentions = markers.some((marker) => marker !== '' && (live.args.includes(marker) || (live.cwd ?? '').startsWith(marker)));
    if (wanted.has(pid) || mentions) found.push(live);
  }
  return found;
}

/** Polls until no leftover remains or `timeoutMs` passes; returns what is left. */
export async function waitForNoLeftovers(markers: readonly string[], pids: readonly number[] = [], timeoutMs = 10_000): Promise<LiveProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = leftoverProcesses(markers, pids);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}
