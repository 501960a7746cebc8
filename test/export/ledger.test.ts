/**
 * The export ledger's contract, run on both backends: the embedded SQLite
 * file and PostgreSQL (a real server, started for the run). Claims race
 * between handles: two connections for PostgreSQL, the one handle of the
 * file twice for SQLite (which serialises them in-process).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, PostgresLedger, SqliteLedger, type ExportLedger, type PlannedArchive } from '../../src/index.js';
import { freshDatabase } from '../helpers/databases.js';

interface Backend {
  name: string;
  /** Opens `handles` handles onto one new ledger. */
  open: (handles: number) => Promise<ExportLedger[]>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const backends: Backend[] = [
  {
    name: 'SQLite',
    open: async (handles) => {
      const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
      const ledger = new SqliteLedger(join(dir, 'ledger.sqlite'));
      cleanups.push(async () => {
        await ledger.close();
        await rm(dir, { recursive: true, force: true });
      });
      return Array.from({ length: handles }, () => ledger);
    },
  },
  {
    name: 'PostgreSQL',
    open: async (handles) => {
      const url = await freshDatabase();
      const ledgers = await Promise.all(Array.from({ length: handles }, () => PostgresLedger.connect(url)));
      cleanups.push(async () => {
        for (const l of ledgers) await l.close();
      });
      return ledgers;
    },
  },
];

function archives(n: number, size = 100): PlannedArchive[] {
  return Array.from({ length: n }, (_, i) => ({
    archiveId: `id-${String(i).padStart(6, '0')}`,
    name: `dir/file-${i}.bin`,
    size,
    treeHash: 'a'.repeat(64),
    created: new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString(),
    description: i % 2 ? `caf\u00e9 ${i}` : `plain ${i}`,
    mtime: i % 3 ? null : 1_600_000_000_000 + i,
  }));
}

const claim = (worker: string, extra: Partial<Parameters<ExportLedger['claimStart']>[0]> = {}) => ({
  worker,
  leaseUntil: Date.now() + 60_000,
  now: 10 * DAY_MS,
  bytesPerDay: undefined,
  maxJobsInFlight: 1000,
  ...extra,
});

