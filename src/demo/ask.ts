// "Ask a VLM, guarded": generate with a local or remote VLM through guard.respond,
// watch the vanilla answer stream, see the evaluation and the aligned answer side by
// side, and for deep alignment every candidate of every sentence.
import {
  type Device,
  type Generator,
  type Guard,
  type GuardRespondResult,
  LocalGenerator,
  type ModelProgress,
  type RespondMode,
  RemoteGenerator,
  type RiskAwareAlignment,
  type RiskReportMode,
  createGuard,
} from '../index.ts';
import { dropZone } from './drop-zone.ts';
import { progressView } from './load-progress.ts';
import { riskList } from './risk-view.ts';
import { selectedTier } from './tiers.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('ask-form');
const status = $('ask-status');
const progressBar = $<HTMLProgressElement>('ask-progress');
const vanillaText = $('vanilla-text');
const alignedText = $('aligned-text');
const stopButton = $<HTMLButtonElement>('ask-stop');
const askButton = $<HTMLButtonElement>('ask-button');
const fmt = (n: number | null | undefined, digits = 3) => (n === null || n === undefined ? '—' : n.toFixed(digits));

let droppedImage: Blob | null = null;
let running: AbortController | null = null;
/** The section's guard and what it was made for; another device, tier or risk setting replaces (and disposes) it. */
let current: { key: string; guard: Promise<Guard> } | null = null;
const localGenerators = new Map<Device, Promise<LocalGenerator>>();
/** This run's load display, made anew per run: the guard's and the local VLM's files add up in one bar. */
let showLoad = progressView(status, progressBar);
const onProgress = (p: ModelProgress) => showLoad(p);

function cached<K, V>(map: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let value = map.get(key);
  if (!value) {
    value = make();
    value.catch(() => map.delete(key));
    map.set(key, value);
  }
  return value;
}

/**
 * Thresholds are per call (no new guard for a new threshold). Preference pairs hold the
 * user's images and questions: kept only when the user ticks the box.
 */
function guardFor(device: Device, risk: { alignment: RiskAwareAlignment; judge: boolean }, keepPreferences: boolean): Promise<Guard> {
  const tier = selectedTier();
  const key = `${device}:${JSON.stringify({ risk, tier, keepPreferences })}`;
  if (current?.key !== key) {
    void current?.guard.then((old) => old.dispose(), () => undefined);
    const guard = createGuard({ device, risk, preferences: { enabled: keepPreferences }, ...(tier ? { tier } : {}), onProgress });
    current = { key, guard };
    guard.catch(() => {
      if (current?.guard === guard) current = null;
    });
  }
  return current.guard;
}

function thresholdsOf(data: FormData): { image?: number; reward?: number } {
  const number = (name: string) => {
    const raw = String(data.get(name) ?? '').trim();
    return raw === '' ? undefined : Number(raw);
  };
  const image = number('imageThreshold');
  const reward = number('rewardThreshold');
  return { ...(image !== undefined ? { image } : {}), ...(reward !== undefined ? { reward } : {}) };
}

async function generatorFor(data: FormData, device: Device): Promise<Generator> {
  if (data.get('vlm') === 'remote') {
    const apiKey = String(data.get('apiKey') ?? '');
    return new RemoteGenerator({ baseUrl: String(data.get('endpoint')), model: String(data.get('model')), ...(apiKey ? { apiKey } : {}) });
  }
  return cached(localGenerators, device, () => LocalGenerator.create({ device, onProgress }));
}

function setImage(blob: Blob): void {
  droppedImage = blob;
  const thumb = $<HTMLImageElement>('ask-thumb');
  if (thumb.src) URL.revokeObjectURL(thumb.src);
  thumb.src = URL.createObjectURL(blob);
  thumb.alt = 'The image to ask about';
  thumb.hidden = false;
  $('ask-drop-text').textContent = blob instanceof File ? blob.name : 'pasted image';
}

