// MicroBatch: items added in any rhythm each get their own result, one run at a time, items
// added together run together, and a failed run fails only its own items.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MicroBatch } from '../src/concurrency/micro-batch.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('MicroBatch', () => {
  it('answers every item with its own result, never two runs at once, whatever the arrival rhythm', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(3), { maxLength: 8 }), async (groups, runTicks) => {
        let running = 0;
        const batches: number[][] = [];
        const batch = new MicroBatch<number, number>(async (items) => {
          expect(++running).toBe(1);
          batches.push(items);
          for (let t = 0; t < (runTicks[batches.length - 1] ?? 0); t++) await tick();
          running--;
          return items.map((x) => x * 2);
        });
        const results: Promise<number>[] = [];
        for (const group of groups) {
          for (const x of group) results.push(batch.add(x)); // a group arrives in one task
          await tick();
        }
        expect(await Promise.all(results)).toEqual(groups.flat().map((x) => x * 2));
        expect(batches.flat()).toEqual(groups.flat());
        // The first group goes whole into the first run.
        expect(batches[0]).toEqual(groups[0]);
      }),
    );
  });

  it('items added while a run is in flight go together in the next run', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const batch = new MicroBatch<string, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return items;
    });
    const first = batch.add('a');
    await tick();
    const later = [batch.add('b'), batch.add('c')];
    await tick();
    const last = batch.add('d');
    release();
    await Promise.all([first, ...later, last]);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('a failed run rejects its own items only; a run answering the wrong number of results fails', async () => {
    let runs = 0;
    const batch = new MicroBatch<number, number>(async (items) => {
      if (++runs === 1) throw new Error('model failed');
      return runs === 2 ? items.slice(1) : items;
    });
    await expect(batch.add(1)).rejects.toThrow('model failed');
    await expect(batch.add(2)).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await expect(batch.add(3)).resolves.toBe(3);
  });
});
