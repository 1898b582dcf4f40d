// bench/models/: the test models with test-clip's vision tower doing about ViT-B/32's
// multiply-adds (its scores unchanged), so the bench weighs fixed costs — the worker
// round trip, the cache — against inference of a realistic size. Not committed (~30 MB).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseManifest } from '../src/runtime/manifest.ts';
import { VIT_B32_WORKLOAD } from '../scripts/test-models/clip-model.ts';
import { clipFiles, json, writeModelFiles } from '../scripts/test-models/model-files.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(ROOT, 'bench/models');

export async function makeBenchModels(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const manifest = parseManifest(JSON.parse(readFileSync(resolve(ROOT, 'models/manifest.json'), 'utf8')), 'models/manifest.json');
  const clip = manifest.models['test-clip']!;
  manifest.models['test-clip'] = {
    ...clip,
    description: `${clip.description} Bench variant: the vision tower also does ~3 G multiply-adds (ViT-B/32-sized) that leave its output unchanged.`,
    files: writeModelFiles(OUT, 'test-clip', await clipFiles(VIT_B32_WORKLOAD)),
  };
  cpSync(resolve(ROOT, 'models/test-reward'), resolve(OUT, 'test-reward'), { recursive: true });
  writeFileSync(resolve(OUT, 'manifest.json'), json(manifest));
}
