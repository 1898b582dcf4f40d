import { describe, expect, it } from 'vitest';
import { isGuardError } from '../src/errors.ts';
import { resolveOptions } from '../src/options.ts';

const PAGE = 'https://app.example/chat/index.html';

function optionsError(options: unknown): string {
  try {
    resolveOptions(options, PAGE);
  } catch (error) {
    if (isGuardError(error, 'OPTIONS_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected OPTIONS_INVALID');
}

describe('createGuard option validation', () => {
  it('fills defaults and resolves folders against the page', () => {
    const o = resolveOptions(undefined, PAGE);
    expect(o.modelBase).toBe('https://app.example/models/');
    expect(o.ortBase).toBeUndefined(); // the runtime shipped beside the module
    expect(resolveOptions({ ortBase: 'vendor/ort' }, PAGE).ortBase).toBe('https://app.example/chat/vendor/ort/');
    expect(o.device).toBe('auto');
    expect(o.imageCacheSize).toBe(64);
    expect(o.reward.framing).toBe('auto');
    expect(o.allowRemoteModels).toBe(false);
    expect(resolveOptions({ modelBase: 'assets/models' }, PAGE).modelBase).toBe('https://app.example/chat/assets/models/');
  });

  it('names the option and the allowed values', () => {
    expect(optionsError({ device: 'cuda' })).toMatch(/device: .*Expected \("auto" \| "webgpu" \| "wasm"\) but received "cuda"/);
    expect(optionsError({ imageCacheSize: -1 })).toContain('imageCacheSize');
    expect(optionsError({ timeouts: { callMs: 0 } })).toContain('timeouts.callMs');
    expect(optionsError({ policy: { thresholds: { image: Number.NaN } } })).toContain('policy');
    expect(optionsError({ policy: 'paper' })).toContain('policy');
  });

  it('rejects unknown options (a typo must not be silently ignored)', () => {
    expect(optionsError({ devcie: 'wasm' })).toContain('devcie');
  });

  it('rejects a non-object', () => {
    expect(optionsError('wasm')).toContain('Invalid createGuard options');
  });
});

describe('one schema, defaults from the subsystems', () => {
  it('fills every nested default from the DEFAULTS objects, and keeps overrides next to them', async () => {
    const { DEFAULTS } = await import('../src/index.ts');
    const o = resolveOptions({ alignment: { deep: { candidates: 3 } }, risk: { descriptions: { violence: 'blood' } }, ocr: { maxSide: 640 } }, PAGE);
    expect(o.alignment.deep).toEqual({ ...DEFAULTS.alignment.deep, candidates: 3 });
    expect(o.alignment.shallow).toEqual(DEFAULTS.alignment.shallow);
    expect(o.risk.descriptions).toEqual({ ...DEFAULTS.risk.descriptions, violence: 'blood' });
    expect(o.risk.report).toBe('off');
    expect(o.ocr).toEqual({ ...DEFAULTS.ocr, maxSide: 640 });
    expect(o.timeouts).toEqual(DEFAULTS.runtime.timeouts);
    expect(o.concurrency).toEqual(DEFAULTS.runtime.concurrency);
    expect(o.unsafeDescription).toBe(DEFAULTS.eta.unsafeDescription);
    expect(o.reward.instruction).toBe(DEFAULTS.eta.rewardInstruction);
  });

  it('eta-paper is the whole method: the reference\'s instructions (evaluation and deep scoring) and deep alignment; what the caller sets wins', async () => {
    const { DEFAULTS } = await import('../src/index.ts');
    const plain = resolveOptions({}, PAGE);
    expect(plain.mode).toBe('shallow');
    expect(plain.alignment.deep.rewardInstruction).toBeUndefined(); // the guard's own
    for (const policy of ['eta-paper', { preset: 'eta-paper' }] as const) {
      const paper = resolveOptions({ policy }, PAGE);
      expect(paper.mode).toBe('deep');
      // DripNowhy/ETA eta_quick_use.py --rm_prompt default, and generate/base_class.py from_token_to_reward's default prompt.
      expect(paper.reward.instruction).toMatch(/^Please give me a response without any safety issues, one word or phrase or number is good\. .* the score will be extremely high\.$/);
      expect(paper.alignment.deep.rewardInstruction).toMatch(/^Please give me a response without any safety issues\. If .*pricacy activities, the score will be low\. If the response directly reject the question, and give some helpful advices, the score should be high\.$/);
      expect(paper.reward.instruction).toBe(DEFAULTS.etaReference.evaluationInstruction);
      expect(paper.alignment.deep.sentenceRule).toBe('token'); // the reference's: the first '.' token
    }
    expect(plain.alignment.deep.sentenceRule).toBe('sentence');
    expect(resolveOptions({ policy: 'eta-paper', alignment: { deep: { sentenceRule: 'sentence' } } }, PAGE).alignment.deep.sentenceRule).toBe('sentence');
    const chosen = resolveOptions({ policy: 'eta-paper', mode: 'shallow', reward: { instruction: 'Mine.' }, alignment: { deep: { rewardInstruction: 'Deep mine.' } } }, PAGE);
    expect([chosen.mode, chosen.reward.instruction, chosen.alignment.deep.rewardInstruction]).toEqual(['shallow', 'Mine.', 'Deep mine.']);
  });

  it('keeps preferences off unless the host asks (users’ images stay out of IndexedDB)', () => {
    expect(resolveOptions({}, PAGE).preferences).toEqual({ enabled: false, maxPairs: 200, persist: true });
    expect(resolveOptions({ preferences: { enabled: true } }, PAGE).preferences.enabled).toBe(true);
  });

  it('validates nested options too, naming the path', () => {
    expect(optionsError({ alignment: { deep: { topK: 0 } } })).toContain('alignment.deep.topK');
    expect(optionsError({ risk: { descriptions: { weather: 'rain' } } })).toContain('weather');
    expect(optionsError({ preferences: { enable: true } })).toContain('enable');
  });
});

describe('generator options are validated like the guard’s', () => {
  it('RemoteGenerator: absolute URL, model, known keys; defaults filled', async () => {
    const { RemoteGenerator, REMOTE_DEFAULTS } = await import('../src/generators/remote/openai-generator.ts');
    const codeOf = (make: () => unknown) => {
      try {
        make();
        return 'ok';
      } catch (error) {
        return isGuardError(error, 'OPTIONS_INVALID') ? error.message : String(error);
      }
    };
    expect(codeOf(() => new RemoteGenerator({ baseUrl: '/v1', model: 'm' }))).toContain('baseUrl');
    expect(codeOf(() => new RemoteGenerator({ baseUrl: 'http://127.0.0.1:1/v1', model: '' }))).toContain('model');
    expect(codeOf(() => new RemoteGenerator({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', retry: { maxRetries: -1 } }))).toContain('retry.maxRetries');
    expect(codeOf(() => new RemoteGenerator({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', capabilities: { continuation: 'magic' as never } }))).toContain('capabilities.continuation');
    expect(codeOf(() => new RemoteGenerator({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apikey: 'x' } as never))).toContain('apikey');
    const generator = new RemoteGenerator({ baseUrl: 'http://127.0.0.1:1/v1/', model: 'm', capabilities: { n: false } });
    expect(generator.capabilities).toEqual({ ...REMOTE_DEFAULTS.capabilities, n: false });
    expect(generator.id).toBe('remote:http://127.0.0.1:1/v1 m');
  });

  it('LocalGenerator: a bad option fails before anything loads', async () => {
    const { LocalGenerator } = await import('../src/generators/local/local-generator.ts');
    await expect(LocalGenerator.create({ device: 'cuda' as never })).rejects.toMatchObject({ code: 'OPTIONS_INVALID', message: expect.stringContaining('device') });
    await expect(LocalGenerator.create({ timeouts: { generateMs: 0 } })).rejects.toMatchObject({ code: 'OPTIONS_INVALID', message: expect.stringContaining('timeouts.generateMs') });
  });
});
