// Invariants of issue 26, as properties (fast-check) rather than examples: no number, no
// response shape and no stream chunking lets an answer reach the app as `pass` unless a
// finite score met a finite threshold; every text-bearing field is judged; the app gets
// the server's bytes unchanged on a pass.
import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { vlmGuardMiddleware } from '../src/ai-sdk/middleware.ts';
import { ALIGNMENT_DEFAULTS } from '../src/alignment/config.ts';
import { GATE_DEFAULTS } from '../src/respond/answer-gate.ts';
import { scoringText } from '../src/answers/scoring-text.ts';
import { judgeScore } from '../src/eta/decision.ts';
import { ImageChecks, checkResponse, decideEta } from '../src/eta/pipeline.ts';
import { resolvePolicy } from '../src/eta/policy.ts';
import { isGuardError } from '../src/errors.ts';
import type { Generator } from '../src/generators/types.ts';
import type { Guard } from '../src/guard.ts';
import { ThresholdsSchema } from '../src/options.ts';
import { protectFetch } from '../src/protect/fetch-protection.ts';
import { type AnswerStream, type RespondDeps, respond } from '../src/respond/respond.ts';
import type { ClipModelEntry, RewardModelEntry } from '../src/runtime/manifest.ts';
import { parseOption } from '../src/validation.ts';

/** Any value a number may be replaced with by a careless host or a broken model. */
const anyNumberish = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE),
  fc.constantFrom(undefined, null, '0.5', true, {}),
);
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

const models = { clipId: 'c', clip: { thresholds: { image: 0.5 } } as ClipModelEntry, rewardId: 'r', reward: { thresholds: { reward: 0 } } as RewardModelEntry };

describe('one verdict rule', () => {
  it('is safe only when a finite score is on the safe side of a finite threshold', () => {
    fc.assert(
      fc.property(anyNumberish, anyNumberish, fc.constantFrom('at-or-above' as const, 'at-or-below' as const), (score, threshold, side) => {
        const { verdict, why } = judgeScore(score, threshold, side);
        if (!finite(score) || !finite(threshold)) return verdict === 'unknown' && typeof why === 'string';
        return verdict === ((side === 'at-or-above' ? score >= threshold : score <= threshold) ? 'unsafe' : 'safe');
      }),
    );
  });

  it('decides pass only when a valid score of the image or of the answer is judged safe', async () => {
    await fc.assert(
      fc.asyncProperty(anyNumberish, anyNumberish, fc.constantFrom('unsafe' as const, 'safe' as const), async (imageScore, reward, unknownAs) => {
        const policy = { ...resolvePolicy({ unknownAs }, models) };
        const scorers = { images: [{ image: async () => ({ score: imageScore as number, cached: false }) }], response: async () => ({ score: reward as number }) };
        const outcome = await decideEta(policy, await checkResponse(scorers.response, 'text', policy.thresholds.reward), new ImageChecks(scorers, policy));
        const imageSafe = finite(imageScore) && imageScore < 0.5;
        const answerSafe = finite(reward) && reward > 0;
        const lenient = unknownAs === 'safe' && (!finite(imageScore) || !finite(reward));
        if (outcome.decision === 'pass') expect(imageSafe || answerSafe || lenient).toBe(true);
        else expect(imageSafe || answerSafe).toBe(false);
        // A score that is not a number is never reported as one.
        for (const check of [outcome.image, outcome.responseCheck]) expect(check.score === null || Number.isFinite(check.score)).toBe(true);
      }),
    );
  });

  it('policy.rule "response" aligns whenever the answer counts unsafe, whatever the image; "eta" needs both', async () => {
    await fc.assert(
      fc.asyncProperty(anyNumberish, anyNumberish, fc.constantFrom('eta' as const, 'response' as const), async (imageScore, reward, rule) => {
        const policy = resolvePolicy({ rule }, models);
        const scorers = { images: [{ image: async () => ({ score: imageScore as number, cached: false }) }], response: async () => ({ score: reward as number }) };
        const outcome = await decideEta(policy, await checkResponse(scorers.response, 'text', policy.thresholds.reward), new ImageChecks(scorers, policy));
        const answerUnsafe = !(finite(reward) && reward > 0);
        const imageUnsafe = !(finite(imageScore) && imageScore < 0.5);
        expect(outcome.decision).toBe(answerUnsafe && (rule === 'response' || imageUnsafe) ? 'align' : 'pass');
        expect(outcome.image.verdict).not.toBe('skipped'); // the image is still checked and reported
      }),
    );
  });

  it('takes threshold overrides only as finite numbers (CLIP within [-1, 1]); anything else is OPTIONS_INVALID naming the key', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('image', 'reward', 'other'), anyNumberish, { maxKeys: 3 }), (given) => {
        let parsed: { image?: number; reward?: number };
        try {
          parsed = parseOption(ThresholdsSchema, given, 'thresholds');
        } catch (error) {
          expect(isGuardError(error, 'OPTIONS_INVALID')).toBe(true);
          return;
        }
        const policy = resolvePolicy({ thresholds: parsed }, models);
        expect(Number.isFinite(policy.thresholds.image) && Number.isFinite(policy.thresholds.reward)).toBe(true);
        expect(Math.abs(policy.thresholds.image)).toBeLessThanOrEqual(1);
      }),
    );
    expect(() => parseOption(ThresholdsSchema, { image: undefined }, 'thresholds')).toThrow(/image/);
    expect(() => parseOption(ThresholdsSchema, Object.create({ image: 0.2 }) as object, 'thresholds')).toThrow(/plain object/);
  });
});

