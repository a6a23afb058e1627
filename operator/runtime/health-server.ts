// The operator's HTTP endpoints: /healthz (process alive), /readyz (caches synced; a standby is
// ready too) and /metrics (Prometheus text from the operator's registry), on one address.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorFields, type Logger } from './logger.js';
import type { Readiness } from './manager.js';
import { untilAborted } from './sleep.js';

export const defaultHealthAddress = ':8080';

export interface HealthServerOptions {
  /** `host:port`, `:port` (all interfaces) or `127.0.0.1:0` (any free port; see `port()`). */
  address: string;
  registry: Registry;
  readiness: () => Readiness;
  logger: Logger;
}

/** Splits `host:port` / `:port` / `[::1]:port`. Pure. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`invalid listen address "${address}": use host:port or :port`);
  const host = m[1] ?? (m[2] || undefined);
  return { host, port: Number(m[3]) };
}

/** A Runnable (every replica runs it) serving health, readiness and metrics until aborted. */
export class HealthServer {
  readonly name = 'health-server';
  readonly needLeaderElection = false;
  private readonly opts: HealthServerOptions;
  private server: Server | undefined;
  private listening: Promise<void> | undefined;
  private resolveListening: (() => void) | undefined;

  constructor(opts: HealthServerOptions) {
    this.opts = opts;
    parseListenAddress(opts.address); // fail at construction, not at start
    this.listening = new Promise((resolve) => (this.resolveListening = resolve));
  }

  /** Resolves once the server listens. */
  whenListening(): Promise<void> {
    return this.listening ?? Promise.resolve();
  }

  /** The bound port (after listening). */
  port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  async start(signal: AbortSignal): Promise<void> {
    const { host, port } = parseListenAddress(this.opts.address);
    const server = createServer((req, res) => {
      void this.handle(req.url ?? '/', req.method ?? 'GET').then(
        ({ status, type, body }) => {
          res.writeHead(status, { 'Content-Type': type });
          res.end(body);
        },
        (err: unknown) => {
          this.opts.logger.error({ error: errorFields(err) }, 'health server request failed');
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end('internal error\n');
        },
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.opts.logger.info({ address: this.opts.address, port: this.port() }, 'serving /healthz, /readyz and /metrics');
    this.resolveListening?.();
    await untilAborted(signal);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(url: string, method: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, type: 'text/plain', body: 'method not allowed\n' };
    if (path === '/healthz' || path === '/livez') return { status: 200, type: 'text/plain', body: 'ok\n' };
    if (path === '/readyz') {
      const r = this.opts.readiness();
      return { status: r.ready ? 200 : 503, type: 'application/json', body: JSON.stringify(r) + '\n' };
    }
    if (path === '/metrics') {
      return { status: 200, type: this.opts.registry.contentType, body: await this.opts.registry.metrics() };
    }
    return { status: 404, type: 'text/plain', body: 'not found\n' };
  }
}
