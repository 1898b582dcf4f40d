// The evaluation toolkit's public entry (npm run eval and the demo's calibration):
// labelled sets, a run of the guard over one, the report with its metrics and charts.
export { parseLabels, type EvalItem } from './labels.ts';
export { runEvaluation } from './run-set.ts';
export { buildReport, type EvalReport } from './report.ts';
export { reportTables } from './html-report.ts';
export { reportCharts } from './charts.ts';
