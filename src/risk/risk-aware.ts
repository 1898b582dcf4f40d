// Risk-aware alignment (DREAM's idea applied at inference): the alignment request
// names the risks found, as a system note or as words after the safety prefix.
import type { AlignmentConfig } from '../alignment/config.ts';
import type { ChatInput } from '../generators/types.ts';
import type { RiskAwareAlignment } from './config.ts';
import { type RiskPrompts, fillPrompt } from './prompts.ts';

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
