/**
 * A TCP proxy on loopback that a test can cut and restore, to take a server "away" from the processes
 * that use it without touching the server itself.
 *
 * Why not restart PostgreSQL: the test server on 127.0.0.1:5432 is shared (by other test files running
 * at the same time, and by developers' other work); restarting it would fail them. Cutting the proxy is,
 * for the processes behind it, the same event: every open connection breaks at once, and new ones are
 * refused until it is restored.
 *
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * await proxy.cut();       // every connection through it drops; new ones are refused
 * await proxy.restore();   // connections go through again
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port to connect to instead of the target's. */
  readonly port: number;
  /** Drops every connection and refuses new ones (the port stops listening). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Connections currently open through it. */
  readonly connections: number;
  /** Cuts and forgets it. */
  close(): Promise<void>;
}

/** Starts a proxy to `target`, listening (unless `listening: false`) on a free loopback port. */
export async function startTcpProxy(
  target: { host: string; port: number },
  { listening = true }: { listening?: boolean } = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });

  async function restore(): Promise<void> {
    if (server) return;
    const listener = createServer((client) => {
      const upstream = connect(target.port, target.host);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    server = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => resolve());
    });
  }

  async function cut(): Promise<void> {
    const listener = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  if (listening) await restore();
  return {
    port,
    cut,
    restore,
    get connections() {
      return sockets.size / 2;
    },
    close: cut,
  };
}
