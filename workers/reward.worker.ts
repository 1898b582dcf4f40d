// Reward / safety-classifier scoring. Thin: loads the evaluator kind the manifest names
// (workers/reward/scorers.ts) on the chosen backend and answers calls.
import type { ProgressSink, RewardLoadConfig, RewardLoadReport, RewardWorkerApi, ScoreAs, ScoredText } from '../src/runtime/contracts.ts';
import { F16_DTYPES } from '../src/runtime/manifest.ts';
import { type Scorer, decoderReward, guardGenerative, sequenceClassifier } from './reward/scorers.ts';
import { Comlink, configureEnvironment, infer, loadOnDevice, loseWebGpuDevice, notLoaded, ortWebGpu } from './transformers-env.ts';
import { workerMemory } from './memory-probe.ts';
import { SerialQueue } from './serial-queue.ts';

class RewardWorker implements RewardWorkerApi {
  readonly memory = workerMemory;

  #scorer: Scorer | null = null;
  /** The worker's one session (of any kind) runs one scoring call at a time. */
  readonly #queue = new SerialQueue();

  async load(config: RewardLoadConfig, onProgress?: ProgressSink): Promise<RewardLoadReport> {
    configureEnvironment(config, onProgress);
    const report = await loadOnDevice({ ...config, needsShaderF16: F16_DTYPES.includes(config.dtype.webgpu) }, async (backend, warmingUp) => {
      this.#scorer =
        config.kind === 'decoder-reward'
          ? await decoderReward(config, backend, onProgress)
          : config.kind === 'guard-generative' && config.guard
            ? await guardGenerative({ ...config, guard: config.guard }, backend, onProgress)
            : await sequenceClassifier(config, backend, onProgress);
      warmingUp();
      await this.score(['warm-up']); // compiles WebGPU shaders now and proves the backend works
    }, ortWebGpu());
    return { ...report, framing: this.#scorer!.framing };
  }

  async score(texts: string[], as: ScoreAs = 'response'): Promise<number[]> {
    return (await this.#run(texts, as, false)).map((s) => s.score);
  }

  loseDevice(): Promise<boolean> {
    return loseWebGpuDevice(ortWebGpu());
  }

  assess(texts: string[], as: ScoreAs = 'response'): Promise<ScoredText[]> {
    return this.#run(texts, as, true);
  }

  #run(texts: string[], as: ScoreAs, detail: boolean): Promise<ScoredText[]> {
    const scorer = this.#scorer ?? (() => { throw notLoaded('reward worker'); })();
    return this.#queue.run(() => infer('Reward scoring', () => scorer.score(texts, as, detail)));
  }
}

Comlink.expose(new RewardWorker());