function renderDeep(result: GuardRespondResult): void {
  const body = $('deep-table').querySelector('tbody')!;
  body.replaceChildren();
  for (const sentence of result.deep?.sentences ?? []) {
    sentence.candidates.forEach((candidate, j) => {
      const row = document.createElement('tr');
      if (j === sentence.chosen) row.className = 'chosen';
      for (const value of [
        j === 0 ? String(sentence.index) : '',
        candidate.text + (candidate.finishReason === 'eos' ? ' ⏎' : ''),
        fmt(candidate.reward),
        fmt(candidate.clip),
        fmt(candidate.score),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = value;
        row.append(cell);
      }
      body.append(row);
    });
  }
  $('deep').hidden = !result.deep;
}

function render(result: GuardRespondResult): void {
  const check = (c: { score: number | null; threshold: number; verdict: string; error?: { message: string } }, dir: string) =>
    `${fmt(c.score)} (unsafe ${dir} ${c.threshold}) → ${c.verdict}${c.error ? ` (${c.error.message})` : ''}`;
  // The gate never shows the unsafe part of the vanilla answer.
  const { withheld, released } = result.gate;
  vanillaText.textContent = withheld ? `${released} … [${result.vanillaComplete ? 'withheld' : 'stopped'} by the gate]` : result.vanilla;
  alignedText.textContent = result.modeUsed === 'off' ? '(not aligned: the vanilla answer stands)' : result.text;
  $('ask-decision').textContent = `${result.decision} (${result.modeUsed === 'off' ? 'vanilla stands' : `aligned: ${result.modeUsed}`}) — ${result.reason}`;
  $('ask-decision').className = result.decision;
  $('ask-image-score').textContent = check(result.image, '≥');
  $('ask-reward').textContent = check(result.responseCheck, '≤');
  $('ask-aligned-reward').textContent = result.alignedCheck ? check(result.alignedCheck, '≤') : '—';
  $('ask-risk-row').hidden = !result.risk;
  if (result.risk) {
    const list = riskList(result.risk);
    if (result.riskAware) list.prepend(Object.assign(document.createElement('li'), { textContent: `Alignment named: ${result.riskAware.risks} (${result.riskAware.mode})` }));
    $('ask-risk').replaceChildren(list);
  }
  $('ask-judge-row').hidden = !result.judge;
  if (result.judge) {
    const score = (j: { score: number | null; error?: { message: string } }) => (j.score === null ? `— (${j.error?.message ?? 'failed'})` : `${j.score}/10`);
    $('ask-judge').textContent = `vanilla ${score(result.judge.vanilla)}${result.judge.aligned ? `, aligned ${score(result.judge.aligned)}` : ''}`;
  }
  $('ask-backends').textContent = `${result.generator}; CLIP ${result.backends.clip}, reward ${result.backends.reward}`;
  const t = result.timings;
  $('ask-timings').textContent = `generate ${fmt(t.generate, 0)} ms (image check ${fmt(result.image.ms, 0)} ms alongside), response check ${fmt(result.responseCheck.ms, 0)} ms, align ${fmt(t.align, 0)} ms, total ${fmt(t.total, 0)} ms`;
  $('ask-result').hidden = false;
  renderDeep(result);
}

form.addEventListener('change', (event) => {
  const target = event.target as HTMLInputElement;
  if (target.name === 'vlm') $('remote-fields').hidden = target.value !== 'remote';
  if (target.name === 'image' && target.files?.[0]) setImage(target.files[0]);
});

dropZone($('ask-drop'), (data) => {
  const file = [...data.files].find((f) => f.type.startsWith('image/'));
  if (file) setImage(file);
});
document.addEventListener('paste', (event) => {
  const item = [...(event.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
  const file = item?.getAsFile();
  if (file) setImage(file);
});

stopButton.addEventListener('click', () => running?.abort());

// With the box ticked, every aligned answer leaves preference pairs (aligned vs vanilla, and
// deep's best vs worst sentence): download them as JSONL for a DPO run, images embedded.
let lastGuard: Guard | null = null;
const downloadButton = $<HTMLButtonElement>('download-prefs');
async function showPreferenceCount(): Promise<void> {
  const recorder = lastGuard?.preferences ?? null;
  const count = recorder ? await recorder.count() : 0;
  $('prefs-count').textContent = recorder ? `${count} pair${count === 1 ? '' : 's'} kept in this browser` : 'Preference pairs are not kept (tick "Keep preference pairs" above).';
  downloadButton.disabled = count === 0;
}
downloadButton.addEventListener('click', () => {
  void (async () => {
    if (!lastGuard) return;
    const jsonl = (await lastGuard.preferences?.export({ images: 'data-url' })) ?? '';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([jsonl], { type: 'application/jsonl' }));
    link.download = 'vlm-guard-preferences.jsonl';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  })();
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  if (!droppedImage) {
    status.textContent = 'Choose, drop or paste an image first.';
    return;
  }
  const image = droppedImage;
  const device = ((document.querySelector('input[name="device"]:checked') as HTMLInputElement | null)?.value ?? 'auto') as Device;
  const thresholds = thresholdsOf(data);
  const risk = { alignment: String(data.get('riskAlignment')) as RiskAwareAlignment, judge: data.get('judge') === 'on' };
  const controller = new AbortController();
  running = controller;
  askButton.disabled = true;
  stopButton.disabled = false;
  vanillaText.textContent = '';
  alignedText.textContent = '';
  // The last run's evaluation goes before this one's comes.
  $('ask-result').hidden = true;
  $('deep').hidden = true;
  showLoad = progressView(status, progressBar);
  void (async () => {
    try {
      status.textContent = 'Loading models…';
      const [guard, generator] = await Promise.all([
        guardFor(device, risk, data.get('keepPreferences') === 'on'),
        generatorFor(data, device),
      ]);
      progressBar.hidden = true;
      const banner = $('banner');
      if (guard.info.testModelsOnly) {
        banner.textContent = 'Only the generated test models are installed: their scores show that the pipeline works, not whether real content is safe.';
        banner.hidden = false;
      }
      status.textContent = 'Generating…';
      const result = await guard.respond(
        { image, prompt: String(data.get('prompt') ?? '') },
        {
          generator,
          mode: String(data.get('mode')) as RespondMode,
          riskReport: String(data.get('riskReport')) as RiskReportMode,
          thresholds,
          signal: controller.signal,
          onToken: (delta, { phase }) => {
            (phase === 'vanilla' ? vanillaText : alignedText).textContent += delta;
          },
        },
      );
      render(result);
      lastGuard = guard;
      await showPreferenceCount();
      status.textContent = 'Done.';
    } catch (error) {
      progressBar.hidden = true;
      status.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      running = null;
      askButton.disabled = false;
      stopButton.disabled = true;
    }
  })();
});
