// Client-side rate limiting of requests to the API server (client-go's token bucket): `qps` tokens a
// second, at most `burst` saved up; a request waits for its token, so one process never floods the server.

/** Defaults (controller-runtime's; client-go's bare rest.Config uses 5/10, too slow for 1,000 tenants). */
export const defaultKubeApiQps = 20;
export const defaultKubeApiBurst = 30;

/**
 * A token bucket. `take` reserves the next token and waits until it is due (like x/time/rate's Wait):
 * requests are served in arrival order at `qps` once the burst is spent. A caller that aborts while
 * waiting gives its token back.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    /** A monotonic clock in ms: wall-clock jumps must not mint or eat tokens. */
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`rate limit needs qps > 0 and burst >= 1, got qps ${qps}, burst ${burst}`);
    this.tokens = burst;
    this.lastMs = nowMs();
  }

  /** Milliseconds the caller must wait for the token it just reserved (0 = go now). */
  reserve(): number {
    const now = this.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) / 1000) * this.qps);
    this.lastMs = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Returns a reserved token that will not be used (its request was aborted while waiting). */
  cancel(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** Waits for a token; rejects with the signal's reason when it aborts first (the token is given back). */
  async take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    const waitMs = this.reserve();
    if (waitMs === 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        this.cancel();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
