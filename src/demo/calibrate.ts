// "Calibrate on your own labelled set": a dropped or picked folder (images + labels.json
// or labels.csv) runs through the page's guard; the report shows rates, ROC curves,
// histograms and calibrated thresholds (src/evaluation/), and downloads as JSON.
import { Chart, registerables } from 'chart.js';
import { type EvalItem, type EvalReport, buildReport, parseLabels, reportCharts, reportTables, runEvaluation } from '../evaluation/index.ts';
import type { Device } from '../index.ts';
import { dropZone } from './drop-zone.ts';
import { guardFor } from './minimal.ts';

Chart.register(...registerables);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('calibrate-form');
const status = $('calibrate-status');
const progressBar = $<HTMLProgressElement>('calibrate-progress');
const downloadButton = $<HTMLButtonElement>('calibrate-download');
const runButton = $<HTMLButtonElement>('calibrate-button');
let folder: { name: string; files: Map<string, File> } | null = null;
let lastReport: EvalReport | null = null;
const charts: Chart[] = [];

function setFolder(name: string, files: Map<string, File>): void {
  folder = { name, files };
  $('calibrate-drop-text').textContent = `${name}: ${files.size} file${files.size === 1 ? '' : 's'}`;
}

/** Files of a picked folder, keyed by their path inside it. */
function fromInput(list: FileList): void {
  const files = new Map<string, File>();
  let name = 'folder';
  for (const file of list) {
    const [top, ...rest] = file.webkitRelativePath.split('/');
    name = top ?? name;
    files.set(rest.length ? rest.join('/') : file.name, file);
  }
  setFolder(name, files);
}

/** Reads a dropped folder (File System entries API), paths relative to it. */
async function readFolder(dir: FileSystemDirectoryEntry, prefix: string, files: Map<string, File>): Promise<void> {
  const reader = dir.createReader();
  for (;;) {
    // readEntries answers in batches until it answers none.
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) {
      if (child.isFile) files.set(prefix + child.name, await new Promise<File>((resolve, reject) => (child as FileSystemFileEntry).file(resolve, reject)));
      else if (child.isDirectory) await readFolder(child as FileSystemDirectoryEntry, `${prefix}${child.name}/`, files);
    }
  }
}

form.addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement;
  if (input.name === 'folder' && input.files?.length) fromInput(input.files);
});

dropZone($('calibrate-drop'), (data) => {
  const entry = [...data.items].map((i) => i.webkitGetAsEntry()).find((e) => e?.isDirectory);
  if (!entry) {
    status.textContent = 'Drop a folder (with labels.json or labels.csv), not single files.';
    return;
  }
  void (async () => {
    const files = new Map<string, File>();
    await readFolder(entry as FileSystemDirectoryEntry, '', files);
    setFolder(entry.name, files);
  })().catch((error: unknown) => (status.textContent = `Error reading the folder: ${String(error)}`));
});

function showReport(report: EvalReport): void {
  // Text goes through escapeHtml in reportTables; the fragment has no scripts.
  $('calibrate-tables').innerHTML = reportTables(report);
  for (const chart of charts.splice(0)) chart.destroy();
  const holder = $('calibrate-charts');
  holder.replaceChildren();
  for (const { id, config } of reportCharts(report)) {
    // Chart.js sizes a responsive chart from a box of its own; the box's CSS height keeps it
    // readable on a phone (the report's own aspect ratio would make it a sliver there).
    const box = document.createElement('div');
    box.className = 'chart';
    const canvas = document.createElement('canvas');
    canvas.id = `calibrate-${id}`;
    box.append(canvas);
    holder.append(box);
    charts.push(new Chart(canvas, { ...config, options: { ...config.options, maintainAspectRatio: false } }));
  }
  $('calibrate-report').hidden = false;
}

downloadButton.addEventListener('click', () => {
  if (!lastReport) return;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([JSON.stringify(lastReport, null, 2)], { type: 'application/json' }));
  link.download = `vlm-guard-calibration-${lastReport.set.name}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!folder) {
    status.textContent = 'Pick or drop a folder first.';
    return;
  }
  const { name, files } = folder;
  const fprTarget = Number(new FormData(form).get('fprTarget'));
  const device = ((document.querySelector('input[name="device"]:checked') as HTMLInputElement | null)?.value ?? 'auto') as Device;
  const imageText = (document.getElementById('image-text') as HTMLInputElement | null)?.checked ?? false;
  // One run at a time; the last run's report goes before this one's comes.
  runButton.disabled = true;
  downloadButton.disabled = true;
  $('calibrate-report').hidden = true;
  lastReport = null;
  void (async () => {
    try {
      const labelsName = ['labels.json', 'labels.csv'].find((n) => files.has(n));
      if (!labelsName) throw new Error(`${name} has no labels.json or labels.csv at its top level.`);
      const items: EvalItem[] = parseLabels(await files.get(labelsName)!.text(), labelsName);
      const missing = items.filter((i) => !files.has(i.file));
      if (missing.length > 0) throw new Error(`${missing.length} listed file(s) are not in the folder, e.g. ${missing[0]!.file}.`);
      const guard = await guardFor(device, imageText, { status, bar: progressBar });
      progressBar.hidden = false;
      progressBar.max = 100;
      status.textContent = `Scoring ${items.length} items…`;
      const records = await runEvaluation(guard, items, {
        loadImage: async (file) => files.get(file)!,
        onRecord: (_r, done, total) => {
          progressBar.value = (100 * done) / total;
          status.textContent = `Scored ${done} of ${total}…`;
        },
      });
      lastReport = buildReport(records, {
        name,
        fprTarget,
        setup: { models: guard.info.models, backends: { ...guard.runtime.backends }, imageText: guard.info.imageText.active, thresholds: guard.info.policy.thresholds, thresholdBasis: guard.info.thresholdBasis },
      });
      showReport(lastReport);
      downloadButton.disabled = false;
      progressBar.hidden = true;
      status.textContent = `Done: ${records.length} items.`;
    } catch (error) {
      progressBar.hidden = true;
      status.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      runButton.disabled = false;
    }
  })();
});
