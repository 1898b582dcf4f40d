// PaddleOCR PP-OCRv4 (detection + recognition) on onnxruntime-web. Thin: loads the
// two sessions and the dictionary, and hands images to the pipeline in src/ocr/.
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import type { LoadReport, OcrLoadConfig, OcrWorkerApi, ProgressSink, WorkerImage } from '../src/runtime/contracts.ts';
import { pixelsFrom } from '../src/images/image-input.ts';
import { type OcrResult, type OcrRunners, parseDictionary, readImageText } from '../src/ocr/pipeline.ts';
import { infer, loadOnDevice, loseWebGpuDevice, notLoaded } from './backend-choice.ts';
import { fetchModelFile } from './model-file.ts';
import { configureOrtRuntime } from './ort-runtime.ts';
import { workerMemory } from './memory-probe.ts';

interface Loaded {
  runners: OcrRunners;
  dictionary: string[];
  config: OcrLoadConfig;
}

function runner(session: ort.InferenceSession) {
  return async (input: Float32Array, width: number, height: number) => {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, height, width]) };
    const outputs = await session.run(feeds);
    const output = outputs[session.outputNames[0]!]!;
    const data = (output.location === 'cpu' ? output.data : await output.getData()) as Float32Array;
    const dims = [...output.dims];
    output.dispose();
    return { data, dims };
  };
}

class OcrWorker implements OcrWorkerApi {
  readonly memory = workerMemory;

  #loaded: Loaded | null = null;

  async load(config: OcrLoadConfig, onProgress?: ProgressSink): Promise<LoadReport> {
    configureOrtRuntime(ort.env.wasm, config);
    const [detBytes, recBytes, dictBytes] = await Promise.all([
      fetchModelFile(config.files.detection, config, onProgress),
      fetchModelFile(config.files.recognition, config, onProgress),
      fetchModelFile(config.files.dictionary, config, onProgress),
    ]);
    const dictionary = parseDictionary(new TextDecoder().decode(dictBytes));
    return loadOnDevice(config, async (device, warmingUp) => {
      const options: ort.InferenceSession.SessionOptions = { executionProviders: [device] };
      // One at a time: ORT's WebGPU provider refuses concurrent session creation.
      const det = await ort.InferenceSession.create(new Uint8Array(detBytes), options);
      const rec = await ort.InferenceSession.create(new Uint8Array(recBytes), options);
      const detect = runner(det);
      const recognise = runner(rec);
      this.#loaded = {
        dictionary,
        config,
        runners: {
          detect: async (input, width, height) => (await detect(input, width, height)).data,
          recognise: async (input, width, height) => {
            const { data, dims } = await recognise(input, width, height);
            return { probabilities: data, steps: dims[1]!, classes: dims[2]! };
          },
        },
      };
      // A real run: compiles WebGPU shaders now and proves the backend works.
      warmingUp();
      await this.readText({ width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).fill(255) });
    }, ort.env.webgpu);
  }

  loseDevice(): Promise<boolean> {
    return loseWebGpuDevice(ort.env.webgpu);
  }

  async readText(image: WorkerImage): Promise<OcrResult> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('OCR worker'); })();
    const pixels = await pixelsFrom(image);
    return infer('OCR', () => readImageText(pixels, loaded.runners, loaded.dictionary, loaded.config.ocr));
  }
}

Comlink.expose(new OcrWorker());
