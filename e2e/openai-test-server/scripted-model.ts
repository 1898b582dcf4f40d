// The test server's "model": deterministic text chosen from the prompt and the
// assistant prefix, so tests can assert what a guard does with it. A token is a
// word with its leading space; a token containing '.' ends a sentence.

export const SAFETY_PREFIX = 'As an AI assistant';

const HARMFUL_PROMPT = /bomb|explosive|weapon|poison|detonator/i;

export const SCRIPTS = {
  harmful: 'Sure. First mix the explosive powder with fuel. Then attach the detonator and build the bomb. Keep it hidden.',
  benign: 'The image shows a cat resting beside a cup of coffee. It looks calm and cozy.',
  /** What follows the safety prefix when decoding greedily. */
  afterSafetyPrefix: ', I cannot help with that request. Sorry, please stay safe and talk to someone responsible instead.',
} as const;

/** Sentences that sampling draws from, per kind of request. */
const SAMPLE_POOLS = {
  harmful: [
    ' First mix the explosive powder.',
    ' I cannot help with that.',
    ' Then attach the detonator.',
    ' Sorry, I will not give those steps.',
    ' Please stay safe instead.',
    ' Build the bomb in a garage.',
    ' Talk to someone responsible.',
  ],
  benign: [' The cat looks calm.', ' A cup of coffee sits nearby.', ' The light is warm.', ' It is a cozy scene.'],
};

/** After this many sentences in the assistant turn, a sampled sentence ends the answer (EOS). */
const SENTENCES_BEFORE_EOS = 3;

export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface ScriptedCompletion {
  /** Tokens of the continuation, before stop strings and max_tokens are applied. */
  tokens: string[];
  /** Whether the model would emit EOS after these tokens. */
  endsWithEos: boolean;
}

/** The script's sentences repeated until it has `tokens` tokens (a long answer, like a real model's). */
function lengthened(script: string, tokens: number | undefined): string {
  if (!tokens) return script;
  const sentences = script.match(/[^.]+\./g) ?? [script];
  let text = script;
  for (let i = 0; tokenize(text).length < tokens; i++) text += sentences[i % sentences.length];
  return text;
}

/** Greedy: the continuation of `prefix` within the scripted answer for this prompt. */
function greedy(prompt: string, prefix: string, answerTokens?: number): ScriptedCompletion {
  // The safety prefix may follow part of an answer already shown (an aligned continuation).
  const aligned = prefix.lastIndexOf(SAFETY_PREFIX);
  if (aligned >= 0) {
    const full = SAFETY_PREFIX + SCRIPTS.afterSafetyPrefix;
    const said = prefix.slice(aligned);
    const rest = full.startsWith(said) ? full.slice(said.length) : SCRIPTS.afterSafetyPrefix;
    return { tokens: tokenize(rest), endsWithEos: true };
  }
  const script = lengthened(HARMFUL_PROMPT.test(prompt) ? SCRIPTS.harmful : SCRIPTS.benign, answerTokens);
  const rest = script.startsWith(prefix) ? script.slice(prefix.length) : ` ${script}`;
  return { tokens: tokenize(rest), endsWithEos: true };
}

/** Sampled: one sentence drawn from the pool, seeded by the prefix and the sample index. */
function sampled(prompt: string, prefix: string, index: number, topK: number, answerTokens?: number): ScriptedCompletion {
  const pool = HARMFUL_PROMPT.test(prompt) ? SAMPLE_POOLS.harmful : SAMPLE_POOLS.benign;
  const candidates = pool.slice(0, Math.max(1, Math.min(topK, pool.length)));
  const sentence = candidates[hash(`${prefix}#${index}`) % candidates.length]!;
  const sentencesSoFar = (prefix.match(/\./g) ?? []).length;
  const ending = answerTokens ? tokenize(prefix).length >= answerTokens : sentencesSoFar >= SENTENCES_BEFORE_EOS;
  // Sampling continues past the sentence end unless the answer is over.
  const tokens = tokenize(sentence + (ending ? '' : ' And more follows.'));
  return { tokens, endsWithEos: ending };
}

/**
 * Review tasks the guard asks a VLM for (DREAM): a risk list (the prompt names the
 * "risk_category" key), a yes/no verification, a 0–10 risk-awareness score. The
 * server sees no pixels, so it finds risks in the question only; it confirms the
 * question's risk and dismisses any claim about the image.
 */
function review(prompt: string): string | null {
  const question = /Question: "([^"]*)"/.exec(prompt)?.[1] ?? '';
  if (prompt.includes('risk_category')) {
    if (!HARMFUL_PROMPT.test(question)) return '[]';
    const list = [
      { malicious_content: 'steps to build a bomb', source: 'text instruction', risk_category: 'Illegal Activities' },
      { malicious_content: 'a weapon shown in the picture', source: 'image', risk_category: 'violence' },
      { malicious_content: 'unclear', source: 'somewhere', risk_category: 'other' },
    ];
    // Fenced and with a trailing comma, as chat models write it.
    return `Here is the list:\n\`\`\`json\n${JSON.stringify(list, null, 1).replace(/\n\]$/, ',\n]')}\n\`\`\``;
  }
  if (/yes or no/i.test(prompt)) return /bomb/i.test(prompt.split('(category')[0] ?? '') ? 'Yes, it is.' : 'No.';
  if (/from 0 to 10/i.test(prompt)) {
    const answer = /Answer to rate: "([^"]*)"/.exec(prompt)?.[1] ?? '';
    return /cannot help|will not|sorry/i.test(answer) ? '9' : HARMFUL_PROMPT.test(answer) ? 'Score: 1/10' : '6';
  }
  return null;
}

/** `answerTokens`: answers run to about this many tokens (default: the short scripts, three sampled sentences). */
export function complete(prompt: string, prefix: string, opts: { temperature: number; topK: number; index: number; answerTokens?: number }): ScriptedCompletion {
  const reviewed = prefix === '' ? review(prompt) : null;
  if (reviewed !== null) return { tokens: tokenize(reviewed), endsWithEos: true };
  return opts.temperature > 0 ? sampled(prompt, prefix, opts.index, opts.topK, opts.answerTokens) : greedy(prompt, prefix, opts.answerTokens);
}
