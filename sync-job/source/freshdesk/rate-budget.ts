// The per-tenant credit budget shared by all streams, metered as Freshdesk meters it: credits per request
// (X-Ratelimit-Used-CurrentRequest; an `include=` costs extra), one account-wide per-minute budget of which the
// job takes only a share, per-endpoint list caps (tickets and contacts lists have their own, lower, per-minute
// caps on paid plans), a tenant-wide pause while a 429's Retry-After is pending, and the run's deadline.
import type { Clock } from '../../core/clock.js';
import { throwIfAborted } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';

export const rateWindowMs = 60_000;
/** Added to the sliding window: a request arrives a little after we send it, and the server counts arrivals. */
export const windowGuardMs = 1_000;
/** Pacing starts when the remaining budget falls to this share of the total (or 1 credit, if more). */
export const lowRemainingFraction = 0.2;
/** Share of the account's budget the job takes by default: the rest is left to the customer's other integrations. */
export const defaultBudgetSharePercent = 80;

/** Endpoints Freshdesk caps on their own, below the account budget. */
export const listEndpoints = ['tickets', 'contacts'] as const;
export type ListEndpoint = (typeof listEndpoints)[number];
export type ListCaps = Partial<Record<ListEndpoint, number>>;

/**
 * Freshdesk's plans (FRESHDESK.md): account credits per minute → the tickets-list and contacts-list caps.
 * Growth is documented as 200 in one copy of the docs and 100 in another; both map to 20.
 */
export const planListCaps: ReadonlyMap<number, Required<ListCaps>> = new Map([
  [100, { tickets: 20, contacts: 20 }],
  [200, { tickets: 20, contacts: 20 }],
  [400, { tickets: 100, contacts: 100 }],
  [700, { tickets: 200, contacts: 200 }],
]);

/** One request's credits inside the sliding window. */
export interface SpentCredits {
  atMs: number;
  credits: number;
}

/**
 * The earliest instant at which `credits` more fit under `limit` inside any sliding window of
 * `rateWindowMs` (+ guard), given what was spent (oldest first). `nowMs` when they fit already.
 */
export function windowFreeAtMs(spent: readonly SpentCredits[], limit: number, credits: number, nowMs: number): number {
  let used = spent.reduce((sum, entry) => sum + entry.credits, 0);
  // A request costing more than the whole limit goes alone, once the window is empty.
  const need = Math.min(credits, limit);
  for (const entry of spent) {
    if (used + need <= limit) break;
    used -= entry.credits;
    nowMs = Math.max(nowMs, entry.atMs + rateWindowMs + windowGuardMs);
  }
  return nowMs;
}

export interface RateBudgetState {
  nowMs: number;
  /** No request before this instant (a 429's Retry-After). */
  pausedUntilMs: number;
  /** Credits of our requests inside the last window, oldest first. */
  spent: readonly SpentCredits[];
  /** Credits the next request is expected to cost. */
  credits: number;
  /** Most restrictive per-minute credit ceiling of the account known (configured, or the job's share of the total). */
  ceilingPerMinute: number | undefined;
  /** The endpoint's own cap and what we spent on it, when the next request goes to a capped list. */
  endpoint?: { capPerMinute: number; spent: readonly SpentCredits[] };
  /** Last X-Ratelimit-Remaining / -Total seen and when. */
  remaining: number | undefined;
  total: number | undefined;
  lastResponseAtMs: number | undefined;
  /**
   * At most how many of our credits the server had counted when it answered the last response: ours in our window
   * when that request was sent, plus all we sent since (what `remaining` is compared with).
   */
  spentAtLastResponse?: number;
}

/**
 * How long to wait before the next request (0 = go now). The longest wait wins: a pending Retry-After; never
 * more credits than the ceiling inside any sliding 60 s window (which also fits any fixed minute window), and
 * the same for a capped list endpoint; and when the headers say the account-wide budget is nearly spent by others
 * (othersAreSpending), spread the remaining credits over a window — windowMs/(remaining+1) apart, a full window
 * when nothing remains — so other apps' usage slows us down before the server answers 429.
 */
