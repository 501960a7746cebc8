/**
 * Test helper: a TCP proxy in front of an endpoint that carries bytes at a
 * fixed rate in each direction, shared by all its connections, like one
 * slow link.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface SlowLink {
  /** `http://127.0.0.1:PORT`, to use instead of the endpoint's URL. */
  readonly endpoint: string;
  /** Stops the proxy and cuts its connections. */
  close(): Promise<void>;
}

/** Bytes passed on at once: small, so the pace is even. */
const PIECE = 16 * 1024;

/** One direction of the link: when it is free again. */
interface Lane {
  due: number;
}

/** Passes what `from` sends to `to`, a piece at a time, each taking its time on `lane`. */
function pace(from: Socket, to: Socket, lane: Lane, bytesPerSecond: number): void {
  const forward = () => {
    const piece = (from.read(PIECE) as Buffer | null) ?? (from.read() as Buffer | null);
    if (piece === null) {
      from.once('readable', forward);
      return;
    }
    to.write(piece);
    lane.due = Math.max(lane.due, Date.now()) + (piece.byteLength / bytesPerSecond) * 1000;
    setTimeout(forward, lane.due - Date.now());
  };
  from.once('readable', forward);
  from.once('end', () => to.end());
}

/** Starts a proxy to `target` (an `http://host:port` URL) carrying `bytesPerSecond` each way. */
export async function startSlowLink(target: string, bytesPerSecond: number): Promise<SlowLink> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const up: Lane = { due: 0 };
  const down: Lane = { due: 0 };
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pace(client, upstream, up, bytesPerSecond);
    pace(upstream, client, down, bytesPerSecond);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${own}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
