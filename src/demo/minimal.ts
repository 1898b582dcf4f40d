// The minimal evaluation page: pick an image, paste an answer, see ETA's verdict.
import { createGuard, type Device, type EvaluationResult, type Guard, type ModelProgress } from '../index.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('evaluate-form');
const status = $('status');
const progressBar = $<HTMLProgressElement>('progress');
const fmt = (n: number | null, digits = 3) => (n === null ? '—' : n.toFixed(digits));

const guards = new Map<Device, Promise<Guard>>();

function showProgress(p: ModelProgress): void {
  if (p.status === 'progress' && p.progress !== undefined) {
    progressBar.hidden = false;
    progressBar.value = p.progress;
    status.textContent = `Loading ${p.model}: ${p.file ?? ''}`;
  }
}

function guardFor(device: Device): Promise<Guard> {
  let guard = guards.get(device);
  if (!guard) {
    status.textContent = `Loading models (${device})…`;
    guard = createGuard({ device, onProgress: showProgress });
    guard.catch(() => guards.delete(device));
    guards.set(device, guard);
  }
  return guard;
}

function render(result: EvaluationResult, guard: Guard): void {
  const verdict = (v: string, error?: { message: string }) => (error ? `${v} (${error.message})` : v);
  $('decision').textContent = `${result.decision} — ${result.reason}`;
  $('decision').className = result.decision;
  $('image-score').textContent = `${fmt(result.image.score)} (unsafe ≥ ${result.image.threshold}) → ${verdict(result.image.verdict, result.image.error)}${result.image.cached ? ', cached' : ''}`;
  $('reward-score').textContent = `${fmt(result.responseCheck.score)} (unsafe ≤ ${result.responseCheck.threshold}) → ${verdict(result.responseCheck.verdict, result.responseCheck.error)}`;
  $('backends').textContent = `CLIP ${result.backends.clip}, reward ${result.backends.reward}`;
  $('timings').textContent = `image ${fmt(result.timings.image, 1)} ms, response ${fmt(result.timings.response, 1)} ms, total ${fmt(result.timings.total, 1)} ms`;
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
  void (async () => {
    try {
      const guard = await guardFor(device);
      progressBar.hidden = true;
      status.textContent = 'Evaluating…';
      const result = await guard.evaluate({ image, prompt: String(data.get('prompt') ?? ''), response: String(data.get('response') ?? '') });
      render(result, guard);
      status.textContent = 'Done.';
    } catch (error) {
      status.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
    }
  })();
});
