// Back-pressure: bounded in-flight calls, a bounded FIFO queue, BUSY beyond it, aborts while waiting.
import { describe, expect, it } from 'vitest';
import { Limiter } from '../src/concurrency/limiter.ts';
import { isGuardError } from '../src/errors.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Limiter', () => {
  it('runs at most maxInFlight at once, the rest in arrival order', async () => {
    const limiter = new Limiter({ maxInFlight: 2, maxQueued: 10 });
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const runs = gates.map((gate, i) => limiter.run('task', async () => {
      started.push(i);
      await gate.promise;
      return i;
    }));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.stats).toMatchObject({ inFlight: 2, queued: 3 });
    gates[1]!.resolve();
    await runs[1];
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('refuses with BUSY when the queue is full, and frees the slot when a task fails', async () => {
    const limiter = new Limiter({ maxInFlight: 1, maxQueued: 1 });
    const gate = deferred();
    const first = limiter.run('a', () => gate.promise);
    const second = limiter.run('b', async () => 'b');
    await expect(limiter.run('c', async () => 'c')).rejects.toSatisfy((e: unknown) => isGuardError(e, 'BUSY') && /1 calls are running and 1 waiting/.test((e as Error).message));
    gate.resolve();
    await first;
    expect(await second).toBe('b');
    await expect(limiter.run('d', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await limiter.run('e', async () => 'e')).toBe('e');
    expect(limiter.stats.inFlight).toBe(0);
  });

  it('drops an aborted call from the queue', async () => {
    const limiter = new Limiter({ maxInFlight: 1, maxQueued: 5 });
    const gate = deferred();
    const first = limiter.run('a', () => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.run('b', async () => { ran = true; }, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isGuardError(e, 'ABORTED'));
    expect(limiter.stats.queued).toBe(0);
    gate.resolve();
    await first;
    expect(ran).toBe(false);
    expect(limiter.stats.inFlight).toBe(0);
  });
});
