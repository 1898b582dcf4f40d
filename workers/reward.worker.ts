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
import { Comlink, configureEnvironment, infer, loadOnDevice, notLoaded, progressForwarder } from './runtime.ts';

type Framing = RewardLoadReport['framing'];

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  framing: Framing;
  instruction: string;
  maxTokens: number;
}

function encode(loaded: Loaded, responses: string[]) {
  const { tokenizer, framing, instruction, maxTokens } = loaded;
  const common = { padding: true, truncation: true, max_length: maxTokens } as const;
  switch (framing) {
    case 'chat-template': {
      const rendered = responses.map((response) =>
        tokenizer.apply_chat_template(
          [{ role: 'user', content: instruction }, { role: 'assistant', content: response }],
          { tokenize: false },
        ) as string,
      );
      // The template already holds the special tokens.
      return tokenizer(rendered, { ...common, add_special_tokens: false });
    }
    case 'pair':
      return tokenizer(responses.map(() => instruction), { ...common, text_pair: responses });
    case 'response-only':
      return tokenizer(responses, common);
  }
}

class RewardWorker implements RewardWorkerApi {
  #loaded: Loaded | null = null;

  async load(config: RewardLoadConfig, onProgress?: ProgressSink): Promise<RewardLoadReport> {
    configureEnvironment(config);
    const progress_callback = progressForwarder(config.modelId, onProgress);
    let framing: Framing = 'pair';
    const report = await loadOnDevice(config, async (device) => {
      const [tokenizer, model] = await Promise.all([
        AutoTokenizer.from_pretrained(config.modelId, { progress_callback }),
        AutoModelForSequenceClassification.from_pretrained(config.modelId, { device, dtype: config.dtype as 'fp32', progress_callback }),
      ]);
      framing = config.framing === 'auto' ? (tokenizer.chat_template ? 'chat-template' : 'pair') : config.framing;
      this.#loaded = { tokenizer, model, framing, instruction: config.instruction, maxTokens: config.maxTokens };
      await this.score(['warm-up']);
    });
    return { ...report, framing };
  }

  async score(responses: string[]): Promise<number[]> {
    const loaded = this.#loaded ?? (() => { throw notLoaded('reward worker'); })();
    return infer('Reward scoring', async () => {
      const { logits } = (await loaded.model(encode(loaded, responses))) as { logits: Tensor };
      const [batch, labels] = logits.dims as [number, number];
      const data = logits.data as Float32Array;
      const scores = Array.from({ length: batch }, (_, i) => data[i * labels]!);
      logits.dispose();
      return scores;
    });
  }
}

Comlink.expose(new RewardWorker());
