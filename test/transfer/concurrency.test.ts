/**
 * The AIMD controller on a simulated link and clock: each request carries
 * `perRequest` units/s, the link `total` units/s in all.
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, isBackOffSignal } from '../../src/transfer/concurrency.js';

/** Runs the controller for `ms` simulated milliseconds in 10 ms steps, returning the limits it set. */
function simulate(controller: AdaptiveConcurrency, clock: { t: number }, link: { perRequest: number; total: number }, ms: number): number[] {
  const limits: number[] = [];
  for (const end = clock.t + ms; clock.t < end; clock.t += 10) {
    controller.running(controller.limit);
    const rate = Math.min(controller.limit * link.perRequest, link.total);
    controller.moved((rate * 10) / 1000);
    if (limits.at(-1) !== controller.limit) limits.push(controller.limit);
  }
  return limits;
}

function make(options: ConstructorParameters<typeof AdaptiveConcurrency>[0] = {}) {
  const clock = { t: 0 };
  const controller = new AdaptiveConcurrency({ now: () => clock.t, ...options });
  return { clock, controller };
}

describe('AdaptiveConcurrency (AIMD with slow start)', () => {
  it('starts at 16, doubles while throughput rises, and settles at the link: 8 MB/s a request, 125 MB/s in all', () => {
    const { clock, controller } = make();
    const limits = simulate(controller, clock, { perRequest: 8, total: 125 }, 20_000);
    expect(limits.slice(0, 2)).toEqual([16, 32]);
    // 32 brought nothing over 16: back to 16, which fills the link (16 × 8 > 125).
    expect(limits[2]).toBe(16);
    expect(controller.limit).toBeGreaterThanOrEqual(16);
    expect(controller.limit).toBeLessThanOrEqual(18);
  });

  it('doubles from a low start while throughput rises: 4, 8, 16 on a 2 MB/s-a-request, 40 MB/s link', () => {
    const { clock, controller } = make({ initial: 4 });
    const limits = simulate(controller, clock, { perRequest: 2, total: 40 }, 20_000);
    expect(limits.slice(0, 4)).toEqual([4, 8, 16, 32]);
    // 32 brought nothing over 16 (20 × 2 fills the link): back to 16, then one step at a time.
    expect(limits[4]).toBe(16);
    expect(controller.limit).toBeGreaterThanOrEqual(16);
    expect(controller.limit).toBeLessThanOrEqual(21);
  });

  it('stays where it starts when more requests bring nothing (a CPU-bound loopback)', () => {
    const { clock, controller } = make({ initial: 4 });
    simulate(controller, clock, { perRequest: 100, total: 300 }, 10_000);
    expect(controller.limit).toBeLessThanOrEqual(5);
    expect(controller.limit).toBeGreaterThanOrEqual(3);
  });

  it('never passes max (the memory budget)', () => {
    const { clock, controller } = make({ max: 12 });
    const limits = simulate(controller, clock, { perRequest: 1, total: 1000 }, 10_000);
    expect(Math.max(...limits)).toBe(12);
  });

  it('halves on a back-off signal, once per window, and holds before rising again', () => {
    const { clock, controller } = make({ initial: 16 });
    controller.backOff();
    controller.backOff();
    expect(controller.limit).toBe(8);
    clock.t += 600;
    controller.backOff();
    expect(controller.limit).toBe(4);
    const limits = simulate(controller, clock, { perRequest: 1, total: 1000 }, 1400);
    expect(limits).toEqual([4]);
    simulate(controller, clock, { perRequest: 1, total: 1000 }, 5000);
    expect(controller.limit).toBeGreaterThan(4);
  });

  it('does not rise on windows where fewer requests ran than it allows', () => {
    const { clock, controller } = make({ initial: 8 });
    for (const end = clock.t + 5000; clock.t < end; clock.t += 10) {
      controller.running(2);
      controller.moved(10);
    }
    expect(controller.limit).toBe(8);
  });

  it('a pinned limit never moves', () => {
    const { clock, controller } = make({ pinned: 3 });
    simulate(controller, clock, { perRequest: 8, total: 125 }, 5000);
    controller.backOff();
    expect(controller.limit).toBe(3);
    expect(controller.pinned).toBe(true);
  });

  it('knows the back-off signals', () => {
    const status = (code: number) => Object.assign(new Error('x'), { $metadata: { httpStatusCode: code } });
    expect(isBackOffSignal(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))).toBe(true);
    expect(isBackOffSignal(status(429))).toBe(true);
    expect(isBackOffSignal(status(408))).toBe(true);
    expect(isBackOffSignal(status(503))).toBe(true);
    expect(isBackOffSignal(status(404))).toBe(false);
    expect(isBackOffSignal(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
  });
});
