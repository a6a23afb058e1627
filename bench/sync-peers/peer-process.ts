// Runs a peer program (a Singer tap or an Airbyte source), reading the messages on its stdout as they come
// (RECORDs counted and deduplicated, the last STATE kept; logs and stderr to a file), and run after run from
// the state the run before emitted (peerClient).
import { spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { emptyEmitted, readMessageLine } from './record-messages.js';
import type { ClientName, ClientSetup, PeerRun, SyncClient } from './sync-client.js';

const logTailLines = 30;

export async function runPeerProgram(program: string, args: string[], env: NodeJS.ProcessEnv, stream: string, logFile: string): Promise<PeerRun> {
  const started = Date.now();
  const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const emitted = emptyEmitted();
  const logTail: string[] = [];
  const log = createWriteStream(logFile);
  const keep = (line: string) => {
    log.write(`${line}\n`);
    logTail.push(line.length > 2000 ? `${line.slice(0, 2000)} …` : line);
    if (logTail.length > logTailLines) logTail.shift();
  };
  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', (line) => {
    if (line.startsWith('{"type": "LOG"') || line.startsWith('{"type":"LOG"')) return keep(line);
    if (line.startsWith('{')) return readMessageLine(line, stream, emitted);
    keep(line);
  });
  createInterface({ input: child.stderr }).on('line', keep);
  const closed = new Promise<void>((done) => stdout.once('close', done));
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  await closed;
  await new Promise<void>((done) => log.end(done));
  return { emitted, ms: Date.now() - started, code, logTail };
}

/** One message-emitting run of a program, returning its parsed JSON stdout lines (discover). */
export async function jsonLinesOf(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<unknown[]> {
  const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)));
  const text = Buffer.concat(chunks).toString('utf8');
  if (code !== 0) throw new Error(`${program} ${args.join(' ')} exited ${code}: ${text.slice(-2000)}`);
  // A Singer catalog is one indented JSON document; Airbyte writes one message a line.
  try {
    return [JSON.parse(text)];
  } catch {
    return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as unknown);
  }
}

/**
 * A peer as a SyncClient: `args` for every run, plus `--state FILE` on a resumed run holding `stateInput` of the
 * last STATE the previous run emitted. Each run's log goes to `<dir>/<name>-run-<n>.log`.
 */
export function peerClient(name: ClientName, program: string, args: string[], setup: ClientSetup, stateInput: (lastState: unknown) => unknown): SyncClient {
  const stateFile = join(setup.dir, `${name}-state.json`);
  let state: unknown;
  let runs = 0;
  return {
    name,
    async run(resume) {
      const runArgs = [...args];
      if (resume && state !== undefined) {
        writeFileSync(stateFile, JSON.stringify(stateInput(state)));
        runArgs.push('--state', stateFile);
      }
      const run = await runPeerProgram(program, runArgs, setup.pythonEnv, 'tickets', join(setup.dir, `${name}-run-${++runs}.log`));
      state = run.emitted.lastState ?? state;
      return run;
    },
  };
}
