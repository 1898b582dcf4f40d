// workers/runtime.ts: which backend a worker ends up on, and why.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GuardError, isGuardError } from '../src/errors.ts';
import type { Backend, Device } from '../src/runtime/contracts.ts';
import { loadOnDevice, toLoadError } from '../workers/backend-choice.ts';

const config = (device: Device) => ({
  device,
  modelId: 'm',
  modelBase: 'http://h/models/',
  ortWasm: { mjs: 'http://h/a.mjs', wasm: 'http://h/a.wasm' },
  allowRemoteModels: false,
});

function withAdapter(adapter: object | null | undefined): void {
  vi.stubGlobal('navigator', adapter === undefined ? {} : { gpu: { requestAdapter: async () => adapter } });
}

afterEach(() => vi.unstubAllGlobals());

async function run(device: Device, failOn: Backend[] = [], error: Error = new Error('shader-f16 not supported')) {
  const tried: Backend[] = [];
  const result = await loadOnDevice(config(device), async (backend) => {
    tried.push(backend);
    if (failOn.includes(backend)) throw error;
  }).catch((e: unknown) => e);
  return { tried, result };
}

describe('backend choice', () => {
  it('wasm never touches WebGPU', async () => {
    withAdapter({});
    const { tried, result } = await run('wasm');
    expect(tried).toEqual(['wasm']);
    expect(result).toMatchObject({ backend: 'wasm' });
  });

  it('webgpu without an adapter is a typed BACKEND_UNAVAILABLE error', async () => {
    withAdapter(null);
    const { tried, result } = await run('webgpu');
    expect(tried).toEqual([]);
    expect(isGuardError(result, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((result as Error).message).toContain('requestAdapter() returned no adapter');
  });

  it('auto uses WebGPU when it works', async () => {
    withAdapter({});
    const { tried, result } = await run('auto');
    expect(tried).toEqual(['webgpu']);
    expect(result).toMatchObject({ backend: 'webgpu' });
    expect(result).not.toHaveProperty('fallbackReason');
  });

  it('auto falls back to WASM without WebGPU, and says why', async () => {
    withAdapter(undefined);
    const { tried, result } = await run('auto');
    expect(tried).toEqual(['wasm']);
    expect(result).toMatchObject({ backend: 'wasm', fallbackReason: expect.stringContaining('navigator.gpu is missing') });
  });

  it('auto falls back to WASM when WebGPU loading fails', async () => {
    withAdapter({});
    const { tried, result } = await run('auto', ['webgpu']);
    expect(tried).toEqual(['webgpu', 'wasm']);
    expect(result).toMatchObject({ backend: 'wasm', fallbackReason: expect.stringContaining('shader-f16 not supported') });
  });

  it('does not retry a missing file on WASM', async () => {
    withAdapter({});
    const missing = Object.assign(new Error('file was not found locally at "/@vlm-guard-models/m/onnx/model.onnx".'), { name: 'ModelFileNotFoundError' });
    const { tried, result } = await run('auto', ['webgpu'], missing);
    expect(tried).toEqual(['webgpu']);
    expect(isGuardError(result, 'MODEL_FILE_MISSING')).toBe(true);
  });

  it('names the real URL of a missing model file', () => {
    const error = toLoadError(
      Object.assign(new Error('file was not found locally at "/@vlm-guard-models/test-clip/onnx/vision_model.onnx".'), { name: 'ModelFileNotFoundError' }),
      { modelId: 'test-clip', modelBase: 'http://h/models/' },
    );
    expect(error).toBeInstanceOf(GuardError);
    expect(error.details.url).toBe('http://h/models/test-clip/onnx/vision_model.onnx');
    expect(error.message).toContain('http://h/models/test-clip/onnx/vision_model.onnx');
  });
});