export function nextRequestDelayMs(state: RateBudgetState): number {
  let until = state.pausedUntilMs;
  const { ceilingPerMinute, nowMs } = state;
  if (ceilingPerMinute !== undefined) until = Math.max(until, windowFreeAtMs(state.spent, ceilingPerMinute, state.credits, nowMs));
  if (state.endpoint) until = Math.max(until, windowFreeAtMs(state.endpoint.spent, state.endpoint.capPerMinute, state.credits, nowMs));
  if (state.remaining !== undefined && state.total !== undefined && state.lastResponseAtMs !== undefined) {
    const low = Math.max(1, Math.floor(state.total * lowRemainingFraction));
    if (state.remaining <= low && othersAreSpending(state)) {
      // Counted in requests of the next one's cost (an `include=` makes a ticket page cost 3 credits).
      const requestsLeft = Math.floor(state.remaining / Math.max(1, state.credits));
      until = Math.max(until, state.lastResponseAtMs + Math.ceil(rateWindowMs / (requestsLeft + 1)));
    }
  }
  return Math.max(0, until - nowMs);
}

/**
 * True when the account had fewer credits left than the job's own accounting allowed it to spend: someone else is
 * spending them. The server's window is no longer than ours, so with nobody else, `remaining` ≥ ceiling − what we
 * could have had in it when it answered (spentAtLastResponse): the job's own ceiling stops it before the account
 * runs dry, and spreading its last requests over the window would only slow it down. Both sides are taken as of
 * that answer: its `remaining` describes the server's window of then, which may have closed since (a stale
 * "0 left" must not hold us back a whole window once our own credits have left our window).
 * Without a known ceiling, any low `remaining` counts.
 */
function othersAreSpending(state: RateBudgetState): boolean {
  if (state.ceilingPerMinute === undefined || state.remaining === undefined || state.spentAtLastResponse === undefined) return true;
  return state.remaining < state.ceilingPerMinute - state.spentAtLastResponse;
}

export interface RateHeaders {
  total?: number;
  remaining?: number;
  /** X-Ratelimit-Used-CurrentRequest: the credits this request cost. */
  used?: number;
}