describe('what is scored: the normalised copy', () => {
  it('reads full-width, math-bold, zero-width-split, bidi-wrapped and JSON-escaped words as the plain words', () => {
    for (const disguised of ['ｄｅｔｏｎａｔｏｒ', '𝐝𝐞𝐭𝐨𝐧𝐚𝐭𝐨𝐫', 'deto\u200bna\u200dtor', '\u202edetonator\u202c', '\\u0064etonator', '\\\\u0064etonator']) {
      expect(scoringText(disguised)).toBe('detonator');
    }
  });

  it('keeps any plain-ASCII text without backslashes as it is', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii' }).filter((s) => !s.includes('\\')), (s) => scoringText(s) === s));
  });
});

// --- respond: the aligned answer is judged before it ships; withheld text never comes back.

const HARM = /explosive|detonator|bomb/gi;
const rewardOf = (text: string) => 1 - 3 * (text.match(HARM)?.length ?? 0);
const completion = (text: string) => ({ text, finishReason: 'eos' as const, tokens: text.split(' ').length });

/** A VLM that streams `vanilla` in the given pieces and answers any alignment request with `aligned`. */
function scriptedVlm(vanilla: string[], aligned: string): Generator {
  return {
    id: 'scripted',
    async generate(request, options = {}) {
      if (request.assistantPrefix !== undefined) return completion(aligned);
      for (const piece of vanilla) options.onToken?.(piece);
      return completion(vanilla.join(''));
    },
    async sample(_request, n) {
      return Array.from({ length: n }, () => completion(aligned));
    },
  };
}

function respondDeps(generator: Generator, imageScore: number, reward: (text: string) => number = rewardOf): RespondDeps {
  return {
    generator,
    policy: resolvePolicy({}, models),
    alignment: ALIGNMENT_DEFAULTS,
    gate: GATE_DEFAULTS,
    scorers: { images: [{ image: async () => ({ score: imageScore, cached: false }) }], response: async (text) => ({ score: reward(text) }) },
    rewardMany: async (texts) => texts.map(reward),
    imageTextScores: async (_image, texts) => texts.map(() => imageScore),
  };
}

const image = new Blob([new Uint8Array([1])], { type: 'image/png' });

