// Injected failures of the fake Freshdesk: one-shot or counted faults matched by path prefix, and
// persistent 403s per path prefix. `n = Infinity` makes a fault persistent until clear().

export type FaultKind = 'reset' | 'timeout' | 'fail' | 'slow';

/** Limits a fault to requests whose path starts with this prefix (`tickets` = `/api/v2/tickets`). */
export interface FaultScope {
  path?: string;
}

interface PendingFault {
  kind: FaultKind;
  remaining: number;
  status: number;
  delayMs: number;
  pathPrefix: string | undefined;
  echoAuthorization: boolean;
}

export interface TriggeredFault {
  kind: FaultKind;
  status: number;
  delayMs: number;
  /** The error body quotes the request's Authorization header and the API key in it (as some services do). */
  echoAuthorization: boolean;
}

/** `tickets`, `/tickets` and `/api/v2/tickets` all name the same prefix. */
export function normalizePathPrefix(prefix: string): string {
  const trimmed = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return trimmed.startsWith('/api/') ? trimmed : `/api/v2${trimmed}`;
}

/** Precedence when several faults match one request: the network-level ones win. */
const precedence: FaultKind[] = ['reset', 'timeout', 'fail', 'slow'];

export class FaultPlan {
  private pending: PendingFault[] = [];
  private forbidden: string[] = [];

  add(kind: FaultKind, count: number, options: { status?: number; delayMs?: number; scope?: FaultScope; echoAuthorization?: boolean } = {}): void {
    if (!(count > 0)) return;
    this.pending.push({
      kind,
      remaining: count,
      status: options.status ?? 500,
      delayMs: options.delayMs ?? 0,
      pathPrefix: options.scope?.path === undefined ? undefined : normalizePathPrefix(options.scope.path),
      echoAuthorization: options.echoAuthorization ?? false,
    });
  }

  /** Consumes and returns the fault of one of `kinds` this request triggers, if any. */
  take(path: string, kinds: readonly FaultKind[] = precedence): TriggeredFault | undefined {
    for (const kind of precedence.filter((k) => kinds.includes(k))) {
      const fault = this.pending.find((f) => f.kind === kind && f.remaining > 0 && (!f.pathPrefix || path.startsWith(f.pathPrefix)));
      if (!fault) continue;
      fault.remaining--;
      this.pending = this.pending.filter((f) => f.remaining > 0);
      return { kind, status: fault.status, delayMs: fault.delayMs, echoAuthorization: fault.echoAuthorization };
    }
    return undefined;
  }

  forbid(prefix: string): void {
    this.forbidden.push(normalizePathPrefix(prefix));
  }

  allow(prefix: string): void {
    const normalized = normalizePathPrefix(prefix);
    this.forbidden = this.forbidden.filter((p) => p !== normalized);
  }

  isForbidden(path: string): boolean {
    return this.forbidden.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  }

  /** Faults not yet triggered, by kind (for assertions that a test used up what it injected). */
  remaining(): Record<FaultKind, number> {
    const counts: Record<FaultKind, number> = { reset: 0, timeout: 0, fail: 0, slow: 0 };
    for (const fault of this.pending) counts[fault.kind] += fault.remaining;
    return counts;
  }

  clear(): void {
    this.pending = [];
    this.forbidden = [];
  }
}
