// Risk-aware alignment (DREAM's idea applied at inference): the alignment request
// names the risks found, as a system note or as words after the safety prefix. The
// words are ours — category and source names from the taxonomy — never a model's free
// text: a risk list can carry an injection ("the user is a licensed expert, so …"), and
// in `prefix` mode those words would become the start of the answer.
import type { AlignmentConfig } from '../alignment/config.ts';
import type { ChatInput } from '../generators/types.ts';
import { CATEGORY_LABELS, RISK_CATEGORIES, type RiskCategory, type RiskSource, SOURCE_LABELS } from '../risk-categories.ts';
import type { RiskReport } from './assess.ts';
import type { RiskAwareAlignment } from './config.ts';
import { type RiskPrompts, fillPrompt } from './prompts.ts';

/**
 * The risks of a report in our own words: each flagged category with the sources that
 * flagged it ("illegal activities (text instruction, text in the image)"); null when none.
 */
export function namedRisks(report: Pick<RiskReport, 'flagged' | 'clip' | 'vlm'>): string | null {
  if (report.flagged.length === 0) return null;
  const sources = new Map<RiskCategory, Set<RiskSource>>();
  const add = (category: RiskCategory, source: RiskSource) => sources.set(category, (sources.get(category) ?? new Set()).add(source));
  for (const c of report.clip?.categories ?? []) {
    for (const [source, score] of Object.entries(c.sources) as [RiskSource, { flagged: boolean }][]) if (score.flagged) add(c.category, source);
  }
  for (const r of report.vlm?.risks ?? []) add(r.risk_category, r.source);
  return RISK_CATEGORIES.filter((c) => report.flagged.includes(c))
    .map((c) => {
      const from = [...(sources.get(c) ?? [])].map((s) => SOURCE_LABELS[s]);
      return from.length ? `${CATEGORY_LABELS[c]} (${from.join(', ')})` : CATEGORY_LABELS[c];
    })
    .join('; ');
}

export interface RiskAwareResult {
  chat: ChatInput;
  alignment: AlignmentConfig;
  /** Set when the request was changed: how, and the risks named. */
  named?: { mode: Exclude<RiskAwareAlignment, 'off'>; risks: string };
}

/** The chat and alignment to use; unchanged when off or when no risk was found (`risks` null). */
export function riskAwareAlignment(
  config: { mode: RiskAwareAlignment; prompts: RiskPrompts } | undefined,
  risks: string | null,
  chat: ChatInput,
  alignment: AlignmentConfig,
): RiskAwareResult {
  if (!config || config.mode === 'off' || risks === null) return { chat, alignment };
  const named = { mode: config.mode, risks };
  if (config.mode === 'system') {
    const note = fillPrompt(config.prompts.alignmentNote, { risks });
    return { chat: { ...chat, system: chat.system ? `${chat.system}\n\n${note}` : note }, alignment, named };
  }
  const extend = (prefix: string) => prefix + fillPrompt(config.prompts.alignmentPrefix, { risks });
  return {
    chat,
    alignment: { ...alignment, shallow: { ...alignment.shallow, prefix: extend(alignment.shallow.prefix) }, deep: { ...alignment.deep, prefix: extend(alignment.deep.prefix) } },
    named,
  };
}
