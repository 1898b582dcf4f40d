// Chart.js configurations of an evaluation report: the ROC curve of each signal and
// score histograms (safe vs unsafe). Shared by the HTML report and the demo page.
import type { ChartConfiguration } from 'chart.js';
import type { EvalReport, SignalReport } from './report.ts';

export const SIGNAL_LABELS: Record<SignalReport['signal'], string> = {
  image: 'Image (CLIP, ETA description)',
  imageText: 'Text in the image (reward as a request)',
  response: 'Response (reward)',
};

const COLOURS = { image: '#1f6feb', imageText: '#8250df', response: '#bf8700', safe: 'rgba(26, 127, 55, 0.6)', unsafe: 'rgba(207, 34, 46, 0.6)' };

export function rocChart(report: EvalReport): ChartConfiguration<'scatter'> {
  return {
    type: 'scatter',
    data: {
      datasets: [
        ...report.signals.map((s) => ({
          label: `${SIGNAL_LABELS[s.signal]}${s.auc === null ? '' : ` — AUC ${s.auc.toFixed(3)}`}`,
          data: s.roc.map((p) => ({ x: p.fpr, y: p.tpr })),
          showLine: true,
          borderColor: COLOURS[s.signal],
          backgroundColor: COLOURS[s.signal],
          pointRadius: 2,
        })),
        { label: 'chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true, borderDash: [4, 4], borderColor: '#999', pointRadius: 0 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      plugins: { title: { display: true, text: 'ROC curve' } },
      scales: {
        x: { min: 0, max: 1, title: { display: true, text: 'false-positive rate (safe items flagged)' } },
        y: { min: 0, max: 1, title: { display: true, text: 'detection rate (unsafe items flagged)' } },
      },
    },
  };
}

export function histogramChart(signal: SignalReport): ChartConfiguration<'bar'> {
  const { edges, safe, unsafe } = signal.histogram;
  const labels = safe.map((_, i) => `${edges[i]!.toFixed(2)}–${edges[i + 1]!.toFixed(2)}`);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: `safe (${signal.safeItems})`, data: safe, backgroundColor: COLOURS.safe },
        { label: `unsafe (${signal.unsafeItems})`, data: unsafe, backgroundColor: COLOURS.unsafe },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      plugins: {
        title: {
          display: true,
          text: `${SIGNAL_LABELS[signal.signal]}: scores (unsafe when ${signal.unsafeWhen === 'higher' ? '≥' : '≤'} ${signal.current.threshold ?? '—'})`,
        },
      },
      scales: { x: { title: { display: true, text: 'score' } }, y: { beginAtZero: true, title: { display: true, text: 'items' } } },
    },
  };
}

export function reportCharts(report: EvalReport): { id: string; config: ChartConfiguration }[] {
  return [
    { id: 'roc', config: rocChart(report) as ChartConfiguration },
    ...report.signals.map((s) => ({ id: `histogram-${s.signal}`, config: histogramChart(s) as ChartConfiguration })),
  ];
}
