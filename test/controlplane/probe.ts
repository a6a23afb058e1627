// Readiness probing: poll an http(s) endpoint until it answers as expected, failing early (with the
// component's log tail) when the component process exits instead.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ControlPlaneError } from './errors.js';
import { logTail, sleep, type Component } from './processes.js';

/** PEM contents (not paths). */
export interface TlsClient {
  ca: string;
  cert?: string;
  key?: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

const requestTimeoutMs = 5_000;

export function httpGet(url: string, tls?: TlsClient): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const options: RequestOptions = { method: 'GET', timeout: requestTimeoutMs, ...(tls ?? {}) };
    const send = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(parsed, options, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${requestTimeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const probeIntervalMs = 100;

/** Polls `url` until `isReady(answer)`; throws with the log tail if `component` exits or time runs out. */
export async function waitUntilReady(options: {
  component: Component;
  url: string;
  tls?: TlsClient;
  timeoutMs: number;
  isReady?: (answer: HttpAnswer) => boolean;
}): Promise<void> {
  const { component, url, tls, timeoutMs } = options;
  const isReady = options.isReady ?? ((answer) => answer.status === 200);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (component.hasExited()) {
      const { code, signal } = await component.exited;
      throw await componentFailure(component, `${component.name} exited during startup (${signal ?? `exit code ${code}`})`);
    }
    try {
      const answer = await httpGet(url, tls);
      if (isReady(answer)) return;
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 500)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(probeIntervalMs);
  }
  throw await componentFailure(component, `${component.name} was not ready within ${timeoutMs / 1000} s (GET ${url}: ${last})`, 'CONTROLPLANE_READY_TIMEOUT');
}

/** An error naming the component, carrying its log tail; a port clash gets its own code so the caller can retry. */
export async function componentFailure(
  component: Component,
  summary: string,
  code: 'CONTROLPLANE_COMPONENT_EXITED' | 'CONTROLPLANE_READY_TIMEOUT' = 'CONTROLPLANE_COMPONENT_EXITED',
): Promise<ControlPlaneError> {
  const tail = await logTail(component.logPath);
  const portClash = /address already in use/i.test(tail);
  return new ControlPlaneError(
    portClash ? 'CONTROLPLANE_PORT_IN_USE' : code,
    `${summary}\n--- last lines of ${component.logPath} ---\n${tail}`,
  );
}
