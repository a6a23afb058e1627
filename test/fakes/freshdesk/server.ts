// The HTTP side of the fake Freshdesk: records each request, applies injected faults, the rate limit,
// Basic auth and 403s, then answers the list endpoints with bare JSON arrays and `link` headers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeClock } from './clock.js';
import {
  accessDeniedBody,
  internalErrorBody,
  invalidCredentialsBody,
  rateLimitedBody,
  validationFailedBody,
} from './errors.js';
import type { FaultPlan, TriggeredFault } from './faults.js';
import { moreKinds, morePaths } from './more-records.js';
import { defaultTicketWindowSeconds, parseRatingQuery, parseContactQuery, parsePlainQuery, parseTicketQuery, type Paging, type Parsed } from './list-query.js';
import type { CappedList, RateLimiter } from './rate-limit.js';
import { renderAgent, ticketIncludes, type Json } from './records.js';
import type { RecordTable } from './record-table.js';
import type { FreshdeskStore, IdView } from './store.js';
import { toEpochSeconds } from './timestamps.js';

export interface RecordedRequest {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  method: string;
  /** Path without the query string, e.g. `/api/v2/tickets`. */
  path: string;
  /** Query parameters (the last value of a repeated key). */
  query: Record<string, string>;
  /** Request headers; the Authorization value is redacted to its scheme. */
  headers: Record<string, string>;
  /** The fake clock's time at arrival. */
  time: Date;
  /** Status answered; 0 while unanswered and for timeouts and resets. */
  status: number;
  /** The injected fault this request triggered, if any. */
  fault?: 'reset' | 'timeout' | 'fail' | 'slow';
  /** The client's port: requests sharing it came over one keep-alive connection. */
  remotePort: number;
}

/** A request that arrived while a Retry-After the fake had issued was still pending. */
export interface RetryAfterViolation {
  seq: number;
  method: string;
  path: string;
  time: Date;
  retryAfterUntil: Date;
}

/** Runs before the request is handled; may edit data (e.g. between two pages of one walk). */
export type RequestHook = (request: Readonly<RecordedRequest>) => void | Promise<void>;

/** Counters kept for every request even when `requests` is trimmed (large benchmark runs). */
export interface RequestStats {
  total: number;
  byStatus: Record<number, number>;
  /** Highest `page` requested per path, e.g. { '/api/v2/tickets': 12 }. */
  maxPage: Record<string, number>;
}

export interface ServerState {
  apiKey: string;
  clock: FakeClock;
  store: FreshdeskStore;
  limiter: RateLimiter;
  /** Credits each `include` on the ticket list costs on top of the request's 1 (Freshdesk: "additional credits"). */
  includeCredits: number;
  faults: FaultPlan;
  hooks: RequestHook[];
  /** Every answer waits this long (real time, uniform in [min, max] ms), as Freshdesk does from far away. */
  latencyMs: { min: number; max: number } | undefined;
  requests: RecordedRequest[];
  violations: RetryAfterViolation[];
  stats: RequestStats;
  maxRecordedRequests: number;
  /** Responses held open by `timeoutNext`, and timers of `slowBody`, ended on close. */
  hung: Set<ServerResponse>;
  timers: Set<NodeJS.Timeout>;
  retryAfterUntilMs: number;
  seq: number;
  /** List behaviours (FreshdeskBehaviours): per API path, how many more served pages trigger them. */
  listBehaviours: { sameSecondRewrites: Map<string, number>; deleteDuringScans: Map<string, number> };
}

type ListAnswer = { status: 200; view: IdView; paging: Paging; render: (id: number) => Json; table: RecordTable };
type Answer = ListAnswer | { status: 200 | 400 | 404; body?: object };

const apiPrefix = '/api/v2';

