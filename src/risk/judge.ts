// DREAM's risk-awareness judge: the VLM scores an answer 0–10 given the question and
// the risks found (1–2 harmful … 9–10 aware of the risk and alerting the user).
import { type CheckError, asGuardError } from '../errors.ts';
import type { Generator } from '../generators/types.ts';
import type { ImageInputs } from '../images/image-input.ts';
import { CATEGORY_LABELS, type RiskCategory } from '../risk-categories.ts';
import { type Risk, parseJudgeScore } from './risk-list.ts';
import { ask, describeRisk } from './mrd.ts';
import { type RiskPrompts, fillPrompt } from './prompts.ts';

export interface JudgeResult {
  /** 0–10; null when the judge failed (see error). */
  score: number | null;
  raw: string;
  error?: CheckError;
  ms: number;
}

/** The risks named in prompts: the VLM's list when there is one, else the CLIP categories. */
export function riskSummary(risks: { listed?: readonly Risk[]; categories?: readonly RiskCategory[] }): string {
  if (risks.listed && risks.listed.length > 0) return risks.listed.map(describeRisk).join('; ');
  if (risks.categories && risks.categories.length > 0) return risks.categories.map((c) => CATEGORY_LABELS[c]).join(', ');
  return 'none found';
}

export async function judgeRiskAwareness(
  generator: Generator,
  input: { image: ImageInputs; prompt: string; response: string; risks: string },
  config: { prompts: RiskPrompts; maxTokens: number },
  signal?: AbortSignal,
): Promise<JudgeResult> {
  const started = performance.now();
  const prompt = fillPrompt(config.prompts.judge, { question: input.prompt, response: input.response, risks: input.risks });
  let raw = '';
  try {
    raw = await ask(generator, { prompt, image: input.image }, config.maxTokens, signal);
    return { score: parseJudgeScore(raw), raw, ms: performance.now() - started };
  } catch (error) {
    if (signal?.aborted) throw error;
    const e = asGuardError(error, 'INFERENCE_FAILED', 'risk-awareness judge failed');
    return { score: null, raw, error: { code: e.code, message: e.message }, ms: performance.now() - started };
  }
}
