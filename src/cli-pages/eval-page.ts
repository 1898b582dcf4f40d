// The page `vlm-guard eval` (`npm run eval` in the repo) drives in Chromium: creates a guard on
// the chosen models and backend and runs the labelled set through it (src/evaluation/run-set.ts).
import { GuardError } from '../errors.ts';
import type { EvalItem } from '../evaluation/labels.ts';
import { type EvalRecord, runEvaluation } from '../evaluation/run-set.ts';
import { RemoteGenerator } from '../generators/remote/openai-generator.ts';
import { createGuard } from '../index.ts';

export interface EvalPageConfig {
  modelBase: string;
  device: 'auto' | 'webgpu' | 'wasm';
  imageText: 'auto' | 'on' | 'off';
  tier?: string;
  clipModel?: string;
  rewardModel?: string;
  /** Where the set's files are served. */
  setBase: string;
  items: EvalItem[];
  generator?: { baseUrl: string; model: string; apiKey?: string };
  alignment: 'shallow' | 'deep';
}

export interface EvalPageResult {
  records: EvalRecord[];
  setup: {
    models: { clip: string; reward: string };
    backends: Record<string, string>;
    imageText: boolean;
    thresholds: { image: number; reward: number };
    thresholdBasis: { clip: string; reward: string };
    generator?: string;
  };
}

declare global {
  interface Window {
    runEvaluationSet(config: EvalPageConfig): Promise<EvalPageResult>;
    /** Exposed by the CLI: one line per evaluated item. */
    reportProgress?(line: string): Promise<void>;
    evalPageReady: boolean;
  }
}

const fileUrl = (base: string, file: string) => new URL(file.split('/').map(encodeURIComponent).join('/'), base).href;

window.runEvaluationSet = async (config) => {
  const guard = await createGuard({
    modelBase: config.modelBase,
    device: config.device,
    imageText: config.imageText,
    ...(config.tier ? { tier: config.tier } : {}),
    ...(config.clipModel ? { clipModel: config.clipModel } : {}),
    ...(config.rewardModel ? { rewardModel: config.rewardModel } : {}),
    preferences: { enabled: false },
  });
  const generator = config.generator ? new RemoteGenerator(config.generator) : undefined;
  try {
    const records = await runEvaluation(guard, config.items, {
      loadImage: async (file) => {
        const response = await fetch(fileUrl(config.setBase, file));
        if (!response.ok) throw new GuardError('INPUT_INVALID', `${file}: HTTP ${response.status}`);
        return response.blob();
      },
      ...(generator ? { generator } : {}),
      alignment: config.alignment,
      onRecord: (r, done, total) =>
        void window.reportProgress?.(`${done}/${total} ${r.label.padEnd(6)} image ${r.image.score?.toFixed(4) ?? '—'} ${r.imageVerdict}${r.error ? ` ERROR ${r.error.code}` : ''}  ${r.file}`),
    });
    return {
      records,
      setup: {
        models: guard.info.models,
        backends: { ...guard.runtime.backends },
        imageText: guard.info.imageText.active,
        thresholds: guard.info.policy.thresholds,
        thresholdBasis: guard.info.thresholdBasis,
        ...(generator ? { generator: generator.id } : {}),
      },
    };
  } finally {
    guard.dispose();
  }
};
window.evalPageReady = true;
