// The three evaluator kinds behind the reward worker. Each turns texts into scores,
// higher = safer; the guard-generative kind can also name the risk categories.
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { GuardError } from '../../src/errors.ts';
import { guardCategories, guardScore, scoreFromLogits } from '../../src/runtime/score-rule.ts';
import type { Backend, ProgressSink, RewardLoadConfig, ScoreAs, ScoredText } from '../../src/runtime/contracts.ts';
import type { GuardTokens } from '../../src/runtime/manifest.ts';
import { fetchModelFile } from '../model-file.ts';
import { type ResolvedFraming, type ScoringFraming, encodeForReward, resolveFraming } from '../reward-framing.ts';
import { progressForwarder } from '../transformers-env.ts';
import { scoreWindows, textWindows, windowing } from './windows.ts';
import { DecoderSession, decoderShape, vocabSizeOf } from './decoder-session.ts';
import { checkDecoderFits } from '../../src/runtime/memory-estimate.ts';
import { CHAT_TEMPLATE_FILE, F16_DTYPES } from '../../src/runtime/manifest.ts';

export interface Scorer {
  framing: ResolvedFraming;
  /** `detail`: also name categories where the kind can (guard-generative, unsafe texts only). */
  score(texts: string[], as: ScoreAs, detail: boolean): Promise<ScoredText[]>;
}

/** The instruction a text is framed under, or null for a request (the user turn alone). */
const instructionOf = (as: ScoreAs, config: RewardLoadConfig): string | null => (as === 'request' ? null : as === 'response' ? config.instruction : as.instruction);

/** One value per way of framing (an instruction's own tokens change a window's room), made on first use. */
function perFraming<T>(make: (as: ScoreAs) => T): (as: ScoreAs) => T {
  const made = new Map<string, T>();
  return (as) => {
    const key = typeof as === 'string' ? as : `instruction:${as.instruction}`;
    if (!made.has(key)) made.set(key, make(as));
    return made.get(key)!;
  };
}

/** transformers.js' file names per dtype (onnx/model{suffix}.onnx). */
const DTYPE_SUFFIX: Record<string, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' };

const idsOf = (tensor: Tensor) => Array.from(tensor.data as BigInt64Array, Number);
/** Tokens the framing takes around an empty text. */
const framingTokens = (encoded: { input_ids: unknown }) => (encoded.input_ids as Tensor).dims.at(-1)!;

/** An encoder classifier through transformers.js; the manifest's rule reads its logits. */
export async function sequenceClassifier(config: RewardLoadConfig, backend: Backend, onProgress?: ProgressSink): Promise<Scorer> {
  const progress_callback = progressForwarder(config.modelId, onProgress);
  const [tokenizer, model] = await Promise.all([
    AutoTokenizer.from_pretrained(config.modelId, { progress_callback }),
    AutoModelForSequenceClassification.from_pretrained(config.modelId, { device: backend, dtype: config.dtype[backend] as 'fp32', progress_callback }),
  ]);
  const id2label = ((model as PreTrainedModel & { config: { id2label?: Record<string, string> } }).config.id2label ?? {});
  const labels = Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => id2label[k]!);
  const framing = resolveFraming(tokenizer, config.framing);
  const encode = (texts: string[], as: ScoreAs) => {
    const instruction = instructionOf(as, config);
    const scoring: ScoringFraming = instruction === null ? 'request' : framing;
    return encodeForReward(tokenizer, { framing: scoring, instruction: instruction ?? '', maxTokens: config.maxTokens }, texts);
  };
  const windows = perFraming((as) => windowing(config.window, config.maxTokens, framingTokens(encode([''], as))));
  return {
    framing,
    score: (texts, as) =>
      scoreWindows(texts, (text) => textWindows(tokenizer, text, windows(as)), async (all) => {
        const { logits } = (await model(encode(all, as))) as { logits: Tensor };
        const [batch, width] = logits.dims as [number, number];
        const data = logits.data as Float32Array;
        const scores = Array.from({ length: batch }, (_, i) => ({ score: scoreFromLogits(data.subarray(i * width, (i + 1) * width), config.score, labels) }));
        logits.dispose();
        return scores;
      }),
  };
}