/** X-Ratelimit-Total / -Remaining / -Used-CurrentRequest as numbers (undici lower-cases header names). */
export function readRateHeaders(headers: Record<string, string | string[] | undefined>): RateHeaders {
  const num = (name: string): number | undefined => {
    const raw = headers[name];
    const text = Array.isArray(raw) ? raw[0] : raw;
    if (text === undefined) return undefined;
    const value = Number(text);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return { total: num('x-ratelimit-total'), remaining: num('x-ratelimit-remaining'), used: num('x-ratelimit-used-currentrequest') };
}

/** The capped list a request goes to: `GET /tickets` and `GET /contacts` (not a ticket's conversations). */
export function listEndpointOf(path: string): ListEndpoint | undefined {
  const name = path.replace(/^\/+|\/+$/g, '');
  return (listEndpoints as readonly string[]).includes(name) ? (name as ListEndpoint) : undefined;
}

/** `share` percent of a limit, at least 1. */
export function shareOf(limit: number, sharePercent: number): number {
  return Math.max(1, Math.floor((limit * sharePercent) / 100));
}

export interface RateBudgetOptions {
  clock: Clock;
  /** Ceiling on this tenant's credits per minute (config rateLimitPerMinute). */
  configuredPerMinute?: number;
  /** Share of the account's budget (and of each list cap) the job may use, 1–100. Default 80. */
  sharePercent?: number;
  /** Configured list caps (the plan's); otherwise learned from X-Ratelimit-Total or from a 429. */
  listCapsPerMinute?: ListCaps;
  /** Epoch ms by which the run must end: a Retry-After reaching past it ends the run instead of sleeping. */
  deadlineMs?: number;
  /** Called with the wait before it starts, for logs and metrics. */
  onWait?: (ms: number, reason: 'paced' | 'paused') => void;
  /** Called once when a list cap is learned (from the plan's total or from a 429). */
  onLearn?: (endpoint: ListEndpoint, capPerMinute: number, from: 'plan' | '429') => void;
}

/** What one `acquire` reserved; `settle` it with the credits the response says were used. */
export interface CreditTicket {
  readonly entry: SpentCredits;
  readonly endpoint: ListEndpoint | undefined;
  /** Credits of ours in the window when this request was sent (itself included). */
  inWindowAtSend: number;
  /** The budget's running total of credits sent, just after this request. */
  sentTotalAtSend: number;
}

export class RateBudget {
  private readonly clock: Clock;
  private readonly options: RateBudgetOptions;
  private readonly sharePercent: number;
  private pausedUntilMs = 0;
  private spent: SpentCredits[] = [];
  private readonly endpointSpent = new Map<ListEndpoint, SpentCredits[]>();
  private readonly learnedCaps = new Map<ListEndpoint, number>();
  private headers: RateHeaders = {};
  private lastResponseAtMs: number | undefined;
  private spentAtLastResponse: number | undefined;
  /** Credits of every request sent so far (settled where known): how much was sent between two moments. */
  private sentTotal = 0;
  private headerTotal: number | undefined;

  constructor(options: RateBudgetOptions) {
    this.clock = options.clock;
    this.options = options;
    this.sharePercent = options.sharePercent ?? defaultBudgetSharePercent;
  }

  /**
   * Waits until a request of `credits` (the expected cost) to `path` may be sent and records it as sent.
   * Throws RATE_LIMIT_PAST_DEADLINE at once when a pending Retry-After reaches past the run's deadline.
   */
  async acquire(signal?: AbortSignal, path = '', credits = 1): Promise<CreditTicket> {
    const endpoint = listEndpointOf(path);
    for (;;) {
      throwIfAborted(signal);
      this.throwIfPausedPastDeadline();
      const state = this.state(endpoint, credits);
      const waitMs = nextRequestDelayMs(state);
      if (waitMs <= 0) break;
      this.onWaitPastDeadline(waitMs);
      this.options.onWait?.(waitMs, state.pausedUntilMs > state.nowMs ? 'paused' : 'paced');
      await this.clock.sleep(waitMs, signal);
    }
    const entry = { atMs: this.clock.nowMs(), credits };
    this.spent.push(entry);
    if (endpoint) this.spentOn(endpoint).push(entry);
    this.sentTotal += credits;
    return { entry, endpoint, inWindowAtSend: this.spent.reduce((sum, e) => sum + e.credits, 0), sentTotalAtSend: this.sentTotal };
  }

  /** The credits a request really cost (X-Ratelimit-Used-CurrentRequest), replacing the estimate. */
  settle(ticket: CreditTicket, usedCredits: number | undefined): void {
    if (usedCredits === undefined) return;
    const change = usedCredits - ticket.entry.credits;
    ticket.entry.credits = usedCredits;
    ticket.inWindowAtSend += change;
    this.sentTotal += change;
  }

  /**
   * Records a response's rate headers; a known plan total teaches the list caps of that plan. `ticket`: the request
   * it answers (without one, what is in our window now stands for what the server had counted).
   */
  observe(headers: RateHeaders, ticket?: CreditTicket): void {
    if (headers.total !== undefined && headers.total !== this.headerTotal) {
      this.headerTotal = headers.total;
      const plan = planListCaps.get(headers.total);
      for (const endpoint of listEndpoints) {
        if (plan && this.options.listCapsPerMinute?.[endpoint] === undefined && !this.learnedCaps.has(endpoint)) {
          this.learnedCaps.set(endpoint, plan[endpoint]);
          this.options.onLearn?.(endpoint, plan[endpoint], 'plan');
        }
      }
    }
    if (headers.remaining !== undefined || headers.total !== undefined) {
      this.headers = { ...this.headers, total: headers.total ?? this.headers.total, remaining: headers.remaining ?? this.headers.remaining };
      this.lastResponseAtMs = this.clock.nowMs();
      this.spentAtLastResponse = ticket
        ? ticket.inWindowAtSend + (this.sentTotal - ticket.sentTotalAtSend)
        : this.spent.reduce((sum, entry) => sum + entry.credits, 0);
    }
  }

  /**
   * A 429. When the account still had credits left (X-Ratelimit-Remaining > 0), it was the endpoint's own cap:
   * learn it as the credits we spent on that endpoint in the last window. Either way the whole tenant pauses
   * for `ms` — or, when that reaches past the deadline, the run ends (RATE_LIMIT_PAST_DEADLINE).
   */
  rateLimited(ticket: CreditTicket | undefined, remaining: number | undefined, ms: number): void {
    const endpoint = ticket?.endpoint;
    if (endpoint && remaining !== undefined && remaining > 0 && this.options.listCapsPerMinute?.[endpoint] === undefined) {
      const now = this.clock.nowMs();
      const inWindow = this.spentOn(endpoint).filter((e) => e !== ticket.entry && e.atMs > now - rateWindowMs - windowGuardMs);
      const cap = Math.max(1, inWindow.reduce((sum, e) => sum + e.credits, 0));
      const known = this.learnedCaps.get(endpoint);
      if (known === undefined || cap < known) {
        this.learnedCaps.set(endpoint, cap);
        this.options.onLearn?.(endpoint, cap, '429');
      }
    }
    if (ticket) ticket.entry.credits = 0;
    this.pause(ms);
  }

  /** Pauses the whole tenant: no request of any stream until `ms` from now. */
  pause(ms: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.clock.nowMs() + ms);
    // The 429's "remaining: 0" describes the window that Retry-After waits out; pacing on it would wait twice.
    this.headers = { total: this.headers.total };
    this.throwIfPausedPastDeadline();
  }

  get pausedUntil(): number {
    return this.pausedUntilMs;
  }

  /** The per-minute cap in force for a list endpoint (configured or learned, then the job's share of it). */
  endpointCap(endpoint: ListEndpoint): number | undefined {
    const cap = this.options.listCapsPerMinute?.[endpoint] ?? this.learnedCaps.get(endpoint);
    return cap === undefined ? undefined : shareOf(cap, this.sharePercent);
  }

  /** min(configured ceiling, the job's share of X-Ratelimit-Total). */
  ceiling(): number | undefined {
    const values = [this.options.configuredPerMinute, this.headerTotal === undefined ? undefined : shareOf(this.headerTotal, this.sharePercent)]
      .filter((v): v is number => v !== undefined && v > 0);
    return values.length === 0 ? undefined : Math.min(...values);
  }

  private throwIfPausedPastDeadline(): void {
    const deadline = this.options.deadlineMs;
    if (deadline === undefined || this.pausedUntilMs <= deadline) return;
    const waitSeconds = Math.ceil((this.pausedUntilMs - this.clock.nowMs()) / 1000);
    throw new SyncError(
      'RATE_LIMIT_PAST_DEADLINE',
      `Freshdesk's rate limit means waiting ${waitSeconds} s, until ${new Date(this.pausedUntilMs).toISOString()}, past this run's deadline ${new Date(deadline).toISOString()}` +
        `${waitSeconds > rateWindowMs / 1000 ? ' (the account is probably on an hourly limit)' : ''}; ` +
        'the run ends now with the acknowledged cursors and the next run continues from them',
    );
  }

  /** Pacing waits that cannot end before the deadline end the run the same way. */
  private onWaitPastDeadline(waitMs: number): void {
    const deadline = this.options.deadlineMs;
    if (deadline === undefined || this.clock.nowMs() + waitMs <= deadline) return;
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.clock.nowMs() + waitMs);
    this.throwIfPausedPastDeadline();
  }

  private spentOn(endpoint: ListEndpoint): SpentCredits[] {
    let list = this.endpointSpent.get(endpoint);
    if (!list) {
      list = [];
      this.endpointSpent.set(endpoint, list);
    }
    return list;
  }

  private state(endpoint: ListEndpoint | undefined, credits: number): RateBudgetState {
    const nowMs = this.clock.nowMs();
    this.prune(nowMs);
    const cap = endpoint && this.endpointCap(endpoint);
    return {
      nowMs,
      pausedUntilMs: this.pausedUntilMs,
      spent: this.spent,
      credits,
      ceilingPerMinute: this.ceiling(),
      ...(endpoint && cap !== undefined ? { endpoint: { capPerMinute: cap, spent: this.spentOn(endpoint) } } : {}),
      remaining: this.headers.remaining,
      total: this.headers.total,
      lastResponseAtMs: this.lastResponseAtMs,
      spentAtLastResponse: this.spentAtLastResponse,
    };
  }

  private prune(nowMs: number): void {
    const keep = (list: SpentCredits[]) => {
      let drop = 0;
      while (drop < list.length && list[drop]!.atMs <= nowMs - rateWindowMs - windowGuardMs) drop++;
      return drop > 0 ? list.slice(drop) : list;
    };
    this.spent = keep(this.spent);
    for (const [endpoint, list] of this.endpointSpent) this.endpointSpent.set(endpoint, keep(list));
  }
}
