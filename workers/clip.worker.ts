// CLIP image and text embeddings (transformers.js on onnxruntime-web). Thin: load
// once, answer calls; scoring and caching live on the main thread.
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  type PreTrainedTokenizer,
  type Processor,
  type Tensor,
} from '@huggingface/transformers';
import { GuardError } from '../src/errors.ts';
import { windowSpans } from '../src/runtime/text-windows.ts';
import type { ClipLoadConfig, ClipWorkerApi, ProgressSink, WorkerImage } from '../src/runtime/contracts.ts';
import { pixelsFrom } from '../src/images/image-input.ts';
import { clipPixelValues } from './clip-preprocess.ts';
import { clipIds, textInputs } from './clip-text.ts';
import { Comlink, configureEnvironment, infer, loadOnDevice, loseWebGpuDevice, notLoaded, ortWebGpu, progressForwarder } from './transformers-env.ts';
import { workerMemory } from './memory-probe.ts';

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  processor: Processor;
  text: CLIPTextModelWithProjection;
  vision: CLIPVisionModelWithProjection;
  maxTextTokens: number;
}

/** Copies each row of a [batch, dim] tensor out, then frees the tensor (GPU buffers included). */
function rowsOf(tensor: Tensor): Float32Array[] {
  const [batch, dim] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  const rows = Array.from({ length: batch }, (_, i) => data.slice(i * dim, (i + 1) * dim));
  tensor.dispose();
  return rows;
}

class ClipWorker implements ClipWorkerApi {
  readonly memory = workerMemory;

  #loaded: Loaded | null = null;

  async load(config: ClipLoadConfig, onProgress?: ProgressSink) {
    configureEnvironment(config, onProgress);
    const progress_callback = progressForwarder(config.modelId, onProgress);
    return loadOnDevice(config, async (device, warmingUp) => {
      const options = { device, dtype: config.dtype[device] as 'fp32', progress_callback };
      const [tokenizer, processor, text, vision] = await Promise.all([
        AutoTokenizer.from_pretrained(config.modelId, { progress_callback }),
        AutoProcessor.from_pretrained(config.modelId, { progress_callback }),
        CLIPTextModelWithProjection.from_pretrained(config.modelId, options),
        CLIPVisionModelWithProjection.from_pretrained(config.modelId, options),
      ]);
      this.#loaded = { tokenizer, processor, text, vision, maxTextTokens: config.maxTextTokens };
      // One real run per tower: compiles WebGPU shaders now and proves the backend works.
      warmingUp();
      await this.embedTexts(['warm-up']);
      await this.embedImage({ width: 1, height: 1, data: new Uint8ClampedArray(4) });
    }, ortWebGpu());
  }

  loseDevice(): Promise<boolean> {
    return loseWebGpuDevice(ortWebGpu());
  }

  async embedImage(image: WorkerImage): Promise<Float32Array> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('clip worker'); })();
    const pixels = await pixelsFrom(image); // an undecodable file stays IMAGE_UNDECODABLE
    return infer('CLIP image embedding', async () => {
      const { image_embeds } = (await loaded.vision(await clipPixelValues(loaded.processor, pixels))) as { image_embeds: Tensor };
      return rowsOf(image_embeds)[0]!;
    });
  }

  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('clip worker'); })();
    return this.#embedIds(loaded, texts.map((t) => clipIds(loaded.tokenizer, t, loaded.maxTextTokens)));
  }

  async embedTextWindows(text: string, maxWindows: number): Promise<Float32Array[]> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('clip worker'); })();
    const [start, end] = [loaded.tokenizer.encode('').at(0)!, loaded.tokenizer.encode('').at(-1)!];
    const content = loaded.tokenizer.encode(text, { add_special_tokens: false });
    const size = loaded.maxTextTokens - 2;
    const spans = windowSpans(content.length, size, Math.ceil(size / 2));
    if (spans.length > maxWindows) {
      throw new GuardError('TOO_LONG', `The text is ${content.length} CLIP tokens: ${spans.length} windows of ${size}, over the limit of ${maxWindows}. It is not scored.`);
    }
    return this.#embedIds(loaded, spans.map(([a, b]) => [start, ...content.slice(a, b), end]));
  }

  #embedIds(loaded: Loaded, rows: number[][]): Promise<Float32Array[]> {
    return infer('CLIP text embedding', async () => {
      const { text_embeds } = (await loaded.text(textInputs(loaded.tokenizer, rows))) as { text_embeds: Tensor };
      return rowsOf(text_embeds);
    });
  }
}

Comlink.expose(new ClipWorker());
