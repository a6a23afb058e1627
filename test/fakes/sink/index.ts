// A sink receiver on loopback HTTP for the sync job's tests: it checks every POST against the sink
// protocol, records deliveries and records, and fails or goes down on demand.
//
// Usage:
//   const sink = await startSinkReceiver({ token: 's3cret' });      // POST ${sink.url}
//   sink.failNext(2, 503, 1); await sink.down(); await sink.up();
//   expect(sink.idempotencyViolations).toEqual([]); sink.records('acme', 'tickets'); await sink.close();
//
// Per POST, in order (each failed check adds to idempotencyViolations and answers a 4xx with
// {"error": code, "message": …}): method POST (405) → Bearer token when configured (401) →
// Content-Type application/json (415) → Idempotency-Key present (400) → JSON (400) → body shape
// {tenantId, stream, batchId, records:[{id, op, updatedAt, data}]}, unknown keys rejected (400) →
// Idempotency-Key == body.batchId (400) → a key reused with a different body (422).
// A valid batch then meets any injected failure (failNext/failAlways: that status, Retry-After if set);
// otherwise a new key is accepted (200 {"status":"accepted"}) and a known key with the same body is
// acknowledged again (200 {"status":"duplicate"}) without a second delivery.
// Also flagged (but accepted): the same (tenantId, stream, records' content) under two different keys,
// since batchId must be a hash of exactly those.

// Snapshots (reference streams): batches with `snapshot: {id, sequence, complete}`; the completion marker
// (`complete: true`, no records) must come after sequences 0..n-1 all arrived (else a violation). A complete
// snapshot replaces the stream's set: `current()` then holds only its records; an incomplete one replaces nothing.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { batchContentKey, canonicalJson, checkBatch, isJsonContentType, type SinkBatch, type SinkRecord } from './protocol.js';

export type { SinkBatch, SinkRecord } from './protocol.js';

export interface SinkReceiverOptions {
  /** When set, every POST must carry `Authorization: Bearer <token>`. */
  token?: string;
  port?: number;
  host?: string;
  /** Path of the ingest URL. Default '/ingest'. */
  path?: string;
  /** Bodies larger than this get 413. Default 64 MiB. */
  maxBodyBytes?: number;
}

export interface FailureOptions {
  /** The injected failure's JSON body quotes the request's Authorization header. */
  echoAuthorization?: boolean;
  /**
   * With echoAuthorization: pad the body so the quoted header value starts at this character offset
   * (`{"note":"……","authorization":"Bearer …"}`), e.g. where a client that truncates bodies cuts them.
   */
  echoAuthorizationAt?: number;
}

/** An accepted batch (replays of the same key and body are not repeated here). */
export interface Delivery {
  idempotencyKey: string;
  body: SinkBatch;
  receivedAt: Date;
}

export type AttemptOutcome = 'accepted' | 'duplicate' | 'rejected' | 'injected-failure';

/** Every request that reached the receiver, whatever it answered. */
export interface Attempt {
  seq: number;
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  status: number;
  outcome: AttemptOutcome;
  /** Why a request was rejected. */
  error?: string;
  tenantId?: string;
  stream?: string;
  recordCount?: number;
  receivedAt: Date;
}

/** One delivered record with the batch it came in. */
export interface ReceivedRecord extends SinkRecord {
  tenantId: string;
  stream: string;
  batchId: string;
}

export interface SinkReceiver {
  url: string;
  close(): Promise<void>;
  deliveries: Delivery[];
  attempts: Attempt[];
  /** Delivered records, unique by (tenantId, stream, content: id, op, updatedAt, data) (first arrival wins), in arrival order. */
  records(tenantId?: string, stream?: string): ReceivedRecord[];
  /** The state a consumer would hold: per `${stream}/${id}` the record with the newest updatedAt (pass tenantId when several tenants deliver). */
  latest(tenantId?: string, stream?: string): Map<string, ReceivedRecord>;
  /**
   * What a consumer that applies deletes and replaces snapshots holds for one stream, by id: the newest record
   * of each id, without deletes, and — once a snapshot of the stream completed — only ids of the last complete one.
   */
  current(tenantId: string, stream: string): Map<string, ReceivedRecord>;
  /** Ids of the snapshots of a stream that completed, oldest first. */
  completedSnapshots(tenantId: string, stream: string): string[];
  /**
   * The next `n` valid batches get `status` (default 503), with Retry-After when given. With `echoAuthorization`
   * the error body quotes the request's Authorization header (`{"authorization": "Bearer …", …}`), as some
   * real services do: a canary for clients that copy response bodies into their errors.
   */
  failNext(n: number, status?: number, retryAfterSeconds?: number, options?: FailureOptions): void;
  /** Every valid batch gets `status` until recover(); options as for failNext. */
  failAlways(status?: number, retryAfterSeconds?: number, options?: FailureOptions): void;
  recover(): void;
  /**
   * The next `n` valid new batches are stored, but their 200 comes only after `ms` (real time): an ack the
   * client may give up on (its timeout, or its deadline killing it) although the sink holds the batch.
   * `onHeld` runs when such an answer starts waiting.
   */
  slowAcks(n: number, ms: number, onHeld?: () => void): void;
  /** Stops listening and drops open connections: clients get connection refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Runs after each request is answered (e.g. to stop the job after the third accepted batch). */
  onAttempt(hook: (attempt: Attempt) => void): () => void;
  /** Protocol breaches, one human-readable line each: must stay empty. */
  idempotencyViolations: string[];
}

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violation: boolean,
  ) {
    super(message);
  }
}