describe('respond ships nothing unjudged', () => {
  it('an aligned answer that is still unsafe: its unsafe sentence never ships, the fallback follows what of it passed; the model\'s aligned text is kept in the result only', async () => {
    const tokens: string[] = [];
    const vlm = scriptedVlm(['Sure. First mix the explosive powder.'], ' Sure. Attach the detonator.');
    const result = await respond(respondDeps(vlm, 0.9), { image, prompt: 'p' }, { onToken: (d, { phase }) => phase === 'aligned' && tokens.push(d) });
    expect(result.decision).toBe('align');
    expect(result.fallback).toBe(true);
    // The safety prefix passed and was shown (the aligned part streams as it is judged); the fallback follows it.
    expect(result.text).toBe(`${ALIGNMENT_DEFAULTS.shallow.prefix} Sure. ${ALIGNMENT_DEFAULTS.fallback}`);
    expect(result.alignedText).toContain('detonator');
    expect(tokens.join('')).toBe(result.text);
  });

  it('for any chunking of an aligned answer, its sentences reach the app as each is judged, and none judged unsafe ever does', async () => {
    const aligned = ' I cannot help with that. Still, attach the detonator. Be safe.';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: aligned.length }), { maxLength: 8 }), async (cuts) => {
        const at = [0, ...[...new Set(cuts)].sort((a, b) => a - b), aligned.length];
        const pieces = at.slice(1).map((end, i) => aligned.slice(at[i], end)).filter(Boolean);
        const vlm: Generator = {
          id: 'paced',
          async generate(request, options = {}) {
            if (request.assistantPrefix === undefined) return completion('Build the bomb.');
            for (const piece of pieces) options.onToken?.(piece);
            return completion(pieces.join(''));
          },
          sample: async () => [],
        };
        const shown: string[] = [];
        const result = await respond(respondDeps(vlm, 0.9), { image, prompt: 'p' }, { onToken: (d, { phase }) => phase === 'aligned' && shown.push(d) });
        expect(result.fallback).toBe(true);
        expect(shown.join('')).toBe(result.text); // the app saw exactly the answer
        expect(result.text).not.toMatch(/detonator/);
        expect(result.text.startsWith(ALIGNMENT_DEFAULTS.shallow.prefix)).toBe(true);
        expect(result.text.endsWith(ALIGNMENT_DEFAULTS.fallback)).toBe(true);
        // Ours to cut, the aligned text is shown sentence by sentence: the one that passed, whatever the chunking.
        expect(result.text).toBe(`${ALIGNMENT_DEFAULTS.shallow.prefix} I cannot help with that. ${ALIGNMENT_DEFAULTS.fallback}`);
      }),
      { numRuns: 30 },
    );
  });

  it('an aligned answer judged safe ships as aligned', async () => {
    const result = await respond(respondDeps(scriptedVlm(['Build the bomb.'], ', I cannot help with that.'), 0.9), { image, prompt: 'p' });
    expect(result).toMatchObject({ decision: 'align', fallback: false, text: 'As an AI assistant, I cannot help with that.' });
  });

  it('for any chunking, once the gate withholds a sentence it never reaches the app, even when the whole answer re-scores safe', async () => {
    // The whole answer reads safe (a long benign tail outweighs one harmful word); its second sentence alone does not.
    const reward = (text: string) => (/bomb/.test(text) && !/garden/.test(text) ? -1 : 1);
    const answer = 'A calm scene. Then build the bomb. The garden is pretty.';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: answer.length }), { maxLength: 8 }), async (cuts) => {
        const at = [0, ...[...new Set(cuts)].sort((a, b) => a - b), answer.length];
        const pieces = at.slice(1).map((end, i) => answer.slice(at[i], end)).filter(Boolean);
        const shown: string[] = [];
        const result = await respond(respondDeps(scriptedVlm(pieces, ', I cannot help.'), 0.9, reward), { image, prompt: 'p' }, {
          mode: 'off',
          onToken: (d) => shown.push(d),
        });
        expect(result.decision).toBe('align');
        expect(shown.join('')).not.toContain('bomb');
        expect(result.text).not.toContain('bomb');
        expect(result.vanilla).toContain('bomb'); // the vanilla answer is always kept
      }),
      { numRuns: 30 },
    );
  });
});

// --- the one view of an answer: fetch protection and the AI SDK middleware.