export function createHandler(state: ServerState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { code: 'fake_error', message: String(error) });
      else res.destroy();
    });
  };
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const now = state.clock.now();
  const record: RecordedRequest = {
    seq: ++state.seq,
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: redactHeaders(req),
    time: now,
    status: 0,
    remotePort: req.socket.remotePort ?? 0,
  };
  remember(state, record);
  const page = Number(url.searchParams.get('page'));
  if (Number.isInteger(page) && page > (state.stats.maxPage[record.path] ?? 0)) state.stats.maxPage[record.path] = page;
  if (now.getTime() < state.retryAfterUntilMs) {
    state.violations.push({ seq: record.seq, method: record.method, path: record.path, time: now, retryAfterUntil: new Date(state.retryAfterUntilMs) });
  }
  for (const hook of [...state.hooks]) await hook(record);
  if (state.latencyMs) {
    const { min, max } = state.latencyMs;
    await new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
  }

  const network = state.faults.take(url.pathname, ['reset', 'timeout']);
  if (network?.kind === 'reset') {
    record.fault = 'reset';
    req.socket.resetAndDestroy();
    return;
  }
  if (network?.kind === 'timeout') {
    record.fault = 'timeout';
    state.hung.add(res);
    res.on('close', () => state.hung.delete(res));
    return;
  }

  const decision = state.limiter.take(costOf(url, state.includeCredits), state.clock.now().getTime(), cappedListOf(url));
  res.setHeader('X-Ratelimit-Total', String(decision.total));
  res.setHeader('X-Ratelimit-Remaining', String(decision.remaining));
  res.setHeader('X-Ratelimit-Used-CurrentRequest', String(decision.used));
  if (!decision.allowed) {
    const seconds = decision.retryAfterSeconds!;
    state.retryAfterUntilMs = Math.max(state.retryAfterUntilMs, state.clock.now().getTime() + seconds * 1000);
    res.setHeader('Retry-After', String(seconds));
    return answer(state, record, res, 429, rateLimitedBody(seconds));
  }
  if (!authorized(req, state.apiKey)) return answer(state, record, res, 401, invalidCredentialsBody);
  if (state.faults.isForbidden(url.pathname)) return answer(state, record, res, 403, accessDeniedBody);

  const injected = state.faults.take(url.pathname, ['fail', 'slow']);
  if (injected?.kind === 'fail') {
    record.fault = 'fail';
    if (injected.echoAuthorization) return answer(state, record, res, injected.status, authorizationEchoBody(req));
    return answer(state, record, res, injected.status, injected.status === 500 ? internalErrorBody : undefined);
  }
  if (injected) record.fault = 'slow';

  if (record.method !== 'GET') return answer(state, record, res, 405, undefined, injected);
  state.store.applyDueWrites();
  const result = route(state, url);
  if (!('view' in result)) return answer(state, record, res, result.status, result.body, injected);
  const { view, paging, render, table } = result;
  const start = (paging.page - 1) * paging.perPage;
  const items: Json[] = [];
  const servedIds: number[] = [];
  for (let position = start; position < Math.min(view.length, start + paging.perPage); position++) {
    servedIds.push(view.at(position));
    items.push(render(view.at(position)));
  }
  const hasNext = view.length > start + paging.perPage;
  // No link to a page the list refuses (page 301 of tickets): Freshdesk does not say whether page 300 links on.
  const refusesNext = paging.maxPage !== undefined && paging.page >= paging.maxPage;
  if (hasNext && !refusesNext) res.setHeader('link', nextLink(req, url, paging.page + 1));
  answer(state, record, res, 200, items, injected);
  afterPageServed(state, url.pathname, table, servedIds, hasNext);
}

/** The list behaviours that act once a page has been served, before the client's next request. */
function afterPageServed(state: ServerState, path: string, table: RecordTable, servedIds: number[], hasNext: boolean): void {
  const { sameSecondRewrites, deleteDuringScans } = state.listBehaviours;
  const take = (counts: Map<string, number>): boolean => {
    const remaining = counts.get(path) ?? 0;
    if (remaining <= 0) return false;
    counts.set(path, remaining - 1);
    return true;
  };
  const last = servedIds.at(-1);
  // An automation rewrites the last record served, if it was stamped in the current second (a rewrite within
  // its own second; an older record cannot be rewritten without a new updated_at).
  const stampedNow = last !== undefined && table.updatedAt(last) === toEpochSeconds(state.clock.now());
  if (stampedNow && take(sameSecondRewrites)) state.store.rewriteInSameSecond(table, last);
  // A delete (or merge) on the page just read: every later row shifts up one, onto this page.
  if (hasNext && servedIds.length > 0 && take(deleteDuringScans)) state.store.removeFromList(table, servedIds[0]!);
}

