// The generated models: reproducible to the byte, recorded in the manifest, and
// meaningful (run here with transformers.js on onnxruntime-node, CPU).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  AutoModelForSequenceClassification,
  AutoModelForVision2Seq,
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  RawImage,
  type Tensor,
  env,
} from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FileMap, clipFiles, llamaGuardFiles, rewardFiles, vlmFiles } from '../scripts/test-models/model-files.ts';
import { VLM_SCRIPTS } from '../scripts/test-models/vlm-model.ts';
import { ETA_DEFAULTS } from '../src/eta/defaults.ts';
import { clipIds, textInputs } from '../workers/clip-text.ts';
import { cosineSimilarity } from '../src/runtime/evaluators/cosine.ts';
import { findModel, parseManifest } from '../src/runtime/manifest.ts';

const manifest = parseManifest(JSON.parse(readFileSync('models/manifest.json', 'utf8')), 'models/manifest.json');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const hashes = (files: FileMap) => [...files].map(([path, bytes]) => ({ path, sha256: sha256(bytes), bytes: bytes.byteLength }));

let clip: FileMap;
let reward: FileMap;
let vlm: FileMap;
const dir = mkdtempSync(join(tmpdir(), 'vlm-guard-models-'));

beforeAll(async () => {
  clip = await clipFiles();
  reward = rewardFiles();
  vlm = vlmFiles();
  for (const [id, files] of [['test-clip', clip], ['test-reward', reward], ['test-vlm', vlm]] as const) {
    for (const [path, bytes] of files) {
      mkdirSync(dirname(join(dir, id, path)), { recursive: true });
      writeFileSync(join(dir, id, path), bytes);
    }
  }
  env.allowRemoteModels = false;
  env.localModelPath = `${dir}/`;
});

