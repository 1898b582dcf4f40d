// Response risk: the reward model's score of the response alone (ETA's post-generation check).
import type { RewardLoadReport, RewardWorkerApi } from './worker-api.ts';
import type { WorkerHost } from './worker-host.ts';

export class RewardEvaluator {
  readonly #host: WorkerHost<RewardWorkerApi, RewardLoadReport>;

  constructor(host: WorkerHost<RewardWorkerApi, RewardLoadReport>) {
    this.#host = host;
  }

  async score(response: string): Promise<{ score: number; ms: number }> {
    const started = performance.now();
    const [score] = await this.scoreMany([response]);
    return { score: score!, ms: performance.now() - started };
  }

  /** One batched call, e.g. for deep alignment's N candidates. */
  scoreMany(responses: string[]): Promise<number[]> {
    return this.#host.call('reward scoring', (api) => api.score(responses));
  }
}
