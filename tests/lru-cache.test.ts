import { describe, expect, it } from 'vitest';
import { LruCache } from '../src/cache/lru-cache.ts';

describe('LruCache', () => {
  it('evicts the least recently used entry beyond capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('counts hits and misses', () => {
    const cache = new LruCache<string, number>(4);
    cache.set('x', 1);
    cache.get('x');
    cache.get('y');
    expect(cache.stats).toEqual({ hits: 1, misses: 1, size: 1, capacity: 4 });
  });

  it('stores nothing with capacity 0 and rejects invalid capacities', () => {
    const cache = new LruCache<string, number>(0);
    cache.set('x', 1);
    expect(cache.get('x')).toBeUndefined();
    expect(() => new LruCache(-1)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });
});
