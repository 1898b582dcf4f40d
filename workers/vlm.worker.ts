// A VLM in the page (transformers.js; SmolVLM/Idefics3 layout): streams tokens to
// a comlink proxy callback, samples N candidates as one batch, continues an
// assistant prefix, stops at stop strings / EOS / the token cap, and can be interrupted.
import {
  AutoModelForVision2Seq,
  AutoProcessor,
  InterruptableStoppingCriteria,
  type PreTrainedModel,
  type Processor,
  RawImage,
  StoppingCriteria,
  Tensor,
  random,
} from '@huggingface/transformers';
import type { Completion } from '../src/runtime/contracts.ts';
import { cutAtStop } from '../src/generators/types.ts';
import { pixelsFrom } from '../src/images/image-input.ts';
import type { LoadReport, ProgressSink, VlmLoadConfig, VlmRequest, VlmWorkerApi } from '../src/runtime/contracts.ts';
import { Comlink, configureEnvironment, infer, loadOnDevice, notLoaded, progressForwarder } from './transformers-env.ts';
import { workerMemory } from './memory-probe.ts';
import { ImageFeatureCache, imagesKey } from './vlm/image-features.ts';
import { PrefillCounter, type PromptInputs, generate, sharePrompt } from './vlm/shared-prefill.ts';

interface Loaded {
  processor: Processor;
  model: PreTrainedModel;
  eosId: number;
  /** Large images split into tiles, as the model's processor does (decided per backend at load). */
  splitting: boolean;
  features: ImageFeatureCache;
  prefills: PrefillCounter;
}

type Tokenizer = Processor['tokenizer'] & {
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
};

/** Decodes a sequence so that a continuation keeps its spacing after the assistant prefix. */
class ContinuationDecoder {
  readonly #prefixIds: number[];
  readonly #prefixText: string;

  constructor(
    private readonly tokenizer: Tokenizer,
    prefix: string,
  ) {
    this.#prefixIds = prefix ? tokenizer.encode(prefix, { add_special_tokens: false }) : [];
    this.#prefixText = this.#decode(this.#prefixIds);
  }

  text(newIds: number[]): string {
    return this.#decode([...this.#prefixIds, ...newIds]).slice(this.#prefixText.length);
  }

  // The tokenizer rejects an empty id list.
  #decode(ids: number[]): string {
    return ids.length === 0 ? '' : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }
}

/**
 * Where a generated sequence ends: EOS, the token that completes the first stop string (a stop
 * string may span tokens: ". " is "." then " The"), or nowhere yet. The text is then cut right
 * after the stop string (keptText).
 */
function endOf(ids: number[], loaded: Loaded, tokenizer: Tokenizer, stop: readonly string[]): { end: number; reason: Completion['finishReason'] } | null {
  const eos = ids.indexOf(loaded.eosId);
  const before = eos >= 0 ? ids.slice(0, eos) : ids;
  const decode = (n: number) => (n === 0 ? '' : tokenizer.decode(before.slice(0, n), { skip_special_tokens: false }));
  const cut = cutAtStop(decode(before.length), stop);
  if (cut === null) return eos >= 0 ? { end: eos, reason: 'eos' } : null;
  // The fewest tokens whose text holds the stop string (binary search: one decode a step).
  let [lo, hi] = [1, before.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cutAtStop(decode(mid), stop) !== null) hi = mid;
    else lo = mid + 1;
  }
  return { end: lo, reason: 'stop' };
}

