// What a client emitted, read from Singer or Airbyte messages on its stdout (one JSON object a line) or from
// the sink receiver: each distinct record version (id + updated_at, deduplicated), its last STATE, its errors.

export interface EmittedRecords {
  /** Distinct versions, `versionKey(id, updated_at)`. */
  versions: Set<string>;
  /** RECORD messages of the stream, duplicates included. */
  recordMessages: number;
  /** The last STATE's payload (Singer: `value`; Airbyte: `state`), undefined when none came. */
  lastState: unknown;
  /** Error texts the client reported in its messages (Airbyte TRACE errors). */
  errors: string[];
}

export const emptyEmitted = (): EmittedRecords => ({ versions: new Set(), recordMessages: 0, lastState: undefined, errors: [] });

/**
 * Whole seconds since the epoch of a Freshdesk timestamp as a client re-formats it: `2026-12-05T13:50:01Z`,
 * Singer's `2026-12-05T13:50:01.000000Z`, an offset `+00:00`. Undefined when it is not one.
 */
export function epochSecondsOf(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)$/.exec(timestamp);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[2] === 'Z' ? 'Z' : match[2]}`);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** One version of one record: the same id and updated_at second is the same version, however formatted. */
export function versionKey(id: unknown, updatedAt: unknown): string {
  return `${String(id)}@${epochSecondsOf(updatedAt) ?? String(updatedAt)}`;
}

type Message = Record<string, unknown>;
const objectOr = (value: unknown): Message | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Message) : undefined);

/** Adds one stdout line (Singer or Airbyte message) to `into`; lines that are not JSON messages are ignored. */
export function readMessageLine(line: string, stream: string, into: EmittedRecords): void {
  if (!line.startsWith('{')) return;
  let message: Message | undefined;
  try {
    message = objectOr(JSON.parse(line));
  } catch {
    return;
  }
  if (!message) return;
  if (message.type === 'RECORD') {
    // Singer: {type, stream, record}; Airbyte: {type, record: {stream, data}}.
    const airbyte = objectOr(message.record);
    const record = message.stream === undefined ? objectOr(airbyte?.data) : airbyte;
    const recordStream = message.stream ?? airbyte?.stream;
    if (recordStream !== stream || !record) return;
    into.recordMessages++;
    into.versions.add(versionKey(record.id, record.updated_at));
  } else if (message.type === 'STATE') {
    into.lastState = message.value ?? message.state;
  } else if (message.type === 'TRACE') {
    const error = objectOr(objectOr(message.trace)?.error);
    if (error) into.errors.push(String(error.message ?? error.internal_message ?? JSON.stringify(error)));
  }
}