export async function startSinkReceiver(options: SinkReceiverOptions = {}): Promise<SinkReceiver> {
  const ingestPath = options.path ?? '/ingest';
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const deliveries: Delivery[] = [];
  const attempts: Attempt[] = [];
  const violations: string[] = [];
  const bodiesByKey = new Map<string, string>();
  const keyByContent = new Map<string, string>();
  const seenRecords = new Set<string>();
  const received: ReceivedRecord[] = [];
  /** Per `${tenantId}/${stream}/${snapshot id}`: the sequences that arrived and the record ids they held. */
  const snapshots = new Map<string, { sequences: Set<number>; ids: Set<string> }>();
  /** Per `${tenantId}/${stream}`: the ids of its completed snapshots in order, and the last one's record ids. */
  const completed = new Map<string, { order: string[]; ids: Set<string> }>();
  let hooks: ((attempt: Attempt) => void)[] = [];
  let failures: ({ remaining: number; status: number; retryAfterSeconds: number | undefined } & FailureOptions) | undefined;
  let slow: { remaining: number; ms: number; onHeld: (() => void) | undefined } | undefined;
  let seq = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const attempt: Attempt = {
      seq: ++seq,
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0]!,
      idempotencyKey: headerValue(req, 'idempotency-key'),
      status: 0,
      outcome: 'rejected',
      receivedAt: new Date(),
    };
    attempts.push(attempt);
    const respond = (status: number, body: object, headers: Record<string, string> = {}) => {
      attempt.status = status;
      const bytes = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
      res.end(bytes);
      for (const hook of [...hooks]) hook(attempt);
    };
    try {
      const raw = await readBody(req, maxBodyBytes);
      const batch = verify(req, attempt, raw);
      attempt.tenantId = batch.tenantId;
      attempt.stream = batch.stream;
      attempt.recordCount = batch.records.length;
      if (failures && failures.remaining > 0) {
        failures.remaining--;
        attempt.outcome = 'injected-failure';
        const headers: Record<string, string> = failures.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failures.retryAfterSeconds) };
        const message = `receiver told to fail with ${failures.status}`;
        const authorization = req.headers.authorization ?? null;
        const lead = `{"note":"","authorization":"`.length;
        const body = !failures.echoAuthorization
          ? { error: 'injected_failure', message }
          : failures.echoAuthorizationAt !== undefined
            ? { note: '.'.repeat(Math.max(0, failures.echoAuthorizationAt - lead)), authorization, error: 'injected_failure', message }
            : { authorization, error: 'injected_failure', message: `${message}; request had Authorization: ${authorization ?? '(none)'}` };
        return respond(failures.status, body, headers);
      }
      const key = attempt.idempotencyKey!;
      if (bodiesByKey.has(key)) {
        attempt.outcome = 'duplicate';
        return respond(200, { status: 'duplicate', records: batch.records.length });
      }
      bodiesByKey.set(key, canonicalJson(batch));
      deliveries.push({ idempotencyKey: key, body: batch, receivedAt: attempt.receivedAt });
      if (batch.snapshot) {
        const { id, sequence, complete } = batch.snapshot;
        const entry = snapshots.get(`${batch.tenantId}/${batch.stream}/${id}`) ?? { sequences: new Set<number>(), ids: new Set<string>() };
        snapshots.set(`${batch.tenantId}/${batch.stream}/${id}`, entry);
        for (const record of batch.records) entry.ids.add(String(record.id));
        if (complete) {
          const missing = Array.from({ length: sequence }, (_, n) => n).filter((n) => !entry.sequences.has(n));
          if (missing.length > 0) violations.push(`attempt ${attempt.seq}: snapshot ${id} of ${batch.stream} completed at sequence ${sequence} without batches ${missing.join(', ')}`);
          const stream = completed.get(`${batch.tenantId}/${batch.stream}`) ?? { order: [], ids: new Set<string>() };
          completed.set(`${batch.tenantId}/${batch.stream}`, { order: [...stream.order, id], ids: entry.ids });
        } else {
          entry.sequences.add(sequence);
        }
      }
      for (const record of batch.records) {
        // A record rewritten within its second (same id and updatedAt, new content) is a new record here.
        const identity = canonicalJson([batch.tenantId, batch.stream, record]);
        if (seenRecords.has(identity)) continue;
        seenRecords.add(identity);
        received.push({ ...record, tenantId: batch.tenantId, stream: batch.stream, batchId: batch.batchId });
      }
      attempt.outcome = 'accepted';
      if (slow && slow.remaining > 0) {
        slow.remaining--;
        slow.onHeld?.();
        await new Promise((resolve) => setTimeout(resolve, slow!.ms));
        if (res.destroyed) {
          // The client gave up; the batch is stored all the same (what a slow real sink does).
          for (const hook of [...hooks]) hook(attempt);
          return;
        }
      }
      return respond(200, { status: 'accepted', records: batch.records.length });
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      attempt.error = error.message;
      if (error.violation) violations.push(`attempt ${attempt.seq}: ${error.message}`);
      return respond(error.status, { error: error.code, message: error.message });
    }
  };

  /** The protocol checks, in order; throws a Rejection for the first one that fails. */
  const verify = (req: IncomingMessage, attempt: Attempt, raw: Buffer): SinkBatch => {
    if (req.method !== 'POST') throw new Rejection(405, 'method_not_allowed', `method ${req.method} (the sink protocol is POST only)`, true);
    if (attempt.path !== ingestPath) throw new Rejection(404, 'not_found', `path ${attempt.path} (the ingest path is ${ingestPath})`, true);
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      const what = req.headers.authorization ? 'a wrong bearer token' : 'no Authorization header';
      throw new Rejection(401, 'unauthorized', `bad auth: ${what}`, true);
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new Rejection(415, 'unsupported_media_type', `bad content-type ${JSON.stringify(req.headers['content-type'] ?? null)} (want application/json)`, true);
    }
    const key = attempt.idempotencyKey;
    if (!key) throw new Rejection(400, 'missing_idempotency_key', 'missing Idempotency-Key header', true);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new Rejection(400, 'invalid_json', 'body is not valid JSON', true);
    }
    const checked = checkBatch(body);
    if (!checked.ok) throw new Rejection(400, 'invalid_batch', `invalid batch: ${checked.errors.join('; ')}`, true);
    const batch = checked.batch;
    if (key !== batch.batchId) {
      throw new Rejection(400, 'idempotency_key_mismatch', `Idempotency-Key ${JSON.stringify(key)} != body.batchId ${JSON.stringify(batch.batchId)}`, true);
    }
    const previous = bodiesByKey.get(key);
    if (previous !== undefined && previous !== canonicalJson(batch)) {
      throw new Rejection(422, 'idempotency_key_reused', `Idempotency-Key ${JSON.stringify(key)} reused with a different body`, true);
    }
    const content = batchContentKey(batch);
    const keyForContent = keyByContent.get(content);
    if (keyForContent === undefined) keyByContent.set(content, key);
    else if (keyForContent !== key) {
      violations.push(`attempt ${attempt.seq}: the same records of ${batch.tenantId}/${batch.stream} came under two keys (${keyForContent}, ${key}); batchId must be a hash of tenantId, stream and the records' content`);
    }
    return batch;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  };
  let server: Server = createServer(onRequest);
  const host = options.host ?? '127.0.0.1';
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const port = await listen(options.port ?? 0);

  const select = (tenantId?: string, stream?: string) =>
    received.filter((r) => (tenantId === undefined || r.tenantId === tenantId) && (stream === undefined || r.stream === stream));

  return {
    url: `http://${host}:${port}${ingestPath}`,
    deliveries,
    attempts,
    idempotencyViolations: violations,
    records: select,
    current: (tenantId, stream) => {
      const snapshot = completed.get(`${tenantId}/${stream}`);
      const state = new Map<string, ReceivedRecord>();
      for (const record of select(tenantId, stream)) {
        const current = state.get(String(record.id));
        if (!current || Date.parse(current.updatedAt) <= Date.parse(record.updatedAt)) state.set(String(record.id), record);
      }
      for (const [id, record] of state) if (record.op === 'delete' || (snapshot && !snapshot.ids.has(id))) state.delete(id);
      return state;
    },
    completedSnapshots: (tenantId, stream) => completed.get(`${tenantId}/${stream}`)?.order ?? [],
    latest: (tenantId, stream) => {
      const state = new Map<string, ReceivedRecord>();
      for (const record of select(tenantId, stream)) {
        const key = `${record.stream}/${String(record.id)}`;
        const current = state.get(key);
        if (!current || Date.parse(current.updatedAt) <= Date.parse(record.updatedAt)) state.set(key, record);
      }
      return state;
    },
    failNext: (n, status = 503, retryAfterSeconds, failureOptions) => {
      failures = { remaining: n, status, retryAfterSeconds, ...failureOptions };
    },
    failAlways: (status = 503, retryAfterSeconds, failureOptions) => {
      failures = { remaining: Infinity, status, retryAfterSeconds, ...failureOptions };
    },
    recover: () => {
      failures = undefined;
      slow = undefined;
    },
    slowAcks: (n, ms, onHeld) => {
      slow = { remaining: n, ms, onHeld };
    },
    down: stop,
    up: async () => {
      if (server.listening) return;
      server = createServer(onRequest);
      await listen(port);
    },
    onAttempt: (hook) => {
      hooks.push(hook);
      return () => {
        hooks = hooks.filter((h) => h !== hook);
      };
    },
    close: stop,
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Rejection(413, 'payload_too_large', `body over ${maxBytes} bytes`, false));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