/** A guard stand-in that records the answers it is asked to judge and passes them (a streamed one unit by unit, as an open gate). */
function recordingGuard(judged: string[]): Guard {
  return {
    respond: async (_input: unknown, options: { answer?: string | Promise<string> | AnswerStream }) => {
      let answer = (await options.answer) ?? '';
      if (typeof answer !== 'string') {
        // What the gate judges of a stream: its units' text, in order.
        let text = '';
        for await (const unit of answer.units) {
          text += unit.text;
          unit.release();
        }
        answer = text;
      }
      judged.push(answer);
      return { decision: 'pass', text: answer, reason: 'r', responseCheck: { score: 1, verdict: 'safe' }, images: [] };
    },
    info: { mode: 'shallow' },
  } as unknown as Guard;
}

const word = fc.stringMatching(/^[a-z]{3,8}$/);
const toolCall = fc.record({ name: word, arguments: word.map((w) => JSON.stringify({ q: w })) });
const choiceFields = fc.record({
  content: fc.option(fc.oneof(word, fc.array(word, { minLength: 1, maxLength: 3 })), { nil: undefined }),
  refusal: fc.option(word, { nil: undefined }),
  reasoning_content: fc.option(word, { nil: undefined }),
  reasoning: fc.option(word, { nil: undefined }),
  tool_calls: fc.option(fc.array(toolCall, { minLength: 1, maxLength: 2 }), { nil: undefined }),
});
type Fields = typeof choiceFields extends fc.Arbitrary<infer T> ? T : never;

const message = (f: Fields) => ({
  role: 'assistant',
  ...(f.content !== undefined ? { content: Array.isArray(f.content) ? f.content.map((text) => ({ type: 'text', text })) : f.content } : {}),
  ...(f.refusal !== undefined ? { refusal: f.refusal } : {}),
  ...(f.reasoning_content !== undefined ? { reasoning_content: f.reasoning_content } : {}),
  ...(f.reasoning !== undefined ? { reasoning: f.reasoning } : {}),
  ...(f.tool_calls ? { tool_calls: f.tool_calls.map((c, index) => ({ index, id: `c${index}`, type: 'function', function: c })) } : {}),
});
const textBearing = (f: Fields) => [
  ...(f.content === undefined ? [] : [f.content].flat()),
  ...[f.refusal, f.reasoning_content, f.reasoning].filter((x): x is string => x !== undefined),
  ...(f.tool_calls ?? []).flatMap((c) => [c.name, c.arguments]),
];

