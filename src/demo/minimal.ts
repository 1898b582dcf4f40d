// The minimal evaluation page: pick an image, paste an answer, see ETA's verdict.
import { createGuard, type Device, type EvaluationResult, type Guard, type ModelProgress } from '../index.ts';
import { explainDecision } from './explain.ts';
import { progressView } from './load-progress.ts';
import { riskList } from './risk-view.ts';
import { selectedTier } from './tiers.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('evaluate-form');
const status = $('status');
const progressBar = $<HTMLProgressElement>('progress');
const fmt = (n: number | null, digits = 3) => (n === null ? '—' : n.toFixed(digits));

const guards = new Map<string, Promise<Guard>>();

// The app shell, ORT and the models stay in Cache Storage: a reload works offline.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.warn('vlm-guard: no offline support:', error));
}

/** Where a loading guard reports: the section that asked for it last. */
const progressSinks = new Map<string, (p: ModelProgress) => void>();

/**
 * The page's guards, one per backend and OCR choice (the calibration section uses them too);
 * `section` is the status line and bar of the section asking, which shows the load.
 */
export function guardFor(device: Device, imageText: boolean, section: { status: HTMLElement; bar: HTMLProgressElement } = { status, bar: progressBar }): Promise<Guard> {
  const tier = selectedTier();
  const key = `${device}:${imageText}:${tier ?? ''}`;
  let guard = guards.get(key);
  if (!guard) {
    section.status.textContent = `Loading models (${device}${imageText ? ', with OCR' : ''})…`;
    progressSinks.set(key, progressView(section.status, section.bar));
    guard = createGuard({ device, imageText: imageText ? 'on' : 'off', ...(tier ? { tier } : {}), onProgress: (p) => progressSinks.get(key)?.(p) });
    guard.catch(() => guards.delete(key));
    guards.set(key, guard);
  }
  return guard;
}

/** Draws the image with the OCR boxes over it, and lists the lines read. */
async function showPreview(image: File, result: EvaluationResult): Promise<void> {
  const bitmap = await createImageBitmap(image, { imageOrientation: 'from-image' });
  const canvas = $<HTMLCanvasElement>('preview-canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const lines = result.imageText?.lines ?? [];
  ctx.strokeStyle = '#d63384';
  ctx.lineWidth = Math.max(2, canvas.width / 300);
  for (const { box } of lines) ctx.strokeRect(box.x, box.y, box.width, box.height);
  const reading = result.imageText;
  $('preview-caption').textContent = !reading
    ? ''
    : reading.error
      ? `Reading the image's text failed: ${reading.error.message}`
      : lines.length > 0
        ? lines.map((l) => `${l.text}  (${(l.confidence * 100).toFixed(0)}%)`).join('\n')
        : 'No text found in the image.';
  $('preview').hidden = false;
}

function render(result: EvaluationResult, guard: Guard, loadMs: number | null): void {
  const verdict = (v: string, error?: { message: string }) => (error ? `${v} (${error.message})` : v);
  const explained = explainDecision(result.decision, { response: result.responseCheck.verdict, image: result.imageSignals.verdict, imageBy: result.imageSignals.fired }, guard.info.policy.unknownAs);
  $('decision').textContent = explained.text;
  $('decision').className = explained.tone;
  $('image-score').textContent = `${fmt(result.image.score)} (unsafe ≥ ${result.image.threshold}) → ${verdict(result.image.verdict, result.image.error)}${result.image.cached ? ', cached' : ''}`;
  $('reward-score').textContent = `${fmt(result.responseCheck.score)} (unsafe ≤ ${result.responseCheck.threshold}) → ${verdict(result.responseCheck.verdict, result.responseCheck.error)}`;
  const imageText = result.imageText;
  $('image-text-row').hidden = !imageText;
  if (imageText) {
    // A failed read says so where it happened (a timeout is not "no text").
    $('image-text-result').textContent = imageText.error
      ? `${imageText.verdict}: reading the text failed (${imageText.error.message})`
      : imageText.text
        ? `${fmt(imageText.score)} (unsafe ≤ ${imageText.threshold}) → ${imageText.verdict}; signals that fired: ${result.imageSignals.fired.join(', ') || 'none'}`
        : 'no text in the image';
  }
  $('risk-row').hidden = !result.risk;
  if (result.risk) $('risk-result').replaceChildren(riskList(result.risk));
  const { thresholdBasis: basis, risk } = guard.info;
  const designed = basis.clip === 'designed' && basis.reward === 'designed';
  const unmeasured = [basis.clip !== 'measured' && 'image', basis.reward !== 'measured' && 'reward', !risk.calibrated && 'risk categories'].filter(Boolean);
  $('calibration').textContent = designed
    ? 'thresholds designed with the generated test models (by construction, not measured on real content)'
    : unmeasured.length
      ? `not measured for ${unmeasured.join(', ')} (image: ${basis.clip}, reward: ${basis.reward}) — run a calibration below`
      : 'thresholds measured on a labelled set (recorded by the calibration)';
  $('backends').textContent = `CLIP ${result.backends.clip}, reward ${result.backends.reward}${result.backends.ocr ? `, OCR ${result.backends.ocr}` : ''}`;
  const ocrMs = result.imageText === undefined ? '' : `, image text ${fmt(result.imageText.ms, 1)} ms`;
  const load = loadMs === null ? '' : `; models loaded in ${fmt(loadMs, 0)} ms for this run`;
  $('timings').textContent = `image ${fmt(result.image.ms, 1)} ms, response ${fmt(result.responseCheck.ms, 1)} ms${ocrMs}, total ${fmt(result.timings.total, 1)} ms${load}`;
  $('result').hidden = false;
  const banner = $('banner');
  banner.hidden = !guard.info.testModelsOnly;
  banner.textContent = 'Only the generated test models are installed: their scores show that the pipeline works, not whether real content is safe.';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const image = data.get('image');
  if (!(image instanceof File) || image.size === 0) {
    status.textContent = 'Choose an image first.';
    return;
  }
  const device = data.get('device') as Device;
  const imageText = data.get('imageText') === 'on';
  const submit = $<HTMLButtonElement>('evaluate');
  void (async () => {
    // One run at a time: the button waits, and the last run's results go before this one's come.
    submit.disabled = true;
    $('result').hidden = true;
    $('preview').hidden = true;
    try {
      const loading = !guards.has(`${device}:${imageText}:${selectedTier() ?? ''}`);
      const t0 = performance.now();
      const guard = await guardFor(device, imageText);
      const loadMs = loading ? performance.now() - t0 : null;
      progressBar.hidden = true;
      status.textContent = 'Evaluating…';
      const result = await guard.evaluate(
        { image, prompt: String(data.get('prompt') ?? ''), response: String(data.get('response') ?? '') },
        { riskReport: data.get('riskReport') === 'on' ? 'clip' : 'off' },
      );
      render(result, guard, loadMs);
      await showPreview(image, result);
      status.textContent = 'Done.';
    } catch (error) {
      progressBar.hidden = true;
      status.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      submit.disabled = false;
    }
  })();
});
