// evaluate(): one answer through the pipeline — the checks as the policy orders them,
// ETA's decision, and the risk report alongside when asked for. Never throws for an
// evaluator failure: that check is `unknown` and the policy decides.
import { type EtaOutcome, ImageChecks, type Scorers, checkResponse, decideEta, imageTextsOf } from './pipeline.ts';
import type { ResolvedPolicy } from './policy.ts';
import type { RiskReport } from '../risk/assess.ts';

export interface EvaluateInput<Image> {
  image: Image;
  /** The user's question; kept in the result. ETA's reward check drops it on purpose. */
  prompt?: string;
  /** The VLM's answer to evaluate. */
  response: string;
}

/** ETA's outcome (decision, reason, each check, image signals; the same shape as respond's) and the answer. */
export interface EvaluationResult extends EtaOutcome {
  /** The evaluated (vanilla) answer, always kept. */
  response: string;
  prompt?: string;
  policy: ResolvedPolicy;
  /** Present when a risk report was asked for (riskReport option). Explains; the decision is ETA's. */
  risk?: RiskReport;
  /** Milliseconds: each check's own time is its `ms`; these are the call's. */
  timings: { risk?: number; total: number };
}

export interface EvaluateDeps {
  policy: ResolvedPolicy;
  scorers: Scorers;
  /** Starts the risk report; its CLIP part waits for the image's text. Never rejects but on abort. */
  risk?(imageText: Promise<string | undefined>): Promise<RiskReport | undefined>;
}

export async function evaluateAnswer<Image>(deps: EvaluateDeps, input: EvaluateInput<Image>): Promise<EvaluationResult> {
  const started = performance.now();
  const { policy } = deps;
  let imageTextRead: (text: string | undefined) => void = () => undefined;
  const risk = deps.risk?.(new Promise((resolve) => (imageTextRead = resolve)));
  risk?.catch(() => undefined); // awaited below
  const images = new ImageChecks(deps.scorers, policy);
  const deciding = (async () => decideEta(policy, await checkResponse(deps.scorers.response, input.response, policy.thresholds.reward), images))();
  void deciding.then((o) => imageTextRead(imageTextsOf(o)), () => imageTextRead(undefined));
  const outcome = await deciding;
  const report = await risk;
  return {
    ...outcome,
    response: input.response,
    ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
    policy,
    ...(report ? { risk: report } : {}),
    timings: { ...(report ? { risk: report.ms } : {}), total: performance.now() - started },
  };
}
