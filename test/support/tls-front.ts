// An https:// origin in front of an http:// one (a fake), with a certificate of the test's own CA: the way
// the real Freshdesk and most sinks are reached, so proxy tunnels and private CA bundles can be tested.
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface TlsFront {
  /** `https://localhost:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves https on 127.0.0.1 with `cert`/`key` (valid for localhost) and passes every request on to `origin`. */
export async function startTlsFront(origin: string, tls: { certFile: string; keyFile: string }): Promise<TlsFront> {
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
  const server: Server = createServer({ cert, key }, (req, res) => {
    const upstream = httpRequest(new URL(req.url ?? '/', origin), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
