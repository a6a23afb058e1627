// A Freshdesk API v2 fake on loopback HTTP for the sync job's tests, benchmarks and `npm run local`.
// It follows the real API (design/FRESHDESK.md) and makes the undocumented parts hard to rely on.
//
// Usage:
//   const fake = await startFreshdeskFake({ apiKey: 'k', rateLimitPerMinute: 50 });
//   fake.data.addTickets(350, () => ({ updated_at: '2024-05-01T10:00:00Z' }));   // ids 1..350
//   fetch(`${fake.baseUrl}/api/v2/tickets?updated_since=…`, { headers: { authorization: 'Basic ' + btoa('k:X') } });
//   fake.faults.failNext(2, 503); fake.faults.onRequest((r) => { if (r.query.page === '2') fake.data.updateTicket(5); });
//   expect(fake.violations).toEqual([]); await fake.close();
//
// Endpoints (GET, bare JSON arrays, `page` from 1, `per_page` default 30 max 100, a `link: <…&page=N>;
// rel="next"` header only when another page exists; other parameters → 400 invalid_field):
//   /api/v2/tickets          updated_since (inclusive, whole seconds), order_by=created_at|updated_at|due_by|status,
//                            order_type=asc|desc (default created_at desc), filter=new_and_my_open|watching|spam|deleted,
//                            include=requester,stats,company,description (+1 credit each), requester_id, company_id, email.
//                            Without updated_since: only tickets created in the last 30 days (fake clock), whatever
//                            other parameters say (Freshdesk documents updated_since as the only way to older tickets).
//                            Deleted/spam tickets only under filter=deleted/spam, which combines with updated_since
//                            (as Freshdesk's own filter validation allows). page > 300 → 400; page 300 has no link.
//   /api/v2/tickets/:id/conversations   oldest first; 404 for an unknown ticket.
//   /api/v2/contacts         _updated_since (inclusive), email, mobile, phone, company_id, state=deleted|…; newest created
//                            first (NOT by updated_at: read every page); no page cap.
//   /api/v2/companies, /agents, /groups, /solutions/categories, /solutions/categories/:id/folders,
//   /solutions/folders/:id/articles, /solutions/folders/:id/subfolders   id order, no filters. A folder says its
//                            `sub_folders_count`; subfolders are listed only under their parent folder, not the category.
//   /api/v2/surveys/satisfaction_ratings   created_since (inclusive; Freshdesk has no updated filter), creation order;
//                            without created_since only ratings created in the last 30 days (undocumented: the worst reading).
//   /api/v2/time_entries, /ticket_fields, /products, /roles, /business_hours, /sla_policies, /surveys   id order,
//                            page/per_page only (`data.addRecords(kind, …)`, `updateRecord`, `deleteRecord`).
//   /api/v2/tickets/:id, /api/v2/agents/me   single objects (a cheap credentials check), 404 when unknown.
// Ties within one second come in a hash-of-id order: stable between identical requests, not by id.
// Behaviours Freshdesk does not document, switchable (`fake.behaviours`), each the worst plausible reading:
// late visibility (a write reaches list queries N s after its updated_at), same-second rewrites (an automation
// rewrites a record stamped this second, after serving it, without moving updated_at), deletes mid-scan (rows shift up onto a page
// already read), deletes/spam that leave updated_at alone. A ticket's conversations answer 403 when
// `faults.forbidPath('tickets/<id>/conversations')` restricts it (spam, deleted, restricted tickets do).
// Check order per request: rate limit (429 + Retry-After; invalid requests count too) → Basic auth (401) →
// forbidPath (403) → failNext/slowBody → routing (400/404/405). resetNext/timeoutNext act before all of it and
// cost no credit. Every answered response carries X-Ratelimit-Total/-Remaining/-Used-CurrentRequest.
// The rate limit is one fixed 60 s window on the fake clock (an hour with `hourly`), opened by the first request
// after the last closed; with `listCapsPerMinute` the tickets and contacts lists also have their own per-minute
// caps, whose 429s carry the account's headers (credits left) and nothing else; `include=` costs `includeCredits`.
// Large bodies: `data.addConversation(id, { body: 'x'.repeat(n), body_text: … })` serves them as given.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClock, type FakeClock } from './clock.js';
import { seedDemo, type DemoOptions, type DemoSummary } from './demo.js';
import { FaultPlan, normalizePathPrefix, type FaultScope } from './faults.js';
import { RateLimiter, type ListCaps } from './rate-limit.js';
import {
  createHandler,
  type RecordedRequest,
  type RequestHook,
  type RequestStats,
  type RetryAfterViolation,
  type ServerState,
} from './server.js';
import { FreshdeskStore } from './store.js';

