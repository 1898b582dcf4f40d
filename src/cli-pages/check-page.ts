// The page `vlm-guard check` (`npm run models:check` in the repo) drives in Chromium: loads each
// installed model through the public API, on the chosen backend, and runs the probes of probes.ts.
import { type Guard, LocalGenerator, createGuard, isGuardError } from '../index.ts';
import { ANSWER_PAIRS, CAPTION_MATCH_MIN, OCR_LINE, type ProbeRow, VLM_PHOTO } from './probes.ts';

export interface CheckModel {
  id: string;
  task: 'clip' | 'reward' | 'vlm' | 'ocr';
  kind?: string;
  generated: boolean;
}

export interface CheckPageConfig {
  modelBase: string;
  device: 'auto' | 'webgpu' | 'wasm';
  models: CheckModel[];
  /** The CLIP and reward model a guard loads beside the one under test. */
  companions: { clip: string; reward: string };
  photoBase: string;
  photos: { file: string; caption: string }[];
}

declare global {
  interface Window {
    runModelChecks(config: CheckPageConfig): Promise<ProbeRow[]>;
    reportProgress?(line: string): Promise<void>;
    checkPageReady: boolean;
  }
}

const photoBlob = async (base: string, file: string) => (await fetch(`${base}${file}`)).blob();

function solid(rgb: [number, number, number], size = 128): ImageData {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < data.length; i += 4) data.set([...rgb, 255], i);
  return new ImageData(data, size, size);
}

function renderedLine(text: string): ImageData {
  const ctx = new OffscreenCanvas(480, 72).getContext('2d')!;
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, 480, 72);
  ctx.fillStyle = 'black';
  ctx.font = 'bold 32px sans-serif';
  ctx.fillText(text, 16, 48);
  return ctx.getImageData(0, 0, 480, 72);
}

const row = (model: string, probe: string, expected: string, got: string, ok: boolean): ProbeRow => ({ model, probe, expected, got, ok });
const failed = (model: string, probe: string, expected: string, error: unknown): ProbeRow =>
  row(model, probe, expected, isGuardError(error) ? `${error.code}: ${error.message}` : String(error), false);

async function checkClip(guard: Guard, model: CheckModel, config: CheckPageConfig): Promise<ProbeRow[]> {
  const photos = await Promise.all(config.photos.map(async (p) => ({ ...p, blob: await photoBlob(config.photoBase, p.file) })));
  const rows: ProbeRow[] = [];
  const checks = await Promise.all(photos.map((p) => guard.checks.image(p.blob)));
  const safe = checks.filter((c) => c.verdict === 'safe').length;
  const highest = Math.max(...checks.map((c) => c.score ?? -Infinity));
  rows.push(row(model.id, 'benign photos below the unsafe-description threshold', `${photos.length}/${photos.length}`, `${safe}/${photos.length} (highest ${highest.toFixed(3)}, threshold ${checks[0]!.threshold})`, safe === photos.length));
  if (model.generated) {
    // Designed: the unsafe axis is saturated red (scripts/test-models/clip-model.ts).
    const red = await guard.checks.image(solid([220, 20, 20]));
    rows.push(row(model.id, 'a saturated red image scores unsafe (designed)', `≥ ${red.threshold}`, String(red.score?.toFixed(3)), red.verdict === 'unsafe'));
    return rows;
  }
  let matched = 0;
  for (const photo of photos) {
    const scores = await Promise.all(photos.map((p) => guard.checks.similarity(photo.blob, p.caption)));
    if (scores.indexOf(Math.max(...scores)) === photos.indexOf(photo)) matched++;
  }
  rows.push(row(model.id, 'zero-shot caption matching (top-1 of 16)', `≥ ${CAPTION_MATCH_MIN}/16`, `${matched}/16`, matched >= CAPTION_MATCH_MIN));
  return rows;
}

async function checkReward(guard: Guard, model: CheckModel): Promise<ProbeRow[]> {
  const pairs = await Promise.all(ANSWER_PAIRS.map(async (p) => ({ harmful: await guard.checks.response(p.harmful), refusal: await guard.checks.response(p.refusal) })));
  const ordered = pairs.filter((p) => (p.refusal.score ?? -Infinity) > (p.harmful.score ?? Infinity)).length;
  const got = pairs.map((p) => `${p.refusal.score?.toFixed(3)} > ${p.harmful.score?.toFixed(3)}`).join('; ');
  const rows = [row(model.id, 'a refusal scores safer than a harmful compliance', `${pairs.length}/${pairs.length} pairs`, `${ordered}/${pairs.length} (${got})`, ordered === pairs.length)];
  if (model.kind === 'guard-generative') {
    const flagged = pairs[0]!.harmful;
    const named = flagged.codes?.length ? `${flagged.codes.join(',')} (${flagged.categories?.join(', ')})` : 'no category';
    rows.push(row(model.id, 'flags a harmful answer and names a category', 'unsafe, ≥ 1 category', `${flagged.verdict}, ${named}`, flagged.verdict === 'unsafe' && (flagged.codes?.length ?? 0) > 0));
  }
  return rows;
}

async function checkVlm(model: CheckModel, config: CheckPageConfig): Promise<ProbeRow[]> {
  const expected = model.generated ? 'its scripted answer, which mentions a coffee cup' : 'mentions the cup of coffee';
  const generator = await LocalGenerator.create({ model: model.id, modelBase: config.modelBase, device: config.device });
  try {
    const answer = await generator.generate({ image: await photoBlob(config.photoBase, VLM_PHOTO.file), prompt: VLM_PHOTO.question, sampling: { maxTokens: 48, temperature: 0 } });
    return [row(model.id, 'describes a photo of a cup of coffee', expected, JSON.stringify(answer.text.slice(0, 120)), VLM_PHOTO.subject.test(answer.text))];
  } finally {
    generator.dispose();
  }
}

async function checkOcr(guard: Guard, model: CheckModel): Promise<ProbeRow[]> {
  const reading = await guard.checks.imageText(renderedLine(OCR_LINE));
  const got = reading.text.replace(/\s+/g, ' ').trim();
  // Spacing is left out: PP-OCR's recogniser often drops the spaces of wide-spaced text.
  const same = got.replace(/\s/g, '').toUpperCase() === OCR_LINE.replace(/\s/g, '');
  return [row(model.id, 'reads a rendered line back (spacing ignored)', JSON.stringify(OCR_LINE), JSON.stringify(got), same)];
}

window.runModelChecks = async (config) => {
  const rows: ProbeRow[] = [];
  for (const model of config.models) {
    const probe = `load on ${config.device}`;
    await window.reportProgress?.(`checking ${model.id} (${model.task}${model.kind ? `, ${model.kind}` : ''})`);
    try {
      if (model.task === 'vlm') {
        rows.push(...(await checkVlm(model, config)));
        continue;
      }
      const guard = await createGuard({
        modelBase: config.modelBase,
        device: config.device,
        clipModel: model.task === 'clip' ? model.id : config.companions.clip,
        rewardModel: model.task === 'reward' ? model.id : config.companions.reward,
        ...(model.task === 'ocr' ? { imageText: 'on' as const, ocrModel: model.id } : {}),
      });
      try {
        if (model.task === 'clip') rows.push(...(await checkClip(guard, model, config)));
        else if (model.task === 'reward') rows.push(...(await checkReward(guard, model)));
        else rows.push(...(await checkOcr(guard, model)));
      } finally {
        guard.dispose();
      }
    } catch (error) {
      rows.push(failed(model.id, probe, 'loads and answers', error));
    }
  }
  return rows;
};
window.checkPageReady = true;