describe('generated test models', () => {
  it('are byte-for-byte reproducible and match the manifest sha256', async () => {
    expect(hashes(await clipFiles())).toEqual(hashes(clip));
    expect(hashes(rewardFiles())).toEqual(hashes(reward));
    expect(hashes(clip)).toEqual(manifest.models['test-clip']!.files);
    expect(hashes(reward)).toEqual(manifest.models['test-reward']!.files);
    expect(hashes(vlmFiles())).toEqual(hashes(vlm));
    expect(hashes(vlm)).toEqual(manifest.models['test-vlm']!.files);
  });

  it('use the real CLIP tokenizer: golden ids and 77-token truncation', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('test-clip');
    expect(tokenizer.encode(ETA_DEFAULTS.unsafeDescription)).toEqual([
      49406, 518, 2867, 12844, 32071, 270, 817, 333, 270, 11565, 270, 977, 11950, 270, 6671, 21725, 270, 7983, 270,
      10437, 14850, 269, 49407,
    ]);
    const long = tokenizer(['word '.repeat(200)], { padding: true, truncation: true, max_length: 77 });
    expect(long.input_ids.dims).toEqual([1, 77]);
  });

  it('CLIP: the unsafe description matches saturated red images, not grey or photo-like ones', async () => {
    const [tokenizer, processor, text, vision] = await Promise.all([
      AutoTokenizer.from_pretrained('test-clip'),
      AutoProcessor.from_pretrained('test-clip'),
      CLIPTextModelWithProjection.from_pretrained('test-clip', { dtype: 'fp32' }),
      CLIPVisionModelWithProjection.from_pretrained('test-clip', { dtype: 'fp32' }),
    ]);
    const { text_embeds } = (await text(tokenizer([ETA_DEFAULTS.unsafeDescription], { padding: true, truncation: true }))) as { text_embeds: Tensor };
    const embedImage = async (rgb: [number, number, number]) => {
      const pixels = new Uint8ClampedArray(64 * 64 * 3).map((_, i) => rgb[i % 3]!);
      const { image_embeds } = (await vision(await processor(new RawImage(pixels, 64, 64, 3)))) as { image_embeds: Tensor };
      return cosineSimilarity(image_embeds.data as Float32Array, text_embeds.data as Float32Array);
    };
    const threshold = findModel(manifest, 'test-clip', 'clip').thresholds;
    expect(await embedImage([220, 20, 20])).toBeGreaterThan(0.9);
    expect(await embedImage([128, 128, 128])).toBeLessThan(threshold.image);
    expect(await embedImage([200, 150, 100])).toBeLessThan(threshold.image); // warm skin/wood tones
  });

  it('CLIP text: pools at argmax(input_ids) like the real tower, so a text cut without its end token is embedded at a word', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('test-clip');
    const text = await CLIPTextModelWithProjection.from_pretrained('test-clip', { dtype: 'fp32' });
    // "zebra" has a larger id than every other word here; "bomb" comes after it; the rest pads past 77 tokens.
    const long = `zebra bomb ${'the cat sat on the mat '.repeat(20)}`;
    const unsafeAxis = async (input_ids: Tensor) => ((await text({ input_ids })) as { text_embeds: Tensor }).text_embeds.data[0]!;
    // As the worker reads it: cut to 77 with the end token kept in the last place.
    const kept = clipIds(tokenizer, long, 77);
    expect(kept).toHaveLength(77);
    expect(kept.at(-1)).toBe(49407);
    expect(await unsafeAxis(textInputs(tokenizer, [kept]).input_ids)).toBe(1); // "bomb" seen
    // Plain truncation drops the end token: the tower pools at "zebra" and never sees "bomb".
    const truncated = tokenizer([long], { truncation: true, max_length: 77 }).input_ids as Tensor;
    expect(Number((truncated.data as BigInt64Array).at(-1))).not.toBe(49407);
    expect(await unsafeAxis(truncated)).toBe(0);
  });

  it('reward: harmful answers score low, ordinary answers and refusals high', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('test-reward');
    const model = await AutoModelForSequenceClassification.from_pretrained('test-reward', { dtype: 'fp32' });
    const score = async (response: string) => {
      const { logits } = (await model(tokenizer(ETA_DEFAULTS.rewardInstruction, { text_pair: response }))) as { logits: Tensor };
      expect(logits.dims).toEqual([1, 1]);
      return (logits.data as Float32Array)[0]!;
    };
    expect(await score('Mix the explosive powder and attach the detonator.')).toBe(-5);
    expect(await score('The picture shows a cat next to a cup of coffee.')).toBe(1);
    expect(await score('Sorry, I cannot help with making a bomb.')).toBe(2);
    // The instruction itself is neutral: only the response moves the score.
    expect(await score('')).toBe(1);
  });
});

describe('generated VLM (SmolVLM/Idefics3 layout)', () => {
  it('loads as a transformers.js image-text-to-text model and answers from its script', async () => {
    const processor = await AutoProcessor.from_pretrained('test-vlm');
    const model = await AutoModelForVision2Seq.from_pretrained('test-vlm', { dtype: 'fp32' });
    const image = new RawImage(new Uint8ClampedArray(40 * 30 * 3).fill(120), 40, 30, 3);
    const answer = async (question: string, prefix = '', splitting = true) => {
      const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
      const prompt = (processor.apply_chat_template(messages, { add_generation_prompt: true }) as string) + prefix;
      const inputs = await processor(prompt, [image], { do_image_splitting: splitting });
      // As SmolVLM's processor: resized to 4 tiles on its long side, cut into 4 × 3 tiles plus the global view.
      expect(inputs.pixel_values.dims).toEqual(splitting ? [1, 13, 3, 32, 32] : [1, 1, 3, 32, 32]);
      const output = (await model.generate({ ...inputs, max_new_tokens: 60, do_sample: false })) as Tensor;
      const length = (inputs.input_ids as Tensor).dims[1]!;
      const newIds = (output.tolist() as bigint[][])[0]!.slice(length).map(Number);
      return processor.tokenizer!.decode(newIds, { skip_special_tokens: true });
    };
    expect(await answer('How do I build a bomb?')).toBe(VLM_SCRIPTS.harmful);
    expect(await answer('What is in the picture?')).toBe(VLM_SCRIPTS.benign);
    expect(await answer('What is in the picture?', '', false)).toBe(VLM_SCRIPTS.benign);
    expect(await answer('How do I build a bomb?', 'As an AI assistant')).toBe(VLM_SCRIPTS.refusal.slice('as an ai assistant'.length).trim());
  });
});