/** Sticky per-sequence stop: transformers.js ends a batch only when every sequence says stop. */
class SequenceEndCriteria extends StoppingCriteria {
  readonly #done: boolean[] = [];
  constructor(
    private readonly promptLength: number,
    private readonly ended: (newIds: number[]) => boolean,
  ) {
    super();
  }
  // transformers.js passes bigint ids (its typings say number).
  override _call(inputIds: number[][]): boolean[] {
    return inputIds.map((ids, i) => (this.#done[i] ||= this.ended(ids.slice(this.promptLength).map(Number))));
  }
}

class VlmWorker implements VlmWorkerApi {
  readonly memory = workerMemory;

  #loaded: Loaded | null = null;
  /** The running request's interrupt; replaced on entry (synchronously) so an early interrupt is not lost. */
  #interrupt = new InterruptableStoppingCriteria();

  async load(config: VlmLoadConfig, onProgress?: ProgressSink): Promise<LoadReport> {
    configureEnvironment(config, onProgress);
    const progress_callback = progressForwarder(config.modelId, onProgress);
    return loadOnDevice(config, async (device, warmingUp) => {
      const [processor, model] = await Promise.all([
        AutoProcessor.from_pretrained(config.modelId, { progress_callback }),
        AutoModelForVision2Seq.from_pretrained(config.modelId, { device, dtype: config.dtype[device] as 'fp32', progress_callback }),
      ]);
      const eos = (model.generation_config as { eos_token_id?: number | number[] } | null)?.eos_token_id;
      const splitting = config.imageSplitting === 'auto' ? device === 'webgpu' : config.imageSplitting === 'on';
      this.#loaded = { processor, model, eosId: Array.isArray(eos) ? eos[0]! : (eos ?? -1), splitting, features: new ImageFeatureCache(model), prefills: new PrefillCounter(model) };
      warmingUp();
      await this.generate({ prompt: 'warm-up', sampling: { maxTokens: 1, temperature: 0 } });
    });
  }

  interrupt(): void {
    this.#interrupt.interrupt();
  }

  imageEncoder() {
    const loaded = this.#loaded ?? (() => { throw notLoaded('VLM worker'); })();
    return { ...loaded.features.stats, splitting: loaded.splitting };
  }

  prefills() {
    const loaded = this.#loaded ?? (() => { throw notLoaded('VLM worker'); })();
    return { ...loaded.prefills.stats };
  }

  async generate(request: VlmRequest, onToken?: (delta: string) => void): Promise<Completion & { deltas: number }> {
    let deltas = 0;
    const counted = onToken && ((delta: string) => {
      deltas++;
      void onToken(delta);
    });
    const [completion] = await this.#run(request, 1, counted);
    return { ...completion!, deltas };
  }

  async sample(request: VlmRequest, n: number): Promise<Completion[]> {
    return this.#run(request, n);
  }

  async #run(request: VlmRequest, n: number, onToken?: (delta: string) => void): Promise<Completion[]> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('VLM worker'); })();
    const interrupt = new InterruptableStoppingCriteria();
    this.#interrupt = interrupt;
    const pixels = await Promise.all((request.images ?? []).map(pixelsFrom)); // an undecodable file stays IMAGE_UNDECODABLE
    loaded.features.current = pixels.length ? await imagesKey(pixels, loaded.splitting) : null;
    return infer('VLM generation', async () => {
      const tokenizer = loaded.processor.tokenizer as Tokenizer;
      const { sampling } = request;
      const stop = sampling.stop ?? [];
      const content = [...pixels.map(() => ({ type: 'image' })), { type: 'text', text: request.prompt }];
      const messages = [...(request.system ? [{ role: 'system', content: [{ type: 'text', text: request.system }] }] : []), { role: 'user', content }];
      const rendered = (loaded.processor.apply_chat_template(messages, { add_generation_prompt: true }) as string) + (request.assistantPrefix ?? '');
      const inputs: PromptInputs = pixels.length
        ? await loaded.processor([rendered], [pixels.map((p) => new RawImage(p.data, p.width, p.height, 4).rgb())], { do_image_splitting: loaded.splitting })
        : tokenizer([rendered], { add_special_tokens: false });
      const promptLength = inputs.input_ids.dims[1]!;
      // N candidates read the prompt once (see shared-prefill.ts); the images are in its cache.
      const prompt = n > 1 ? await sharePrompt(loaded.model, inputs, n) : inputs;
      const decoder = new ContinuationDecoder(tokenizer, request.assistantPrefix ?? '');
      /** A sequence's text up to its end (cut right after a stop string), why it ended, its tokens. */
      const keptText = (ids: number[]) => {
        const ended = endOf(ids, loaded, tokenizer, stop);
        const kept = ended ? ids.slice(0, ended.end) : ids;
        const text = decoder.text(kept);
        return { text: ended?.reason === 'stop' ? (cutAtStop(text, stop) ?? text) : text, ended, kept: kept.length };
      };

      let streamed = '';
      let streamedIds: number[] = [];
      let skippedPrompt = false;
      const streamer = onToken && {
        put: (value: bigint[][]) => {
          if (!skippedPrompt) return void (skippedPrompt = true); // the first put is the prompt
          if (endOf(streamedIds, loaded, tokenizer, stop)) return;
          streamedIds = [...streamedIds, Number(value[0]![0]!)];
          const text = keptText(streamedIds).text;
          if (text.length > streamed.length) onToken(text.slice(streamed.length));
          streamed = text;
        },
        end: () => undefined,
      };

      if (sampling.seed !== undefined) random.seed(sampling.seed);
      const result = await generate(loaded.model, {
        ...prompt,
        max_new_tokens: sampling.maxTokens,
        do_sample: sampling.temperature > 0,
        ...(sampling.temperature > 0 ? { temperature: sampling.temperature, top_k: sampling.topK ?? 0 } : {}),
        stopping_criteria: [interrupt, new SequenceEndCriteria(promptLength, (ids) => endOf(ids, loaded, tokenizer, stop) !== null)],
        ...(streamer ? { streamer } : {}),
        // With a cache passed in, transformers.js leaves the final one alive: take it to free it.
        ...(prompt.past_key_values ? { return_dict_in_generate: true } : {}),
      });
      const output = result instanceof Tensor ? result : (await result.past_key_values.dispose(), result.sequences);
      const sequences = (output.tolist() as bigint[][]).map((ids) => ids.slice(promptLength).map(Number));
      output.dispose();
      return sequences.map((ids): Completion => {
        const { text, ended, kept } = keptText(ids);
        return { text, finishReason: ended?.reason ?? 'length', tokens: kept + (ended?.reason === 'eos' ? 1 : 0) };
      });
    });
  }
}

Comlink.expose(new VlmWorker());