/** `<http://host/api/v2/tickets?…&page=N>; rel="next"`: the request's parameters with the next page last. */
function nextLink(req: IncomingMessage, url: URL, nextPage: number): string {
  const params = new URLSearchParams(url.searchParams);
  params.delete('page');
  params.append('page', String(nextPage));
  return `<http://${req.headers.host ?? '127.0.0.1'}${url.pathname}?${params.toString()}>; rel="next"`;
}

/** Credits a request costs: 1, plus `includeCredits` per `include` on the ticket list. */
function costOf(url: URL, includeCredits: number): number {
  if (url.pathname !== `${apiPrefix}/tickets`) return 1;
  const include = url.searchParams.get('include');
  return 1 + includeCredits * (include ? include.split(',').filter((name) => name.trim()).length : 0);
}

/** The list calls Freshdesk caps on their own: `GET /tickets` and `GET /contacts` (not single records). */
function cappedListOf(url: URL): CappedList | undefined {
  const path = url.pathname.replace(/\/+$/, '');
  if (path === `${apiPrefix}/tickets`) return 'tickets';
  if (path === `${apiPrefix}/contacts`) return 'contacts';
  return undefined;
}

/** A validation body that quotes the request's Authorization header and the key in it (a secrets canary for clients). */
function authorizationEchoBody(req: IncomingMessage): object {
  const header = req.headers.authorization ?? '';
  const encoded = /^Basic\s+(\S+)$/i.exec(header)?.[1] ?? '';
  const user = Buffer.from(encoded, 'base64').toString('utf8').split(':')[0] ?? '';
  return {
    description: 'Validation failed',
    errors: [{ field: 'authorization', message: `header ${JSON.stringify(header)} with API key ${user} is not accepted here`, code: 'invalid_value' }],
  };
}

function authorized(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return (colon === -1 ? decoded : decoded.slice(0, colon)) === apiKey;
}

