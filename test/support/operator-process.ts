// Starts the operator as a real child process for tests (node + tsx on operator/main.ts, or the built
// dist/operator/main.js the image runs), on a free
// loopback port, captures its JSON logs, waits for /readyz, and stops it with SIGTERM or kills it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtOperator } from './build-output.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readyTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;
const pollMs = 200;

/**
 * The operator image's NODE_OPTIONS (its Dockerfile stage sets exactly these; test/unit/ship/dockerfile.test.ts
 * keeps the two equal): source maps for stack traces, and a young generation of 2 MiB semi-spaces instead of
 * V8's 16 MiB, which the operator-scale benchmark measured as most of the operator's RSS above its heap.
 */
export const operatorImageNodeOptions = '--enable-source-maps --max-semi-space-size=2';

/** The operator image's MALLOC_ARENA_MAX (its Dockerfile stage sets it; the same test keeps them equal). */
export const operatorImageMallocArenaMax = '2';

/** The chart's memory limit of the operator container, in MiB (test/unit/ship/chart-defaults.test.ts keeps them equal). */
export const operatorChartMemoryLimitMiB = 768;

/**
 * The V8 old-space limit Node 24 gives itself in a container with this memory limit: half of it, at least 256 MiB
 * (measured in a memory cgroup: 768 MiB → 384, 2 GiB → 1,024, 256 MiB → 256). Outside a container V8 sizes from the
 * machine's memory (4 GiB here) and lets its heap grow 4× before collecting; a benchmark passes this as
 * --max-old-space-size so the operator's heap behaves as in the chart's pod.
 */
export function nodeOldSpaceLimitMiB(containerLimitMiB: number): number {
  return Math.max(256, Math.floor(containerLimitMiB / 2));
}

export interface StartOperatorOptions {
  kubeconfig: string;
  /** --namespaces: keep each test's operator to its own namespaces. */
  namespaces?: string[];
  /** --lease-namespace / --lease-name; a test that runs several operators shares one Lease. */
  leaseNamespace?: string;
  leaseName?: string;
  /** Extra flags, e.g. ['--leader-elect=false', '--resync-period=5']. */
  args?: string[];
  env?: Record<string, string>;
  /** Wait until /readyz answers 200 (default true). */
  waitReady?: boolean;
  /** Log level (default debug, so tests can read what happened). */
  logLevel?: string;
  /**
   * What runs: `source` (default) is operator/main.ts under tsx; `dist` is the compiled dist/operator/main.js
   * (`npm run build`), as the image runs it — for the chaos suite and benchmarks, where tsx's CPU and memory
   * would be measured along with the operator's.
   */
  program?: 'source' | 'dist';
}

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OperatorProcess {
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** stdout parsed as JSON lines (non-JSON lines are skipped). */
  logLines(): LogLine[];
  /** Resolves with the first log line matching, or rejects after timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Text of GET /metrics. */
  metrics(): Promise<string>;
  /** The value of one sample of /metrics (summed over label sets matching `labels`), 0 when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** True when it answers /readyz with 200. */
  isReady(): Promise<boolean>;
  /** Settles when the process exits. */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, then waits for the exit (SIGKILL after 30 s); resolves with the exit status. */
  stop(): Promise<ExitStatus>;
  /** Sends a signal (e.g. SIGKILL) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<ExitStatus>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Parses the Prometheus text format for one metric, summing the samples whose labels include `labels`. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const sampleLabels = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => sampleLabels[k] === v)) total += Number(m[4]);
  }
  return total;
}

export async function startOperator(options: StartOperatorOptions): Promise<OperatorProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    ...(options.program === 'dist' ? [builtOperator] : ['--import', 'tsx', join(repoRoot, 'operator', 'main.ts')]),
    `--kubeconfig=${options.kubeconfig}`,
    `--health-addr=127.0.0.1:${port}`,
    `--log-level=${options.logLevel ?? 'debug'}`,
    '--sync-image=tenant-sync/sync-job:test',
    ...(options.namespaces ? [`--namespaces=${options.namespaces.join(',')}`] : []),
    ...(options.leaseNamespace ? [`--lease-namespace=${options.leaseNamespace}`] : []),
    ...(options.leaseName ? [`--lease-name=${options.leaseName}`] : []),
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const logLines = (): LogLine[] =>
    stdout.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.text() };
  };
  const isReady = () => get('/readyz').then((r) => r.status === 200, () => false);
  const waitExit = async (): Promise<ExitStatus> => {
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const proc: OperatorProcess = {
    pid: child.pid ?? -1,
    port,
    url,
    output: () => output,
    logLines,
    async waitForLog(match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = logLines().find(match);
        if (line) return line;
        if (hasExited) throw new Error(`operator exited before the expected log line; output:\n${output.slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`no matching operator log line within ${timeoutMs} ms; output tail:\n${output.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    metrics: () => get('/metrics').then((r) => r.body),
    async metric(name, labels) {
      return sumMetric(await proc.metrics(), name, labels);
    },
    isReady,
    exited,
    async stop() {
      if (!hasExited) child.kill('SIGTERM');
      return waitExit();
    },
    async kill(signal) {
      if (!hasExited) child.kill(signal);
      return waitExit();
    },
  };

  if (options.waitReady ?? true) {
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await isReady())) {
      if (hasExited) throw new Error(`operator exited during start-up:\n${output.slice(-4000)}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`operator not ready within ${readyTimeoutMs} ms:\n${output.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  return proc;
}
