// A terminated container's message, as the kubelet computes it: the termination message file (its
// last 4,096 bytes), or with FallbackToLogsOnError and a non-zero exit and an empty file, the log tail.
import { open } from 'node:fs/promises';

export const maxTerminationMessageBytes = 4096;
export const fallbackLogTailLines = 80;
export const fallbackLogTailBytes = 2048;

/** The last `maxLines` lines of a log, then at most its last `maxBytes` bytes. */
export function logTail(log: Buffer, maxLines = fallbackLogTailLines, maxBytes = fallbackLogTailBytes): string {
  let lines = 0;
  // A trailing newline ends the last line; it does not start an empty one.
  let i = log.length > 0 && log[log.length - 1] === 0x0a ? log.length - 2 : log.length - 1;
  for (; i >= 0; i--) {
    if (log[i] === 0x0a) {
      lines++;
      if (lines === maxLines) break;
    }
  }
  const start = i < 0 ? 0 : i + 1;
  const tail = log.subarray(Math.max(start, log.length - maxBytes));
  return tail.toString('utf8');
}

export interface TerminationInputs {
  policy: string | undefined;
  exitCode: number;
  /** The file's last ≤ 4,096 bytes; undefined when the file does not exist. */
  file: Buffer | undefined;
  /** The end of the container's log (a few KiB are enough: the tail is at most 2,048 bytes). */
  log: Buffer | undefined;
}

export function terminationMessage(inputs: TerminationInputs): string | undefined {
  const fromFile = inputs.file !== undefined && inputs.file.length > 0 ? inputs.file.toString('utf8') : undefined;
  if (fromFile !== undefined) return fromFile;
  if (inputs.policy === 'FallbackToLogsOnError' && inputs.exitCode !== 0) {
    const tail = logTail(inputs.log ?? Buffer.alloc(0));
    return tail.length > 0 ? tail : undefined;
  }
  return undefined;
}

/** The last `maxBytes` of a file; undefined when it does not exist. */
export async function readFileTail(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer;
  } finally {
    await handle.close();
  }
}
