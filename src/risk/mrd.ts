// Multimodal Risk Disentanglement (DREAM, docs/method.md, DREAM) by the VLM itself: list the
// risks of the image+question, the image alone and the question alone, then ask yes/no
// whether each listed risk is really there. Plain TypeScript over a Generator.
import { type CheckError, asGuardError } from '../errors.ts';
import type { ChatInput, Generator } from '../generators/types.ts';
import type { ImageInputs } from '../images/image-input.ts';
import { CATEGORY_LABELS, type RiskCategory, SOURCE_LABELS } from '../risk-categories.ts';
import { type MrdVariant, type RiskPrompts, fillPrompt } from './prompts.ts';
import { type Risk, parseRiskList, parseYesNo } from './risk-list.ts';

export interface FoundRisk extends Risk {
  /** The variants that listed it. */
  variants: MrdVariant[];
  /** The verifier's answer; null when not verified or it answered neither yes nor no. */
  verified: boolean | null;
}

export interface VariantOutcome {
  variant: MrdVariant;
  status: 'ok' | 'failed';
  risks: number;
  /** Items that were not valid risks (a partial list). */
  rejected: { item: unknown; reason: string }[];
  /** The model's answer as written. */
  raw: string;
  error?: CheckError;
  ms: number;
}

export interface VlmRiskReport {
  generator: string;
  /** ok: every variant parsed; partial: some failed or had invalid items; failed: none parsed. */
  status: 'ok' | 'partial' | 'failed';
  /** Risks kept: those the verifier did not reject. */
  risks: FoundRisk[];
  /** Listed but rejected by the verifier. */
  dismissed: FoundRisk[];
  flagged: RiskCategory[];
  variants: VariantOutcome[];
  ms: number;
}

export interface MrdConfig {
  variants: MrdVariant[];
  verify: boolean;
  maxTokens: number;
  prompts: RiskPrompts;
}

const PROMPT_OF: Record<MrdVariant, keyof RiskPrompts> = { 'image-text': 'mrdImageText', image: 'mrdImage', text: 'mrdText' };

/** Greedy, short answers: a risk list or yes/no is not creative writing. */
export async function ask(generator: Generator, chat: ChatInput, maxTokens: number, signal?: AbortSignal): Promise<string> {
  const completion = await generator.generate({ ...chat, sampling: { maxTokens, temperature: 0 } }, signal ? { signal } : {});
  return completion.text;
}

async function runVariant(generator: Generator, variant: MrdVariant, input: { image: ImageInputs; prompt: string }, config: MrdConfig, signal?: AbortSignal) {
  const started = performance.now();
  const prompt = fillPrompt(config.prompts[PROMPT_OF[variant]], { question: input.prompt });
  const chat: ChatInput = variant === 'text' ? { prompt } : { prompt, image: input.image };
  let raw = '';
  try {
    raw = await ask(generator, chat, config.maxTokens, signal);
    const { risks, rejected } = parseRiskList(raw);
    return { outcome: { variant, status: 'ok', risks: risks.length, rejected, raw, ms: performance.now() - started } satisfies VariantOutcome, risks };
  } catch (error) {
    if (signal?.aborted) throw error;
    const e = asGuardError(error, 'INFERENCE_FAILED', 'risk disentanglement failed');
    const outcome: VariantOutcome = { variant, status: 'failed', risks: 0, rejected: [], raw, error: { code: e.code, message: e.message }, ms: performance.now() - started };
    return { outcome, risks: [] as Risk[] };
  }
}

const riskKey = (r: Risk) => `${r.risk_category}|${r.source}|${r.malicious_content.toLowerCase().replace(/\W+/g, ' ').trim()}`;

export function describeRisk(r: Risk): string {
  return `${r.malicious_content} (${CATEGORY_LABELS[r.risk_category]}, ${SOURCE_LABELS[r.source]})`;
}

export async function disentangleRisks(
  generator: Generator,
  input: { image: ImageInputs; prompt: string },
  config: MrdConfig,
  signal?: AbortSignal,
): Promise<VlmRiskReport> {
  const started = performance.now();
  const runs = await Promise.all(config.variants.map((variant) => runVariant(generator, variant, input, config, signal)));
  const merged = new Map<string, FoundRisk>();
  for (const { outcome, risks } of runs) {
    for (const risk of risks) {
      const found = merged.get(riskKey(risk));
      if (found) found.variants.push(outcome.variant);
      else merged.set(riskKey(risk), { ...risk, variants: [outcome.variant], verified: null });
    }
  }
  const found = [...merged.values()];
  if (config.verify) {
    await Promise.all(
      found.map(async (risk) => {
        const prompt = fillPrompt(config.prompts.verify, {
          question: input.prompt,
          risk: risk.malicious_content,
          category: CATEGORY_LABELS[risk.risk_category],
          source: SOURCE_LABELS[risk.source],
        });
        try {
          risk.verified = parseYesNo(await ask(generator, { prompt, image: input.image }, config.maxTokens, signal));
        } catch (error) {
          if (signal?.aborted) throw error;
          risk.verified = null; // a failed verification keeps the risk: fail closed
        }
      }),
    );
  }
  const risks = found.filter((r) => r.verified !== false);
  const outcomes = runs.map((r) => r.outcome);
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  const status = failed === outcomes.length ? 'failed' : failed > 0 || outcomes.some((o) => o.rejected.length > 0) ? 'partial' : 'ok';
  return {
    generator: generator.id,
    status,
    risks,
    dismissed: found.filter((r) => r.verified === false),
    flagged: [...new Set(risks.map((r) => r.risk_category))],
    variants: outcomes,
    ms: performance.now() - started,
  };
}
