// Renders a risk report as a list: the flagged CLIP categories with the source that
// flagged them and its score, the VLM's verified risks, and what failed.
import { RISK, type RiskReport, type RiskSource } from '../index.ts';

function item(text: string): HTMLLIElement {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

export function riskList(report: RiskReport): HTMLUListElement {
  const list = document.createElement('ul');
  list.className = 'risks';
  if (report.clip) {
    const flagged = report.clip.categories.filter((c) => c.flagged);
    for (const c of flagged) {
      const sources = Object.entries(c.sources)
        .filter(([, s]) => s.flagged)
        .map(([source, s]) => `${RISK.sourceLabels[source as RiskSource]} ${s.score.toFixed(3)} ≥ ${s.threshold}`);
      list.append(item(`CLIP: ${c.label} — ${sources.join(', ')}`));
    }
    if (flagged.length === 0) list.append(item('CLIP: no category above its threshold'));
    if (!report.clip.calibrated) list.append(item(`CLIP category thresholds not calibrated (${report.clip.method})`));
  }
  if (report.vlm) {
    for (const r of report.vlm.risks) {
      const verified = r.verified === true ? 'verified' : 'not verified';
      list.append(item(`VLM: ${r.malicious_content} — ${RISK.categoryLabels[r.risk_category]}, from the ${RISK.sourceLabels[r.source]} (${verified}; ${r.variants.join(', ')})`));
    }
    if (report.vlm.dismissed.length > 0) list.append(item(`VLM: ${report.vlm.dismissed.length} listed risk(s) dismissed by the verifier`));
    if (report.vlm.risks.length === 0 && report.vlm.status !== 'failed') list.append(item('VLM: no risk found'));
    const failed = report.vlm.variants.filter((v) => v.status === 'failed');
    for (const v of failed) list.append(item(`VLM (${v.variant}): ${v.error?.code} — ${v.error?.message}`));
  }
  for (const [part, error] of Object.entries(report.errors ?? {})) list.append(item(`${part}: ${error.code} — ${error.message}`));
  return list;
}
