// `auto` takes a software WebGPU adapter for no GPU (issue 18): what counts as software.
import { describe, expect, it } from 'vitest';
import { softwareAdapter } from '../workers/backend-choice.ts';

const adapter = (info: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ features: new Set<string>(), info, ...extra });

describe('softwareAdapter', () => {
  it('names fallback and software adapters: SwiftShader as Chromium reports it, llvmpipe, WARP, the older flag', () => {
    expect(softwareAdapter(adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }))).toBe('a fallback adapter (google / swiftshader)');
    expect(softwareAdapter(adapter({ vendor: 'google', architecture: 'swiftshader' }))).toBe('a software adapter (google / swiftshader)');
    expect(softwareAdapter(adapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toMatch(/^a software adapter/);
    expect(softwareAdapter(adapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }))).toMatch(/^a software adapter/);
    expect(softwareAdapter(adapter({ description: 'WARP' }))).toMatch(/^a software adapter/);
    expect(softwareAdapter({ features: new Set(), isFallbackAdapter: true })).toBe('a fallback adapter (unnamed)');
  });

  it('leaves GPUs alone', () => {
    expect(softwareAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false }))).toBeNull();
    expect(softwareAdapter(adapter({ vendor: 'apple', architecture: 'metal-3' }))).toBeNull();
    expect(softwareAdapter(adapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) Iris(R) Xe Graphics' }))).toBeNull();
    expect(softwareAdapter(adapter({}))).toBeNull();
  });
});
