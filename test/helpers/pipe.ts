/**
 * Passes an accepted connection (TCP, or TLS once decrypted) through to a
 * loopback port, both ways, for test fronts and proxies before the local
 * endpoint. Each side's end or failure closes both.
 */
import { connect, type Socket } from 'node:net';

/** Pipes `client` to `127.0.0.1:port`. Both sockets are in `open` until they close, so a test can destroy what is left. */
export function pipeToPort(client: Socket, port: number, open: Set<Socket>): void {
  const upstream = connect(port, '127.0.0.1');
  for (const s of [client, upstream]) {
    open.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      open.delete(s);
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
}
