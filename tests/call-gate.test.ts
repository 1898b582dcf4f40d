// The guard's one door: back-pressure for every call, and a closed state that settles
// waiting AND running calls with DISPOSED at once, and refuses every later call.
import { describe, expect, it } from 'vitest';
import { CallGate } from '../src/concurrency/call-gate.ts';
import { type GuardError, isGuardError } from '../src/errors.ts';

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: GuardError) => e.code);
const never = () => new Promise<never>(() => undefined);

describe('CallGate', () => {
  it('applies the same limits to every call it runs', async () => {
    const gate = new CallGate({ maxInFlight: 1, maxQueued: 1 });
    const running = gate.run('a', never);
    const waiting = gate.run('b', never);
    expect(gate.stats).toMatchObject({ inFlight: 1, queued: 1 });
    expect(await codeOf(gate.run('c', async () => 1))).toBe('BUSY');
    gate.close();
    expect(await codeOf(running)).toBe('DISPOSED');
    expect(await codeOf(waiting)).toBe('DISPOSED');
  });

  it('settles a running call with DISPOSED the moment it closes, and aborts its work', async () => {
    const gate = new CallGate({ maxInFlight: 4, maxQueued: 4 });
    let signal: AbortSignal | undefined;
    const running = gate.run('evaluate()', (s) => {
      signal = s;
      return never();
    });
    await Promise.resolve();
    gate.close();
    // The work never settles: only the close can have settled the call.
    const error = await running.catch((e: unknown) => e);
    expect(isGuardError(error, 'DISPOSED')).toBe(true);
    expect(signal?.aborted).toBe(true);
  });

  it('refuses every call after closing, whatever the call', async () => {
    const gate = new CallGate({ maxInFlight: 4, maxQueued: 4 });
    gate.close();
    let ran = false;
    expect(await codeOf(gate.run('evaluate()', async () => (ran = true)))).toBe('DISPOSED');
    expect(ran).toBe(false);
  });

  it('settles a call with ABORTED the moment its caller aborts, and frees its slot, even if the work ignores the signal', async () => {
    const gate = new CallGate({ maxInFlight: 1, maxQueued: 0 });
    const controller = new AbortController();
    const call = gate.run('evaluate()', never, controller.signal);
    expect(await codeOf(gate.run('other', async () => 1))).toBe('BUSY');
    controller.abort();
    expect(await codeOf(call)).toBe('ABORTED');
    expect(await gate.run('next', async () => 'ran')).toBe('ran');
  });

  it('lets a call that keeps a partial answer settle its own abort', async () => {
    const gate = new CallGate({ maxInFlight: 4, maxQueued: 4 });
    const controller = new AbortController();
    const call = gate.run('respond()', (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped: partial answer kept')))), controller.signal, { keepsPartial: true });
    controller.abort();
    await expect(call).rejects.toThrow('partial answer kept');
    expect(gate.stats.inFlight).toBe(0);
  });
});