function route(state: ServerState, url: URL): Answer {
  const { store } = state;
  const path = url.pathname.replace(/\/+$/, '');
  const params = url.searchParams;
  const list = <T>(table: RecordTable, parsed: Parsed<T>, view: (query: T) => IdView | undefined, render: (id: number) => Json): Answer => {
    if (!parsed.ok) return { status: 400, body: validationFailedBody(parsed.errors) };
    const matched = view(parsed.query);
    return matched ? { status: 200, view: matched, paging: parsed.paging, render, table } : { status: 404 };
  };
  const plain = (table: RecordTable, view: () => IdView | undefined = () => store.queryAll(table)) =>
    list(table, parsePlainQuery(params), view, (id) => store.render(table, id));

  const one = (table: RecordTable, id: number): Answer => {
    if (params.size > 0) return { status: 400, body: validationFailedBody([...new Set(params.keys())].map((field) => ({ field, message: 'Unexpected/invalid field in request', code: 'invalid_field' as const }))) };
    return table.has(id) ? { status: 200, body: store.render(table, id) } : { status: 404 };
  };

  if (path === `${apiPrefix}/tickets`) {
    const parsed = parseTicketQuery(params, toEpochSeconds(state.clock.now()));
    return list(store.tickets, parsed, (query) => store.queryTickets(query), (id) => {
      const ticket = store.render(store.tickets, id);
      // Like the real list: the description and stats come only with `include`, even when a test set them.
      const { description: _description, description_text: _text, stats: _stats, requester: _requester, company: _company, ...listed } = ticket;
      return parsed.ok && parsed.query.include.length ? { ...listed, ...ticketIncludes(ticket, parsed.query.include, (c) => store.contact(c)) } : listed;
    });
  }
  let match = new RegExp(`^${apiPrefix}/tickets/(\\d+)$`).exec(path);
  if (match) return one(store.tickets, Number(match[1]));
  if (path === `${apiPrefix}/agents/me`) {
    // The API key's owner: agent 1, or a stand-in when no agents were added (the key always has one).
    if (store.agents.has(1)) return one(store.agents, 1);
    const seconds = toEpochSeconds(state.clock.now());
    return { status: 200, body: renderAgent({ id: 1, createdSeconds: seconds, updatedSeconds: seconds, visibility: 'visible', fields: undefined }) };
  }
  match = new RegExp(`^${apiPrefix}/tickets/(\\d+)/conversations$`).exec(path);
  if (match) return plain(store.conversations, () => store.queryConversations(Number(match![1])));
  if (path === `${apiPrefix}/contacts`) {
    return list(store.contacts, parseContactQuery(params), (query) => store.queryContacts(query), (id) => store.render(store.contacts, id));
  }
  if (path === `${apiPrefix}${morePaths.satisfaction_ratings}`) {
    const parsed = parseRatingQuery(params);
    // Without created_since, only the last 30 days (as the ticket list does; Freshdesk does not say: the worst reading).
    const defaultSince = toEpochSeconds(state.clock.now()) - defaultTicketWindowSeconds;
    return list(store.more.satisfaction_ratings, parsed, (query) => store.querySatisfactionRatings(query.createdSinceSeconds ?? defaultSince), (id) =>
      store.render(store.more.satisfaction_ratings, id),
    );
  }
  for (const kind of moreKinds) if (kind !== 'satisfaction_ratings' && path === `${apiPrefix}${morePaths[kind]}`) return plain(store.more[kind]);
  if (path === `${apiPrefix}/companies`) return plain(store.companies);
  if (path === `${apiPrefix}/agents`) return plain(store.agents);
  if (path === `${apiPrefix}/groups`) return plain(store.groups);
  if (path === `${apiPrefix}/solutions/categories`) return plain(store.categories);
  match = new RegExp(`^${apiPrefix}/solutions/categories/(\\d+)/folders$`).exec(path);
  if (match) return plain(store.folders, () => store.queryFolders(Number(match![1])));
  match = new RegExp(`^${apiPrefix}/solutions/folders/(\\d+)/subfolders$`).exec(path);
  if (match) return plain(store.folders, () => store.querySubfolders(Number(match![1])));
  match = new RegExp(`^${apiPrefix}/solutions/folders/(\\d+)/articles$`).exec(path);
  if (match) return plain(store.articles, () => store.queryArticles(Number(match![1])));
  return { status: 404 };
}

function answer(
  state: ServerState,
  record: RecordedRequest,
  res: ServerResponse,
  status: number,
  body: unknown,
  slow?: TriggeredFault,
): void {
  record.status = status;
  state.stats.byStatus[status] = (state.stats.byStatus[status] ?? 0) + 1;
  if (!slow || body === undefined) return send(res, status, body);
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) });
  const half = Math.floor(bytes.length / 2);
  res.write(bytes.subarray(0, half));
  const timer = setTimeout(() => {
    state.timers.delete(timer);
    if (!res.destroyed) res.end(bytes.subarray(half));
  }, slow.delayMs);
  state.timers.add(timer);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    return;
  }
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) });
  res.end(bytes);
}

function redactHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    headers[name] = name === 'authorization' ? `${text.split(/\s+/)[0] ?? ''} [redacted]` : text;
  }
  return headers;
}

function remember(state: ServerState, record: RecordedRequest): void {
  state.stats.total++;
  state.requests.push(record);
  const excess = state.requests.length - state.maxRecordedRequests;
  if (excess > 0) state.requests.splice(0, Math.max(excess, Math.floor(state.maxRecordedRequests / 10)));
}
