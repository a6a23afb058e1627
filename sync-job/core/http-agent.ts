// The job's one undici dispatcher (a keep-alive pool per origin: the source and the sink), its timeouts, its
// egress proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), and which transport failures are worth retrying.
import { EnvHttpProxyAgent } from 'undici';

export interface HttpTimeouts {
  connectTimeoutMs: number;
  /** Until the response headers arrive. */
  headersTimeoutMs: number;
  /** Between body chunks. */
  bodyTimeoutMs: number;
}

export const httpTimeoutDefaults: HttpTimeouts = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 60_000,
};

export const keepAliveTimeoutMs = 30_000;
/** Sockets per origin: a ticket page and childFetchConcurrency conversation requests at once, with room to spare. */
export const connectionsPerOrigin = 8;

/**
 * Honours the proxy variables as curl does (lower-case names first, then upper-case): https:// origins
 * through HTTPS_PROXY by CONNECT (else HTTP_PROXY), http:// origins through HTTP_PROXY, hosts that NO_PROXY
 * names (`host`, `.domain`, `*.domain`, `host:port`, `*`) directly. Without them it is a plain Agent.
 */
export function createHttpAgent(timeouts: HttpTimeouts = httpTimeoutDefaults): EnvHttpProxyAgent {
  return new EnvHttpProxyAgent({
    connections: connectionsPerOrigin,
    keepAliveTimeout: keepAliveTimeoutMs,
    connect: { timeout: timeouts.connectTimeoutMs },
    // The proxy's own connection (ProxyAgent replaces `connect` with its tunnel).
    connectTimeout: timeouts.connectTimeoutMs,
    headersTimeout: timeouts.headersTimeoutMs,
    bodyTimeout: timeouts.bodyTimeoutMs,
  });
}

const retryableErrorCodes = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** True for timeouts, resets and refused connections: the request may succeed if tried again. */
export function isRetryableTransportError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && retryableErrorCodes.has(code)) return true;
    current = current.cause;
  }
  return false;
}

/** A short description of a transport failure, e.g. `UND_ERR_HEADERS_TIMEOUT (Headers Timeout Error)`. */
export function describeTransportError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} (${error.message})` : error.message;
}
