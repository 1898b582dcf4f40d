// Response risk: the reward model's score of the response alone (ETA's post-generation check).
// Every text is scored as its scoring copy (src/answers/scoring-text.ts): one place, every path.
import { scoringText } from '../../answers/scoring-text.ts';
import type { RewardLoadReport, RewardWorkerApi, ScoreAs, ScoredText } from '../contracts.ts';
import type { WorkerHost } from '../worker-host.ts';

export class RewardEvaluator {
  readonly #host: WorkerHost<RewardWorkerApi, RewardLoadReport>;

  constructor(host: WorkerHost<RewardWorkerApi, RewardLoadReport>) {
    this.#host = host;
  }

  async score(text: string, as: ScoreAs = 'response'): Promise<{ score: number; ms: number }> {
    const started = performance.now();
    const [score] = await this.scoreMany([text], as);
    return { score: score!, ms: performance.now() - started };
  }

  /** A score with detail: a guard-generative model names the risk categories of an unsafe text. */
  async assess(text: string): Promise<ScoredText & { ms: number }> {
    const started = performance.now();
    const [scored] = await this.#host.call('reward scoring', (api) => api.assess([scoringText(text)]));
    return { ...scored!, ms: performance.now() - started };
  }

  /** One batched call, e.g. for deep alignment's N candidates. */
  scoreMany(texts: string[], as: ScoreAs = 'response'): Promise<number[]> {
    const copies = texts.map(scoringText);
    return this.#host.call('reward scoring', (api) => api.score(copies, as));
  }
}