export type { FakeClock } from './clock.js';
export type { DemoOptions, DemoSummary } from './demo.js';
export type { FaultScope } from './faults.js';
export type { ListCaps } from './rate-limit.js';
export type { RecordedRequest, RequestHook, RequestStats, RetryAfterViolation } from './server.js';
export type { RecordPartial, RecordsToAdd } from './store.js';

export interface FreshdeskFakeOptions {
  /** The API key clients must send as the Basic auth user (any password). Default 'test-api-key'. */
  apiKey?: string;
  /** Account-wide credits per minute (per hour with `hourly`). Default 400 (the Pro plan); trial accounts have 50. */
  rateLimitPerMinute?: number;
  /** The account is on an hourly limit (old accounts): `rateLimitPerMinute` credits per hour. Default false. */
  hourly?: boolean;
  /** Per-minute caps of the tickets and contacts lists, below the account's (plan table: 20 / 100 / 200). Default none. */
  listCapsPerMinute?: ListCaps;
  /** Extra credits per `include` on the ticket list. Default 1. */
  includeCredits?: number;
  /** Base clock; default real time. `fake.clock.set/advance` shift it. */
  now?: () => Date;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Oldest entries of `requests` are dropped beyond this many. Default 100,000. */
  maxRecordedRequests?: number;
  /** Every answer waits a random real-time delay in [min, max] ms (Freshdesk from far away: 250–400). Default none. */
  latencyMs?: { min: number; max: number };
}

/** Adding, changing and reading the fake account's records. Each mutation sets `updated_at` = clock now unless given. */
export type FreshdeskData = Pick<
  FreshdeskStore,
  | 'addTickets'
  | 'updateTicket'
  | 'deleteTicket'
  | 'spamTicket'
  | 'restoreTicket'
  | 'addConversation'
  | 'updateConversation'
  | 'addContacts'
  | 'updateContact'
  | 'deleteContact'
  | 'addCompanies'
  | 'updateCompany'
  | 'deleteCompany'
  | 'addAgents'
  | 'updateAgent'
  | 'deleteAgent'
  | 'addGroups'
  | 'updateGroup'
  | 'deleteGroup'
  | 'addCategories'
  | 'addFolders'
  | 'addSubfolders'
  | 'addArticles'
  | 'updateArticle'
  | 'deleteCompany'
  | 'deleteAgent'
  | 'deleteGroup'
  | 'addRecords'
  | 'updateRecord'
  | 'deleteRecord'
  | 'ticket'
  | 'contact'
>;

export interface FreshdeskFaults {
  /**
   * The next `n` requests (matching `scope.path`, if given) get `status` (default 500). `Infinity` = until clear().
   * With `echoAuthorization`, the body is a validation error (`{description, errors:[{field, message, code}]}`)
   * whose message quotes the request's Authorization header and the API key decoded from it, as careless services do.
   */
  failNext(n: number, status?: number, scope?: FaultScope, options?: { echoAuthorization?: boolean }): void;
  /** The next `n` requests are accepted and never answered (until close()). */
  timeoutNext(n: number, scope?: FaultScope): void;
  /** The next `n` responses send half their body, then the rest after `ms`. */
  slowBody(n: number, ms: number, scope?: FaultScope): void;
  /** The next `n` connections are reset (TCP RST) when their request arrives. */
  resetNext(n: number, scope?: FaultScope): void;
  setRateLimit(perMinute: number): void;
  /** Switches the account to an hourly budget (true) or back to per minute. */
  setHourly(hourly: boolean): void;
  /** Per-minute caps of the tickets and contacts lists ({} removes them). */
  setListCaps(caps: ListCaps): void;
  /** Extra credits per `include` on the ticket list. */
  setIncludeCredits(credits: number): void;
  /** Requests under this path prefix (`solutions` = `/api/v2/solutions`) get 403 access_denied. */
  forbidPath(prefix: string): void;
  allowPath(prefix: string): void;
  /** Runs before each request is handled (after it is recorded). Returns an unsubscribe function. */
  onRequest(hook: RequestHook): () => void;
  /** Injected faults not yet triggered, by kind. */
  pending(): { reset: number; timeout: number; fail: number; slow: number };
  /** Drops pending faults, 403 paths and hooks. */
  clear(): void;
}

