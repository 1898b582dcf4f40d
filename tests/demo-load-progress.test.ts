// The demo's one loading bar: bytes of every file started, summed; a file's later, smaller
// report (transformers.js re-reading a verified file) never moves it back.
import { describe, expect, it } from 'vitest';
import { LoadProgress, describeLoad } from '../src/demo/load-progress.ts';

describe('LoadProgress', () => {
  it('sums the bytes of every model file so far, across models', () => {
    const load = new LoadProgress();
    expect(load.add({ model: 'clip', status: 'progress', file: 'onnx/vision.onnx', loaded: 10e6, total: 80e6 })).toEqual({ loaded: 10e6, total: 80e6, files: 1 });
    expect(load.add({ model: 'reward', status: 'progress', file: 'onnx/model.onnx', loaded: 5e6, total: 20e6 })).toEqual({ loaded: 15e6, total: 100e6, files: 2 });
    // The same path under another model is another file.
    expect(load.add({ model: 'clip', status: 'progress', file: 'onnx/model.onnx', loaded: 0, total: 1e6 }).files).toBe(3);
    const later = load.add({ model: 'clip', status: 'progress', file: 'onnx/vision.onnx', loaded: 80e6, total: 80e6 });
    expect(later).toEqual({ loaded: 85e6, total: 101e6, files: 3 });
    expect(describeLoad(later)).toBe('Loading models: 85.0 of 101.0 MB (3 files)');
  });

  it('never moves a file back, and ignores events without a size', () => {
    const load = new LoadProgress();
    load.add({ model: 'clip', status: 'progress', file: 'a', loaded: 50, total: 100 });
    expect(load.add({ model: 'clip', status: 'progress', file: 'a', loaded: 10, total: 100 }).loaded).toBe(50);
    expect(load.add({ model: 'clip', status: 'initiate', file: 'b' })).toEqual({ loaded: 50, total: 100, files: 1 });
  });
});
