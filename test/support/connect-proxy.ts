// A small HTTP proxy on loopback, as egress proxies (squid) work: CONNECT tunnels for https:// origins and
// absolute-form requests (`GET http://host/path`) for http:// ones. It records what it carried, so a test
// can tell which requests went through it.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`: the value of HTTPS_PROXY / HTTP_PROXY. */
  readonly url: string;
  /** `host:port` of every CONNECT tunnel opened. */
  readonly tunnels: string[];
  /** Absolute URLs of every plain-http request forwarded. */
  readonly forwarded: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  /** Tunnels leave the HTTP server's bookkeeping: closed by hand. */
  const tunnelSockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const target = new URL(req.url ?? '');
    forwarded.push(target.href);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client, head: Buffer) => {
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    tunnels.push(`${host}:${port}`);
    const upstream = connectTcp(Number(port), host.replace(/^\[(.*)\]$/, '$1'), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [upstream, client as Socket]) {
      tunnelSockets.add(socket);
      socket.on('close', () => tunnelSockets.delete(socket));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of tunnelSockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
