// Reward / safety-classifier scoring (transformers.js AutoModelForSequenceClassification).
// Reads the logit itself: the text-classification pipeline's softmax turns a single
// logit into 1.0.
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import type { ProgressSink, RewardLoadConfig, RewardLoadReport, RewardWorkerApi } from '../src/evaluators/worker-api.ts';
import { type ResolvedFraming, encodeForReward, resolveFraming } from './reward-framing.ts';
import { Comlink, configureEnvironment, infer, loadOnDevice, notLoaded, progressForwarder } from './transformers-env.ts';

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  framing: ResolvedFraming;
  instruction: string;
  maxTokens: number;
}

class RewardWorker implements RewardWorkerApi {
  #loaded: Loaded | null = null;

  async load(config: RewardLoadConfig, onProgress?: ProgressSink): Promise<RewardLoadReport> {
    configureEnvironment(config);
    const progress_callback = progressForwarder(config.modelId, onProgress);
    let framing: ResolvedFraming = 'pair';
    const report = await loadOnDevice(config, async (device) => {
      const [tokenizer, model] = await Promise.all([
        AutoTokenizer.from_pretrained(config.modelId, { progress_callback }),
        AutoModelForSequenceClassification.from_pretrained(config.modelId, { device, dtype: config.dtype as 'fp32', progress_callback }),
      ]);
      framing = resolveFraming(tokenizer, config.framing);
      this.#loaded = { tokenizer, model, framing, instruction: config.instruction, maxTokens: config.maxTokens };
      await this.score(['warm-up']);
    });
    return { ...report, framing };
  }

  async score(responses: string[], as: 'response' | 'request' = 'response'): Promise<number[]> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('reward worker'); })();
    return infer('Reward scoring', async () => {
      const framing = as === 'request' ? 'request' : loaded.framing;
      const { logits } = (await loaded.model(encodeForReward(loaded.tokenizer, { ...loaded, framing }, responses))) as { logits: Tensor };
      const [batch, labels] = logits.dims as [number, number];
      const data = logits.data as Float32Array;
      const scores = Array.from({ length: batch }, (_, i) => data[i * labels]!);
      logits.dispose();
      return scores;
    });
  }
}

Comlink.expose(new RewardWorker());
