// Runs one peer program (a Singer tap or an Airbyte source), reading the messages on its stdout as they come
// (RECORDs counted and deduplicated, the last STATE kept); everything else (logs, stderr) goes to `logFile`.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { emptyEmitted, readMessageLine, type EmittedRecords } from './record-messages.js';

export interface PeerRun {
  emitted: EmittedRecords;
  ms: number;
  code: number | null;
  /** The last lines of stderr (and of non-message stdout), for the report when a peer fails. */
  logTail: string[];
}

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
