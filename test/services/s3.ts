/**
 * A real S3-compatible server for tests and the bench: moto's server
 * (`python3 -m moto.server`), on a free loopback port, stopped by `stop()`.
 *
 * What it checks and what it does not (measured): it stores the bytes it
 * receives and answers HeadObject / GetObjectAttributes with checksums it
 * computes itself from those bytes (SHA-256, full-object CRC32 of a
 * multipart upload), keeps user metadata and the storage class, and
 * enforces bucket names. It does NOT reject a request whose
 * `x-amz-checksum-*` value disagrees with the body, nor a
 * CompleteMultipartUpload whose full-object checksum is wrong. The tests
 * therefore compare the checksums the server computed against the expected
 * bytes' own, rather than rely on a refusal.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './postgres.js';

/** A running server. */
export interface TestS3 {
  /** Its endpoint, e.g. `http://127.0.0.1:5000`. */
  endpoint: string;
  /** Stops it. */
  stop: () => Promise<void>;
}

/** Starts moto's S3 server; throws with what to install when moto is missing. */
export async function startS3(): Promise<TestS3> {
  if (spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status !== 0) {
    throw new Error("python3's moto (with its server extras) was not found: install it (pip install 'moto[server]'), or set GLACIER_TEST_S3_ENDPOINT to an S3-compatible server the tests may use.");
  }
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto's server exited with status ${child.exitCode} at start.`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error("moto's server did not answer within 30 s.");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