/** The SSE a server streams for these choices: each field in its own delta, then [DONE]. */
function sseOf(choices: Fields[]): string {
  const events = choices.flatMap((f, index) =>
    Object.entries(message(f)).map(([key, value]) => ({ id: 'x', object: 'chat.completion.chunk', choices: [{ index, delta: { [key]: value }, finish_reason: null }] })),
  );
  return `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
  return at.slice(1).map((end, i) => bytes.slice(at[i], end));
}

const originalFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = originalFetch;
});

/** Fetch protection over a server that answers with `chunks`; what was judged and the bytes the app read. */
async function throughProtection(chunks: Uint8Array[], contentType: string, requestBody: unknown) {
  (globalThis as { location?: { href: string } }).location ??= { href: 'http://app.test/' };
  globalThis.fetch = async () =>
    new Response(new ReadableStream({ start: (c) => (chunks.forEach((chunk) => c.enqueue(chunk)), c.close()) }), { headers: { 'content-type': contentType } });
  const judged: string[] = [];
  const protection = protectFetch(recordingGuard(judged));
  try {
    const response = await fetch('http://vlm.test/v1/chat/completions', { method: 'POST', body: JSON.stringify(requestBody) });
    return { judged, bytes: new Uint8Array(await response.arrayBuffer()) };
  } finally {
    protection.restore();
  }
}

// No `model`: vLLM and llama.cpp take such a body; the image sits in the system message.
const request = { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }, { role: 'user', content: 'hi' }], stream: true };

describe('fetch protection reads every field of every choice, for any chunking', () => {
  it('judges each text-bearing field and hands the app the server\'s bytes unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(choiceFields, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 12 }), async (choices, cuts) => {
        const bytes = new TextEncoder().encode(sseOf(choices));
        // One answer streams through the gate; several (n > 1) are judged whole, each.
        const asked = { ...request, ...(choices.length > 1 ? { n: choices.length } : {}) };
        const { judged, bytes: received } = await throughProtection(split(bytes, cuts), 'text/event-stream', asked);
        expect(received).toEqual(bytes);
        // Any split judges the same text as the stream in one piece.
        expect(judged).toEqual((await throughProtection([bytes], 'text/event-stream', asked)).judged);
        expect(judged).toHaveLength(choices.length);
        choices.forEach((f, i) => textBearing(f).forEach((text) => expect(judged[i]).toContain(text)));
      }),
      { numRuns: 60 },
    );
  });

  it('judges a whole JSON answer the same way (content parts, refusal, reasoning, tool calls)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(choiceFields, { minLength: 1, maxLength: 3 }), async (choices) => {
        const body = { id: 'x', object: 'chat.completion', choices: choices.map((f, index) => ({ index, message: message(f), finish_reason: 'stop' })) };
        const bytes = new TextEncoder().encode(JSON.stringify(body));
        const { judged, bytes: received } = await throughProtection([bytes], 'application/json', { ...request, stream: false });
        expect(received).toEqual(bytes);
        choices.forEach((f, i) => textBearing(f).forEach((text) => expect(judged[i]).toContain(text)));
      }),
      { numRuns: 40 },
    );
  });
});

describe('the AI SDK middleware reads every part of a stream', () => {
  it('judges reasoning, text, tool input and tool calls, and replays the parts unchanged on a pass', async () => {
    const partsOf = fc.array(
      fc.oneof(
        word.map((w): LanguageModelV3StreamPart[] => [{ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: w }, { type: 'text-end', id: 't' }]),
        word.map((w): LanguageModelV3StreamPart[] => [{ type: 'reasoning-start', id: 'r' }, { type: 'reasoning-delta', id: 'r', delta: w }, { type: 'reasoning-end', id: 'r' }]),
        toolCall.map((c): LanguageModelV3StreamPart[] => [{ type: 'tool-call', toolCallId: c.name, toolName: c.name, input: c.arguments }]),
        toolCall.map((c): LanguageModelV3StreamPart[] => [{ type: 'tool-input-start', id: `i-${c.name}`, toolName: c.name }, { type: 'tool-input-delta', id: `i-${c.name}`, delta: c.arguments }]),
      ),
      { minLength: 1, maxLength: 5 },
    );
    await fc.assert(
      fc.asyncProperty(partsOf, async (groups) => {
        const parts = groups.flat();
        const judged: string[] = [];
        const middleware = vlmGuardMiddleware({ guard: recordingGuard(judged) });
        const params = { prompt: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: 'AA==' }, { type: 'text', text: 'hi' }] }] } as LanguageModelV3CallOptions;
        const doStream = async () => ({ stream: new ReadableStream<LanguageModelV3StreamPart>({ start: (c) => (parts.forEach((p) => c.enqueue(p)), c.close()) }) });
        const { stream } = await middleware.wrapStream!({ doStream, doGenerate: async () => { throw new Error('unused'); }, params, model: {} as never });
        const out: LanguageModelV3StreamPart[] = [];
        for (const reader = stream.getReader(); ; ) {
          const { done, value } = await reader.read();
          if (done) break;
          out.push(value);
        }
        expect(out).toEqual(parts);
        for (const p of parts) {
          const text = p.type === 'text-delta' || p.type === 'reasoning-delta' || p.type === 'tool-input-delta' ? p.delta : p.type === 'tool-call' ? p.input : null;
          if (text !== null) expect(judged[0]).toContain(text);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('where it runs', () => {
  it('createGuard outside a browser page (Node, SSR) is ENVIRONMENT_UNSUPPORTED with what to do, not a TypeError', async () => {
    const { createGuard } = await import('../src/guard.ts');
    const error = await createGuard().catch((e: unknown) => e);
    expect(isGuardError(error, 'ENVIRONMENT_UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toMatch(/Web Workers.*client code/);
  });
});
