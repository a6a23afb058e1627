// A TCP proxy in front of a server (TLS passes through untouched) that can stop passing on what clients send:
// once frozen, requests go out and are never answered, as from an API server that hangs, while what the server
// sends (watch events) still arrives. For tests of what a client does about a request that never ends.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FreezableProxy {
  /** `127.0.0.1:<port>`: point a kubeconfig's server at `https://` + this. */
  readonly address: string;
  /** From now on, bytes from clients are held back (on open and new connections) and counted. */
  freeze(): void;
  /** Bytes clients sent since freeze() (0 before). */
  heldBytes(): number;
  close(): Promise<void>;
}

export async function startFreezableProxy(upstream: { host: string; port: number }): Promise<FreezableProxy> {
  let frozen = false;
  let held = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const server = connect(upstream.port, upstream.host);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    server.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (frozen) held += chunk.length;
      else server.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    freeze: () => {
      frozen = true;
    },
    heldBytes: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