describe('generated Llama Guard 3 1B stand-in (real Llama 3 tokenizer and template)', () => {
  it('renders the real template, says "\\n\\n" after the assistant header, then its verdict and category, on the full vocabulary', async () => {
    const ort = await import('onnxruntime-node');
    const files = await llamaGuardFiles();
    expect(hashes(files)).toEqual(manifest.models['test-llama-guard']!.files); // reproducible, as recorded
    for (const [path, bytes] of files) {
      mkdirSync(dirname(join(dir, 'test-llama-guard', path)), { recursive: true });
      writeFileSync(join(dir, 'test-llama-guard', path), bytes);
    }
    const tokenizer = await AutoTokenizer.from_pretrained('test-llama-guard');
    const session = await ort.InferenceSession.create(join(dir, 'test-llama-guard', 'onnx/model.onnx'));
    expect(session.inputNames).toContain('num_logits_to_keep');
    const conversation = (answer: string) => [
      { role: 'user', content: [{ type: 'text', text: ETA_DEFAULTS.rewardInstruction }] },
      { role: 'assistant', content: [{ type: 'text', text: answer }] },
    ];
    const prompt = (answer: string) => tokenizer.apply_chat_template(conversation(answer), { tokenize: false, add_generation_prompt: true }) as string;
    const rendered = prompt('Attach the detonator to the bomb.');
    expect(rendered.startsWith('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nTask: Check if there is unsafe content in \'Agent\' messages')).toBe(true);
    expect(rendered).toContain('S9: Indiscriminate Weapons.\nS10: Hate.');
    expect(rendered).toContain('Agent: Attach the detonator to the bomb.\n\n<END CONVERSATION>');
    expect(rendered.endsWith('<|eot_id|><|start_header_id|>assistant<|end_header_id|>')).toBe(true);

    const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
    /** Greedy tokens after the prompt, feeding the KV cache back as the worker does. */
    const continuation = async (text: string, steps: number) => {
      let ids = tokenizer.encode(text, { add_special_tokens: false });
      let past: { key: InstanceType<typeof ort.Tensor>; value: InstanceType<typeof ort.Tensor> } = { key: new ort.Tensor('float32', new Float32Array(0), [1, 1, 0, 11]), value: new ort.Tensor('float32', new Float32Array(0), [1, 1, 0, 11]) };
      let length = 0;
      const said: number[] = [];
      let firstDims: readonly number[] = [];
      for (let step = 0; step < steps; step++) {
        const total = length + ids.length;
        const out = await session.run({
          input_ids: int64(ids, [1, ids.length]),
          attention_mask: int64(new Array<number>(total).fill(1), [1, total]),
          position_ids: int64(ids.map((_, i) => length + i), [1, ids.length]),
          'past_key_values.0.key': past.key,
          'past_key_values.0.value': past.value,
          num_logits_to_keep: int64([1], []),
        });
        if (step === 0) firstDims = out.logits!.dims;
        const row = out.logits!.data as Float32Array;
        const next = row.reduce((best, x, i) => (x > row[best]! ? i : best), 0);
        said.push(next);
        past = { key: out['present.0.key']!, value: out['present.0.value']! };
        length = total;
        ids = [next];
      }
      return { text: tokenizer.decode(said), ids: said, firstDims };
    };
    const harmful = await continuation(prompt('First mix the explosive powder, then attach the detonator to build the bomb.'), 6);
    expect(harmful.firstDims).toEqual([1, 1, 128256]); // one row of the real vocabulary
    expect(harmful.ids[0]).toBe(271); // "\n\n", as Llama Guard 3 says before its verdict
    expect(harmful.text).toBe('\n\nunsafe\nS9<|eot_id|>');
    expect((await continuation(prompt('Here is how to steal a car and sell the drugs.'), 6)).text).toBe('\n\nunsafe\nS2<|eot_id|>');
    expect((await continuation(prompt('Sorry, I cannot help with that.'), 2)).text).toBe('\n\nsafe');
  });
});
