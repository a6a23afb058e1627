// Keeps the result within the termination message's 4096 bytes, deterministically. Dropping a cursor's
// boundary ids is safe: the next run re-reads and re-delivers that one second, it never skips a record.
import { maxResultBytes, type JobResult } from '../contract.js';

export const maxErrorChars = 300;

export function resultBytes(result: JobResult): number {
  return Buffer.byteLength(JSON.stringify(result));
}

/**
 * The result as it is, or smaller: errors truncated to maxErrorChars; then, largest list first (ties by
 * stream name), boundary-id lists emptied; then the ids of skipped parents; then errors shortened further.
 * Cursor seconds and counts are never touched.
 */
export function compactResult(result: JobResult, maxBytes: number = maxResultBytes): JobResult {
  if (resultBytes(result) <= maxBytes) return result;
  const compact: JobResult = structuredClone(result);
  const truncate = (text: string | undefined, chars: number) => (text && text.length > chars ? `${text.slice(0, chars - 1)}…` : text);
  const setErrors = (chars: number) => {
    if (compact.error !== undefined) compact.error = truncate(compact.error, chars);
    for (const stream of Object.values(compact.streams)) if (stream.error !== undefined) stream.error = truncate(stream.error, chars);
  };
  setErrors(maxErrorChars);
  while (resultBytes(compact) > maxBytes) {
    const largest = Object.entries(compact.streams)
      .filter(([, stream]) => (stream.cursor.ids?.length ?? 0) > 0)
      .sort(([nameA, a], [nameB, b]) => (b.cursor.ids?.length ?? 0) - (a.cursor.ids?.length ?? 0) || (nameA < nameB ? -1 : 1))[0];
    if (!largest) break;
    largest[1].cursor = { ...largest[1].cursor, ids: [] };
  }
  // The names of skipped parents go next; their counts stay.
  for (const stream of Object.values(compact.streams)) {
    if (resultBytes(compact) <= maxBytes) break;
    if (stream.skipped && stream.skipped.ids.length > 0) stream.skipped = { ...stream.skipped, ids: [] };
  }
  for (const chars of [120, 40]) {
    if (resultBytes(compact) <= maxBytes) break;
    setErrors(chars);
  }
  return compact;
}