describe.each(backends)('the $name ledger', (backend) => {
  it('records a plan once, in order, with every field; adding it again changes nothing', async () => {
    const [ledger] = await backend.open(1);
    const plan = archives(1234);
    await ledger!.addToPlan(plan.slice(0, 1000));
    await ledger!.addToPlan(plan.slice(900));
    expect(await ledger!.planned()).toBe(false);
    await ledger!.completePlan();
    expect(await ledger!.planned()).toBe(true);
    const all = [];
    for await (const a of ledger!.all()) all.push(a);
    expect(all.map((a) => a.archiveId)).toEqual(plan.map((a) => a.archiveId));
    expect(all[1]).toMatchObject({ ...plan[1], state: 'pending', attempts: 0, failures: 0, jobId: null, jobReady: false, leaseOwner: null });
    expect(all[3]!.mtime).toBe(plan[3]!.mtime);
    const counts = await ledger!.counts(0);
    expect(counts.pending).toEqual({ archives: 1234, bytes: 123_400 });
    expect((await ledger!.inState(['pending'], 3)).map((a) => a.archiveId)).toEqual(['id-000000', 'id-000001', 'id-000002']);
  });

  it('keeps meta values as JSON, and compare-and-set lets exactly one of many writers win', async () => {
    const handles = await backend.open(3);
    await handles[0]!.setMeta('vault', { account: '-', name: 'v' });
    expect(await handles[1]!.getMeta('vault')).toEqual({ account: '-', name: 'v' });
    expect(await handles[1]!.getMeta('absent')).toBeUndefined();
    const wins = await Promise.all(handles.flatMap((h, i) => [h.compareAndSetMeta('scan', undefined, { by: i }), h.compareAndSetMeta('scan', undefined, { by: i + 10 })]));
    expect(wins.filter(Boolean)).toHaveLength(1);
    const now = await handles[0]!.getMeta('scan');
    const second = await Promise.all(handles.map((h, i) => h.compareAndSetMeta('scan', now, { by: 100 + i })));
    expect(second.filter(Boolean)).toHaveLength(1);
  });

  it('start claims hold the cap on jobs in flight and the rolling budget across handles, and never hand out one archive twice', async () => {
    const handles = await backend.open(3);
    await handles[0]!.addToPlan(archives(40, 100));
    const results = await Promise.all(
      handles.flatMap((h, i) => Array.from({ length: 10 }, () => h.claimStart(claim(`w${i}`, { maxJobsInFlight: 12, bytesPerDay: 2_000 })))),
    );
    const claimed = results.filter((r) => 'archiveId' in r) as Array<{ archiveId: string }>;
    // The budget (2,000 bytes of 100-byte archives) allows 20; the cap, 12 in flight.
    expect(claimed).toHaveLength(12);
    expect(new Set(claimed.map((c) => c.archiveId)).size).toBe(12);
    expect(results.filter((r) => !('archiveId' in r)).every((r) => (r as { wait: string }).wait === 'jobs')).toBe(true);
    expect((await handles[1]!.counts(0)).starting.archives).toBe(12);
    expect(await handles[2]!.spentSince(0)).toBe(1_200);
    // Move them on: the budget then binds before the cap.
    for (const c of claimed) await handles[0]!.update(c.archiveId, 'verified', { leaseOwner: null, leaseUntil: null });
    const more = await Promise.all(handles.flatMap((h) => Array.from({ length: 5 }, () => h.claimStart(claim('w', { maxJobsInFlight: 12, bytesPerDay: 2_000 })))));
    expect(more.filter((r) => 'archiveId' in r)).toHaveLength(8);
    const wait = more.find((r) => !('archiveId' in r)) as { wait: string; until?: number };
    expect(wait.wait).toBe('budget');
    expect(wait.until).toBe(10 * DAY_MS + DAY_MS + 1);
    // A day later the window has emptied.
    const later = await handles[0]!.claimStart(claim('w', { now: 11 * DAY_MS + 1, bytesPerDay: 2_000 }));
    expect('archiveId' in later).toBe(true);
    expect(await handles[0]!.spentTotal()).toEqual({ requests: 21, bytes: 2_100 });
    await handles[0]!.refund((later as { archiveId: string }).archiveId);
    expect(await handles[0]!.spentTotal()).toEqual({ requests: 20, bytes: 2_000 });
  });

  it('an archive larger than the whole budget starts alone; a back-off in meta stops every handle', async () => {
    const [ledger] = await backend.open(1);
    await ledger!.addToPlan([{ ...archives(1, 5_000)[0]! }, ...archives(3, 10).slice(1)]);
    const big = await ledger!.claimStart(claim('w', { bytesPerDay: 1_000 }));
    expect(big).toMatchObject({ archiveId: 'id-000000', state: 'starting', leaseOwner: 'w' });
    expect(await ledger!.claimStart(claim('w', { bytesPerDay: 1_000 }))).toMatchObject({ wait: 'budget' });
    await ledger!.setMeta('backoffUntil', 10 * DAY_MS + 5);
    expect(await ledger!.claimStart(claim('w'))).toEqual({ wait: 'backoff', until: 10 * DAY_MS + 5 });
    await ledger!.setMeta('backoffUntil', 0);
    await ledger!.claimStart(claim('w'));
    await ledger!.claimStart(claim('w'));
    expect(await ledger!.claimStart(claim('w'))).toEqual({ wait: 'none' });
  });

  it('claims are leases: held ones are skipped, lapsed ones are taken over, and an update by a worker that lost its lease changes nothing', async () => {
    const handles = await backend.open(2);
    await handles[0]!.addToPlan(archives(6));
    const t0 = Date.now();
    for (const a of archives(6)) await handles[0]!.update(a.archiveId, 'requested', { jobId: `job-${a.archiveId}`, jobReady: false });
    await handles[0]!.markReady(['job-id-000000', 'job-id-000001', 'job-id-000002', 'job-id-000003']);
    const [x, y] = await Promise.all([handles[0]!.claim('requested', 'A', t0 + 1_000, t0, 3, true), handles[1]!.claim('requested', 'B', t0 + 1_000, t0, 3, true)]);
    const ids = [...x!, ...y!].map((a) => a.archiveId).sort();
    expect(ids).toEqual(['id-000000', 'id-000001', 'id-000002', 'id-000003']);
    expect(await handles[0]!.claim('requested', 'C', t0 + 1_000, t0 + 500, 10, true)).toEqual([]);
    // A renews one lease; the rest lapse and C takes them.
    const keep = x![0]?.leaseOwner === 'A' ? x![0]! : y![0]!;
    await handles[0]!.renew([keep.archiveId], keep.leaseOwner!, t0 + 10_000);
    const taken = await handles[1]!.claim('requested', 'C', t0 + 20_000, t0 + 2_000, 10, true);
    expect(taken.map((a) => a.archiveId).sort()).toEqual(ids.filter((id) => id !== keep.archiveId));
    const lost = taken.find((a) => x!.some((b) => b.archiveId === a.archiveId));
    if (lost) expect(await handles[0]!.update(lost.archiveId, 'verified', {}, 'A')).toBe(false);
    expect(await handles[0]!.update(taken[0]!.archiveId, 'verified', { leaseOwner: null, leaseUntil: null }, 'C')).toBe(true);
    expect((await handles[1]!.archive(taken[0]!.archiveId))!.state).toBe('verified');
    // Not-ready archives are not handed out for writing.
    expect(await handles[0]!.claim('requested', 'D', t0 + 1_000, t0 + 50_000, 10, false)).toHaveLength(2);
  });

  it('records workers and what each has done', async () => {
    const [a, b] = await backend.open(2);
    await a!.heartbeat({ workerId: 'host-a:1:x', host: 'host-a', pid: 1, startedAt: 1, activity: 'working' });
    await b!.heartbeat({ workerId: 'host-b:2:y', host: 'host-b', pid: 2, startedAt: 2, activity: 'working' }, 1);
    await b!.heartbeat({ workerId: 'host-b:2:y', host: 'host-b', pid: 2, startedAt: 2, activity: 'waiting' }, 2);
    const workers = await a!.workers();
    expect(workers.map((w) => [w.workerId, w.activity, w.done])).toEqual([
      ['host-a:1:x', 'working', 0],
      ['host-b:2:y', 'waiting', 3],
    ]);
    expect(workers[1]!.heartbeatAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('sizes past 2^32 and a plan of 20,000 archives round-trip as numbers', async () => {
    const [ledger] = await backend.open(1);
    const plan = archives(20_000, Math.floor((44 * 1024 ** 4) / 20_000));
    plan[0]!.size = 40 * 1024 ** 4;
    await ledger!.addToPlan(plan);
    expect((await ledger!.archive('id-000000'))!.size).toBe(40 * 1024 ** 4);
    const counts = await ledger!.counts(0);
    expect(counts.pending.archives).toBe(20_000);
    expect(typeof counts.pending.bytes).toBe('number');
  });
});

it('a SQLite ledger is held by one process: a second open is refused, and leases of a dead holder are cleared on the next open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
  try {
    const path = join(dir, 'l.sqlite');
    const first = new SqliteLedger(path);
    await first.addToPlan(archives(2));
    await first.claimStart(claim('dead-worker'));
    expect(() => new SqliteLedger(path)).toThrow(/in use by another export/);
    await first.close();
    const second = new SqliteLedger(path);
    const [a] = await second.inState(['starting']);
    expect(a).toMatchObject({ leaseOwner: null, leaseUntil: null });
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('PostgreSQL: planning is serialised by its lock, and a connection string never shows its password', async () => {
  const url = await freshDatabase();
  const [a, b] = await Promise.all([PostgresLedger.connect(url), PostgresLedger.connect(url)]);
  try {
    const order: string[] = [];
    await Promise.all(
      [a, b].map((l, i) =>
        l.withPlanLock(async () => {
          order.push(`in${i}`);
          await new Promise((r) => setTimeout(r, 100));
          order.push(`out${i}`);
        }),
      ),
    );
    expect([order[0]![0], order[1]!.slice(0, 3)]).toEqual(['i', 'out']);
    const secret = new URL(url);
    secret.password = 'hunter2';
    await expect(PostgresLedger.connect(secret.toString().replace('127.0.0.1', '127.0.0.1:1'))).rejects.toThrow(/^(?!.*hunter2)/);
    expect(a.location).not.toContain('hunter2');
  } finally {
    await a.close();
    await b.close();
  }
});
