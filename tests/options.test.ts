import { describe, expect, it } from 'vitest';
import { isGuardError } from '../src/errors.ts';
import { resolveOptions } from '../src/options.ts';

const PAGE = 'https://app.example/chat/index.html';

function optionsError(options: unknown): string {
  try {
    resolveOptions(options, PAGE);
  } catch (error) {
    if (isGuardError(error, 'OPTIONS_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected OPTIONS_INVALID');
}

describe('createGuard option validation', () => {
  it('fills defaults and resolves folders against the page', () => {
    const o = resolveOptions(undefined, PAGE);
    expect(o.modelBase).toBe('https://app.example/models/');
    expect(o.ortBase).toBe('https://app.example/ort/');
    expect(o.device).toBe('auto');
    expect(o.imageCacheSize).toBe(64);
    expect(o.reward.framing).toBe('auto');
    expect(o.allowRemoteModels).toBe(false);
    expect(resolveOptions({ modelBase: 'assets/models' }, PAGE).modelBase).toBe('https://app.example/chat/assets/models/');
  });

  it('names the option and the allowed values', () => {
    expect(optionsError({ device: 'cuda' })).toMatch(/device: .*Expected \("auto" \| "webgpu" \| "wasm"\) but received "cuda"/);
    expect(optionsError({ imageCacheSize: -1 })).toContain('imageCacheSize');
    expect(optionsError({ timeouts: { callMs: 0 } })).toContain('timeouts.callMs');
    expect(optionsError({ policy: { thresholds: { image: Number.NaN } } })).toContain('policy');
    expect(optionsError({ policy: 'paper' })).toContain('policy');
  });

  it('rejects unknown options (a typo must not be silently ignored)', () => {
    expect(optionsError({ devcie: 'wasm' })).toContain('devcie');
  });

  it('rejects a non-object', () => {
    expect(optionsError('wasm')).toContain('Invalid createGuard options');
  });
});
