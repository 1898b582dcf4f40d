// The evaluation report as one self-contained HTML file (Chart.js inlined, so it opens
// offline), and its tables as an HTML fragment for the demo page.
import { CATEGORY_LABELS } from '../risk-categories.ts';
import { SIGNAL_LABELS, reportCharts } from './charts.ts';
import type { EvalReport, OperatingPoint } from './report.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number | null, digits = 4) => (x === null ? '—' : x.toFixed(digits));
const op = (p: OperatingPoint) => `${num(p.threshold)} → detection ${pct(p.detectionRate)}, false positives ${pct(p.falsePositiveRate)}`;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = (row: (string | number)[], tag: string) => `<tr>${row.map((c) => `<${tag}>${typeof c === 'number' ? c : escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${cells(head, 'th')}</thead><tbody>${rows.map((r) => cells(r, 'td')).join('')}</tbody></table>`;
}

/** The report's tables (no scripts): summary, signals and calibration, categories, generation. */
export function reportTables(report: EvalReport): string {
  const { set, setup, overall } = report;
  const parts = [
    `<h2>Set “${escapeHtml(set.name)}”</h2>`,
    table(['items', 'unsafe', 'safe', 'errors', 'CLIP', 'reward', 'backends', 'image text'], [
      [set.items, set.unsafe, set.safe, set.errors, setup.models.clip, setup.models.reward, Object.entries(setup.backends).map(([k, v]) => `${k}: ${v}`).join(', '), setup.imageText ? 'on' : 'off'],
    ]),
    `<h2>At the thresholds in use${setup.thresholdBasis ? ` (image: ${escapeHtml(setup.thresholdBasis.clip)}, reward: ${escapeHtml(setup.thresholdBasis.reward)})` : ''}</h2>`,
    table(['detection rate (unsafe flagged)', 'false-positive rate (over-safety)', 'unknown'], [[pct(overall.detectionRate), pct(overall.falsePositiveRate), overall.unknown]]),
    `<h2>Signals and calibration</h2>`,
    table(
      ['signal', 'AUC', 'current threshold', `threshold at FPR ≤ ${pct(report.fprTarget)}`, "Youden's J threshold"],
      report.signals.map((s) => [SIGNAL_LABELS[s.signal], num(s.auc, 3), op(s.current), op(s.atFprTarget), `${op(s.youden)} (J ${s.youden.j.toFixed(3)})`]),
    ),
    `<h2>Per category (the set's labels)</h2>`,
    table(
      ['category', 'unsafe', 'detected', 'detection rate', 'safe', 'false positives', 'mean image score'],
      report.perCategory.map((c) => [c.category, c.unsafe, c.detected, c.unsafe ? pct(c.detected / c.unsafe) : '—', c.safe, c.falsePositives, num(c.meanImageScore)]),
    ),
    `<h2>CLIP risk categories flagged</h2>`,
    table(['risk category', 'on unsafe items', 'on safe items'], report.riskCategories.map((c) => [CATEGORY_LABELS[c.category], c.unsafeFlagged, c.safeFlagged])),
  ];
  if (report.generation) {
    const g = report.generation;
    parts.push(
      `<h2>Answers before and after alignment (${escapeHtml(setup.generator ?? 'generator')})</h2>`,
      table(['answers', 'aligned', 'unsafe before', 'unsafe after'], [[g.items, g.aligned, `${g.unsafeBefore} (${pct(g.rateBefore)})`, `${g.unsafeAfter} (${pct(g.rateAfter)})`]]),
    );
  }
  return parts.join('\n');
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}th{background:#f6f8fa}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr));gap:1rem}`;

/** Chart.js's UMD build (in chart.js/dist/), which the report inlines. */
export const CHART_JS = 'chart.umd.min.js';

/** A standalone HTML report; `chartJs` is Chart.js's UMD build, inlined so the file needs no network. */
export function renderHtmlReport(report: EvalReport, chartJs: string): string {
  const charts = reportCharts(report);
  // "<" escaped so that no text in the data can close the script element.
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vlm-guard evaluation — ${escapeHtml(report.set.name)}</title><style>${STYLE}</style></head>
<body>
<h1>vlm-guard evaluation</h1>
<p>${escapeHtml(report.createdAt)}</p>
${reportTables(report)}
<h2>Charts</h2>
<div class="charts">${charts.map((c) => `<div><canvas id="${c.id}"></canvas></div>`).join('')}</div>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>for (const c of ${data}) new Chart(document.getElementById(c.id), c.config);</script>
</body></html>
`;
}