/** Switchable real-world behaviours (see the header); all off by default. */
export interface FreshdeskBehaviours {
  /** Writes made from now on reach list queries `seconds` after their updated_at (replication, slow transactions); 0 = at once. */
  lateVisibility(seconds: number): void;
  /**
   * After each of the next `pages` list pages of `path` (e.g. `tickets`) whose last record was stamped in the
   * current second is served, that record is rewritten within its second: `automation_runs` + 1, updated_at
   * unchanged (an automation right after an agent's edit). Pages whose last record is older do not count.
   */
  sameSecondRewrites(path: string, pages?: number): void;
  /**
   * After each of the next `pages` pages of `path` (`contacts`, `companies`, `agents`, `groups`) that has a next
   * page is served, the first record of that page is deleted: every later row shifts up by one.
   */
  deleteDuringScans(path: string, pages?: number): void;
  /** Whether deleting/spamming/restoring a ticket stamps its updated_at (default true; Freshdesk does not say). */
  deletesMoveUpdatedAt(on: boolean): void;
}

export interface FreshdeskFake {
  /** e.g. http://127.0.0.1:PORT; the API is under /api/v2. */
  baseUrl: string;
  apiKey: string;
  close(): Promise<void>;
  data: FreshdeskData;
  /** Adds a small realistic help desk (tickets, replies, deletes, spam, contacts, KB) spread over 45 days. */
  seedDemo(options?: DemoOptions): DemoSummary;
  /** Every request in arrival order (a live array; `fake.requests.length = 0` forgets them). */
  requests: RecordedRequest[];
  /** Requests that arrived while a Retry-After the fake issued was pending: must stay empty. */
  violations: RetryAfterViolation[];
  /** Counters over all requests, kept even when `requests` is trimmed (benchmarks: maxPage['/api/v2/tickets'] <= 300). */
  stats: RequestStats;
  faults: FreshdeskFaults;
  behaviours: FreshdeskBehaviours;
  clock: FakeClock;
}

export async function startFreshdeskFake(options: FreshdeskFakeOptions = {}): Promise<FreshdeskFake> {
  const clock = createClock(options.now);
  const store = new FreshdeskStore(clock);
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? 400);
  limiter.setHourly(options.hourly ?? false);
  limiter.setListCaps(options.listCapsPerMinute ?? {});
  const plan = new FaultPlan();
  const state: ServerState = {
    apiKey: options.apiKey ?? 'test-api-key',
    clock,
    store,
    limiter,
    includeCredits: options.includeCredits ?? 1,
    faults: plan,
    hooks: [],
    latencyMs: options.latencyMs,
    requests: [],
    violations: [],
    stats: { total: 0, byStatus: {}, maxPage: {} },
    maxRecordedRequests: options.maxRecordedRequests ?? 100_000,
    hung: new Set(),
    timers: new Set(),
    retryAfterUntilMs: 0,
    seq: 0,
    listBehaviours: { sameSecondRewrites: new Map(), deleteDuringScans: new Map() },
  };
  const server: Server = createServer({ keepAliveTimeout: 5_000 }, createHandler(state));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const faults: FreshdeskFaults = {
    failNext: (n, status = 500, scope, options) => plan.add('fail', n, { status, scope, echoAuthorization: options?.echoAuthorization }),
    timeoutNext: (n, scope) => plan.add('timeout', n, { scope }),
    slowBody: (n, ms, scope) => plan.add('slow', n, { delayMs: ms, scope }),
    resetNext: (n, scope) => plan.add('reset', n, { scope }),
    setRateLimit: (perMinute) => limiter.setPerMinute(perMinute),
    setHourly: (hourly) => limiter.setHourly(hourly),
    setListCaps: (caps) => limiter.setListCaps(caps),
    setIncludeCredits: (credits) => {
      state.includeCredits = credits;
    },
    forbidPath: (prefix) => plan.forbid(prefix),
    allowPath: (prefix) => plan.allow(prefix),
    onRequest: (hook) => {
      state.hooks.push(hook);
      return () => {
        state.hooks = state.hooks.filter((h) => h !== hook);
      };
    },
    pending: () => plan.remaining(),
    clear: () => {
      plan.clear();
      state.hooks = [];
    },
  };

  const behaviours: FreshdeskBehaviours = {
    lateVisibility: (seconds) => store.setLateVisibility(seconds),
    sameSecondRewrites: (path, pages = Infinity) => void state.listBehaviours.sameSecondRewrites.set(normalizePathPrefix(path), pages),
    deleteDuringScans: (path, pages = Infinity) => void state.listBehaviours.deleteDuringScans.set(normalizePathPrefix(path), pages),
    deletesMoveUpdatedAt: (on) => store.setDeletesMoveUpdatedAt(on),
  };

  return {
    baseUrl: `http://${host}:${address.port}`,
    apiKey: state.apiKey,
    data: store,
    seedDemo: (demoOptions) => seedDemo(store, clock, demoOptions),
    requests: state.requests,
    violations: state.violations,
    stats: state.stats,
    faults,
    behaviours,
    clock,
    close: async () => {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