/** The ONNX file of the asked dtype and any external-data files beside it, from the manifest's file list. */
async function loadDecoder(config: RewardLoadConfig, backend: Backend, onProgress?: ProgressSink): Promise<DecoderSession> {
  const path = `onnx/model${DTYPE_SUFFIX[config.dtype[backend]] ?? ''}.onnx`;
  const files = Object.keys(config.sha256);
  if (!files.includes(path)) {
    throw new GuardError('MODEL_FILE_MISSING', `The manifest lists no ${path} for "${config.modelId}" (dtype ${config.dtype[backend]} on ${backend}).`, { model: config.modelId });
  }
  const dataFiles = files.filter((f) => f.startsWith(`${path}_data`) || f.startsWith(`${path}.data`));
  const modelConfig = JSON.parse(new TextDecoder().decode(await fetchModelFile('config.json', config, onProgress))) as Record<string, unknown>;
  const shape = decoderShape(modelConfig);
  // Refuse what cannot fit before fetching gigabytes of weights.
  checkDecoderFits(config.modelId, backend, {
    ...shape,
    weightBytes: [path, ...dataFiles].reduce((sum, f) => sum + (config.bytes[f] ?? 0), 0),
    vocabSize: vocabSizeOf(modelConfig),
    maxTokens: config.maxTokens,
    prefillChunk: config.prefillChunk,
    lastLogitsOnly: false, // not known before the session exists: the estimate assumes a chunk's rows
    kvBytes: F16_DTYPES.includes(config.dtype[backend]) ? 2 : 4,
  });
  // External data is fetched (and verified) here too, never by onnxruntime-web from a URL.
  const [bytes, externalData] = await Promise.all([
    fetchModelFile(path, config, onProgress),
    Promise.all(dataFiles.map(async (f) => ({ path: f.slice(f.lastIndexOf('/') + 1), data: new Uint8Array(await fetchModelFile(f, config, onProgress)) }))),
  ]);
  return DecoderSession.create(new Uint8Array(bytes), backend, shape, externalData);
}

async function tokenizerWithTemplate(config: RewardLoadConfig, onProgress?: ProgressSink): Promise<PreTrainedTokenizer> {
  const tokenizer = await AutoTokenizer.from_pretrained(config.modelId, { progress_callback: progressForwarder(config.modelId, onProgress) });
  if (!tokenizer.chat_template && CHAT_TEMPLATE_FILE in config.sha256) {
    tokenizer.chat_template = new TextDecoder().decode(await fetchModelFile(CHAT_TEMPLATE_FILE, config, onProgress));
  }
  if (!tokenizer.chat_template) {
    throw new GuardError('MODEL_LOAD_FAILED', `"${config.modelId}" is a ${config.kind} model but its tokenizer has no chat template.`, { model: config.modelId });
  }
  return tokenizer;
}

/** A Llama/Qwen reward model: its chat template renders (instruction, response); the score is read at the last token. */
export async function decoderReward(config: RewardLoadConfig, backend: Backend, onProgress?: ProgressSink): Promise<Scorer> {
  const tokenizer = await tokenizerWithTemplate(config, onProgress);
  const session = await loadDecoder(config, backend, onProgress);
  const encode = (text: string, as: ScoreAs) => {
    const instruction = instructionOf(as, config);
    return encodeForReward(tokenizer, { framing: instruction === null ? 'request' : 'chat-template', instruction: instruction ?? '', maxTokens: config.maxTokens }, [text]);
  };
  const windows = perFraming((as) => windowing(config.window, config.maxTokens, framingTokens(encode('', as))));
  return {
    framing: 'chat-template',
    score: (texts, as) =>
      scoreWindows(texts, (text) => textWindows(tokenizer, text, windows(as)), async (all) => {
        const out: ScoredText[] = [];
        // One window at a time: a decoder pools at the last real token, so no padding is involved.
        for (const text of all) {
          session.reset();
          out.push({ score: (await session.next(idsOf(encode(text, as).input_ids as Tensor), config.prefillChunk))[0]! });
        }
        return out;
      }),
  };
}

function singleToken(tokenizer: PreTrainedTokenizer, text: string, modelId: string): number {
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  if (ids.length !== 1) throw new GuardError('MODEL_LOAD_FAILED', `"${modelId}": the guard token "${text}" is ${ids.length} tokens, not one.`, { model: modelId });
  return ids[0]!;
}

