// `auto` takes a software WebGPU adapter for no GPU (issue 18): what counts as software.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkerRuntimeConfig } from '../src/runtime/contracts.ts';
import { loadOnDevice, softwareAdapter } from '../workers/backend-choice.ts';

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

describe('loadOnDevice: where the time of a load goes', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const config: WorkerRuntimeConfig & { modelId: string } = {
    modelId: 'm',
    modelBase: 'http://127.0.0.1/models/',
    ortWasm: { mjs: 'http://127.0.0.1/ort/ort.mjs', wasm: 'http://127.0.0.1/ort/ort.wasm' },
    allowRemoteModels: false,
    device: 'auto',
  };
  afterEach(() => vi.unstubAllGlobals());

  it('reports the warm-up run apart from the whole load', async () => {
    const report = await loadOnDevice({ ...config, device: 'wasm' }, async (_backend, warmingUp) => {
      await sleep(40); // files and sessions
      warmingUp();
      await sleep(20);
    });
    expect(report.backend).toBe('wasm');
    expect(report.warmUpMs).toBeGreaterThanOrEqual(15);
    expect(report.warmUpMs).toBeLessThan(report.loadMs - 30);
  });

  it('counts only the attempt that loaded: a WebGPU warm-up that failed is not the WASM load\'s', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => ({ features: new Set<string>(), info: { vendor: 'nvidia', architecture: 'hopper' } }) } });
    const report = await loadOnDevice(config, async (backend, warmingUp) => {
      if (backend === 'webgpu') {
        warmingUp();
        throw new Error('shader compilation failed');
      }
    });
    expect(report).toMatchObject({ backend: 'wasm', fallbackReason: 'WebGPU failed: Loading model "m" failed: shader compilation failed' });
    expect(report.warmUpMs).toBeUndefined();
  });
});
