import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedLoads } from '../src/runtime/shared-loads.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

/** A load the test settles by hand, recording how often it started, was cancelled and was freed. */
function harness() {
  const log = { started: 0, cancelled: 0, disposed: [] as number[] };
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const loads = new SharedLoads<number, string>((value) => log.disposed.push(value));
  const load = (signal: AbortSignal, progress: (p: string) => void) =>
    new Promise<number>((resolve, reject) => {
      const n = ++log.started;
      let settled = false;
      progress(`loading ${n}`);
      signal.addEventListener('abort', () => {
        if (settled) return;
        settled = true;
        log.cancelled++;
        reject(new Error('cancelled'));
      });
      const settle = (done: () => void) => () => {
        if (!settled) done();
        settled = true;
      };
      pending.push({ resolve: settle(() => resolve(n)), reject: (e) => settle(() => reject(e))() });
    });
  return { log, loads, load, pending };
}

describe('SharedLoads: one load per key, reference-counted', () => {
  it('equal keys share one load and one value; progress reaches each holder; freed once, a task after the last release', async () => {
    const { log, loads, load, pending } = harness();
    const heard: string[][] = [[], []];
    const a = loads.acquire('k', load, (p) => heard[0]!.push(p));
    const b = loads.acquire('k', load, (p) => heard[1]!.push(p));
    pending[0]!.resolve();
    const [la, lb] = await Promise.all([a, b]);
    expect([la.value, lb.value, log.started]).toEqual([1, 1, 1]);
    expect(heard).toEqual([['loading 1'], []]); // the second holder came after the load's first progress
    la.release();
    la.release(); // a second release of one hold does nothing
    await tick();
    expect(log.disposed).toEqual([]);
    lb.release();
    expect(log.disposed).toEqual([]);
    await tick();
    expect(log.disposed).toEqual([1]);
    expect(loads.size).toBe(0);
  });

  it('React StrictMode: mount (load starts), unmount (aborted, released), mount again in the same task: one load, not cancelled', async () => {
    const { log, loads, load, pending } = harness();
    const first = new AbortController();
    const mounted = loads.acquire('k', load, () => undefined, first.signal);
    first.abort();
    const again = loads.acquire('k', load, () => undefined);
    await expect(mounted).rejects.toMatchObject({ code: 'ABORTED' });
    pending[0]!.resolve();
    const lease = await again;
    await tick();
    expect({ value: lease.value, started: log.started, cancelled: log.cancelled, disposed: log.disposed }).toEqual({ value: 1, started: 1, cancelled: 0, disposed: [] });
  });

  it('when every waiter aborts, the load is cancelled (its signal aborted) and nothing is kept; a failed load is retried by the next acquire', async () => {
    const { log, loads, load, pending } = harness();
    const c = new AbortController();
    const waiting = loads.acquire('k', load, () => undefined, c.signal);
    c.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    await tick();
    expect({ cancelled: log.cancelled, size: loads.size }).toEqual({ cancelled: 1, size: 0 });
    const failing = loads.acquire('k', load, () => undefined);
    pending[1]!.reject(new Error('404'));
    await expect(failing).rejects.toThrow('404');
    const retried = loads.acquire('k', load, () => undefined);
    pending[2]!.resolve();
    expect((await retried).value).toBe(3);
  });

  it('an undefined key is never shared', async () => {
    const { log, loads, load, pending } = harness();
    const a = loads.acquire(undefined, load, () => undefined);
    const b = loads.acquire(undefined, load, () => undefined);
    pending.forEach((p) => p.resolve());
    expect([(await a).value, (await b).value, log.started]).toEqual([1, 2, 2]);
  });

  it('any order of acquires, aborts and releases: a value is never freed while held, each finished load is freed exactly once, each unfinished one cancelled', async () => {
    type Step = { kind: 'acquire'; abortNow: boolean } | { kind: 'release'; which: number } | { kind: 'settle' } | { kind: 'tick' };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), abortNow: fc.boolean() }),
      fc.record({ kind: fc.constant('release' as const), which: fc.nat(20) }),
      fc.constant({ kind: 'settle' as const }),
      fc.constant({ kind: 'tick' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps: Step[]) => {
        const { log, loads, load, pending } = harness();
        const held: { value: number; release(): void }[] = [];
        const waits: Promise<unknown>[] = [];
        const freedWhileHeld = () => held.some((h) => log.disposed.includes(h.value));
        for (const s of steps) {
          if (s.kind === 'acquire') {
            const c = new AbortController();
            const p = loads.acquire('k', load, () => undefined, c.signal).then((lease) => void held.push(lease), () => undefined);
            if (s.abortNow) c.abort();
            waits.push(p);
          } else if (s.kind === 'release' && held.length > 0) {
            held.splice(s.which % held.length, 1)[0]!.release();
          } else if (s.kind === 'settle') {
            pending.forEach((p) => p.resolve());
          } else await tick();
          await Promise.resolve();
          expect(freedWhileHeld()).toBe(false);
        }
        pending.forEach((p) => p.resolve());
        await Promise.all(waits);
        expect(freedWhileHeld()).toBe(false);
        held.splice(0).forEach((h) => h.release());
        await tick();
        await tick();
        expect(new Set(log.disposed).size).toBe(log.disposed.length);
        expect(log.disposed.length + log.cancelled).toBe(log.started);
        expect(loads.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