const argmax = (row: Float32Array) => row.reduce((best, x, i) => (x > row[best]! ? i : best), 0);

/**
 * P(safe) against P(unsafe) means something only where the model says its verdict. Llama
 * Guard 3's template ends at the assistant header and the model says "\n\n" first: read one
 * token early (guard.verdictPrefix missing), both are unlikely and every answer scores ~0.5.
 * So at load the verdict token must be the model's likeliest next token on an empty answer.
 */
async function checkVerdictPosition(
  session: DecoderSession,
  tokenizer: PreTrainedTokenizer,
  prompt: number[],
  { safeId, unsafeId, config }: { safeId: number; unsafeId: number; config: RewardLoadConfig & { guard: GuardTokens } },
): Promise<void> {
  session.reset();
  const first = argmax(await session.next(prompt, config.prefillChunk));
  session.reset();
  if (first === safeId || first === unsafeId) return;
  throw new GuardError(
    'MODEL_LOAD_FAILED',
    `"${config.modelId}": where the verdict is read, the model's likeliest token is ${JSON.stringify(tokenizer.decode([first]))}, not "${config.guard.safeToken}" or "${config.guard.unsafeToken}": the manifest's guard.verdictPrefix (${JSON.stringify(config.guard.verdictPrefix)}) must hold what the model says before its verdict.`,
    { model: config.modelId },
  );
}

/** Llama Guard: P(safe) against P(unsafe) as the first generated token; when unsafe, a few greedy tokens name the categories. */
export async function guardGenerative(config: RewardLoadConfig & { guard: GuardTokens }, backend: Backend, onProgress?: ProgressSink): Promise<Scorer> {
  const tokenizer = await tokenizerWithTemplate(config, onProgress);
  const session = await loadDecoder(config, backend, onProgress);
  const safeId = singleToken(tokenizer, config.guard.safeToken, config.modelId);
  const unsafeId = singleToken(tokenizer, config.guard.unsafeToken, config.modelId);
  const eos = new Set([tokenizer.eos_token_id, ...((tokenizer as PreTrainedTokenizer & { all_special_ids?: number[] }).all_special_ids ?? [])].filter((x): x is number => typeof x === 'number'));
  const content = (t: string) => (config.guard.contentFormat === 'parts' ? [{ type: 'text', text: t }] : t);
  // The whole template every time — its head holds the instructions and the categories.
  const promptIds = (text: string, as: ScoreAs) => {
    const instruction = instructionOf(as, config);
    const conversation = instruction === null
      ? [{ role: 'user', content: content(text) }]
      : [{ role: 'user', content: content(instruction) }, { role: 'assistant', content: content(text) }];
    const prompt = (tokenizer.apply_chat_template(conversation, { tokenize: false, add_generation_prompt: true }) as string) + config.guard.verdictPrefix;
    return tokenizer.encode(prompt, { add_special_tokens: false });
  };
  const windows = perFraming((as) => windowing(config.window, config.maxTokens, promptIds('', as).length));
  await checkVerdictPosition(session, tokenizer, promptIds('', 'response'), { safeId, unsafeId, config });
  return {
    framing: 'chat-template',
    score: (texts, as, detail) => scoreWindows(texts, (text) => textWindows(tokenizer, text, windows(as)), async (all) => {
      const out: ScoredText[] = [];
      for (const text of all) {
        const ids = promptIds(text, as);
        session.reset();
        let row = await session.next(ids, config.prefillChunk);
        const score = guardScore(row, safeId, unsafeId);
        if (!detail || score > 0.5 || !session.hasCache) {
          out.push({ score });
          continue;
        }
        // Unsafe: follow the verdict greedily for the category codes ("unsafe\nS1,S9").
        const generated: number[] = [unsafeId];
        for (let i = 0; i < config.guard.maxCategoryTokens; i++) {
          row = await session.next([generated.at(-1)!], 1);
          const next = argmax(row);
          if (eos.has(next)) break;
          generated.push(next);
        }
        out.push({ score, ...guardCategories(tokenizer.decode(generated, { skip_special_tokens: true }), config.guard.categories) });
      }
      return out;
    }),
  };
}
